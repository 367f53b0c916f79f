#ifndef RAMAL_STORE_AUTH_H
#define RAMAL_STORE_AUTH_H

#include "db.h"

/* The limits and the typed rows of sign-in, shared with auth/ above. */
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
 * The signed-in user of a request (auth_user_of()).  Every API query a
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
	char session_hash[AUTH_HASH_HEX_LEN + 1]; /* its token's SHA-256 */
	char expires_at[32]; /* the session's end, RFC 3339 UTC */
	int via_cookie; /* 1: cookie (CSRF applies), 0: Bearer */
};

/* Free u and its strings (NULL is fine). */
void auth_user_free(struct auth_user *u);

/* "agent", "supervisor", "admin". */
const char *auth_role_name(enum auth_role role);

/* The role named s, or -1. */
int auth_role_parse(const char *s);

/*
 * Typed store helpers of sign-in: password hashes, sessions and the
 * failed-login counters (store_auth_statements[], merged by store.c).
 * Each takes a connection the caller holds and runs one named statement;
 * none opens a transaction.  Strings are borrowed; NULL means SQL NULL.
 * Thread-safe as far as each thread uses its own connection.
 */
extern const struct db_stmt store_auth_statements[];

/* A user a sign-in may open. */
struct store_auth_candidate {
	long long id;
	char hash[AUTH_STORED_MAX];
};

/*
 * The users one sign-in checks the password of at most (an email may be in
 * several tenants): sign-in always runs this many hashes, whatever the
 * number found, so its time tells nothing.
 */
#define STORE_AUTH_MAX_CANDIDATES 2

/*
 * The enabled users of active tenants whose email is email (any case)
 * and who have a password, of account_sid when not NULL; at most max, by
 * id, into out; *n is their number.  DB_OK (also for none).
 */
enum db_result store_auth_candidates(struct db_conn *c, const char *email,
    const char *account_sid, struct store_auth_candidate *out, int max, int *n);

/* What store_auth_attempt_begin decided. */
struct store_auth_attempt {
	long retry_after_s; /* > 0: refused, wait that long */
	long long rows[2]; /* the attempt's rows (account, address) */
};

/*
 * Begin a sign-in attempt for email (lower-cased) from addr, in one
 * statement no other sign-in can interleave with (sql/013): when the
 * window already holds AUTH_FAIL_MAX_ACCOUNT attempts of email or
 * AUTH_FAIL_MAX_ADDRESS of addr, out->retry_after_s is the seconds until
 * one leaves it; otherwise the attempt is recorded (it counts as a
 * failure until store_auth_attempt_forget) and retry_after_s is 0.  A
 * db_result.
 */
enum db_result store_auth_attempt_begin(struct db_conn *c, const char *email,
    const char *addr, struct store_auth_attempt *out);

/* The attempt succeeded: its rows are no failure.  A db_result. */
enum db_result store_auth_attempt_forget(struct db_conn *c,
    const struct store_auth_attempt *a);

/*
 * Where a set of sessions stand, for the live streams that hold them
 * (on the hub's own connection): for each hash of hashes (a "{h1,h2}"
 * array), fn gets the hash, "ok" or why it is over ("disabled" user,
 * "suspended" tenant, "password-changed", "signed-out" for another
 * revocation — sign-out, too many sessions —, "expired") and the user's
 * role now.  0 / -1.
 */
int store_auth_sessions_check(PGconn *pg, const char *hashes,
    void (*fn)(void *arg, const char *hash, const char *state, int role),
    void *arg);

/* Forget the failures of email (after a sign-in).  A db_result. */
enum db_result store_auth_reset(struct db_conn *c, const char *email);

/*
 * A new session of user_id ending ttl_h hours from now; the user's oldest
 * live sessions beyond max_live (this one included) are revoked.  The
 * hashes are hex SHA-256 (auth_token_hash).  A db_result.
 */
enum db_result store_auth_session_put(struct db_conn *c, long long user_id,
    const char *token_hash, const char *csrf_hash, int ttl_h,
    const char *user_agent, const char *client_addr, int max_live);

/*
 * The live session with token_hash (not revoked, not expired, its user
 * enabled and tenant active): a new user in *out (auth_user_free), and
 * the session's CSRF hash in csrf_hash.  Marks it seen (at most once a
 * minute).  DB_NOTFOUND when there is no such session.
 */
enum db_result store_auth_session_get(struct db_conn *c, const char *token_hash,
    struct auth_user **out, char csrf_hash[AUTH_HASH_HEX_LEN + 1]);

/*
 * A ticket (include/auth/auth.h) of session_id: its SHA-256 ticket_hash,
 * expiring ttl_s seconds from now, unless the session already holds
 * max_live unexpired ones (then DB_NOTFOUND).  Expired tickets of every
 * session are deleted on the way.  A db_result.
 */
enum db_result store_auth_ticket_put(struct db_conn *c, const char *ticket_hash,
    long long session_id, int ttl_s, int max_live);

/*
 * Delete the ticket whose SHA-256 is ticket_hash; when it had not
 * expired, DB_OK with its session's token hash in session_hash.
 * DB_NOTFOUND when there was none or it had expired.
 */
enum db_result store_auth_ticket_take(struct db_conn *c,
    const char *ticket_hash, char session_hash[AUTH_HASH_HEX_LEN + 1]);

/* Revoke one session.  DB_NOTFOUND when it was already revoked. */
enum db_result store_auth_session_revoke(struct db_conn *c,
    long long session_id);

/*
 * Set the password hash of the user of account_sid whose identity or
 * email is who, and revoke all of that user's sessions.  DB_NOTFOUND when
 * there is no such user.
 */
enum db_result store_auth_set_password(struct db_conn *c,
    const char *account_sid, const char *who, const char *hash);

/* The same for user id (right after create-user).  A db_result. */
enum db_result store_auth_set_password_id(struct db_conn *c, long long id,
    const char *hash);

#endif
