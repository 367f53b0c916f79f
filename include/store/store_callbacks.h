#ifndef RAMAL_STORE_CALLBACKS_H
#define RAMAL_STORE_CALLBACKS_H

#include <stddef.h>

#include <jansson.h>

#include "db.h"

/*
 * The callback list (table callbacks, sql/025_alerts.sql; opened by the
 * alerts' dispatch, store_callbacks_open in store_alerts.h).  Every
 * statement is scoped to the caller's tenant; a callback comes back as
 * the JSON object docs/api.md describes (the caller's full number: the
 * agents call it).  The pool's named statements (store_callbacks_
 * statements[], merged by store.c); a db_result each.
 */
extern const struct db_stmt store_callbacks_statements[];

/* Which callbacks a list shows. */
enum store_callbacks_scope {
	STORE_CALLBACKS_OPEN, /* open and in-progress, oldest first */
	STORE_CALLBACKS_CLOSED, /* done, no-answer, canceled, newest first */
	STORE_CALLBACKS_ALL, /* newest first */
};

/* What the list adds up for the dashboard. */
struct store_callbacks_counts {
	long open;
	long in_progress;
	char oldest_open_at[40]; /* RFC 3339 UTC, "" when none is open */
};

/*
 * At most limit callbacks of the tenant: a new JSON array in *out, and
 * the counts of the tenant's open ones in *counts.
 */
enum db_result store_callbacks_list(struct db_conn *c, long long tenant_id,
    enum store_callbacks_scope scope, int limit, json_t **out,
    struct store_callbacks_counts *counts);

/*
 * Take the next open callback for user_id (those assigned to it first,
 * then the unassigned, oldest first): in-progress, assigned to it,
 * attempts + 1.  Row-locked with SKIP LOCKED: two agents never take the
 * same one.  The callback in *out (new reference); DB_NOTFOUND when none
 * is left.
 */
enum db_result store_callbacks_next(struct db_conn *c, long long tenant_id,
    long long user_id, json_t **out);

/*
 * Assign callback id to user_id (0: nobody) and make it open again.
 * DB_NOTFOUND: no such callback in the tenant; DB_CONFLICT: it is
 * closed; DB_INVALID: no such enabled user in the tenant.
 */
enum db_result store_callbacks_assign(struct db_conn *c, long long tenant_id,
    long long id, long long user_id, json_t **out);

/*
 * Close callback id with result (done, no-answer, canceled) by user_id;
 * only its assignee may, unless any (a supervisor).  DB_NOTFOUND: no
 * such callback in the tenant; DB_CONFLICT: closed already; DB_FOREIGN:
 * another agent's (or nobody's) callback.
 */
enum db_result store_callbacks_close(struct db_conn *c, long long tenant_id,
    long long id, const char *result, long long user_id, int any, json_t **out);

/*
 * The number of the line of callback id (decimal text, from the
 * softphone's Callback parameter) when it is an open callback of the
 * tenant of account_sid for caller (E.164): the caller ID of the call
 * back, into out.  DB_NOTFOUND otherwise.
 */
enum db_result store_callbacks_line(struct db_conn *c, const char *account_sid,
    const char *id, const char *caller, char *out, size_t outlen);

#endif
