#ifndef RAMAL_STORE_TR_H
#define RAMAL_STORE_TR_H

#include <stddef.h>

#include "db.h"

/*
 * Typed helpers over the TaskRouter statements of store_tr_statements[]
 * (sql/005_taskrouter.sql): the SIDs `ramal provision` set up, tasks,
 * reservations, worker activity and the raw event log.  Every function
 * takes a connection the caller holds (db_acquire) and returns a
 * db_result; the caller decides the transaction boundaries.  Strings in
 * the argument structs are borrowed; NULL means SQL NULL.
 */
extern const struct db_stmt store_tr_statements[]; /* merged by store.c */

#define STORE_TR_SID_LEN 35 /* 34 characters and the NUL */

/* The TaskRouter resources of one tenant. */
struct store_tr_config {
	char workspace_sid[STORE_TR_SID_LEN];
	char workflow_sid[STORE_TR_SID_LEN];
	char task_queue_sid[STORE_TR_SID_LEN];
	char activity_available_sid[STORE_TR_SID_LEN];
	char activity_busy_sid[STORE_TR_SID_LEN];
	char activity_offline_sid[STORE_TR_SID_LEN];
	char activity_wrapup_sid[STORE_TR_SID_LEN];
};

/* The stored config of account_sid into out; DB_NOTFOUND when none. */
enum db_result store_tr_config_get(struct db_conn *c, const char *account_sid,
    struct store_tr_config *out);

/* Insert or replace the config of account_sid (its tenant must exist). */
enum db_result store_tr_config_put(struct db_conn *c, const char *account_sid,
    const struct store_tr_config *in);

/* A user who takes calls (role agent or supervisor, not disabled). */
struct store_tr_agent {
	long long id;
	char *identity;
	char *name;
	char *worker_sid; /* NULL when none yet */
};

/*
 * The agents of account_sid, by id: a new array of *n entries in *out
 * (free with store_tr_agents_free), NULL and 0 when none.
 */
enum db_result store_tr_agents(struct db_conn *c, const char *account_sid,
    struct store_tr_agent **out, size_t *n);

void store_tr_agents_free(struct store_tr_agent *v, size_t n);

/*
 * Give user_id its TaskRouter worker.  DB_NOTFOUND when the user already
 * has another worker; DB_CONFLICT when another user has this one.
 */
enum db_result store_tr_user_worker(struct db_conn *c, long long user_id,
    const char *worker_sid);

/* One raw callback for taskrouter_events. */
struct store_tr_event {
	const char *account_sid;
	const char *event_type; /* EventType, or "assignment" */
	const char *resource_type;
	const char *resource_sid;
	const char *event_sid;
	const char *event_at; /* RFC 3339 */
	const char *received_at; /* RFC 3339 */
	const char *params_json; /* a JSON object of every parameter */
	int replayed;
};

enum db_result store_tr_event_insert(struct db_conn *c,
    const struct store_tr_event *e);

/* What one callback says about a task. */
struct store_tr_task {
	const char *account_sid;
	const char *task_sid;
	const char *workspace_sid;
	const char *workflow_sid;
	const char *task_queue_sid;
	const char *call_sid;
	const char *attributes_json; /* NULL: keep the stored ones */
	const char *assignment_status; /* NULL: unknown */
	const char *reason;
	const char *priority;
	const char *event_at; /* RFC 3339, required */
};

/*
 * Create the task or move it forward: the status and attributes of the
 * newest callback win, by (final, event time, status rank); canceled and
 * completed are final.  Idempotent.  DB_FOREIGN (logged, nothing
 * written) when the task or its call is another tenant's.
 */
enum db_result store_tr_task_upsert(struct db_conn *c,
    const struct store_tr_task *t);

/* What one callback says about a reservation. */
struct store_tr_reservation {
	const char *account_sid;
	const char *reservation_sid;
	const char *task_sid;
	const char *worker_sid;
	const char *call_sid;
	const char *status; /* see store_tr_reservation_rank */
	const char *event_at; /* RFC 3339, required */
};

/*
 * Create the reservation or move it forward (higher rank, then later
 * event time).  Idempotent.  DB_FOREIGN (logged, nothing written) when
 * the reservation, its task or its call is another tenant's.
 */
enum db_result store_tr_reservation_upsert(struct db_conn *c,
    const struct store_tr_reservation *r);

/*
 * Set the status (available busy wrapup offline) of the user whose worker
 * is worker_sid, unless an event already applied is newer: by
 * worker_version when both have one, else by event time.  status_since
 * moves only when the status changes.  DB_NOTFOUND when no user has that
 * worker or the event is older.
 */
enum db_result store_tr_worker_activity(struct db_conn *c,
    const char *account_sid, const char *worker_sid, const char *status,
    const char *event_at, const char *worker_version);

/*
 * Link the caller's call row to its task (kept once set) and, for an
 * accepted reservation, to that reservation and the worker's user
 * (reservation_sid and worker_sid may be NULL).  DB_NOTFOUND when the call
 * has no row (yet).
 */
enum db_result store_tr_call_link(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *task_sid, const char *reservation_sid,
    const char *worker_sid);

/*
 * Order of task assignment states: pending 0, reserved 1, assigned 2,
 * wrapping 3, completed and canceled 10 (final); -1 for anything else.
 */
int store_tr_task_rank(const char *assignment_status);

/*
 * Order of reservation states: pending 0, accepted 1, wrapping 2,
 * completed rejected timeout canceled rescinded failed 3; -1 otherwise.
 */
int store_tr_reservation_rank(const char *status);

#endif
