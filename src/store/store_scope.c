/*
 * Tenant scoping: who owns the SIDs a request names.  See
 * include/store/store_scope.h.
 */
#include <stddef.h>

#include "log.h"
#include "store_scope.h"

const struct db_stmt store_scope_statements[] = {
	/*
	 * The first SID of the request ($1 account; $2, $3 CallSids; $4
	 * RecordingSid; $5 TaskSid; $6 ReservationSid; $7 conference name;
	 * $8 ConferenceSid; $9 WorkerSid) that is another tenant's: its
	 * kind, the SID and the owner's account.  No row when none is (or
	 * the account is unknown).  Every lookup is by a unique or indexed
	 * key.
	 */
	{ "scope_owner",
	    "WITH t AS (SELECT id FROM tenants WHERE account_sid = $1)"
	    " SELECT x.kind, x.sid, o.account_sid FROM t, ("
	    "  SELECT 1 AS n, 'call' AS kind, c.call_sid::text AS sid,"
	    "  c.tenant_id FROM calls c"
	    "  WHERE c.call_sid IN ($2::text, $3::text)"
	    " UNION ALL SELECT 2, 'recording', r.recording_sid, r.tenant_id"
	    "  FROM recordings r WHERE r.recording_sid = $4::text"
	    " UNION ALL SELECT 2, 'recording', v.recording_sid, v.tenant_id"
	    "  FROM voicemails v WHERE v.recording_sid = $4::text"
	    " UNION ALL SELECT 3, 'task', k.task_sid, k.tenant_id"
	    "  FROM tasks k WHERE k.task_sid = $5::text"
	    " UNION ALL SELECT 4, 'reservation', r.reservation_sid, r.tenant_id"
	    "  FROM reservations r WHERE r.reservation_sid = $6::text"
	    " UNION ALL SELECT 5, 'conference', c.conference_name, c.tenant_id"
	    "  FROM calls c WHERE c.conference_name = $7::text"
	    " UNION ALL SELECT 6, 'conference', c.conference_sid::text,"
	    "  c.tenant_id FROM calls c WHERE c.conference_sid = $8::text"
	    " UNION ALL SELECT 6, 'conference', p.conference_sid, p.tenant_id"
	    "  FROM conference_participants p"
	    "  WHERE p.conference_sid = $8::text"
	    " UNION ALL SELECT 7, 'worker', u.worker_sid, u.tenant_id"
	    "  FROM users u WHERE u.worker_sid = $9::text"
	    " ) x JOIN tenants o ON o.id = x.tenant_id"
	    " WHERE x.tenant_id <> t.id ORDER BY x.n LIMIT 1",
	    9 },
	{ NULL, NULL, 0 },
};

void
store_scope_log(const char *kind, const char *sid, const char *account,
    const char *owner)
{
	log_kv(LOG_WARN, STORE_SCOPE_REFUSED, kind, sid, "account", account,
	    "owner", owner, NULL);
}

enum db_result
store_scope_check(struct db_conn *c, const struct store_scope *s)
{
	const char *params[9] = { s->account_sid, s->call_sid, s->call_sid2,
		s->recording_sid, s->task_sid, s->reservation_sid,
		s->conference_name, s->conference_sid, s->worker_sid };
	enum db_result res;
	PGresult *r;

	r = db_exec(c, "scope_owner", 9, params, &res);
	if (res == DB_OK) {
		store_scope_log(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
		    s->account_sid, PQgetvalue(r, 0, 2));
		res = DB_FOREIGN;
	} else if (res == DB_NOTFOUND)
		res = DB_OK;
	PQclear(r);
	return res;
}

enum db_result
store_scope_explain(struct db_conn *c, const struct store_scope *s,
    enum db_result res)
{
	enum db_result why;

	if (res != DB_NOTFOUND)
		return res;
	why = store_scope_check(c, s);
	return why == DB_OK ? DB_NOTFOUND : why;
}
