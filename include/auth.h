#ifndef RAMAL_AUTH_H
#define RAMAL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

struct db_conn;

/*
 * Sign-in of agents, supervisors and admins: password hashing, sessions,
 * CSRF tokens, the failed-login rate limit, and the check that runs before
 * the handler of every HTTP_AUTH_SESSION / _SUPERVISOR / _ADMIN route.
 *
 * Passwords are hashed with scrypt (OpenSSL 3's EVP_KDF "SCRYPT") and
 * stored as one text value that carries the parameters and the salt:
 *
 *	scrypt$N$r$p$salt_b64$hash_b64	(base64 without padding)
 *
 * so the cost can be raised later and old hashes still verify.
 *
 * A session token and a CSRF token are each 32 random bytes, base64url
 * (43 characters); the database keeps only their SHA-256 in hex.  The
 * token goes to the client as the HttpOnly cookie ramal_session and in the
 * login answer (for Authorization: Bearer); the CSRF token as the
 * JavaScript-readable cookie ramal_csrf and in the login answer.  A
 * state-changing request authenticated by the cookie must send the CSRF
 * token back in X-CSRF-Token; a Bearer request needs none (a browser never
 * adds that header on its own).
 *
 * Sessions and the rate-limit counters live in PostgreSQL, so any number
 * of instances share them; auth_verify() keeps recent session look-ups in
 * the session cache (include/session_cache.h), which NOTIFY keeps exact
 * across instances.  Every function is thread-safe.
 */

#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */
#define AUTH_HASH_HEX_LEN 64 /* SHA-256 in hex */
#define AUTH_PASSWORD_MIN 8 /* bytes, when a password is set */
#define AUTH_PASSWORD_MAX 1024 /* bytes, longest password accepted */
#define AUTH_STORED_MAX 256 /* longest stored password hash */
#define AUTH_EMAIL_MAX 320
#define AUTH_ADDR_MAX 64 /* a client address as text */

#define AUTH_SESSION_COOKIE "ramal_session"
#define AUTH_CSRF_COOKIE "ramal_csrf"
#define AUTH_CSRF_HEADER "X-CSRF-Token"

/* Failed sign-ins allowed per sliding window, per account and address. */
#define AUTH_FAIL_WINDOW_S (15 * 60)
#define AUTH_FAIL_MAX_ACCOUNT 5
#define AUTH_FAIL_MAX_ADDRESS 20

/*
 * Default scrypt cost: N=2^15, r=8, p=3 is one of OWASP's equivalent
 * minimum settings and needs 32 MiB per hash (about 0.3 s on one core).
 */
#define AUTH_SCRYPT_N 32768
#define AUTH_SCRYPT_R 8
#define AUTH_SCRYPT_P 3
#define AUTH_SALT_BYTES 16
#define AUTH_KEY_BYTES 32

/* Roles, in increasing power: a role may do all that those below it may. */
enum auth_role {
	AUTH_ROLE_AGENT,
	AUTH_ROLE_SUPERVISOR,
	AUTH_ROLE_ADMIN,
};

/*
 * The signed-in user of a request (http_req_user()).  Every API query a
 * handler runs must be scoped to tenant_id (or account_sid); rows of
 * another agent only when auth_may_act_for() says so.
 */
struct auth_user {
	long long id; /* users.id */
	long long tenant_id; /* tenants.id */
	char account_sid[35]; /* the tenant's Twilio account */
	enum auth_role role;
	char *identity; /* Voice SDK identity */
	char *email;
	char *name;
	char *status; /* available, busy, wrapup, offline */
	char *tenant_name; /* the tenant's friendly name ("" when none) */
	long long session_id; /* sessions.id */
	char expires_at[32]; /* the session's end, RFC 3339 UTC */
	int via_cookie; /* 1: cookie (CSRF applies), 0: Bearer */
};

/* scrypt parameters of one stored hash. */
struct auth_kdf {
	uint64_t n;
	uint32_t r;
	uint32_t p;
};

/* Free u and its strings (NULL is fine). */
void auth_user_free(struct auth_user *u);

/* "agent", "supervisor", "admin". */
const char *auth_role_name(enum auth_role role);

/* The role named s, or -1. */
int auth_role_parse(const char *s);

/* ---- passwords (pure) ---- */

/*
 * 0 when password may be set (AUTH_PASSWORD_MIN..AUTH_PASSWORD_MAX bytes),
 * -1 otherwise.
 */
int auth_password_acceptable(const char *password);

/*
 * Hash password with the default cost and a fresh random salt into
 * out[outlen] (at least AUTH_STORED_MAX).  0, or -1 on a library failure
 * or a password longer than AUTH_PASSWORD_MAX.
 */
int auth_password_hash(const char *password, char *out, size_t outlen);

/* The same with explicit parameters (tests; raising the cost). */
int auth_password_hash_with(const struct auth_kdf *kdf, const char *password,
    char *out, size_t outlen);

/*
 * 1 when password matches stored, 0 when it does not or stored is not a
 * hash this module reads (malformed, unknown scheme, parameters out of
 * bounds).  The comparison is constant-time.
 */
int auth_password_verify(const char *password, const char *stored);

/*
 * Spend the time a verification with the default cost takes, and fail:
 * what sign-in does for an unknown user, so that the answer's timing does
 * not tell whether the email exists.
 */
void auth_password_dummy(const char *password);

/*
 * Parse the parameters of a stored hash into *kdf.  0 when stored is a
 * well-formed scrypt hash within bounds (N a power of two up to 2^20,
 * r 1..32, p 1..16, at most 256 MiB, salt 8..64 and hash 16..64 bytes),
 * -1 otherwise.
 */
int auth_password_params(const char *stored, struct auth_kdf *kdf);

/*
 * Read a new password for a command-line tool: one line from stdin when
 * from_stdin, else a prompt without echo on the terminal, twice when
 * confirm.  A new string (util_free_secret), or NULL with a message on
 * stderr (no terminal, mismatch, too short or too long).
 */
char *auth_password_read(int from_stdin, int confirm);

/* ---- tokens and cookies (pure) ---- */

/* A new random token (base64url, AUTH_TOKEN_LEN chars).  0 / -1. */
int auth_token_new(char out[AUTH_TOKEN_LEN + 1]);

/* 1 when s looks like a token (AUTH_TOKEN_LEN base64url chars). */
int auth_token_valid(const char *s);

/* SHA-256 of the token's text in lower-case hex. */
void auth_token_hash(const char *token, char out[AUTH_HASH_HEX_LEN + 1]);

/*
 * 1 when the SHA-256 of token equals hash_hex, in time that does not
 * depend on where they differ; 0 otherwise (also for NULLs).
 */
int auth_token_matches(const char *token, const char *hash_hex);

/*
 * The value of cookie name in a Cookie header, copied into out[outlen].
 * out, or NULL when absent or longer than outlen - 1.
 */
const char *auth_cookie_get(const char *header, const char *name, char *out,
    size_t outlen);

/*
 * A Set-Cookie value: name=value; Path=/; Max-Age=max_age[; HttpOnly]
 * [; Secure]; SameSite=Lax.  0 / -1 (does not fit).
 */
int auth_cookie_format(char *out, size_t outlen, const char *name,
    const char *value, long max_age, int http_only, int secure);

/*
 * 1 when cookies must carry Secure: always, except for a BASE_URL of
 * plain http:// on localhost, 127.0.0.1 or [::1].
 */
int auth_cookie_secure(const char *base_url);

/*
 * The client address from an X-Forwarded-For value when hops proxies are
 * trusted: the hops-th entry from the right (what the outermost trusted
 * proxy saw; entries to its left are client-controlled).  0 with the
 * address in out, -1 when there is no valid IP address there.
 */
int auth_forwarded_addr(const char *xff, int hops, char *out, size_t outlen);

/* ---- requests ---- */

/*
 * The client address of a request for rate limiting: the TCP peer, or the
 * X-Forwarded-For entry auth_forwarded_addr() picks when TRUST_PROXY > 0.
 */
void auth_client_addr(const struct http_req *r, char *out, size_t outlen);

/*
 * The check the HTTP core runs before the handler of a route whose auth
 * is HTTP_AUTH_SESSION, _SUPERVISOR or _ADMIN: find the session of the
 * Bearer token (preferred) or the ramal_session cookie; for a cookie and
 * a POST, PUT, PATCH or DELETE, check X-CSRF-Token; check the role.  0
 * with the user attached to r (http_req_user()); otherwise it has answered
 * (401 no or dead session, 403 CSRF or role, 503 database) and returns -1.
 */
int auth_verify(struct http_req *r, enum http_auth need);

/*
 * For handlers that need a role only sometimes: 0 when the signed-in user
 * has at least role min, else a 403 answer and -1.
 */
int auth_require(struct http_req *r, enum auth_role min);

/*
 * 1 when u may read or change what belongs to user_id of its own tenant:
 * it is u, or u is a supervisor or admin.  The caller has already
 * checked that user_id is of u->tenant_id.
 */
int auth_may_act_for(const struct auth_user *u, long long user_id);

/* ---- sign-in ---- */

enum auth_login_result {
	AUTH_LOGIN_OK,
	AUTH_LOGIN_DENIED, /* unknown, wrong password, disabled: one answer */
	AUTH_LOGIN_LIMITED, /* too many failures; *retry_after_s set */
	AUTH_LOGIN_AMBIGUOUS, /* the password opens several tenants */
	AUTH_LOGIN_UNAVAILABLE, /* database unreachable */
	AUTH_LOGIN_ERR,
};

struct auth_login {
	/* in (borrowed) */
	const char *email;
	const char *password;
	const char *account_sid; /* NULL: any tenant */
	const char *client_addr;
	const char *user_agent; /* NULL when absent */
	int ttl_h;
	/* out */
	char token[AUTH_TOKEN_LEN + 1]; /* wiped by auth_login_cleanup */
	char csrf[AUTH_TOKEN_LEN + 1];
	long retry_after_s;
	struct auth_user *user; /* owned */
};

/*
 * Sign in on connection c: check the rate limit, verify the password (the
 * KDF runs against a dummy hash for an unknown email, a user without a
 * password or a disabled one), count a failure or reset the account's
 * count on success, and create the session.  On AUTH_LOGIN_OK, token,
 * csrf and user are set.  Logs the outcome (never the password or a
 * token).
 */
enum auth_login_result auth_login(struct db_conn *c, struct auth_login *in);

/* Wipe the tokens and free the user. */
void auth_login_cleanup(struct auth_login *in);

#endif
