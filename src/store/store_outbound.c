/*
 * Store helpers of outbound calls.  See include/store/store_outbound.h and
 * docs/call-flows.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_call.h"
#include "store_outbound.h"
#include "store_scope.h"

const struct db_stmt store_outbound_statements[] = {
	/*
	 * The dialling agent ($1 account, $2 identity): id, disabled, own DID
	 * (lowest id), the tenant's caller_id.
	 */
	{ "out_agent",
	    "SELECT u.id, u.disabled,"
	    " (SELECT p.e164 FROM phone_numbers p WHERE p.tenant_id = t.id"
	    "  AND p.owner_user_id = u.id ORDER BY p.id LIMIT 1),"
	    " t.caller_id"
	    " FROM tenants t JOIN users u ON u.tenant_id = t.id"
	    "  AND u.identity = $2"
	    " WHERE t.account_sid = $1",
	    2 },
	/* An enabled agent of the tenant by identity ($1 account, $2). */
	{ "out_client",
	    "SELECT u.identity FROM tenants t JOIN users u"
	    " ON u.tenant_id = t.id AND u.identity = $2 AND NOT u.disabled"
	    " WHERE t.account_sid = $1",
	    2 },
	/*
	 * The agent's leg of an outbound call ($1 account, $2 CallSid, $3
	 * from, $4 to, $5 agent id, $6 caller_id, $7 dialled, $8 bridge,
	 * $9 status, $10 rank, $11 received_at).  Completes a row a status
	 * callback made first; the status moves only forward.  Never
	 * another tenant's row.
	 */
	{ "out_call",
	    "INSERT INTO calls AS c (tenant_id, call_sid, direction,"
	    " from_number, to_number, agent_user_id, caller_id, dialled,"
	    " bridge, routing, agent_call_sid, status, status_rank,"
	    " started_at)"
	    " SELECT t.id, $2, 'outbound', $3, $4, $5::bigint, $6, $7, $8,"
	    " 'outbound', $2, $9, $10::smallint, $11::timestamptz"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $2::twilio_call_sid AND o.tenant_id <> t.id)"
	    " ON CONFLICT (call_sid) DO UPDATE SET" STORE_CALL_STATUS_FORWARD
	    " direction = 'outbound', from_number = excluded.from_number,"
	    " to_number = excluded.to_number,"
	    " agent_user_id = excluded.agent_user_id,"
	    " caller_id = excluded.caller_id, dialled = excluded.dialled,"
	    " bridge = excluded.bridge, routing = excluded.routing,"
	    " agent_call_sid = excluded.agent_call_sid,"
	    " started_at = LEAST(c.started_at, excluded.started_at),"
	    " updated_at = now()"
	    " WHERE c.tenant_id = excluded.tenant_id"
	    " RETURNING c.id",
	    11 },
	/* The outbound <Dial> ended ($1 account, $2 CallSid, $3 status). */
	{ "out_dial_done",
	    "UPDATE calls c SET dial_status = $3, updated_at = now()"
	    " FROM tenants t WHERE t.account_sid = $1 AND c.tenant_id = t.id"
	    " AND c.call_sid = $2 RETURNING c.conference_name,"
	    " c.conference_state",
	    3 },
	{ NULL, NULL, 0 },
};

/* DB_NOTFOUND of a write of call_sid: DB_FOREIGN when it is another's. */
static enum db_result
explain(struct db_conn *c, enum db_result res, const char *account_sid,
    const char *call_sid)
{
	struct store_scope sc;

	memset(&sc, 0, sizeof(sc));
	sc.account_sid = account_sid;
	sc.call_sid = call_sid;
	return store_scope_explain(c, &sc, res);
}

enum db_result
store_outbound_agent(struct db_conn *c, const char *account_sid,
    const char *identity, struct store_outbound_agent *out)
{
	const char *params[2] = { account_sid, identity };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	r = db_exec(c, "out_agent", 2, params, &res);
	if (res == DB_OK) {
		out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		out->disabled = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
		if (!PQgetisnull(r, 0, 2))
			snprintf(out->did, sizeof(out->did), "%s",
			    PQgetvalue(r, 0, 2));
		if (!PQgetisnull(r, 0, 3))
			snprintf(out->caller_id, sizeof(out->caller_id), "%s",
			    PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return res;
}

enum db_result
store_outbound_client(struct db_conn *c, const char *account_sid,
    const char *identity)
{
	const char *params[2] = { account_sid, identity };
	enum db_result res;

	PQclear(db_exec(c, "out_client", 2, params, &res));
	return res;
}

enum db_result
store_outbound_call(struct db_conn *c, const struct store_outbound_call *oc)
{
	char agent[24], rank[16];
	const char *params[11];
	enum db_result res;

	snprintf(agent, sizeof(agent), "%lld", oc->agent_user_id);
	snprintf(rank, sizeof(rank), "%d", oc->rank);
	params[0] = oc->account_sid;
	params[1] = oc->call_sid;
	params[2] = oc->from;
	params[3] = oc->to;
	params[4] = agent;
	params[5] = oc->caller_id;
	params[6] = oc->dialled;
	params[7] = oc->bridge;
	params[8] = oc->status;
	params[9] = rank;
	params[10] = oc->received_at;
	PQclear(db_exec(c, "out_call", 11, params, &res));
	return explain(c, res, oc->account_sid, oc->call_sid);
}

enum db_result
store_outbound_dial_done(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *dial_status)
{
	const char *params[3] = { account_sid, call_sid, dial_status };
	enum db_result res;

	PQclear(db_exec(c, "out_dial_done", 3, params, &res));
	return explain(c, res, account_sid, call_sid);
}
