/*
 * Password hashing with scrypt.  See include/auth/auth.h.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "auth.h"
#include "log.h"
#include "util.h"

#define SCHEME "scrypt"
#define SALT_MIN 8
#define SALT_MAX 64
#define KEY_MIN 16
#define KEY_MAX 64
#define N_MAX (1u << 20)
#define R_MAX 32
#define P_MAX 16
#define MEM_MAX (256ull * 1024 * 1024)

/* ---- passwords ---- */

int
auth_password_acceptable(const char *password)
{
	size_t n = password ? strlen(password) : 0;

	return n >= AUTH_PASSWORD_MIN && n <= AUTH_PASSWORD_MAX ? 0 : -1;
}

static int
kdf_in_bounds(const struct auth_kdf *k)
{
	return k->n >= 2 && k->n <= N_MAX && (k->n & (k->n - 1)) == 0 &&
	    k->r >= 1 && k->r <= R_MAX && k->p >= 1 && k->p <= P_MAX &&
	    128ull * k->r * k->n <= MEM_MAX;
}

/* scrypt(password, salt) into key[keylen].  0 / -1 (logged). */
/* Hashes computed since the start, for /metrics. */
static atomic_ulong kdf_runs;

unsigned long
auth_password_hashes(void)
{
	return atomic_load(&kdf_runs);
}

static int
scrypt_derive(const struct auth_kdf *k, const char *password,
    const uint8_t *salt, size_t saltlen, uint8_t *key, size_t keylen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[7];
	uint64_t n = k->n, maxmem;
	uint32_t r = k->r, p = k->p;
	int result = -1;

	atomic_fetch_add(&kdf_runs, 1);
	/* OpenSSL needs 128 r (N + 2) bytes for V and 128 r p for B. */
	maxmem = 128ull * r * (n + 2 + p) + 4096;
	kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	if (kdf == NULL || (ctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)password, strlen(password));
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	params[5] =
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	params[6] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, key, keylen, params) != 1)
		goto out;
	result = 0;
out:
	if (result != 0)
		log_errorx(
		    "scrypt failed (OpenSSL has no SCRYPT KDF, or out of "
		    "memory)");
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return result;
}

int
auth_password_hash_with(const struct auth_kdf *kdf, const char *password,
    char *out, size_t outlen)
{
	uint8_t salt[AUTH_SALT_BYTES], key[AUTH_KEY_BYTES];
	struct buf b;
	int result = -1;

	buf_init(&b, AUTH_STORED_MAX - 1);
	if (!kdf_in_bounds(kdf) || strlen(password) > AUTH_PASSWORD_MAX ||
	    util_random(salt, sizeof(salt)) != 0 ||
	    scrypt_derive(kdf, password, salt, sizeof(salt), key,
		sizeof(key)) != 0)
		goto out;
	if (buf_printf(&b, SCHEME "$%llu$%u$%u$", (unsigned long long)kdf->n,
		(unsigned)kdf->r, (unsigned)kdf->p) != 0 ||
	    util_b64_encode_nopad(&b, salt, sizeof(salt)) != 0 || buf_addc(&b, '$') != 0 ||
	    util_b64_encode_nopad(&b, key, sizeof(key)) != 0 || b.len >= outlen)
		goto out;
	memcpy(out, b.ptr, b.len + 1);
	result = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	buf_cleanup(&b);
	return result;
}

int
auth_password_hash(const char *password, char *out, size_t outlen)
{
	const struct auth_kdf k = { AUTH_SCRYPT_N, AUTH_SCRYPT_R,
		AUTH_SCRYPT_P };

	return auth_password_hash_with(&k, password, out, outlen);
}

/* A decimal number of at most 9 digits, no sign.  0 / -1. */
static int
parse_num(const char *s, size_t len, uint64_t *v)
{
	*v = 0;
	if (len == 0 || len > 9 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

/* Split stored into its fields and check them all.  0 / -1. */
static int
parse_stored(const char *stored, struct auth_kdf *k, uint8_t *salt,
    size_t *saltlen, uint8_t *key, size_t *keylen)
{
	const char *f[6];
	size_t flen[6], nf = 0;
	const char *p;
	uint64_t n, r, pp;
	long got;

	if (stored == NULL || strlen(stored) >= AUTH_STORED_MAX)
		return -1;
	for (p = stored;; p++) {
		if (nf == 6)
			return -1; /* a seventh field */
		f[nf] = p;
		flen[nf] = strcspn(p, "$");
		p += flen[nf++];
		if (*p == '\0')
			break;
	}
	if (nf != 6 || flen[0] != strlen(SCHEME) ||
	    memcmp(f[0], SCHEME, flen[0]) != 0)
		return -1;
	if (parse_num(f[1], flen[1], &n) != 0 ||
	    parse_num(f[2], flen[2], &r) != 0 ||
	    parse_num(f[3], flen[3], &pp) != 0 || r > R_MAX || pp > P_MAX)
		return -1;
	k->n = n;
	k->r = (uint32_t)r;
	k->p = (uint32_t)pp;
	if (!kdf_in_bounds(k))
		return -1;
	got = util_b64_decode(f[4], flen[4], salt, SALT_MAX);
	if (got < SALT_MIN)
		return -1;
	*saltlen = (size_t)got;
	got = util_b64_decode(f[5], flen[5], key, KEY_MAX);
	if (got < KEY_MIN)
		return -1;
	*keylen = (size_t)got;
	return 0;
}

int
auth_password_params(const char *stored, struct auth_kdf *kdf)
{
	uint8_t salt[SALT_MAX], key[KEY_MAX];
	size_t saltlen, keylen;

	return parse_stored(stored, kdf, salt, &saltlen, key, &keylen);
}

int
auth_password_verify(const char *password, const char *stored)
{
	struct auth_kdf k;
	uint8_t salt[SALT_MAX], want[KEY_MAX], got[KEY_MAX];
	size_t saltlen, keylen;
	int ok = 0;

	if (password == NULL || strlen(password) > AUTH_PASSWORD_MAX ||
	    parse_stored(stored, &k, salt, &saltlen, want, &keylen) != 0)
		return 0;
	if (scrypt_derive(&k, password, salt, saltlen, got, keylen) == 0)
		ok = CRYPTO_memcmp(got, want, keylen) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

void
auth_password_dummy(const char *password)
{
	const struct auth_kdf k = { AUTH_SCRYPT_N, AUTH_SCRYPT_R,
		AUTH_SCRYPT_P };
	uint8_t salt[AUTH_SALT_BYTES] = { 0 }, key[AUTH_KEY_BYTES];

	if (password == NULL || strlen(password) > AUTH_PASSWORD_MAX)
		password = "";
	scrypt_derive(&k, password, salt, sizeof(salt), key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
}

