/*
 * Named statements and typed store helpers.  See include/store.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_group.h"
#include "log.h"
#include "store.h"
#include "store_hold.h"
#include "store_number.h"
#include "store_user.h"
#include "util.h"

static const struct db_stmt statements[] = {
	{ "tenant_demote_primary",
	    "UPDATE tenants SET is_primary = false, updated_at = now()"
	    " WHERE is_primary AND account_sid <> $1",
	    1 },
	{ "tenant_put",
	    "INSERT INTO tenants (account_sid, friendly_name, auth_token_enc,"
	    " is_primary) VALUES ($1, coalesce($2, ''), $3, $4::boolean)"
	    " ON CONFLICT (account_sid) DO UPDATE SET"
	    " friendly_name = coalesce($2, tenants.friendly_name),"
	    " auth_token_enc = excluded.auth_token_enc,"
	    " is_primary = excluded.is_primary OR tenants.is_primary,"
	    " updated_at = now()",
	    4 },
	{ "tenant_token",
	    "SELECT auth_token_enc FROM tenants"
	    " WHERE account_sid = $1 AND status = 'active'",
	    1 },
	{ "call_event_insert",
	    "INSERT INTO call_events (tenant_id, call_sid, route, received_at,"
	    " params, replayed)"
	    " SELECT t.id, $2, $3, $4::timestamptz, $5::jsonb, $6::boolean"
	    " FROM tenants t WHERE t.account_sid = $1",
	    6 },
	/*
	 * One status callback in one statement (one round trip, one
	 * implicit transaction): the raw event is appended to call_events
	 * and the call's row is upserted.
	 *
	 * Order-safe upsert: the status moves only to a greater
	 * (rank, SequenceNumber, status) triple, times keep the earliest
	 * start and the latest end, so any arrival order of the same
	 * callbacks gives the same row.
	 */
	{ "call_status_upsert",
	    "WITH t AS (SELECT id FROM tenants WHERE account_sid = $1),"
	    " ev AS (INSERT INTO call_events (tenant_id, call_sid, route,"
	    " received_at, params, replayed)"
	    " SELECT t.id, $2, $14, $15::timestamptz, $16::jsonb, $17::boolean"
	    " FROM t) "
	    "INSERT INTO calls AS c (tenant_id, call_sid, parent_call_sid,"
	    " direction, from_number, to_number, status, status_rank,"
	    " last_sequence, started_at, ringing_at, answered_at, ended_at,"
	    " duration_s, sip_response_code, answered_by)"
	    " SELECT t.id, $2, $3, $4, $5, $6, $7, $8::smallint, $9::integer,"
	    " $10::timestamptz,"
	    " CASE WHEN $7 = 'ringing' THEN $10::timestamptz END,"
	    " CASE WHEN $7 = 'in-progress' THEN $10::timestamptz"
	    "  WHEN $8::integer = 4 AND $11::integer > 0"
	    "  THEN $10::timestamptz - make_interval(secs => $11::integer) END,"
	    " CASE WHEN $8::integer = 4 THEN $10::timestamptz END,"
	    " $11::integer, $12::integer, $13"
	    " FROM t"
	    " ON CONFLICT (call_sid) DO UPDATE SET" STORE_CALL_STATUS_FORWARD
	    " last_sequence = CASE WHEN (excluded.status_rank,"
	    "  excluded.last_sequence, excluded.status) > (c.status_rank,"
	    "  c.last_sequence, c.status) THEN excluded.last_sequence"
	    "  ELSE c.last_sequence END,"
	    " parent_call_sid = coalesce(c.parent_call_sid,"
	    "  excluded.parent_call_sid),"
	    " direction = coalesce(c.direction, excluded.direction),"
	    " from_number = coalesce(c.from_number, excluded.from_number),"
	    " to_number = coalesce(c.to_number, excluded.to_number),"
	    " started_at = LEAST(c.started_at, excluded.started_at),"
	    " ringing_at = LEAST(c.ringing_at, excluded.ringing_at),"
	    " answered_at = LEAST(c.answered_at, excluded.answered_at),"
	    " ended_at = GREATEST(c.ended_at, excluded.ended_at),"
	    " duration_s = GREATEST(c.duration_s, excluded.duration_s),"
	    " sip_response_code = GREATEST(c.sip_response_code,"
	    "  excluded.sip_response_code),"
	    " answered_by = coalesce(c.answered_by, excluded.answered_by),"
	    " updated_at = now()",
	    17 },
	{ NULL, NULL, 0 },
};

/* Every module's table, merged once into one NULL-ended array. */
static const struct db_stmt *const tables[] = { statements,
	store_call_statements, store_tr_statements, store_auth_statements,
	store_hold_statements, store_events_statements, store_user_statements,
	store_number_statements };

const struct db_stmt *
store_statements(void)
{
	static struct db_stmt *merged;
	size_t n = 0, k = 0;

	if (merged != NULL)
		return merged;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct db_stmt *st = tables[t]; st->name; st++)
			n++;
	merged = xcalloc(n + 1, sizeof(*merged));
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct db_stmt *st = tables[t]; st->name; st++)
			merged[k++] = *st;
	return merged;
}

enum db_result
store_tenant_put(struct db_conn *c, const uint8_t key[SECRET_KEY_LEN],
    const char *account_sid, const char *friendly_name, const char *auth_token,
    int primary)
{
	char *sealed = NULL;
	const char *params[4];
	PGresult *r = NULL;
	enum db_result res = DB_ERR;

	sealed = secret_seal(key, auth_token, account_sid);
	if (sealed == NULL)
		goto out;
	if ((res = db_simple(c, "BEGIN")) != DB_OK)
		goto out;
	if (primary) {
		params[0] = account_sid;
		r = db_exec(c, "tenant_demote_primary", 1, params, &res);
		PQclear(r);
		if (res != DB_OK && res != DB_NOTFOUND)
			goto rollback;
	}
	params[0] = account_sid;
	params[1] = friendly_name;
	params[2] = sealed;
	params[3] = primary ? "true" : "false";
	r = db_exec(c, "tenant_put", 4, params, &res);
	PQclear(r);
	if (res != DB_OK && res != DB_NOTFOUND)
		goto rollback;
	res = db_simple(c, "COMMIT");
	goto out;
rollback:
	db_simple(c, "ROLLBACK");
out:
	free(sealed);
	return res;
}

enum db_result
store_call_event(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *route, const char *received_at,
    const char *params_json, int replayed)
{
	const char *params[6] = { account_sid, call_sid, route, received_at,
		params_json, replayed ? "true" : "false" };
	enum db_result res;

	PQclear(db_exec(c, "call_event_insert", 6, params, &res));
	return res;
}

enum db_result
store_call_status(struct db_conn *c, const struct store_call_status *s,
    const char *route, const char *received_at, const char *params_json,
    int replayed)
{
	char rank[8], seq[16];
	const char *params[17];
	enum db_result res;

	snprintf(rank, sizeof(rank), "%d", s->rank);
	snprintf(seq, sizeof(seq), "%ld", s->sequence);
	params[0] = s->account_sid;
	params[1] = s->call_sid;
	params[2] = s->parent_call_sid;
	params[3] = s->direction;
	params[4] = s->from;
	params[5] = s->to;
	params[6] = s->status;
	params[7] = rank;
	params[8] = seq;
	params[9] = s->event_time;
	params[10] = s->duration_s;
	params[11] = s->sip_response_code;
	params[12] = s->answered_by;
	params[13] = route;
	params[14] = received_at;
	params[15] = params_json;
	params[16] = replayed ? "true" : "false";
	PQclear(c != NULL ? db_exec(c, "call_status_upsert", 17, params, &res)
			  : db_group_exec(s->call_sid, "call_status_upsert", 17,
				params, &res));
	return res;
}

enum db_result
store_tenant_token(struct db_conn *c, const uint8_t key[SECRET_KEY_LEN],
    const char *account_sid, char **token)
{
	const char *params[1] = { account_sid };
	PGresult *r;
	enum db_result res;

	*token = NULL;
	r = db_exec(c, "tenant_token", 1, params, &res);
	if (res != DB_OK)
		goto out;
	*token = secret_open(key, PQgetvalue(r, 0, 0), account_sid);
	if (*token == NULL) {
		log_kv(LOG_ERROR,
		    "tenant auth token does not open: was RAMAL_SECRET_KEY "
		    "changed?",
		    "account", account_sid, NULL);
		res = DB_ERR;
	}
out:
	PQclear(r);
	return res;
}
