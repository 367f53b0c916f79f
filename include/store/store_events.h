#ifndef RAMAL_STORE_EVENTS_H
#define RAMAL_STORE_EVENTS_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"

/*
 * Store helpers of agent status and live events
 * (store_events_statements[], merged by store.c; tables in
 * sql/007_events.sql).  Functions take a connection the caller holds and
 * return a db_result.  Every query is scoped to a tenant.
 */
extern const struct db_stmt store_events_statements[];

/* One event row for a replay. */
struct store_events_row {
	long long id;
	char *type;
	char *data; /* JSON text */
};

/*
 * The events after `after` that a client (tenant, user, supervisor) may
 * see, oldest first, at most limit: a new array of *n rows in *out (free
 * with store_events_rows_free).
 */
enum db_result store_events_replay(struct db_conn *c, long long tenant_id,
    long long user_id, int supervisor, long long after, int limit,
    struct store_events_row **out, size_t *n);

void store_events_rows_free(struct store_events_row *v, size_t n);

/* ---- the live stream's reads, on the hub's own connection ---- */

/* One event row as the hub fans it out (borrowed during the callback). */
struct store_events_live {
	long long id, tenant_id, user_id; /* user_id 0: none */
	const char *audience, *type, *data;
};

typedef void (*store_events_fn)(void *arg, const struct store_events_live *ev);

/* The newest event id (0 when none) into *id.  0 / -1. */
int store_events_max_id(PGconn *pg, long long *id);

/* The rows whose ids are in ids (a "{1,2}" array), by id, to fn.  0 / -1. */
int store_events_by_ids(PGconn *pg, const char *ids, store_events_fn fn,
    void *arg);

/* Every row after id `after`, by id, read page rows at a time.  0 / -1. */
int store_events_since(PGconn *pg, long long after, int page,
    store_events_fn fn, void *arg);

/*
 * Delete at most batch events older than retention_h hours; *rows is how
 * many.  0 / -1.
 */
int store_events_prune(PGconn *pg, int retention_h, int batch, long long *rows);

/*
 * call.incoming to the user of worker_sid in account_sid: a queue call
 * offered by a TaskRouter reservation.  DB_NOTFOUND when no such user.
 */
enum db_result store_events_call_incoming(struct db_conn *c,
    const char *account_sid, const char *worker_sid, const char *call_sid,
    const char *from, const char *to);

/* What store_events_agent_status found and did. */
struct store_events_status {
	int on_call; /* a live call or an accepted reservation */
	int changed; /* the row was written (status may be the same) */
	int sync; /* has a worker and its tenant a TaskRouter config */
	char status[16];
	char since[40]; /* RFC 3339 UTC with milliseconds */
};

/*
 * Set the status of user_id of tenant_id (not disabled), unless it is
 * "offline" and the user is on a call (then changed is 0).  DB_NOTFOUND
 * when no such user in that tenant.
 */
enum db_result store_events_agent_status(struct db_conn *c, long long user_id,
    long long tenant_id, const char *status, struct store_events_status *out);

/*
 * The users of tenant_id (not disabled) as a JSON array of objects {id,
 * name, email, identity, role, status, since, on_call}, new reference in
 * *out.
 */
enum db_result store_events_agents(struct db_conn *c, long long tenant_id,
    json_t **out);

/* What the TaskRouter worker of a user should be set to (job side). */
struct store_events_sync {
	char status[16];
	char account_sid[35];
	char worker_sid[35];
	char workspace_sid[35];
	char activity_sid[35]; /* of status */
};

/*
 * Read on a plain connection (a job's j->pg).  DB_NOTFOUND when the user,
 * its worker or its tenant's TaskRouter config is gone.
 */
enum db_result store_events_agent_sync(PGconn *pg, long long user_id,
    struct store_events_sync *out);

#endif
