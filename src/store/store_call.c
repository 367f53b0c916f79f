/*
 * Store helpers of the voice call flows (numbers, agents, calls,
 * recordings, voicemails).  See include/store/store_call.h.
 *
 * Every write to calls is an upsert on call_sid, so the rows the TwiML
 * webhooks write and those of /twilio/status (call_status_upsert below)
 * complete each other in whatever order they arrive; and every one is
 * tenant-scoped (include/store/store_scope.h): another tenant's row is
 * never updated, nor a row inserted that names another tenant's call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_group.h"
#include "log.h"
#include "store_call.h"
#include "store_scope.h"
#include "util.h"

/*
 * The caller's row from the inbound webhook: completes a row a status
 * callback made first, never overwriting what that one knew; never
 * another tenant's row.
 */
#define INBOUND_ON_CONFLICT \
	" ON CONFLICT (call_sid) DO UPDATE SET" STORE_CALL_STATUS_FORWARD \
	" direction = coalesce(c.direction, excluded.direction)," \
	" from_number = coalesce(c.from_number, excluded.from_number)," \
	" to_number = coalesce(c.to_number, excluded.to_number)," \
	" phone_number_id = coalesce(c.phone_number_id," \
	"  excluded.phone_number_id)," \
	" routing = coalesce(c.routing, excluded.routing)," \
	" disclaimer_played = c.disclaimer_played" \
	"  OR excluded.disclaimer_played," \
	" started_at = LEAST(c.started_at, excluded.started_at)," \
	" updated_at = now()" \
	" WHERE c.tenant_id = excluded.tenant_id"

const struct db_stmt store_call_statements[] = {
	{ "call_event_insert",
	    "INSERT INTO call_events (tenant_id, call_sid, route, received_at,"
	    " params, replayed)"
	    " SELECT t.id, $2, $3, $4::timestamptz, $5::jsonb, $6::boolean"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $2 AND o.tenant_id <> t.id)"
	    " RETURNING id",
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
	 *
	 * Tenant-scoped: when the call (or its parent) is another tenant's,
	 * nothing is written, not even the event (ev runs only after up
	 * wrote), and the one row back says so: refused, and the first
	 * such CallSid and its owner's account when visible.
	 */
	{ "call_status_upsert",
	    "WITH t AS (SELECT id FROM tenants WHERE account_sid = $1),"
	    " f AS (SELECT o.call_sid::text AS sid, a.account_sid"
	    " FROM t, calls o JOIN tenants a ON a.id = o.tenant_id"
	    " WHERE o.call_sid IN ($2::twilio_call_sid, $3::twilio_call_sid)"
	    " AND o.tenant_id <> t.id LIMIT 1),"
	    " up AS (INSERT INTO calls AS c (tenant_id, call_sid, parent_call_sid,"
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
	    " FROM t WHERE NOT EXISTS (SELECT 1 FROM f)"
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
	    " updated_at = now()"
	    " WHERE c.tenant_id = excluded.tenant_id"
	    " RETURNING 1),"
	    " ev AS (INSERT INTO call_events (tenant_id, call_sid, route,"
	    " received_at, params, replayed)"
	    " SELECT t.id, $2, $14, $15::timestamptz, $16::jsonb, $17::boolean"
	    " FROM t WHERE EXISTS (SELECT 1 FROM up))"
	    " SELECT EXISTS (SELECT 1 FROM t) AND NOT EXISTS (SELECT 1 FROM up),"
	    " (SELECT sid FROM f), (SELECT account_sid FROM f)",
	    17 },
	{ "voice_number",
	    "SELECT p.id, p.label, p.ring_timeout_s, p.disclaimer_text,"
	    " p.disclaimer_language, p.disclaimer_voice,"
	    " p.disclaimer_audio_url, p.voicemail_enabled, u.identity,"
	    " coalesce(u.status = 'available' AND NOT u.disabled, false)"
	    " FROM phone_numbers p JOIN tenants t ON t.id = p.tenant_id"
	    " LEFT JOIN users u ON u.id = p.owner_user_id"
	    "  AND u.tenant_id = p.tenant_id"
	    " WHERE t.account_sid = $1 AND p.e164 = $2",
	    2 },
	/*
	 * The status moves as in call_status_upsert: only to a greater
	 * (rank, sequence, status) triple; this webhook carries no
	 * SequenceNumber, so its -1 loses every tie with a callback.
	 */
	{ "voice_call_inbound",
	    "INSERT INTO calls AS c (tenant_id, call_sid, direction,"
	    " from_number, to_number, phone_number_id, routing,"
	    " disclaimer_played, status, status_rank, started_at)"
	    " SELECT t.id, $2, 'inbound', $3, $4,"
	    " (SELECT p.id FROM phone_numbers p"
	    "  WHERE p.tenant_id = t.id AND p.e164 = $4),"
	    " $5, $6::boolean, $7, $8::smallint, $9::timestamptz"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $2::twilio_call_sid"
	    "  AND o.tenant_id <> t.id)" INBOUND_ON_CONFLICT " RETURNING c.id",
	    9 },
	/*
	 * /twilio/voice/inbound in one round trip: find the number (as
	 * voice_number) and write the caller's row (as voice_call_inbound)
	 * with the routing the handler will answer, decided here from the
	 * same row: unknown-number, dedicated (an available owner), else
	 * queue ($5: a workflow is configured) or voicemail.  The disclaimer
	 * is played unless the number has an empty text and no audio.  One
	 * row back, the number's columns NULL when it is unknown; none when
	 * the tenant is.  The last three: refused (the call is another
	 * tenant's: nothing written), the CallSid and its owner's account.
	 */
	{ "voice_inbound_number",
	    "WITH t AS (SELECT id FROM tenants WHERE account_sid = $1),"
	    " f AS (SELECT o.call_sid::text AS sid, a.account_sid"
	    " FROM t, calls o JOIN tenants a ON a.id = o.tenant_id"
	    " WHERE o.call_sid = $2::twilio_call_sid"
	    " AND o.tenant_id <> t.id LIMIT 1),"
	    " n AS (SELECT p.id, p.label, p.ring_timeout_s, p.disclaimer_text,"
	    " p.disclaimer_language, p.disclaimer_voice,"
	    " p.disclaimer_audio_url, p.voicemail_enabled, u.identity,"
	    " coalesce(u.status = 'available' AND NOT u.disabled, false)"
	    "  AS available"
	    " FROM t JOIN phone_numbers p ON p.tenant_id = t.id"
	    " LEFT JOIN users u ON u.id = p.owner_user_id"
	    "  AND u.tenant_id = p.tenant_id"
	    " WHERE p.e164 = $4),"
	    " ins AS (INSERT INTO calls AS c (tenant_id, call_sid, direction,"
	    " from_number, to_number, phone_number_id, routing,"
	    " disclaimer_played, status, status_rank, started_at)"
	    " SELECT t.id, $2, 'inbound', $3, $4, n.id,"
	    " CASE WHEN n.id IS NULL THEN 'unknown-number'"
	    "  WHEN n.identity IS NOT NULL AND n.available THEN 'dedicated'"
	    "  WHEN $5::boolean THEN 'queue' ELSE 'voicemail' END,"
	    " n.id IS NOT NULL AND (coalesce(n.disclaimer_audio_url, '') <> ''"
	    "  OR n.disclaimer_text IS DISTINCT FROM ''),"
	    " $6, $7::smallint, $8::timestamptz"
	    " FROM t LEFT JOIN n ON true"
	    " WHERE NOT EXISTS (SELECT 1 FROM f)" INBOUND_ON_CONFLICT
	    " RETURNING 1)"
	    " SELECT n.id, n.label, n.ring_timeout_s, n.disclaimer_text,"
	    " n.disclaimer_language, n.disclaimer_voice,"
	    " n.disclaimer_audio_url, n.voicemail_enabled, n.identity,"
	    " n.available, NOT EXISTS (SELECT 1 FROM ins),"
	    " (SELECT sid FROM f), (SELECT account_sid FROM f)"
	    " FROM t LEFT JOIN n ON true",
	    8 },
	{ "voice_call_dial",
	    "INSERT INTO calls AS c (tenant_id, call_sid, direction,"
	    " from_number, to_number, dial_status, routing)"
	    " SELECT t.id, $2, 'inbound', $3, $4, $5, $6"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $2::twilio_call_sid AND o.tenant_id <> t.id)"
	    " ON CONFLICT (call_sid) DO UPDATE SET"
	    " from_number = coalesce(c.from_number, excluded.from_number),"
	    " to_number = coalesce(c.to_number, excluded.to_number),"
	    " dial_status = coalesce(excluded.dial_status, c.dial_status),"
	    " routing = coalesce(excluded.routing, c.routing),"
	    " updated_at = now()"
	    " WHERE c.tenant_id = excluded.tenant_id"
	    " RETURNING c.id",
	    6 },
	{ "voice_call_queue_exit",
	    "INSERT INTO calls AS c (tenant_id, call_sid, direction,"
	    " queue_result, queue_time_s, queue_sid, abandoned)"
	    " SELECT t.id, $2, 'inbound', $3, $4::integer, $5, $6::boolean"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $2::twilio_call_sid AND o.tenant_id <> t.id)"
	    " ON CONFLICT (call_sid) DO UPDATE SET"
	    " queue_result = coalesce(excluded.queue_result, c.queue_result),"
	    " queue_time_s = coalesce(excluded.queue_time_s, c.queue_time_s),"
	    " queue_sid = coalesce(excluded.queue_sid, c.queue_sid),"
	    " abandoned = c.abandoned OR excluded.abandoned,"
	    " updated_at = now()"
	    " WHERE c.tenant_id = excluded.tenant_id"
	    " RETURNING c.id",
	    6 },
	{ "voice_call_agent",
	    "INSERT INTO calls AS c (tenant_id, call_sid, direction,"
	    " agent_user_id, reservation_sid, phone_number_id, task_sid,"
	    " agent_call_sid)"
	    " SELECT t.id, $2, 'inbound',"
	    " (SELECT u.id FROM users u"
	    "  WHERE u.tenant_id = t.id AND u.identity = $3),"
	    " $4,"
	    " (SELECT p.id FROM phone_numbers p"
	    "  WHERE p.tenant_id = t.id AND p.id = $5::bigint),"
	    " $6, $7"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid IN ($2::twilio_call_sid, $7::twilio_call_sid)"
	    "  AND o.tenant_id <> t.id)"
	    " AND NOT EXISTS (SELECT 1 FROM reservations r"
	    "  WHERE r.reservation_sid = $4 AND r.tenant_id <> t.id)"
	    " AND NOT EXISTS (SELECT 1 FROM tasks k"
	    "  WHERE k.task_sid = $6 AND k.tenant_id <> t.id)"
	    " ON CONFLICT (call_sid) DO UPDATE SET"
	    /* the agent's leg (hold); kept once the call is in a conference */
	    " agent_call_sid = CASE WHEN c.conference_name IS NULL"
	    "  THEN coalesce(excluded.agent_call_sid, c.agent_call_sid)"
	    "  ELSE c.agent_call_sid END,"
	    " agent_user_id = coalesce(excluded.agent_user_id,"
	    "  c.agent_user_id),"
	    " reservation_sid = coalesce(excluded.reservation_sid,"
	    "  c.reservation_sid),"
	    " task_sid = coalesce(excluded.task_sid, c.task_sid),"
	    " phone_number_id = coalesce(c.phone_number_id,"
	    "  excluded.phone_number_id),"
	    " updated_at = now()"
	    " WHERE c.tenant_id = excluded.tenant_id"
	    " RETURNING c.from_number,"
	    " (SELECT p.label FROM phone_numbers p"
	    "  WHERE p.id = c.phone_number_id)",
	    7 },
	{ "voice_call_by_reservation",
	    "SELECT c.call_sid FROM calls c JOIN tenants t"
	    " ON t.id = c.tenant_id"
	    " WHERE t.account_sid = $1 AND c.reservation_sid = $2"
	    " ORDER BY c.id DESC LIMIT 1",
	    2 },
	{ "voice_voicemail_insert",
	    "INSERT INTO voicemails AS v (tenant_id, call_sid, phone_number_id,"
	    " recording_sid, recording_url, from_number, duration_s,"
	    " created_at)"
	    " SELECT t.id, $2,"
	    " (SELECT p.id FROM phone_numbers p"
	    "  WHERE p.tenant_id = t.id AND p.e164 = $3),"
	    " $4, $5, $6, $7::integer, $8::timestamptz"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $2 AND o.tenant_id <> t.id)"
	    " AND NOT EXISTS (SELECT 1 FROM recordings r"
	    "  WHERE r.recording_sid = $4 AND r.tenant_id <> t.id)"
	    " ON CONFLICT (recording_sid) DO UPDATE SET"
	    " recording_url = coalesce(v.recording_url, excluded.recording_url),"
	    " duration_s = coalesce(v.duration_s, excluded.duration_s),"
	    " from_number = coalesce(v.from_number, excluded.from_number),"
	    " created_at = LEAST(v.created_at, excluded.created_at)"
	    " WHERE v.tenant_id = excluded.tenant_id"
	    " RETURNING v.id",
	    8 },
	/* The voicemail's own tenant's recording only. */
	{ "voice_recording_link",
	    "UPDATE recordings r SET voicemail_id = v.id, updated_at = now()"
	    " FROM voicemails v WHERE v.id = $2::bigint"
	    " AND r.recording_sid = $1 AND r.tenant_id = v.tenant_id"
	    " AND r.voicemail_id IS NULL RETURNING r.id",
	    2 },
	/*
	 * The furthest status wins; its values replace the others', and
	 * values it lacks are taken from whatever is known.
	 */
	{ "voice_recording_upsert",
	    "INSERT INTO recordings AS r (tenant_id, recording_sid, call_sid,"
	    " url, status, status_rank, channels, duration_s, source, track,"
	    " started_at, error_code, voicemail_id)"
	    " SELECT t.id, $2, $3, $4, $5, $6::smallint, $7::smallint,"
	    " $8::integer, $9, $10, $11::timestamptz, $12,"
	    " (SELECT v.id FROM voicemails v WHERE v.recording_sid = $2"
	    "  AND v.tenant_id = t.id)"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " AND NOT EXISTS (SELECT 1 FROM calls o"
	    "  WHERE o.call_sid = $3 AND o.tenant_id <> t.id)"
	    " AND NOT EXISTS (SELECT 1 FROM voicemails v"
	    "  WHERE v.recording_sid = $2 AND v.tenant_id <> t.id)"
	    " ON CONFLICT (recording_sid) DO UPDATE SET"
	    " status = CASE WHEN excluded.status_rank > r.status_rank"
	    "  THEN excluded.status ELSE r.status END,"
	    " status_rank = GREATEST(r.status_rank, excluded.status_rank),"
	    " call_sid = coalesce(r.call_sid, excluded.call_sid),"
	    " url = CASE WHEN excluded.status_rank >= r.status_rank"
	    "  THEN coalesce(excluded.url, r.url)"
	    "  ELSE coalesce(r.url, excluded.url) END,"
	    " channels = CASE WHEN excluded.status_rank >= r.status_rank"
	    "  THEN coalesce(excluded.channels, r.channels)"
	    "  ELSE coalesce(r.channels, excluded.channels) END,"
	    " duration_s = CASE WHEN excluded.status_rank >= r.status_rank"
	    "  THEN coalesce(excluded.duration_s, r.duration_s)"
	    "  ELSE coalesce(r.duration_s, excluded.duration_s) END,"
	    " source = coalesce(r.source, excluded.source),"
	    " track = coalesce(r.track, excluded.track),"
	    " started_at = coalesce(r.started_at, excluded.started_at),"
	    " error_code = coalesce(excluded.error_code, r.error_code),"
	    " voicemail_id = coalesce(r.voicemail_id, excluded.voicemail_id),"
	    " updated_at = now()"
	    " WHERE r.tenant_id = excluded.tenant_id"
	    " RETURNING r.id",
	    12 },
	/*
	 * Row-locked: of two concurrent "completed" callbacks, one wins.
	 * $1 RecordingSid, $2 its account.
	 */
	{ "voice_recording_archive_claim",
	    "UPDATE recordings SET archive_state = 'queued', updated_at = now()"
	    " WHERE recording_sid = $1 AND status = 'completed'"
	    " AND archive_state IS NULL"
	    " AND tenant_id = (SELECT id FROM tenants WHERE account_sid = $2)"
	    " RETURNING id",
	    2 },
	{ NULL, NULL, 0 },
};

/* Run a named statement whose result only matters by its db_result. */
static enum db_result
exec_status(struct db_conn *c, const char *stmt, int n,
    const char *const *params)
{
	enum db_result res;

	PQclear(db_exec(c, stmt, n, params, &res));
	return res;
}

/*
 * The result of a tenant-scoped write of call_sid (and call2) by
 * account: DB_NOTFOUND explained (store_scope_explain).
 */
static enum db_result
scoped(struct db_conn *c, enum db_result res, const char *account,
    const char *call_sid, const char *call2)
{
	struct store_scope sc;

	memset(&sc, 0, sizeof(sc));
	sc.account_sid = account;
	sc.call_sid = call_sid;
	sc.call_sid2 = call2;
	return store_scope_explain(c, &sc, res);
}

/*
 * A refusal the statement detected itself: row 0's columns col (the
 * refused flag), col + 1 (the CallSid, may be NULL) and col + 2 (its
 * owner's account, may be NULL).  Logs it; DB_FOREIGN, or res.
 */
static enum db_result
refused_in_row(const PGresult *r, int col, enum db_result res,
    const char *account, const char *call_sid)
{
	if (res != DB_OK || strcmp(PQgetvalue(r, 0, col), "t") != 0)
		return res;
	store_scope_log("call",
	    PQgetisnull(r, 0, col + 1) ? call_sid : PQgetvalue(r, 0, col + 1),
	    account,
	    PQgetisnull(r, 0, col + 2) ? NULL : PQgetvalue(r, 0, col + 2));
	return DB_FOREIGN;
}

/* A copy of a result field, NULL for SQL NULL. */
static char *
field_dup(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return xstrdup(PQgetvalue(r, row, col));
}

/* Row 0 of a voice_number-shaped result into *out. */
static void
number_from_row(const PGresult *r, struct store_number *out)
{
	out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	out->label = xstrdup(PQgetvalue(r, 0, 1));
	out->ring_timeout_s = atoi(PQgetvalue(r, 0, 2));
	out->disclaimer_text = field_dup(r, 0, 3);
	out->disclaimer_language = xstrdup(PQgetvalue(r, 0, 4));
	out->disclaimer_voice = xstrdup(PQgetvalue(r, 0, 5));
	out->disclaimer_audio_url = field_dup(r, 0, 6);
	out->voicemail_enabled = strcmp(PQgetvalue(r, 0, 7), "t") == 0;
	out->owner_identity = field_dup(r, 0, 8);
	out->owner_available = strcmp(PQgetvalue(r, 0, 9), "t") == 0;
}

enum db_result
store_call_number(struct db_conn *c, const char *account_sid, const char *e164,
    struct store_number *out)
{
	const char *params[2] = { account_sid, e164 };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	r = db_exec(c, "voice_number", 2, params, &res);
	if (res == DB_OK)
		number_from_row(r, out);
	PQclear(r);
	return res;
}

enum db_result
store_call_inbound_number(struct db_conn *c,
    const struct store_call_inbound *in, int have_workflow,
    struct store_number *out)
{
	char rank[16];
	const char *params[8];
	int ok = in->status != NULL && in->rank >= 0;
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	snprintf(rank, sizeof(rank), "%d", ok ? in->rank : 2);
	params[0] = in->account_sid;
	params[1] = in->call_sid;
	params[2] = in->from;
	params[3] = in->to;
	params[4] = have_workflow ? "true" : "false";
	params[5] = ok ? in->status : "ringing";
	params[6] = rank;
	params[7] = in->received_at;
	r = c != NULL ? db_exec(c, "voice_inbound_number", 8, params, &res)
		      : db_group_exec(in->call_sid, "voice_inbound_number", 8,
			    params, &res);
	res = refused_in_row(r, 10, res, in->account_sid, in->call_sid);
	if (res == DB_OK && PQgetisnull(r, 0, 0))
		res = DB_NOTFOUND;
	if (res == DB_OK)
		number_from_row(r, out);
	PQclear(r);
	return res;
}

enum db_result
store_call_inbound(struct db_conn *c, const struct store_call_inbound *in)
{
	char rank[16];
	const char *params[9];
	int ok = in->status != NULL && in->rank >= 0;

	snprintf(rank, sizeof(rank), "%d", ok ? in->rank : 2);
	params[0] = in->account_sid;
	params[1] = in->call_sid;
	params[2] = in->from;
	params[3] = in->to;
	params[4] = in->routing;
	params[5] = in->disclaimer_played ? "true" : "false";
	params[6] = ok ? in->status : "ringing";
	params[7] = rank;
	params[8] = in->received_at;
	return scoped(c, exec_status(c, "voice_call_inbound", 9, params),
	    in->account_sid, in->call_sid, NULL);
}

enum db_result
store_call_dial(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *from, const char *to,
    const char *dial_status, const char *routing)
{
	const char *params[6] = { account_sid, call_sid, from, to, dial_status,
		routing };

	return scoped(c, exec_status(c, "voice_call_dial", 6, params),
	    account_sid, call_sid, NULL);
}

enum db_result
store_call_queue_exit(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *result, const char *queue_time_s,
    const char *queue_sid, int abandoned)
{
	const char *params[6] = { account_sid, call_sid, result, queue_time_s,
		queue_sid, abandoned ? "true" : "false" };

	return scoped(c, exec_status(c, "voice_call_queue_exit", 6, params),
	    account_sid, call_sid, NULL);
}

enum db_result
store_call_agent(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *identity, const char *reservation_sid,
    const char *task_sid, const char *number_id, const char *agent_call_sid,
    char **from, char **label)
{
	const char *params[7] = { account_sid, call_sid, identity,
		reservation_sid, number_id, task_sid, agent_call_sid };
	struct store_scope sc;
	enum db_result res;
	PGresult *r;

	*from = NULL;
	*label = NULL;
	r = db_exec(c, "voice_call_agent", 7, params, &res);
	if (res == DB_OK) {
		*from = field_dup(r, 0, 0);
		*label = field_dup(r, 0, 1);
	}
	PQclear(r);
	memset(&sc, 0, sizeof(sc));
	sc.account_sid = account_sid;
	sc.call_sid = call_sid;
	sc.call_sid2 = agent_call_sid;
	sc.reservation_sid = reservation_sid;
	sc.task_sid = task_sid;
	return store_scope_explain(c, &sc, res);
}

enum db_result
store_call_by_reservation(struct db_conn *c, const char *account_sid,
    const char *reservation_sid, char *out, size_t outlen)
{
	const char *params[2] = { account_sid, reservation_sid };
	struct store_scope sc;
	enum db_result res;
	PGresult *r;

	out[0] = '\0';
	r = db_exec(c, "voice_call_by_reservation", 2, params, &res);
	if (res == DB_NOTFOUND) {
		memset(&sc, 0, sizeof(sc));
		sc.account_sid = account_sid;
		sc.reservation_sid = reservation_sid;
		res = store_scope_explain(c, &sc, res);
	}
	if (res == DB_OK &&
	    snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0)) >= (int)outlen) {
		out[0] = '\0';
		res = DB_INVALID;
	}
	PQclear(r);
	return res;
}

enum db_result
store_call_voicemail(struct db_conn *c, const struct store_voicemail *v)
{
	const char *params[8] = { v->account_sid, v->call_sid, v->to,
		v->recording_sid, v->recording_url, v->from, v->duration_s,
		v->received_at };
	const char *link[2];
	struct store_scope sc;
	enum db_result res;
	PGresult *r;
	char *id = NULL;

	r = db_exec(c, "voice_voicemail_insert", 8, params, &res);
	if (res == DB_OK)
		id = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (res == DB_NOTFOUND) {
		memset(&sc, 0, sizeof(sc));
		sc.account_sid = v->account_sid;
		sc.call_sid = v->call_sid;
		sc.recording_sid = v->recording_sid;
		res = store_scope_explain(c, &sc, res);
	}
	if (res != DB_OK)
		goto out;
	link[0] = v->recording_sid;
	link[1] = id;
	res = exec_status(c, "voice_recording_link", 2, link);
	if (res == DB_NOTFOUND)
		res = DB_OK; /* the recording callback has not come yet */
out:
	free(id);
	return res;
}

int
store_recording_rank(const char *status)
{
	if (status == NULL)
		return -1;
	if (strcmp(status, "in-progress") == 0)
		return 0;
	if (strcmp(status, "completed") == 0 || strcmp(status, "absent") == 0 ||
	    strcmp(status, "failed") == 0)
		return 1;
	return -1;
}

enum db_result
store_call_recording(struct db_conn *c, const struct store_recording *rec,
    int *archive)
{
	char rank[16];
	const char *params[12], *claim[2];
	struct store_scope sc;
	enum db_result res;

	*archive = 0;
	snprintf(rank, sizeof(rank), "%d", rec->rank);
	params[0] = rec->account_sid;
	params[1] = rec->recording_sid;
	params[2] = rec->call_sid;
	params[3] = rec->url;
	params[4] = rec->status;
	params[5] = rank;
	params[6] = rec->channels;
	params[7] = rec->duration_s;
	params[8] = rec->source;
	params[9] = rec->track;
	params[10] = rec->started_at;
	params[11] = rec->error_code;
	res = exec_status(c, "voice_recording_upsert", 12, params);
	if (res == DB_NOTFOUND) {
		memset(&sc, 0, sizeof(sc));
		sc.account_sid = rec->account_sid;
		sc.call_sid = rec->call_sid;
		sc.recording_sid = rec->recording_sid;
		res = store_scope_explain(c, &sc, res);
	}
	if (res != DB_OK)
		return res;
	claim[0] = rec->recording_sid;
	claim[1] = rec->account_sid;
	res = exec_status(c, "voice_recording_archive_claim", 2, claim);
	if (res == DB_OK)
		*archive = 1;
	return res == DB_NOTFOUND ? DB_OK : res;
}

enum db_result
store_call_archive_state_pg(PGconn *pg, const char *recording_sid,
    const char *state)
{
	const char *params[2] = { recording_sid, state };
	enum db_result res;
	PGresult *r;

	/* A job's connection has none of the pool's prepared statements. */
	r = PQexecParams(pg,
	    "UPDATE recordings SET archive_state = $2, updated_at = now()"
	    " WHERE recording_sid = $1"
	    " AND (archive_state IS NULL OR archive_state IN ('queued', $2))"
	    " RETURNING id",
	    2, NULL, params, NULL, NULL, 0);
	res = db_classify(r);
	if (res != DB_OK && res != DB_NOTFOUND)
		log_kv(LOG_ERROR, "query failed", "stmt", "archive_state",
		    "detail",
		    r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL,
		    NULL);
	PQclear(r);
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
	res = scoped(c, res, account_sid, call_sid, NULL);
	/* an unknown account: nothing stored, as ever */
	return res == DB_NOTFOUND ? DB_OK : res;
}

enum db_result
store_call_status(struct db_conn *c, const struct store_call_status *s,
    const char *route, const char *received_at, const char *params_json,
    int replayed)
{
	char rank[8], seq[16];
	const char *params[17];
	enum db_result res;
	PGresult *r;

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
	r = c != NULL ? db_exec(c, "call_status_upsert", 17, params, &res)
		      : db_group_exec(s->call_sid, "call_status_upsert", 17,
			    params, &res);
	res = refused_in_row(r, 0, res, s->account_sid, s->call_sid);
	PQclear(r);
	return res;
}
