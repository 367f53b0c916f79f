/*
 * Store helpers of TaskRouter state (workspace SIDs, tasks, reservations,
 * worker activity).  See include/store/store_tr.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_scope.h"
#include "store_tr.h"
#include "util.h"

/*
 * A callback is "newer" than a task row when its (final, time, rank) is
 * not below the row's; canceled/completed (rank 10) are final.
 */
#define TASK_NEWER \
	"(excluded.status_rank >= 10, excluded.last_event_at," \
	" excluded.status_rank) >= (k.status_rank >= 10," \
	" coalesce(k.last_event_at, '-infinity'), k.status_rank)"

#define RESERVATION_NEWER \
	"(excluded.status_rank, excluded.last_event_at) >= (r.status_rank," \
	" coalesce(r.last_event_at, '-infinity'))"

#define WORKER_NEWER \
	"CASE WHEN $5::bigint IS NOT NULL AND u.worker_version IS NOT NULL" \
	" THEN $5::bigint > u.worker_version" \
	" ELSE $4::timestamptz >= coalesce(u.worker_event_at, '-infinity')" \
	" END"

const struct db_stmt store_tr_statements[] = {
	{ "tr_config_get",
	    "SELECT c.workspace_sid, c.workflow_sid, c.task_queue_sid,"
	    " c.activity_available_sid, c.activity_busy_sid,"
	    " c.activity_offline_sid, c.activity_wrapup_sid"
	    " FROM taskrouter_config c JOIN tenants t ON t.id = c.tenant_id"
	    " WHERE t.account_sid = $1",
	    1 },
	{ "tr_config_put",
	    "INSERT INTO taskrouter_config (tenant_id, workspace_sid,"
	    " workflow_sid, task_queue_sid, activity_available_sid,"
	    " activity_busy_sid, activity_offline_sid, activity_wrapup_sid)"
	    " SELECT t.id, $2, $3, $4, $5, $6, $7, $8 FROM tenants t"
	    " WHERE t.account_sid = $1"
	    " ON CONFLICT (tenant_id) DO UPDATE SET"
	    " workspace_sid = excluded.workspace_sid,"
	    " workflow_sid = excluded.workflow_sid,"
	    " task_queue_sid = excluded.task_queue_sid,"
	    " activity_available_sid = excluded.activity_available_sid,"
	    " activity_busy_sid = excluded.activity_busy_sid,"
	    " activity_offline_sid = excluded.activity_offline_sid,"
	    " activity_wrapup_sid = excluded.activity_wrapup_sid,"
	    " updated_at = now()",
	    8 },
	{ "tr_agents",
	    "SELECT u.id, u.identity, u.name, u.worker_sid"
	    " FROM users u JOIN tenants t ON t.id = u.tenant_id"
	    " WHERE t.account_sid = $1 AND NOT u.disabled"
	    " AND u.role IN ('agent', 'supervisor') ORDER BY u.id",
	    1 },
	{ "tr_user_worker",
	    "UPDATE users SET worker_sid = $2, updated_at = now()"
	    " WHERE id = $1::bigint AND (worker_sid IS NULL OR worker_sid = $2)",
	    2 },
	{ "tr_event_insert",
	    "INSERT INTO taskrouter_events (tenant_id, event_type,"
	    " resource_type, resource_sid, event_sid, event_at, received_at,"
	    " params, replayed)"
	    " SELECT t.id, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz,"
	    " $8::jsonb, $9::boolean FROM tenants t WHERE t.account_sid = $1",
	    9 },
	{ "tr_task_upsert",
	    "INSERT INTO tasks AS k (tenant_id, task_sid, workspace_sid,"
	    " workflow_sid, task_queue_sid, call_sid, attributes,"
	    " assignment_status, status_rank, reason, priority, last_event_at)"
	    " SELECT t.id, $2, $3, $4, $5, $6, coalesce($7::jsonb, '{}'),"
	    " $8, $9::smallint, $10, $11::integer, $12::timestamptz"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $6 AND o.tenant_id <> t.id)"
	    " ON CONFLICT (task_sid) DO UPDATE SET"
	    " assignment_status = CASE WHEN " TASK_NEWER
	    " THEN coalesce(excluded.assignment_status, k.assignment_status)"
	    " ELSE k.assignment_status END,"
	    " status_rank = CASE WHEN " TASK_NEWER
	    " AND excluded.assignment_status IS NOT NULL"
	    " THEN excluded.status_rank ELSE k.status_rank END,"
	    " attributes = CASE WHEN " TASK_NEWER " AND $7 IS NOT NULL"
	    " THEN excluded.attributes ELSE k.attributes END,"
	    " reason = CASE WHEN " TASK_NEWER
	    " THEN coalesce(excluded.reason, k.reason) ELSE k.reason END,"
	    " priority = CASE WHEN " TASK_NEWER
	    " THEN coalesce(excluded.priority, k.priority)"
	    " ELSE k.priority END,"
	    " task_queue_sid = CASE WHEN " TASK_NEWER
	    " THEN coalesce(excluded.task_queue_sid, k.task_queue_sid)"
	    " ELSE k.task_queue_sid END,"
	    " workspace_sid = coalesce(k.workspace_sid, excluded.workspace_sid),"
	    " workflow_sid = coalesce(k.workflow_sid, excluded.workflow_sid),"
	    " call_sid = coalesce(k.call_sid, excluded.call_sid),"
	    " last_event_at = GREATEST(k.last_event_at, excluded.last_event_at),"
	    " updated_at = now()"
	    " WHERE k.tenant_id = excluded.tenant_id",
	    12 },
	{ "tr_reservation_upsert",
	    "INSERT INTO reservations AS r (tenant_id, reservation_sid,"
	    " task_sid, worker_sid, call_sid, status, status_rank,"
	    " last_event_at)"
	    " SELECT t.id, $2, $3, $4, $5, $6, $7::smallint, $8::timestamptz"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $5 AND o.tenant_id <> t.id)"
	    " AND NOT EXISTS (SELECT 1 FROM tasks k WHERE k.task_sid = $3"
	    "  AND k.tenant_id <> t.id)"
	    " ON CONFLICT (reservation_sid) DO UPDATE SET"
	    " status = CASE WHEN " RESERVATION_NEWER
	    " THEN excluded.status ELSE r.status END,"
	    " status_rank = GREATEST(r.status_rank, excluded.status_rank),"
	    " last_event_at = GREATEST(r.last_event_at, excluded.last_event_at),"
	    " worker_sid = coalesce(r.worker_sid, excluded.worker_sid),"
	    " call_sid = coalesce(r.call_sid, excluded.call_sid),"
	    " updated_at = now()"
	    " WHERE r.tenant_id = excluded.tenant_id",
	    8 },
	{ "tr_worker_activity",
	    "UPDATE users u SET status = $3,"
	    " status_since = CASE WHEN u.status = $3 THEN u.status_since"
	    "  ELSE $4::timestamptz END,"
	    " worker_version = coalesce($5::bigint, u.worker_version),"
	    " worker_event_at = GREATEST(u.worker_event_at, $4::timestamptz),"
	    " updated_at = now()"
	    " FROM tenants t WHERE t.id = u.tenant_id AND t.account_sid = $1"
	    " AND u.worker_sid = $2 AND " WORKER_NEWER,
	    5 },
	{ "tr_call_link",
	    "UPDATE calls c SET task_sid = coalesce(c.task_sid, $3),"
	    " reservation_sid = coalesce($4, c.reservation_sid),"
	    " agent_user_id = coalesce((SELECT u.id FROM users u"
	    "  WHERE $4 IS NOT NULL AND u.worker_sid = $5"
	    "  AND u.tenant_id = c.tenant_id), c.agent_user_id),"
	    " updated_at = now()"
	    " FROM tenants t WHERE t.id = c.tenant_id AND t.account_sid = $1"
	    " AND c.call_sid = $2",
	    5 },
	{ NULL, NULL, 0 },
};

int
store_tr_task_rank(const char *s)
{
	static const char *const order[] = { "pending", "reserved", "assigned",
		"wrapping" };

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(s, order[i]) == 0)
			return (int)i;
	if (strcmp(s, "completed") == 0 || strcmp(s, "canceled") == 0)
		return 10;
	return -1;
}

int
store_tr_reservation_rank(const char *s)
{
	static const char *const finals[] = { "completed", "rejected",
		"timeout", "canceled", "rescinded", "failed" };

	if (s == NULL)
		return -1;
	if (strcmp(s, "pending") == 0)
		return 0;
	if (strcmp(s, "accepted") == 0)
		return 1;
	if (strcmp(s, "wrapping") == 0)
		return 2;
	for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++)
		if (strcmp(s, finals[i]) == 0)
			return 3;
	return -1;
}

/* The number of rows an UPDATE touched, as a db_result. */
static enum db_result
run_update(struct db_conn *c, const char *stmt, int n,
    const char *const *params)
{
	enum db_result res;
	PGresult *r = db_exec(c, stmt, n, params, &res);

	if (res == DB_OK && strcmp(PQcmdTuples(r), "0") == 0)
		res = DB_NOTFOUND;
	PQclear(r);
	return res;
}

static void
copy_sid(char dst[STORE_TR_SID_LEN], const char *src)
{
	snprintf(dst, STORE_TR_SID_LEN, "%s", src);
}

enum db_result
store_tr_config_get(struct db_conn *c, const char *account_sid,
    struct store_tr_config *out)
{
	const char *params[1] = { account_sid };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	r = db_exec(c, "tr_config_get", 1, params, &res);
	if (res == DB_OK) {
		copy_sid(out->workspace_sid, PQgetvalue(r, 0, 0));
		copy_sid(out->workflow_sid, PQgetvalue(r, 0, 1));
		copy_sid(out->task_queue_sid, PQgetvalue(r, 0, 2));
		copy_sid(out->activity_available_sid, PQgetvalue(r, 0, 3));
		copy_sid(out->activity_busy_sid, PQgetvalue(r, 0, 4));
		copy_sid(out->activity_offline_sid, PQgetvalue(r, 0, 5));
		copy_sid(out->activity_wrapup_sid, PQgetvalue(r, 0, 6));
	}
	PQclear(r);
	return res;
}

enum db_result
store_tr_config_put(struct db_conn *c, const char *account_sid,
    const struct store_tr_config *in)
{
	const char *params[8] = { account_sid, in->workspace_sid,
		in->workflow_sid, in->task_queue_sid,
		in->activity_available_sid, in->activity_busy_sid,
		in->activity_offline_sid, in->activity_wrapup_sid };

	return run_update(c, "tr_config_put", 8, params);
}

enum db_result
store_tr_agents(struct db_conn *c, const char *account_sid,
    struct store_tr_agent **out, size_t *n)
{
	const char *params[1] = { account_sid };
	enum db_result res;
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	r = db_exec(c, "tr_agents", 1, params, &res);
	if (res == DB_NOTFOUND) {
		PQclear(r);
		return DB_OK;
	}
	if (res != DB_OK)
		goto out;
	rows = PQntuples(r);
	*out = xcalloc((size_t)rows, sizeof(**out));
	for (int i = 0; i < rows; i++) {
		struct store_tr_agent *a = &(*out)[i];

		a->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		a->identity = xstrdup(PQgetvalue(r, i, 1));
		a->name = xstrdup(PQgetvalue(r, i, 2));
		a->worker_sid =
		    PQgetisnull(r, i, 3) ? NULL : xstrdup(PQgetvalue(r, i, 3));
	}
	*n = (size_t)rows;
out:
	PQclear(r);
	return res;
}

void
store_tr_agents_free(struct store_tr_agent *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].identity);
		free(v[i].name);
		free(v[i].worker_sid);
	}
	free(v);
}

enum db_result
store_tr_user_worker(struct db_conn *c, long long user_id,
    const char *worker_sid)
{
	char id[24];
	const char *params[2] = { id, worker_sid };

	snprintf(id, sizeof(id), "%lld", user_id);
	return run_update(c, "tr_user_worker", 2, params);
}

enum db_result
store_tr_event_insert(struct db_conn *c, const struct store_tr_event *e)
{
	const char *params[9] = { e->account_sid, e->event_type,
		e->resource_type, e->resource_sid, e->event_sid, e->event_at,
		e->received_at, e->params_json,
		e->replayed ? "true" : "false" };

	return run_update(c, "tr_event_insert", 9, params);
}

enum db_result
store_tr_task_upsert(struct db_conn *c, const struct store_tr_task *t)
{
	char rank[8];
	const char *params[12];
	struct store_scope sc;

	snprintf(rank, sizeof(rank), "%d",
	    store_tr_task_rank(t->assignment_status));
	params[0] = t->account_sid;
	params[1] = t->task_sid;
	params[2] = t->workspace_sid;
	params[3] = t->workflow_sid;
	params[4] = t->task_queue_sid;
	params[5] = t->call_sid;
	params[6] = t->attributes_json;
	params[7] = t->assignment_status;
	params[8] = rank;
	params[9] = t->reason;
	params[10] = t->priority;
	params[11] = t->event_at;
	memset(&sc, 0, sizeof(sc));
	sc.account_sid = t->account_sid;
	sc.call_sid = t->call_sid;
	sc.task_sid = t->task_sid;
	return store_scope_explain(c, &sc,
	    run_update(c, "tr_task_upsert", 12, params));
}

enum db_result
store_tr_reservation_upsert(struct db_conn *c,
    const struct store_tr_reservation *r)
{
	char rank[8];
	const char *params[8] = { r->account_sid, r->reservation_sid,
		r->task_sid, r->worker_sid, r->call_sid, r->status, rank,
		r->event_at };
	struct store_scope sc;

	snprintf(rank, sizeof(rank), "%d",
	    store_tr_reservation_rank(r->status));
	memset(&sc, 0, sizeof(sc));
	sc.account_sid = r->account_sid;
	sc.call_sid = r->call_sid;
	sc.task_sid = r->task_sid;
	sc.reservation_sid = r->reservation_sid;
	return store_scope_explain(c, &sc,
	    run_update(c, "tr_reservation_upsert", 8, params));
}

enum db_result
store_tr_worker_activity(struct db_conn *c, const char *account_sid,
    const char *worker_sid, const char *status, const char *event_at,
    const char *worker_version)
{
	const char *params[5] = { account_sid, worker_sid, status, event_at,
		worker_version };

	return run_update(c, "tr_worker_activity", 5, params);
}

enum db_result
store_tr_call_link(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *task_sid, const char *reservation_sid,
    const char *worker_sid)
{
	const char *params[5] = { account_sid, call_sid, task_sid,
		reservation_sid, worker_sid };

	return run_update(c, "tr_call_link", 5, params);
}
