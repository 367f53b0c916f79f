/*
 * Store helpers of agent status and live events.  See
 * include/store/store_events.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_events.h"
#include "util.h"

#define SINCE(col) \
	"to_char(" col " AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/*
 * Is user u on a call?  A call of its own that is not final (younger than
 * 6 hours: a call whose last callback never came does not block the agent
 * forever), or a TaskRouter reservation it accepted whose task is not
 * completed or canceled.
 */
#define ON_CALL(u) \
	"(EXISTS (SELECT 1 FROM calls c WHERE c.agent_user_id = " u ".id" \
	"  AND c.status_rank < 4" \
	"  AND c.created_at > now() - interval '6 hours')" \
	" OR (" u ".worker_sid IS NOT NULL AND EXISTS (SELECT 1" \
	"  FROM reservations r JOIN tasks k ON k.task_sid = r.task_sid" \
	"  WHERE r.worker_sid = " u ".worker_sid AND r.status = 'accepted'" \
	"  AND k.status_rank < 10" \
	"  AND r.created_at > now() - interval '6 hours')))"

const struct db_stmt store_events_statements[] = {
	{ "ev_replay",
	    "SELECT id, type, data::text FROM events"
	    " WHERE tenant_id = $1::bigint AND id > $2::bigint"
	    " AND ((audience = 'user' AND user_id = $3::bigint)"
	    "  OR (audience = 'supervisors' AND $4::boolean))"
	    " ORDER BY id LIMIT $5::integer",
	    5 },
	{ "ev_call_incoming",
	    "INSERT INTO events (tenant_id, user_id, audience, type, data)"
	    " SELECT u.tenant_id, u.id, 'user', 'call.incoming',"
	    " jsonb_build_object('call_sid', $3::text, 'from', $4::text,"
	    "  'to', $5::text, 'line', coalesce((SELECT nullif(p.label, '')"
	    "   FROM phone_numbers p WHERE p.tenant_id = u.tenant_id"
	    "   AND p.e164 = $5), $5), 'reason', 'overflow')"
	    " FROM users u JOIN tenants t ON t.id = u.tenant_id"
	    " WHERE t.account_sid = $1 AND u.worker_sid = $2",
	    5 },
	{ "ev_agent_status",
	    "WITH target AS (SELECT u.id, u.worker_sid,"
	    "  EXISTS (SELECT 1 FROM taskrouter_config tc"
	    "   WHERE tc.tenant_id = u.tenant_id) AS tr"
	    "  FROM users u WHERE u.id = $1::bigint AND u.tenant_id = $2::bigint"
	    "  AND NOT u.disabled FOR UPDATE),"
	    " live AS (SELECT t.id, " ON_CALL(
		"t") " AS on_call FROM target t),"
		     " upd AS (UPDATE users u SET status = $3,"
		     "  status_since = CASE WHEN u.status = $3 THEN u.status_since"
		     "   ELSE now() END,"
		     "  worker_event_at = GREATEST(u.worker_event_at, now()),"
		     "  updated_at = now()"
		     "  FROM live l WHERE u.id = l.id"
		     "  AND NOT ($3 = 'offline' AND l.on_call)"
		     "  RETURNING u.status, u.status_since)"
		     " SELECT l.on_call, upd.status IS NOT NULL,"
		     " t.worker_sid IS NOT NULL AND t.tr, upd.status,"
		     " " SINCE(
			 "upd.status_since") " FROM target t JOIN live l ON true"
					     " LEFT JOIN upd ON true",
	    3 },
	{ "ev_agents",
	    "SELECT coalesce(json_agg(json_build_object('id', u.id, 'name',"
	    " u.name, 'email', u.email, 'identity', u.identity, 'role', u.role,"
	    " 'status', u.status, 'since', " SINCE(
		"u.status_since") ","
				  " 'on_call', " ON_CALL(
				      "u") ") ORDER BY u.name, u.id), '[]')::text"
					   " FROM users u WHERE u.tenant_id = $1::bigint AND NOT u.disabled",
	    1 },
	{ NULL, NULL, 0 },
};

enum db_result
store_events_replay(struct db_conn *c, long long tenant_id, long long user_id,
    int supervisor, long long after, int limit, struct store_events_row **out,
    size_t *n)
{
	char t[24], a[24], u[24], lim[16];
	const char *params[5] = { t, a, u, supervisor ? "true" : "false", lim };
	enum db_result res;
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	snprintf(t, sizeof(t), "%lld", tenant_id);
	snprintf(a, sizeof(a), "%lld", after);
	snprintf(u, sizeof(u), "%lld", user_id);
	snprintf(lim, sizeof(lim), "%d", limit);
	r = db_exec(c, "ev_replay", 5, params, &res);
	if (res == DB_NOTFOUND)
		res = DB_OK;
	if (res == DB_OK && (rows = PQntuples(r)) > 0) {
		*out = xcalloc((size_t)rows, sizeof(**out));
		for (int i = 0; i < rows; i++) {
			(*out)[i].id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			(*out)[i].type = xstrdup(PQgetvalue(r, i, 1));
			(*out)[i].data = xstrdup(PQgetvalue(r, i, 2));
		}
		*n = (size_t)rows;
	}
	PQclear(r);
	return res;
}

void
store_events_rows_free(struct store_events_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].data);
	}
	free(v);
}

enum db_result
store_events_call_incoming(struct db_conn *c, const char *account_sid,
    const char *worker_sid, const char *call_sid, const char *from,
    const char *to)
{
	const char *params[5] = { account_sid, worker_sid, call_sid, from, to };
	enum db_result res;
	PGresult *r = db_exec(c, "ev_call_incoming", 5, params, &res);

	if (res == DB_OK && strcmp(PQcmdTuples(r), "0") == 0)
		res = DB_NOTFOUND;
	PQclear(r);
	return res;
}

enum db_result
store_events_agent_status(struct db_conn *c, long long user_id,
    long long tenant_id, const char *status, struct store_events_status *out)
{
	char id[24], t[24];
	const char *params[3] = { id, t, status };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	snprintf(id, sizeof(id), "%lld", user_id);
	snprintf(t, sizeof(t), "%lld", tenant_id);
	r = db_exec(c, "ev_agent_status", 3, params, &res);
	if (res == DB_OK) {
		out->on_call = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		out->changed = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
		out->sync = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
		snprintf(out->status, sizeof(out->status), "%s",
		    PQgetvalue(r, 0, 3));
		snprintf(out->since, sizeof(out->since), "%s",
		    PQgetvalue(r, 0, 4));
	}
	PQclear(r);
	return res;
}

enum db_result
store_events_agents(struct db_conn *c, long long tenant_id, json_t **out)
{
	char t[24];
	const char *params[1] = { t };
	enum db_result res;
	PGresult *r;

	*out = NULL;
	snprintf(t, sizeof(t), "%lld", tenant_id);
	r = db_exec(c, "ev_agents", 1, params, &res);
	if (res == DB_OK) {
		*out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
		if (!json_is_array(*out)) {
			json_decref(*out);
			*out = NULL;
			res = DB_ERR;
		}
	}
	PQclear(r);
	return res;
}

enum db_result
store_events_agent_sync(PGconn *pg, long long user_id,
    struct store_events_sync *out)
{
	char id[24];
	const char *params[1] = { id };
	PGresult *r;
	enum db_result res;

	memset(out, 0, sizeof(*out));
	snprintf(id, sizeof(id), "%lld", user_id);
	r = PQexecParams(pg,
	    "SELECT u.status, t.account_sid, u.worker_sid, c.workspace_sid,"
	    " CASE u.status WHEN 'available' THEN c.activity_available_sid"
	    "  WHEN 'busy' THEN c.activity_busy_sid"
	    "  WHEN 'wrapup' THEN c.activity_wrapup_sid"
	    "  ELSE c.activity_offline_sid END"
	    " FROM users u JOIN tenants t ON t.id = u.tenant_id"
	    " JOIN taskrouter_config c ON c.tenant_id = u.tenant_id"
	    " WHERE u.id = $1::bigint AND u.worker_sid IS NOT NULL",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		res = db_classify(r);
	else if (PQntuples(r) == 0)
		res = DB_NOTFOUND;
	else {
		snprintf(out->status, sizeof(out->status), "%s",
		    PQgetvalue(r, 0, 0));
		snprintf(out->account_sid, sizeof(out->account_sid), "%s",
		    PQgetvalue(r, 0, 1));
		snprintf(out->worker_sid, sizeof(out->worker_sid), "%s",
		    PQgetvalue(r, 0, 2));
		snprintf(out->workspace_sid, sizeof(out->workspace_sid), "%s",
		    PQgetvalue(r, 0, 3));
		snprintf(out->activity_sid, sizeof(out->activity_sid), "%s",
		    PQgetvalue(r, 0, 4));
		res = DB_OK;
	}
	PQclear(r);
	return res;
}

/* ---- the live stream's reads ---- */

#define LIVE_COLUMNS "id, tenant_id, user_id, audience, type, data::text"

/* Hand every row of r to fn; the highest id into *last. */
static void
live_rows(PGresult *r, store_events_fn fn, void *arg, long long *last)
{
	for (int i = 0; i < PQntuples(r); i++) {
		struct store_events_live ev = {
			.id = strtoll(PQgetvalue(r, i, 0), NULL, 10),
			.tenant_id = strtoll(PQgetvalue(r, i, 1), NULL, 10),
			.user_id = PQgetisnull(r, i, 2)
			    ? 0
			    : strtoll(PQgetvalue(r, i, 2), NULL, 10),
			.audience = PQgetvalue(r, i, 3),
			.type = PQgetvalue(r, i, 4),
			.data = PQgetvalue(r, i, 5),
		};

		fn(arg, &ev);
		if (ev.id > *last)
			*last = ev.id;
	}
}

int
store_events_max_id(PGconn *pg, long long *id)
{
	PGresult *r = PQexec(pg, "SELECT coalesce(max(id), 0) FROM events");
	int rc = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
store_events_by_ids(PGconn *pg, const char *ids, store_events_fn fn, void *arg)
{
	const char *params[1] = { ids };
	PGresult *r = PQexecParams(pg,
	    "SELECT " LIVE_COLUMNS " FROM events WHERE id = ANY($1::bigint[])"
	    " ORDER BY id",
	    1, NULL, params, NULL, NULL, 0);
	long long last = 0;
	int rc = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		live_rows(r, fn, arg, &last);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

int
store_events_since(PGconn *pg, long long after, int page, store_events_fn fn,
    void *arg)
{
	char a[24], lim[16];
	const char *params[2] = { a, lim };
	PGresult *r;
	int n;

	do {
		snprintf(a, sizeof(a), "%lld", after);
		snprintf(lim, sizeof(lim), "%d", page);
		r = PQexecParams(pg,
		    "SELECT " LIVE_COLUMNS " FROM events WHERE id > $1::bigint"
		    " ORDER BY id LIMIT $2::integer",
		    2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			PQclear(r);
			return -1;
		}
		n = PQntuples(r);
		live_rows(r, fn, arg, &after);
		PQclear(r);
	} while (n == page);
	return 0;
}

int
store_events_prune(PGconn *pg, int retention_h, int batch, long long *rows)
{
	char h[16], b[16];
	const char *params[2] = { h, b };
	PGresult *r;
	int rc = -1;

	snprintf(h, sizeof(h), "%d", retention_h);
	snprintf(b, sizeof(b), "%d", batch);
	r = PQexecParams(pg,
	    "DELETE FROM events WHERE id IN (SELECT id FROM events"
	    " WHERE created_at < now() - make_interval(hours => $1::integer)"
	    " ORDER BY created_at LIMIT $2::integer)",
	    2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		*rows = strtoll(PQcmdTuples(r), NULL, 10);
		rc = 0;
	}
	PQclear(r);
	return rc;
}
