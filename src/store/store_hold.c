/*
 * Store helpers of hold and conferences: named statements, the hold
 * job's queries and the typed rows of both.  See include/store/store_hold.h
 * and docs/call-flows.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_hold.h"
#include "store_scope.h"

/* The columns of a calls row the hold logic reads ("HOLD_COLS"). */
#define HOLD_COLS \
	" c.id, c.call_sid, c.parent_call_sid, c.direction, c.routing," \
	" c.bridge, c.agent_user_id, c.status, c.status_rank," \
	" c.from_number, c.to_number, c.reservation_sid," \
	" c.conference_name, c.conference_state, c.agent_call_sid," \
	" c.other_call_sid, c.hold_wanted, c.hold_confirmed," \
	" c.caller_id, c.created_at, c.held_call_sid"

const struct db_stmt store_hold_statements[] = {
	/* A user's id by identity ($1 tenant id, $2 identity). */
	{ "hold_user",
	    "SELECT u.id FROM users u WHERE u.tenant_id = $1::bigint"
	    " AND u.identity = $2",
	    2 },
	/* A leg by CallSid within a tenant ($1 tenant id, $2 CallSid). */
	{ "hold_leg",
	    "SELECT" HOLD_COLS " FROM calls c"
	    " WHERE c.tenant_id = $1::bigint AND c.call_sid = $2",
	    2 },
	/* The row whose agent leg is $2 ($1 tenant id). */
	{ "hold_by_agent_leg",
	    "SELECT" HOLD_COLS " FROM calls c"
	    " WHERE c.tenant_id = $1::bigint AND c.agent_call_sid = $2"
	    " ORDER BY c.id DESC LIMIT 1",
	    2 },
	/* The newest child leg of $2 ($1 tenant id). */
	{ "hold_child",
	    "SELECT" HOLD_COLS " FROM calls c"
	    " WHERE c.tenant_id = $1::bigint AND c.parent_call_sid = $2"
	    " ORDER BY c.id DESC LIMIT 1",
	    2 },
	/*
	 * Ask for hold ($3 true) or unhold ($3 false) on the anchor $2
	 * (whose calls.id is $1; $4 bridge, $5 agent leg, $6 other leg, $7
	 * the leg to hold, NULL: the bridge's default).  A hold on
	 * a call not yet in a conference marks it (conference_name,
	 * 'requested'); an unhold never does.  Nothing once the conference
	 * ended.
	 */
	{ "hold_mark",
	    "UPDATE calls c SET hold_wanted = $3::boolean,"
	    " hold_changed_at = now(), bridge = coalesce(c.bridge, $4),"
	    " agent_call_sid = coalesce(c.agent_call_sid, $5),"
	    " other_call_sid = coalesce(c.other_call_sid, $6),"
	    " held_call_sid = CASE WHEN $3::boolean THEN $7"
	    "  ELSE c.held_call_sid END,"
	    " conference_name = CASE WHEN $3::boolean"
	    "  THEN coalesce(c.conference_name, 'ramal-' || c.call_sid)"
	    "  ELSE c.conference_name END,"
	    " conference_state = CASE WHEN $3::boolean"
	    "  THEN coalesce(c.conference_state, 'requested')"
	    "  ELSE c.conference_state END,"
	    " updated_at = now()"
	    " WHERE c.id = $1::bigint AND c.call_sid = $2"
	    " AND c.conference_state IS DISTINCT FROM 'ended'"
	    " RETURNING c.conference_state",
	    7 },
	/*
	 * The escalation mark of the leg $2 of account $1, for the action
	 * handlers: conference_name when the call is being moved into (or
	 * is in) its conference.
	 */
	{ "hold_escalated",
	    "SELECT c.conference_name FROM calls c JOIN tenants t"
	    " ON t.id = c.tenant_id"
	    " WHERE t.account_sid = $1 AND c.call_sid = $2"
	    " AND c.conference_name IS NOT NULL"
	    " AND c.conference_state IN ('requested', 'redirected', 'active')",
	    2 },
	/*
	 * A conference event ($1 account, $2 FriendlyName, $3
	 * ConferenceSid): the anchor row, its conference_sid filled.
	 * Returns id, call_sid, tenant_id, bridge, other_call_sid,
	 * hold_wanted, conference_state, the leg to hold.
	 */
	{ "conf_anchor",
	    "UPDATE calls c SET conference_sid = coalesce(c.conference_sid,"
	    " $3), updated_at = now()"
	    " FROM tenants t WHERE t.account_sid = $1 AND c.tenant_id = t.id"
	    " AND c.conference_name = $2"
	    " RETURNING c.id, c.call_sid, c.tenant_id, c.bridge,"
	    " c.other_call_sid, c.hold_wanted, c.conference_state,"
	    " coalesce(c.held_call_sid, CASE WHEN c.bridge IN ('outbound',"
	    "  'client') THEN c.other_call_sid ELSE c.call_sid END)",
	    3 },
	/*
	 * One participant event ($1 tenant id, $2 ConferenceSid, $3 name,
	 * $4 CallSid, $5 joined (bool), $6 left (bool), $7 hold (bool or
	 * NULL: unchanged), $8 muted (bool or NULL), $9 SequenceNumber (-1
	 * none), $10 event time).  Hold and mute move only with a newer
	 * SequenceNumber; a leave is final.  Returns hold, left; no row
	 * when the conference (or the row) is another tenant's.
	 */
	{ "conf_participant",
	    "INSERT INTO conference_participants AS p (tenant_id,"
	    " conference_sid, conference_name, call_sid, hold, muted,"
	    " joined_at, left_at, last_sequence)"
	    " SELECT $1::bigint, $2, $3, $4, coalesce($7::boolean, false),"
	    " coalesce($8::boolean, false),"
	    " CASE WHEN $5::boolean THEN $10::timestamptz END,"
	    " CASE WHEN $6::boolean THEN $10::timestamptz END, $9::integer"
	    " WHERE NOT EXISTS (SELECT 1 FROM conference_participants o"
	    "  WHERE o.conference_sid = $2 AND o.tenant_id <> $1::bigint)"
	    " ON CONFLICT (conference_sid, call_sid) DO UPDATE SET"
	    " hold = CASE WHEN excluded.last_sequence >= p.last_sequence"
	    "  AND $7::boolean IS NOT NULL THEN $7::boolean ELSE p.hold END,"
	    " muted = CASE WHEN excluded.last_sequence >= p.last_sequence"
	    "  AND $8::boolean IS NOT NULL THEN $8::boolean ELSE p.muted END,"
	    " joined_at = coalesce(p.joined_at, excluded.joined_at),"
	    " left_at = coalesce(p.left_at, excluded.left_at),"
	    " last_sequence = GREATEST(p.last_sequence,"
	    "  excluded.last_sequence),"
	    " updated_at = now()"
	    " WHERE p.tenant_id = excluded.tenant_id"
	    " RETURNING p.hold, p.left_at IS NOT NULL",
	    10 },
	/*
	 * The anchor $1 (id) after an event of the held party: state
	 * ($2, NULL: unchanged; never back from 'ended') and confirmed
	 * hold ($3, NULL: unchanged).
	 */
	{ "conf_anchor_state",
	    "UPDATE calls c SET"
	    " conference_state = CASE WHEN c.conference_state = 'ended'"
	    "  THEN c.conference_state"
	    "  ELSE coalesce($2, c.conference_state) END,"
	    " hold_confirmed = coalesce($3::boolean, c.hold_confirmed),"
	    " updated_at = now() WHERE c.id = $1::bigint",
	    3 },
	{ NULL, NULL, 0 },
};

/* Field col of row 0 into dst[len]; "" for SQL NULL. */
static void
copy(char *dst, size_t len, const PGresult *r, int col)
{
	snprintf(dst, len, "%s",
	    PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col));
}

/* A boolean field of row 0 (SQL NULL is false). */
static int
flag(const PGresult *r, int col)
{
	return strcmp(PQgetvalue(r, 0, col), "t") == 0;
}

/* A bigint field of row 0 (SQL NULL is 0). */
static long long
id_of(const PGresult *r, int col)
{
	return PQgetisnull(r, 0, col)
	    ? 0
	    : strtoll(PQgetvalue(r, 0, col), NULL, 10);
}

/* "true", "false", or NULL for -1. */
static const char *
tristate(int v)
{
	return v < 0 ? NULL : v ? "true" : "false";
}

/* A HOLD_COLS row by stmt ($1 tenant id, $2 a CallSid) into *l. */
static enum db_result
leg_fetch(struct db_conn *c, const char *stmt, long long tenant_id,
    const char *sid, struct store_hold_leg *l)
{
	char tenant[24];
	const char *params[2] = { tenant, sid };
	enum db_result res;
	PGresult *r;

	memset(l, 0, sizeof(*l));
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	r = db_exec(c, stmt, 2, params, &res);
	if (res == DB_OK) {
		l->id = id_of(r, 0);
		copy(l->call_sid, sizeof(l->call_sid), r, 1);
		copy(l->parent_call_sid, sizeof(l->parent_call_sid), r, 2);
		copy(l->direction, sizeof(l->direction), r, 3);
		copy(l->routing, sizeof(l->routing), r, 4);
		copy(l->bridge, sizeof(l->bridge), r, 5);
		l->agent_user_id = id_of(r, 6);
		copy(l->status, sizeof(l->status), r, 7);
		l->status_rank = atoi(PQgetvalue(r, 0, 8));
		copy(l->from, sizeof(l->from), r, 9);
		copy(l->to, sizeof(l->to), r, 10);
		copy(l->reservation_sid, sizeof(l->reservation_sid), r, 11);
		copy(l->conference_name, sizeof(l->conference_name), r, 12);
		copy(l->conference_state, sizeof(l->conference_state), r, 13);
		copy(l->agent_call_sid, sizeof(l->agent_call_sid), r, 14);
		copy(l->other_call_sid, sizeof(l->other_call_sid), r, 15);
		l->hold_wanted = flag(r, 16);
		l->hold_confirmed = flag(r, 17);
		copy(l->caller_id, sizeof(l->caller_id), r, 18);
		copy(l->created_at, sizeof(l->created_at), r, 19);
		copy(l->held_call_sid, sizeof(l->held_call_sid), r, 20);
	}
	PQclear(r);
	return res;
}

enum db_result
store_hold_leg(struct db_conn *c, long long tenant_id, const char *call_sid,
    struct store_hold_leg *out)
{
	return leg_fetch(c, "hold_leg", tenant_id, call_sid, out);
}

enum db_result
store_hold_leg_by_agent(struct db_conn *c, long long tenant_id,
    const char *agent_call_sid, struct store_hold_leg *out)
{
	return leg_fetch(c, "hold_by_agent_leg", tenant_id, agent_call_sid,
	    out);
}

enum db_result
store_hold_leg_child(struct db_conn *c, long long tenant_id,
    const char *parent_call_sid, struct store_hold_leg *out)
{
	return leg_fetch(c, "hold_child", tenant_id, parent_call_sid, out);
}

enum db_result
store_hold_user(struct db_conn *c, long long tenant_id, const char *identity,
    long long *id)
{
	char tenant[24];
	const char *params[2] = { tenant, identity };
	enum db_result res;
	PGresult *r;

	*id = 0;
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	r = db_exec(c, "hold_user", 2, params, &res);
	if (res == DB_OK)
		*id = id_of(r, 0);
	PQclear(r);
	return res;
}

enum db_result
store_hold_escalated(struct db_conn *c, const char *account_sid,
    const char *call_sid, char *name, size_t namelen)
{
	const char *params[2] = { account_sid, call_sid };
	enum db_result res;
	PGresult *r;

	name[0] = '\0';
	r = db_exec(c, "hold_escalated", 2, params, &res);
	if (res == DB_OK &&
	    snprintf(name, namelen, "%s", PQgetvalue(r, 0, 0)) >=
		(int)namelen) {
		name[0] = '\0';
		res = DB_INVALID;
	}
	PQclear(r);
	return res;
}

enum db_result
store_hold_mark(struct db_conn *c, const struct store_hold_mark *m,
    int *escalated)
{
	char id[24];
	const char *params[7] = { id, m->anchor_sid, m->hold ? "true" : "false",
		m->bridge, m->agent_call_sid, m->other_call_sid,
		m->held_call_sid };
	enum db_result res;
	PGresult *r;

	snprintf(id, sizeof(id), "%lld", m->anchor_id);
	r = db_exec(c, "hold_mark", 7, params, &res);
	*escalated = res == DB_OK && !PQgetisnull(r, 0, 0);
	PQclear(r);
	return res;
}

enum db_result
store_hold_conf_anchor(struct db_conn *c, const char *account_sid,
    const char *name, const char *conference_sid, struct store_hold_anchor *out)
{
	const char *params[3] = { account_sid, name, conference_sid };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	r = db_exec(c, "conf_anchor", 3, params, &res);
	if (res == DB_OK) {
		out->id = id_of(r, 0);
		copy(out->call_sid, sizeof(out->call_sid), r, 1);
		out->tenant_id = id_of(r, 2);
		copy(out->bridge, sizeof(out->bridge), r, 3);
		copy(out->other_call_sid, sizeof(out->other_call_sid), r, 4);
		out->hold_wanted = flag(r, 5);
		copy(out->conference_state, sizeof(out->conference_state), r,
		    6);
		copy(out->held_call_sid, sizeof(out->held_call_sid), r, 7);
	}
	PQclear(r);
	return res;
}

enum db_result
store_hold_conf_participant(struct db_conn *c,
    const struct store_hold_participant *p, int *hold, int *left)
{
	char tenant[24], seq[24];
	const char *params[10];
	enum db_result res;
	PGresult *r;

	*hold = 0;
	*left = 0;
	snprintf(tenant, sizeof(tenant), "%lld", p->tenant_id);
	snprintf(seq, sizeof(seq), "%ld", p->sequence);
	params[0] = tenant;
	params[1] = p->conference_sid;
	params[2] = p->conference_name;
	params[3] = p->call_sid;
	params[4] = p->joined ? "true" : "false";
	params[5] = p->left ? "true" : "false";
	params[6] = tristate(p->hold);
	params[7] = tristate(p->muted);
	params[8] = seq;
	params[9] = p->event_time;
	r = db_exec(c, "conf_participant", 10, params, &res);
	if (res == DB_OK) {
		*hold = flag(r, 0);
		*left = flag(r, 1);
	}
	PQclear(r);
	return res;
}

enum db_result
store_hold_conf_anchor_state(struct db_conn *c, long long anchor_id,
    const char *state, int hold_confirmed)
{
	char id[24];
	const char *params[3] = { id, state, tristate(hold_confirmed) };
	enum db_result res;

	snprintf(id, sizeof(id), "%lld", anchor_id);
	PQclear(db_exec(c, "conf_anchor_state", 3, params, &res));
	return res;
}

/* ---- the hold job ---- */

/* sql on a job's connection; a failure other than no row is logged. */
static PGresult *
job_exec(PGconn *pg, const char *sql, int n, const char *const *params,
    enum db_result *res)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);

	*res = db_classify(r);
	if (*res != DB_OK && *res != DB_NOTFOUND)
		log_kv(LOG_ERROR, "hold job query failed", "detail",
		    r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL,
		    NULL);
	return r;
}

/* job_exec for a statement whose rows do not matter. */
static enum db_result
job_run(PGconn *pg, const char *sql, int n, const char *const *params)
{
	enum db_result res;

	PQclear(job_exec(pg, sql, n, params, &res));
	return res;
}

enum db_result
store_hold_job_lock(PGconn *pg, const char *anchor_sid)
{
	const char *params[1] = { anchor_sid };

	return job_run(pg,
	    "SELECT pg_advisory_xact_lock(hashtext("
	    "'ramal-hold:' || $1))",
	    1, params);
}

enum db_result
store_hold_job_call(PGconn *pg, const char *anchor_sid,
    struct store_hold_job_call *out)
{
	const char *params[1] = { anchor_sid };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	r = job_exec(pg,
	    "SELECT coalesce(conference_name, ''),"
	    " coalesce(conference_state, ''), coalesce(bridge, ''),"
	    " coalesce(agent_call_sid, ''), coalesce(other_call_sid, ''),"
	    " hold_wanted, coalesce(held_call_sid, '')"
	    " FROM calls WHERE call_sid = $1",
	    1, params, &res);
	if (res == DB_OK) {
		copy(out->conference_name, sizeof(out->conference_name), r, 0);
		copy(out->conference_state, sizeof(out->conference_state), r,
		    1);
		copy(out->bridge, sizeof(out->bridge), r, 2);
		copy(out->agent_call_sid, sizeof(out->agent_call_sid), r, 3);
		copy(out->other_call_sid, sizeof(out->other_call_sid), r, 4);
		out->hold_wanted = flag(r, 5);
		copy(out->held_call_sid, sizeof(out->held_call_sid), r, 6);
	}
	PQclear(r);
	return res;
}

enum db_result
store_hold_job_participant(PGconn *pg, const char *name, const char *call_sid,
    struct store_hold_job_participant *out)
{
	const char *params[2] = { name, call_sid };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	r = job_exec(pg,
	    "SELECT conference_sid, hold FROM conference_participants"
	    " WHERE conference_name = $1 AND call_sid = $2"
	    " AND left_at IS NULL ORDER BY id DESC LIMIT 1",
	    2, params, &res);
	if (res == DB_OK) {
		copy(out->conference_sid, sizeof(out->conference_sid), r, 0);
		out->hold = flag(r, 1);
	}
	PQclear(r);
	return res;
}

enum db_result
store_hold_job_participant_hold(PGconn *pg, const char *name,
    const char *call_sid, int hold)
{
	const char *params[3] = { name, call_sid, hold ? "true" : "false" };

	return job_run(pg,
	    "UPDATE conference_participants SET hold = $3::boolean,"
	    " updated_at = now() WHERE conference_name = $1 AND call_sid = $2",
	    3, params);
}

enum db_result
store_hold_job_confirm(PGconn *pg, const char *call_sid, int hold)
{
	const char *params[2] = { hold ? "true" : "false", call_sid };

	return job_run(pg,
	    "UPDATE calls SET hold_confirmed = $1::boolean,"
	    " updated_at = now() WHERE call_sid = $2",
	    2, params);
}

enum db_result
store_hold_job_redirected(PGconn *pg, const char *anchor_sid)
{
	const char *params[1] = { anchor_sid };

	return job_run(pg,
	    "UPDATE calls SET conference_state = 'redirected',"
	    " updated_at = now() WHERE call_sid = $1"
	    " AND conference_state = 'requested'",
	    1, params);
}

enum db_result
store_hold_job_clear(PGconn *pg, const char *anchor_sid)
{
	const char *params[1] = { anchor_sid };

	return job_run(pg,
	    "UPDATE calls SET conference_name = NULL, conference_state = NULL,"
	    " hold_wanted = false, hold_changed_at = now(), updated_at = now()"
	    " WHERE call_sid = $1 AND conference_state = 'requested'",
	    1, params);
}
