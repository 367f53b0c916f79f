#ifndef RAMAL_AUTH_H
#define RAMAL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "store_auth.h"

struct db_conn;

/*
 * Sign-in of agents, supervisors and admins: password hashing, sessions,
 * CSRF tokens, the failed-login rate limit, and the guards of signed-in
 * routes.
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
 * of instances share them; the guards keep recent session look-ups in
 * the session cache (include/auth/session_cache.h), which NOTIFY keeps exact
 * across instances.  Every function is thread-safe.
 */

/* scrypt parameters of one stored hash. */
struct auth_kdf {
	uint64_t n;
	uint32_t r;
	uint32_t p;
};

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

/* scrypt hashes computed since the start (verifications and dummies). */
unsigned long auth_password_hashes(void);

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
 * The guards of signed-in routes (http_guard, set in routes.c): find the
 * session of the Bearer token (preferred) or the ramal_session cookie;
 * for a cookie and a POST, PUT, PATCH or DELETE, check X-CSRF-Token;
 * check the role (any, supervisor or above, admin).  HTTP_GO_ON with the
 * user attached to r (auth_user_of); otherwise they have answered (401 no
 * or dead session, 403 CSRF or role, 503 database).
 */
enum http_guard_result auth_guard_agent(struct http_req *r);
enum http_guard_result auth_guard_supervisor(struct http_req *r);
enum http_guard_result auth_guard_admin(struct http_req *r);

/*
 * The guard of GET /api/events: a ticket in the query (?ticket=, from
 * auth_ticket_new) is taken, once, and the request goes on as its
 * session's, as if that session's Bearer token had been sent; without
 * ticket=, as auth_guard_agent.  401 for a ticket unknown, already used,
 * expired, or whose session is over; 503 database.
 */
enum http_guard_result auth_guard_events(struct http_req *r);

/*
 * The signed-in user of a request that passed one of the guards above
 * (borrowed for the request); NULL on other routes.
 */
const struct auth_user *auth_user_of(const struct http_req *r);

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

/* ---- tickets for live events ---- */

/*
 * A browser's EventSource cannot send Authorization, and a session token
 * in a URL would be copied into logs and histories.  So a signed-in page
 * asks for a ticket: AUTH_TOKEN_LEN random base64url characters, valid
 * once for at most EVENTS_TICKET_TTL_S (30) seconds, bound to the
 * session that asked for it, kept in PostgreSQL as its SHA-256 only (any
 * instance takes it).  A session holds at most AUTH_TICKETS_MAX_LIVE
 * unused ones.
 */
#define AUTH_TICKETS_MAX_LIVE 16

enum auth_ticket_result {
	AUTH_TICKET_OK,
	AUTH_TICKET_LIMITED, /* AUTH_TICKETS_MAX_LIVE unused already */
	AUTH_TICKET_UNAVAILABLE, /* database unreachable */
	AUTH_TICKET_ERR,
};

/*
 * A new ticket of u's session living ttl_s seconds, into out (a secret:
 * the caller wipes it).  Takes a pool connection itself; expired tickets
 * of every session are deleted on the way.
 */
enum auth_ticket_result auth_ticket_new(const struct auth_user *u, int ttl_s,
    char out[AUTH_TOKEN_LEN + 1]);

/*
 * Take ticket: DB_OK with the SHA-256 of its session's token in
 * session_hash, once; DB_NOTFOUND when it is malformed, unknown, already
 * taken or expired (it is deleted in every case); DB_UNAVAILABLE or
 * DB_ERR.  The session itself is not checked here.
 */
enum db_result auth_ticket_take(const char *ticket,
    char session_hash[AUTH_HASH_HEX_LEN + 1]);

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
	int max_sessions; /* live sessions a user keeps at most */
	/* out */
	char token[AUTH_TOKEN_LEN + 1]; /* wiped by auth_login_cleanup */
	char csrf[AUTH_TOKEN_LEN + 1];
	long retry_after_s;
	struct auth_user *user; /* owned */
};

/*
 * Sign in: count the attempt against the rate limit (atomically, before
 * the password is checked), verify the password against every candidate
 * with the same number of hashes whatever their number (STORE_AUTH_MAX_
 * CANDIDATES; dummies for an unknown email, a user without a password or
 * a disabled one), holding no database connection while hashing; on
 * success forget the attempt, reset the account's failures and create the
 * session (the user's oldest beyond max_sessions revoked).  Takes pool
 * connections itself.  On AUTH_LOGIN_OK, token, csrf and user are set.
 * Logs the outcome (never the password or a token).
 */
enum auth_login_result auth_login(struct auth_login *in);

/* Wipe the tokens and free the user. */
void auth_login_cleanup(struct auth_login *in);

#endif
