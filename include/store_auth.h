#ifndef RAMAL_STORE_AUTH_H
#define RAMAL_STORE_AUTH_H

#include "auth.h"
#include "db.h"

/*
 * Typed store helpers of sign-in: password hashes, sessions and the
 * failed-login counters (store_auth_statements[], see store.h).  Each
 * takes a connection the caller holds and runs one named statement; none
 * opens a transaction.  Strings are borrowed; NULL means SQL NULL.
 * Thread-safe as far as each thread uses its own connection.
 */

/* A user a sign-in may open. */
struct store_auth_candidate {
	long long id;
	char hash[AUTH_STORED_MAX];
};

#define STORE_AUTH_MAX_CANDIDATES 4

/*
 * The enabled users of active tenants whose email is email (any case)
 * and who have a password, of account_sid when not NULL; at most max, by
 * id, into out; *n is their number.  DB_OK (also for none).
 */
enum db_result store_auth_candidates(struct db_conn *c, const char *email,
    const char *account_sid, struct store_auth_candidate *out, int max, int *n);

/*
 * Is another sign-in allowed?  *retry_after_s is 0 when it is, or the
 * seconds until the older failures of email (lower-cased) or addr leave
 * the window.  A db_result.
 */
enum db_result store_auth_limited(struct db_conn *c, const char *email,
    const char *addr, long *retry_after_s);

/* Count one failed sign-in for email and for addr.  A db_result. */
enum db_result store_auth_failed(struct db_conn *c, const char *email,
    const char *addr);

/* Forget the failures of email (after a sign-in).  A db_result. */
enum db_result store_auth_reset(struct db_conn *c, const char *email);

/*
 * A new session of user_id ending ttl_h hours from now.  The hashes are
 * hex SHA-256 (auth_token_hash).  A db_result.
 */
enum db_result store_auth_session_put(struct db_conn *c, long long user_id,
    const char *token_hash, const char *csrf_hash, int ttl_h,
    const char *user_agent, const char *client_addr);

/*
 * The live session with token_hash (not revoked, not expired, its user
 * enabled and tenant active): a new user in *out (auth_user_free), and
 * the session's CSRF hash in csrf_hash.  Marks it seen (at most once a
 * minute).  DB_NOTFOUND when there is no such session.
 */
enum db_result store_auth_session_get(struct db_conn *c, const char *token_hash,
    struct auth_user **out, char csrf_hash[AUTH_HASH_HEX_LEN + 1]);

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
