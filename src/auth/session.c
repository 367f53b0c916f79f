/*
 * Session and CSRF tokens and their cookies.  See include/auth/auth.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "util.h"

/* ---- tokens and cookies ---- */

int
auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
	uint8_t rnd[AUTH_TOKEN_BYTES];
	struct buf b;
	int result = -1;

	buf_init(&b, 64);
	if (util_random(rnd, sizeof(rnd)) != 0 ||
	    util_b64_encode_nopad(&b, rnd, sizeof(rnd)) != 0 || b.len != AUTH_TOKEN_LEN)
		goto out;
	for (size_t i = 0; i < b.len; i++)
		out[i] = b.ptr[i] == '+' ? '-'
		    : b.ptr[i] == '/'	 ? '_'
					 : b.ptr[i];
	out[AUTH_TOKEN_LEN] = '\0';
	result = 0;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (b.ptr != NULL)
		OPENSSL_cleanse(b.ptr, b.len);
	buf_cleanup(&b);
	return result;
}

int
auth_token_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_");
	return n == AUTH_TOKEN_LEN && s[n] == '\0';
}

void
auth_token_hash(const char *token, char out[AUTH_HASH_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL) !=
		1 ||
	    mdlen != sizeof(md)) {
		memset(out, '0', AUTH_HASH_HEX_LEN); /* matches no token */
		out[AUTH_HASH_HEX_LEN] = '\0';
		return;
	}
	util_hex_encode(out, md, sizeof(md));
}

int
auth_token_matches(const char *token, const char *hash_hex)
{
	char h[AUTH_HASH_HEX_LEN + 1];
	int ok;

	if (token == NULL || hash_hex == NULL || !auth_token_valid(token))
		return 0;
	auth_token_hash(token, h);
	ok = util_ct_equal(h, AUTH_HASH_HEX_LEN, hash_hex, strlen(hash_hex));
	return ok;
}

const char *
auth_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header;

	while (p != NULL && *p != '\0') {
		size_t klen, vlen;
		const char *v;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		klen = strcspn(p, "=;");
		if (p[klen] == '=' && klen == nlen &&
		    memcmp(p, name, nlen) == 0) {
			v = p + klen + 1;
			vlen = strcspn(v, ";");
			while (vlen > 0 &&
			    (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (vlen >= outlen)
				return NULL;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return out;
		}
		p += strcspn(p, ";");
	}
	return NULL;
}

int
auth_cookie_format(char *out, size_t outlen, const char *name,
    const char *value, long max_age, int http_only, int secure)
{
	int n = snprintf(out, outlen,
	    "%s=%s; Path=/; Max-Age=%ld%s%s; "
	    "SameSite=Lax",
	    name, value, max_age, http_only ? "; HttpOnly" : "",
	    secure ? "; Secure" : "");

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
auth_cookie_secure(const char *base_url)
{
	static const char *const local[] = { "http://localhost",
		"http://127.0.0.1", "http://[::1]" };

	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		size_t n = strlen(local[i]);

		if (strncasecmp(base_url, local[i], n) == 0 &&
		    (base_url[n] == '\0' || base_url[n] == ':' ||
			base_url[n] == '/'))
			return 0;
	}
	return 1;
}

