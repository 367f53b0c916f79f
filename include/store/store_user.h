#ifndef RAMAL_STORE_USER_H
#define RAMAL_STORE_USER_H

#include "db.h"

/*
 * Users as the operator commands keep them (`ramal create-user`, `ramal
 * user`): the statements of store_user_statements[], merged by
 * store_statements().  Every function takes a connection the caller holds
 * and runs one statement, outside any transaction it did not open itself;
 * strings are borrowed.  Thread-safe as far as each thread uses its own
 * connection.
 */
extern const struct db_stmt store_user_statements[];

/*
 * Add a user to the tenant of account_sid (email is stored lower-case).
 * Its users.id in *id.  DB_NOTFOUND: no such account; DB_CONFLICT: the
 * email or the identity is taken; another db_result on failure.
 */
enum db_result store_user_create(struct db_conn *c, const char *account_sid,
    const char *email, const char *name, const char *role, const char *identity,
    long long *id);

/* One user of store_user_list (every string borrowed for the callback). */
struct store_user_row {
	const char *identity;
	const char *email;
	const char *name;
	const char *role; /* agent, supervisor, admin */
	const char *status; /* available, busy, wrapup, offline */
	const char *worker_sid; /* "" when the user has no TaskRouter worker */
	int disabled;
};

typedef void (*store_user_fn)(void *arg, const struct store_user_row *row);

/*
 * Call fn for every user of the tenant of account_sid, by identity.
 * DB_OK (also when there is none) or the failure.
 */
enum db_result store_user_list(struct db_conn *c, const char *account_sid,
    store_user_fn fn, void *arg);

/*
 * Set the status (available, busy, wrapup, offline) of the user identity
 * of the tenant; status_since moves only when the status changes.
 * DB_NOTFOUND: no such user.
 */
enum db_result store_user_set_status(struct db_conn *c, const char *account_sid,
    const char *identity, const char *status);

#endif
