/*
 * Sign-in: passwords, tokens, sessions, CSRF, rate limit.  See
 * include/auth.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "auth.h"
#include "log.h"
#include "session_cache.h"
#include "store_auth.h"
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
#define XFF_MAX_ENTRIES 32

void
auth_user_free(struct auth_user *u)
{
	if (u == NULL)
		return;
	free(u->identity);
	free(u->email);
	free(u->name);
	free(u->status);
	free(u->tenant_name);
	free(u);
}

static const char *const role_names[] = { "agent", "supervisor", "admin" };

const char *
auth_role_name(enum auth_role role)
{
	return (unsigned)role < 3 ? role_names[role] : "agent";
}

int
auth_role_parse(const char *s)
{
	for (int i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

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

/* Append base64 without padding.  0 / -1. */
static int
b64_nopad(struct buf *b, const uint8_t *data, size_t len)
{
	if (util_b64_encode(b, data, len) != 0)
		return -1;
	while (b->len > 0 && b->ptr[b->len - 1] == '=')
		b->ptr[--b->len] = '\0';
	return 0;
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
	    b64_nopad(&b, salt, sizeof(salt)) != 0 || buf_addc(&b, '$') != 0 ||
	    b64_nopad(&b, key, sizeof(key)) != 0 || b.len >= outlen)
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

/*
 * One line from fp into a new string without its line end, or NULL
 * (end of input, or longer than AUTH_PASSWORD_MAX: *too_long set).
 */
static char *
read_line(FILE *fp, int *too_long)
{
	char line[AUTH_PASSWORD_MAX + 3];
	char *result = NULL;
	size_t n;

	*too_long = 0;
	if (fgets(line, sizeof(line), fp) != NULL) {
		n = strcspn(line, "\r\n");
		if (line[n] == '\0' && n == sizeof(line) - 1) {
			*too_long = 1;
			/* drop the rest of the line */
			for (int ch; (ch = fgetc(fp)) != EOF && ch != '\n';)
				;
		} else {
			line[n] = '\0';
			result = xstrdup(line);
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	return result;
}

/* A line typed on the terminal (stdin) without echo. */
static char *
prompt_line(const char *prompt, int *too_long)
{
	struct termios old, quiet;
	int restore = 0;
	char *s;

	/* Echo off before the prompt: what is typed after it is kept. */
	if (tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	s = read_line(stdin, too_long);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return s;
}

char *
auth_password_read(int from_stdin, int confirm)
{
	char *a = NULL, *b = NULL;
	int too_long = 0;

	if (from_stdin)
		a = read_line(stdin, &too_long);
	else if (!isatty(STDIN_FILENO)) {
		fprintf(stderr,
		    "ramal: no terminal to ask for a password; pass "
		    "--password-stdin and write it to stdin\n");
		return NULL;
	} else {
		a = prompt_line("New password: ", &too_long);
		if (a != NULL && confirm && auth_password_acceptable(a) == 0) {
			b = prompt_line("Again: ", &too_long);
			if (b == NULL || strcmp(a, b) != 0) {
				fprintf(stderr,
				    "ramal: the passwords do not match\n");
				goto fail;
			}
		}
	}
	if (a == NULL && !too_long) {
		fprintf(stderr, "ramal: no password given\n");
		goto fail;
	}
	if (too_long || auth_password_acceptable(a) != 0) {
		fprintf(stderr, "ramal: a password needs %d to %d characters\n",
		    AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		goto fail;
	}
	util_free_secret(b);
	return a;
fail:
	util_free_secret(a);
	util_free_secret(b);
	return NULL;
}

/* ---- tokens and cookies ---- */

int
auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
	uint8_t rnd[AUTH_TOKEN_BYTES];
	struct buf b;
	int result = -1;

	buf_init(&b, 64);
	if (util_random(rnd, sizeof(rnd)) != 0 ||
	    b64_nopad(&b, rnd, sizeof(rnd)) != 0 || b.len != AUTH_TOKEN_LEN)
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

/* 0 with a normalised copy in out when s[0..len) is an IP address. */
static int
ip_text(const char *s, size_t len, char *out, size_t outlen)
{
	char tmp[AUTH_ADDR_MAX];
	unsigned char bin[16];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, bin) == 1)
		return inet_ntop(AF_INET, bin, out, (socklen_t)outlen) ? 0 : -1;
	if (inet_pton(AF_INET6, tmp, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, (socklen_t)outlen) ? 0
									: -1;
	return -1;
}

int
auth_forwarded_addr(const char *xff, int hops, char *out, size_t outlen)
{
	const char *start[XFF_MAX_ENTRIES];
	size_t len[XFF_MAX_ENTRIES];
	int n = 0, pick;
	const char *p = xff;

	if (xff == NULL || hops < 1)
		return -1;
	/* Keep the last XFF_MAX_ENTRIES entries: the right end matters. */
	for (;;) {
		size_t l;

		while (*p == ' ' || *p == '\t')
			p++;
		l = strcspn(p, ",");
		if (n == XFF_MAX_ENTRIES) {
			memmove(start, start + 1, sizeof(start[0]) * (n - 1));
			memmove(len, len + 1, sizeof(len[0]) * (n - 1));
			n--;
		}
		start[n] = p;
		while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
			l--;
		len[n++] = l;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	pick = n - hops;
	if (pick < 0)
		pick = 0; /* fewer hops than proxies: the first is the client */
	return ip_text(start[pick], len[pick], out, outlen);
}

/* ---- requests ---- */

void
auth_client_addr(const struct http_req *r, char *out, size_t outlen)
{
	const struct config *cfg = http_req_config(r);

	if (cfg->trust_proxy > 0 &&
	    auth_forwarded_addr(http_req_header(r, "X-Forwarded-For"),
		cfg->trust_proxy, out, outlen) == 0)
		return;
	snprintf(out, outlen, "%s", http_req_peer(r));
}

static int
unauthorized(struct http_req *r, const char *why)
{
	http_reply_header(r, "WWW-Authenticate", "Bearer realm=\"ramal\"");
	http_reply_error(r, 401, "%s", why);
	return -1;
}

static int
forbidden(struct http_req *r, const char *why)
{
	http_reply_error(r, 403, "%s", why);
	return -1;
}

static int
needs_csrf(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "OPTIONS") != 0;
}

static enum auth_role
role_needed(enum http_auth need)
{
	switch (need) {
	case HTTP_AUTH_ADMIN:
		return AUTH_ROLE_ADMIN;
	case HTTP_AUTH_SUPERVISOR:
		return AUTH_ROLE_SUPERVISOR;
	default:
		return AUTH_ROLE_AGENT;
	}
}

static int
role_refused(struct http_req *r, enum auth_role min)
{
	return forbidden(r,
	    min == AUTH_ROLE_ADMIN ? "this needs the admin role"
				   : "this needs the supervisor role");
}

int
auth_verify(struct http_req *r, enum http_auth need)
{
	const char *authz = http_req_header(r, "Authorization");
	const char *cookie = http_req_header(r, "Cookie");
	char token[AUTH_TOKEN_LEN + 2], hash[AUTH_HASH_HEX_LEN + 1];
	char csrf_hash[AUTH_HASH_HEX_LEN + 1];
	struct auth_user *u = NULL;
	struct db_conn *c;
	enum db_result res;
	uint64_t gen;
	int via_cookie = 0, result = -1;

	token[0] = '\0';
	if (authz != NULL) {
		if (strncasecmp(authz, "Bearer ", 7) != 0) {
			unauthorized(r, "send Authorization: Bearer <token>");
			goto out;
		}
		for (authz += 7; *authz == ' ';)
			authz++;
		snprintf(token, sizeof(token), "%s", authz);
	} else if (cookie != NULL &&
	    auth_cookie_get(cookie, AUTH_SESSION_COOKIE, token,
		sizeof(token)) != NULL)
		via_cookie = 1;
	else {
		unauthorized(r, "sign in first");
		goto out;
	}
	if (!auth_token_valid(token)) {
		unauthorized(r, "session expired or signed out; sign in again");
		goto out;
	}
	auth_token_hash(token, hash);
	if (session_cache_get(hash, &u, csrf_hash) == 1)
		res = DB_OK;
	else {
		gen = session_cache_gen();
		if ((c = db_acquire()) == NULL) {
			http_reply_error(r, 503, "temporarily unavailable");
			goto out;
		}
		res = store_auth_session_get(c, hash, &u, csrf_hash);
		db_release(c);
		if (res == DB_OK)
			session_cache_put(hash, u, csrf_hash, gen);
	}
	if (res == DB_NOTFOUND) {
		unauthorized(r, "session expired or signed out; sign in again");
		goto out;
	}
	if (res != DB_OK) {
		http_reply_error(r, res == DB_UNAVAILABLE ? 503 : 500,
		    res == DB_UNAVAILABLE ? "temporarily unavailable"
					  : "internal error");
		goto out;
	}
	u->via_cookie = via_cookie;
	if (via_cookie && needs_csrf(http_req_method(r)) &&
	    !auth_token_matches(http_req_header(r, AUTH_CSRF_HEADER),
		csrf_hash)) {
		log_kv(LOG_WARN, "request refused: missing or wrong CSRF token",
		    "path", http_req_path(r), NULL);
		forbidden(r, "missing or wrong " AUTH_CSRF_HEADER " header");
		goto out;
	}
	if (u->role < role_needed(need)) {
		role_refused(r, role_needed(need));
		goto out;
	}
	http_req_set_user(r, u);
	u = NULL;
	result = 0;
out:
	OPENSSL_cleanse(token, sizeof(token));
	auth_user_free(u);
	return result;
}

int
auth_require(struct http_req *r, enum auth_role min)
{
	const struct auth_user *u = http_req_user(r);

	if (u != NULL && u->role >= min)
		return 0;
	return role_refused(r, min);
}

int
auth_may_act_for(const struct auth_user *u, long long user_id)
{
	return u != NULL &&
	    (u->id == user_id || u->role >= AUTH_ROLE_SUPERVISOR);
}

/* ---- sign-in ---- */

static enum auth_login_result
db_failure(enum db_result res)
{
	return res == DB_UNAVAILABLE ? AUTH_LOGIN_UNAVAILABLE : AUTH_LOGIN_ERR;
}

enum auth_login_result
auth_login(struct db_conn *c, struct auth_login *in)
{
	struct store_auth_candidate cand[STORE_AUTH_MAX_CANDIDATES];
	char th[AUTH_HASH_HEX_LEN + 1], ch[AUTH_HASH_HEX_LEN + 1];
	char uid[24], retry[24];
	long long id = 0;
	int n = 0, matches = 0;
	enum db_result res;

	in->retry_after_s = 0;
	in->user = NULL;
	res = store_auth_limited(c, in->email, in->client_addr,
	    &in->retry_after_s);
	if (res != DB_OK)
		return db_failure(res);
	if (in->retry_after_s > 0) {
		snprintf(retry, sizeof(retry), "%ld", in->retry_after_s);
		log_kv(LOG_WARN, "sign-in refused: too many failures", "addr",
		    in->client_addr, "retry_after_s", retry, NULL);
		return AUTH_LOGIN_LIMITED;
	}
	res = store_auth_candidates(c, in->email, in->account_sid, cand,
	    STORE_AUTH_MAX_CANDIDATES, &n);
	if (res != DB_OK)
		return db_failure(res);
	if (n == 0)
		auth_password_dummy(in->password);
	for (int i = 0; i < n; i++)
		if (auth_password_verify(in->password, cand[i].hash)) {
			if (matches++ == 0)
				id = cand[i].id;
		}
	if (matches == 0) {
		res = store_auth_failed(c, in->email, in->client_addr);
		if (res != DB_OK)
			return db_failure(res);
		log_kv(LOG_INFO, "sign-in failed", "addr", in->client_addr,
		    NULL);
		return AUTH_LOGIN_DENIED;
	}
	if (matches > 1) {
		log_kv(LOG_INFO, "sign-in needs an account: several match",
		    "addr", in->client_addr, NULL);
		return AUTH_LOGIN_AMBIGUOUS;
	}
	if ((res = store_auth_reset(c, in->email)) != DB_OK)
		return db_failure(res);
	if (auth_token_new(in->token) != 0 || auth_token_new(in->csrf) != 0)
		return AUTH_LOGIN_ERR;
	auth_token_hash(in->token, th);
	auth_token_hash(in->csrf, ch);
	res = store_auth_session_put(c, id, th, ch, in->ttl_h, in->user_agent,
	    in->client_addr);
	if (res != DB_OK)
		return db_failure(res);
	res = store_auth_session_get(c, th, &in->user, ch);
	if (res != DB_OK)
		return res == DB_NOTFOUND ? AUTH_LOGIN_ERR : db_failure(res);
	snprintf(uid, sizeof(uid), "%lld", id);
	log_kv(LOG_INFO, "signed in", "user", uid, "account",
	    in->user->account_sid, "addr", in->client_addr, NULL);
	return AUTH_LOGIN_OK;
}

void
auth_login_cleanup(struct auth_login *in)
{
	OPENSSL_cleanse(in->token, sizeof(in->token));
	OPENSSL_cleanse(in->csrf, sizeof(in->csrf));
	auth_user_free(in->user);
	in->user = NULL;
}
