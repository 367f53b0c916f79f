/*
 * The callback list.  See include/store/store_callbacks.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_callbacks.h"

#define UTC_TEXT(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* One callback c (with its assignee u) as docs/api.md shows it. */
#define CB_JSON(c, u) \
	"json_build_object('id', " c ".id, 'caller', " c ".caller," \
	" 'line', " c ".line, 'line_number', (SELECT p.e164" \
	"  FROM phone_numbers p WHERE p.id = " c ".phone_number_id)," \
	" 'reason', " c ".reason, 'call_sid', " c ".call_sid," \
	" 'recording_sid', " c ".recording_sid," \
	" 'missed_calls', " c ".missed_calls," \
	" 'created_at', " UTC_TEXT(c \
	    ".created_at") "," \
			   " 'state', " c ".state, 'attempts', " c \
			   ".attempts," \
			   " 'assigned_to', CASE WHEN " u \
			   ".id IS NULL THEN NULL" \
			   "  ELSE json_build_object('id', " u \
			   ".id, 'name', " u ".name," \
			   "  'identity', " u ".identity) END," \
			   " 'assigned_at', " UTC_TEXT(c \
			       ".assigned_at") "," \
					       " 'closed_at', " UTC_TEXT(c \
						   ".closed_at") "," \
								 " 'closed_reason', " c \
								 ".closed_reason)"

const struct db_stmt store_callbacks_statements[] = {
	{ "cb_list",
	    "SELECT coalesce((SELECT json_agg(x.o ORDER BY x.k1, x.k2, x.k3 DESC)"
	    " FROM (SELECT " CB_JSON("c",
		"u") " AS o,"
		     "  CASE WHEN $2 = 'open' THEN c.created_at END AS k1,"
		     "  CASE WHEN $2 = 'open' THEN c.id END AS k2, c.id AS k3"
		     "  FROM callbacks c LEFT JOIN users u ON u.id = c.assigned_user_id"
		     "  WHERE c.tenant_id = $1::bigint AND CASE $2"
		     "   WHEN 'open' THEN c.state IN ('open', 'in-progress')"
		     "   WHEN 'closed' THEN c.state IN ('done', 'no-answer', 'canceled')"
		     "   ELSE true END"
		     "  ORDER BY k1, k2, k3 DESC LIMIT $3::integer) x), '[]')::text,"
		     " (SELECT count(*) FROM callbacks WHERE tenant_id = $1::bigint"
		     "  AND state = 'open'),"
		     " (SELECT count(*) FROM callbacks WHERE tenant_id = $1::bigint"
		     "  AND state = 'in-progress'),"
		     " (SELECT " UTC_TEXT(
			 "min(created_at)") " FROM callbacks"
					    "  WHERE tenant_id = $1::bigint AND state = 'open')",
	    3 },
	{ "cb_next",
	    "WITH pick AS (SELECT id FROM callbacks"
	    "  WHERE tenant_id = $1::bigint AND state = 'open'"
	    "  AND (assigned_user_id IS NULL OR assigned_user_id = $2::bigint)"
	    "  ORDER BY assigned_user_id IS NULL, created_at, id LIMIT 1"
	    "  FOR UPDATE SKIP LOCKED),"
	    " up AS (UPDATE callbacks c SET state = 'in-progress',"
	    "  assigned_at = CASE WHEN c.assigned_user_id = $2::bigint"
	    "   THEN c.assigned_at ELSE now() END,"
	    "  assigned_user_id = $2::bigint, attempts = c.attempts + 1,"
	    "  updated_at = now() FROM pick WHERE c.id = pick.id RETURNING c.*)"
	    " SELECT " CB_JSON("up",
		"u") "::text FROM up"
		     " LEFT JOIN users u ON u.id = up.assigned_user_id",
	    2 },
	/* $3 NULL: nobody.  Back to open, for the new assignee to take. */
	{ "cb_assign",
	    "WITH who AS (SELECT id FROM users WHERE id = $3::bigint"
	    "  AND tenant_id = $1::bigint AND NOT disabled),"
	    " cur AS (SELECT id, state FROM callbacks WHERE id = $2::bigint"
	    "  AND tenant_id = $1::bigint),"
	    " up AS (UPDATE callbacks c SET assigned_user_id = $3::bigint,"
	    "  assigned_at = CASE WHEN $3::bigint IS NULL THEN NULL"
	    "   ELSE now() END,"
	    "  state = 'open', updated_at = now()"
	    "  WHERE c.id = $2::bigint AND c.tenant_id = $1::bigint"
	    "  AND c.state IN ('open', 'in-progress')"
	    "  AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM who))"
	    "  RETURNING c.*)"
	    " SELECT (SELECT " CB_JSON("up",
		"u") "::text FROM up"
		     "  LEFT JOIN users u ON u.id = up.assigned_user_id),"
		     " (SELECT state FROM cur),"
		     " $3::bigint IS NULL OR EXISTS (SELECT 1 FROM who)",
	    3 },
	{ "cb_close",
	    "WITH cur AS (SELECT id, state, assigned_user_id FROM callbacks"
	    "  WHERE id = $2::bigint AND tenant_id = $1::bigint),"
	    " up AS (UPDATE callbacks c SET state = $3, closed_at = now(),"
	    "  closed_by = $4::bigint, closed_reason = 'agent',"
	    "  updated_at = now()"
	    "  WHERE c.id = $2::bigint AND c.tenant_id = $1::bigint"
	    "  AND c.state IN ('open', 'in-progress')"
	    "  AND ($5::boolean OR c.assigned_user_id = $4::bigint)"
	    "  RETURNING c.*)"
	    " SELECT (SELECT " CB_JSON("up",
		"u") "::text FROM up"
		     "  LEFT JOIN users u ON u.id = up.assigned_user_id),"
		     " (SELECT state FROM cur)",
	    5 },
	/*
	 * The line number of an open callback of the tenant of $1 whose
	 * caller is $3, for the call back's caller ID.
	 */
	{ "cb_line",
	    "SELECT p.e164 FROM callbacks c JOIN tenants t ON t.id = c.tenant_id"
	    " JOIN phone_numbers p ON p.id = c.phone_number_id"
	    " AND p.tenant_id = c.tenant_id"
	    " WHERE t.account_sid = $1 AND c.id = $2::bigint AND c.caller = $3"
	    " AND c.state IN ('open', 'in-progress')",
	    3 },
	{ NULL, NULL, 0 },
};

/* Column col of row 0 as a JSON object (new reference) or NULL. */
static json_t *
object_of(const PGresult *r, int col)
{
	json_t *o;

	if (PQntuples(r) < 1 || PQgetisnull(r, 0, col))
		return NULL;
	o = json_loads(PQgetvalue(r, 0, col), 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum db_result
store_callbacks_list(struct db_conn *c, long long tenant_id,
    enum store_callbacks_scope scope, int limit, json_t **out,
    struct store_callbacks_counts *counts)
{
	static const char *const names[] = { "open", "closed", "all" };
	char tenant[24], lim[16];
	const char *p[3] = { tenant, names[scope], lim };
	enum db_result res;
	PGresult *r;

	*out = NULL;
	memset(counts, 0, sizeof(*counts));
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	snprintf(lim, sizeof(lim), "%d", limit);
	r = db_exec(c, "cb_list", 3, p, &res);
	if (res == DB_OK) {
		*out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
		counts->open = atol(PQgetvalue(r, 0, 1));
		counts->in_progress = atol(PQgetvalue(r, 0, 2));
		snprintf(counts->oldest_open_at, sizeof(counts->oldest_open_at),
		    "%s", PQgetisnull(r, 0, 3) ? "" : PQgetvalue(r, 0, 3));
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
store_callbacks_next(struct db_conn *c, long long tenant_id, long long user_id,
    json_t **out)
{
	char tenant[24], user[24];
	const char *p[2] = { tenant, user };
	enum db_result res;
	PGresult *r;

	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	snprintf(user, sizeof(user), "%lld", user_id);
	r = db_exec(c, "cb_next", 2, p, &res);
	*out = res == DB_OK ? object_of(r, 0) : NULL;
	if (res == DB_OK && *out == NULL)
		res = DB_ERR;
	PQclear(r);
	return res;
}

enum db_result
store_callbacks_assign(struct db_conn *c, long long tenant_id, long long id,
    long long user_id, json_t **out)
{
	char tenant[24], ids[24], user[24];
	const char *p[3] = { tenant, ids, user_id > 0 ? user : NULL };
	enum db_result res;
	PGresult *r;

	*out = NULL;
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	snprintf(ids, sizeof(ids), "%lld", id);
	snprintf(user, sizeof(user), "%lld", user_id);
	r = db_exec(c, "cb_assign", 3, p, &res);
	if (res == DB_OK) {
		*out = object_of(r, 0);
		if (*out != NULL)
			res = DB_OK;
		else if (PQgetisnull(r, 0, 1))
			res = DB_NOTFOUND;
		else if (strcmp(PQgetvalue(r, 0, 2), "t") != 0)
			res = DB_INVALID;
		else
			res = DB_CONFLICT;
	}
	PQclear(r);
	return res;
}

enum db_result
store_callbacks_close(struct db_conn *c, long long tenant_id, long long id,
    const char *result, long long user_id, int any, json_t **out)
{
	char tenant[24], ids[24], user[24];
	const char *p[5] = { tenant, ids, result, user,
		any ? "true" : "false" };
	enum db_result res;
	PGresult *r;
	const char *state;

	*out = NULL;
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	snprintf(ids, sizeof(ids), "%lld", id);
	snprintf(user, sizeof(user), "%lld", user_id);
	r = db_exec(c, "cb_close", 5, p, &res);
	if (res == DB_OK) {
		*out = object_of(r, 0);
		state = PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1);
		if (*out != NULL)
			res = DB_OK;
		else if (state == NULL)
			res = DB_NOTFOUND;
		else if (strcmp(state, "open") == 0 ||
		    strcmp(state, "in-progress") == 0)
			res = DB_FOREIGN;
		else
			res = DB_CONFLICT;
	}
	PQclear(r);
	return res;
}

enum db_result
store_callbacks_line(struct db_conn *c, const char *account_sid, const char *id,
    const char *caller, char *out, size_t outlen)
{
	const char *p[3] = { account_sid, id, caller };
	enum db_result res;
	PGresult *r;

	out[0] = '\0';
	if (id == NULL || *id == '\0' || strlen(id) > 18 ||
	    strspn(id, "0123456789") != strlen(id))
		return DB_NOTFOUND;
	r = db_exec(c, "cb_line", 3, p, &res);
	if (res == DB_OK &&
	    snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0)) >= (int)outlen) {
		out[0] = '\0';
		res = DB_INVALID;
	}
	PQclear(r);
	return res;
}
