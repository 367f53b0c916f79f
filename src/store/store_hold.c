/*
 * Named statements of outbound calls, hold and conferences.  See
 * include/store_hold.h and docs/call-flows.md.
 */
#include <stddef.h>

#include "store.h"
#include "store_hold.h"

/* The columns of a calls row the hold logic reads ("HOLD_COLS"). */
#define HOLD_COLS \
	" c.id, c.call_sid, c.parent_call_sid, c.direction, c.routing," \
	" c.bridge, c.agent_user_id, c.status, c.status_rank," \
	" c.from_number, c.to_number, c.reservation_sid," \
	" c.conference_name, c.conference_state, c.agent_call_sid," \
	" c.other_call_sid, c.hold_wanted, c.hold_confirmed," \
	" c.caller_id, c.created_at, c.held_call_sid"

const struct db_stmt store_hold_statements[] = {
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
	 * callback made first; the status moves only forward.
	 */
	{ "out_call",
	    "INSERT INTO calls AS c (tenant_id, call_sid, direction,"
	    " from_number, to_number, agent_user_id, caller_id, dialled,"
	    " bridge, routing, agent_call_sid, status, status_rank,"
	    " started_at)"
	    " SELECT t.id, $2, 'outbound', $3, $4, $5::bigint, $6, $7, $8,"
	    " 'outbound', $2, $9, $10::smallint, $11::timestamptz"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " ON CONFLICT (call_sid) DO UPDATE SET" STORE_CALL_STATUS_FORWARD
	    " direction = 'outbound', from_number = excluded.from_number,"
	    " to_number = excluded.to_number,"
	    " agent_user_id = excluded.agent_user_id,"
	    " caller_id = excluded.caller_id, dialled = excluded.dialled,"
	    " bridge = excluded.bridge, routing = excluded.routing,"
	    " agent_call_sid = excluded.agent_call_sid,"
	    " started_at = LEAST(c.started_at, excluded.started_at),"
	    " updated_at = now()"
	    " RETURNING c.id",
	    11 },
	/* The outbound <Dial> ended ($1 account, $2 CallSid, $3 status). */
	{ "out_dial_done",
	    "UPDATE calls c SET dial_status = $3, updated_at = now()"
	    " FROM tenants t WHERE t.account_sid = $1 AND c.tenant_id = t.id"
	    " AND c.call_sid = $2 RETURNING c.conference_name,"
	    " c.conference_state",
	    3 },
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
	 * SequenceNumber; a leave is final.  Returns hold, left.
	 */
	{ "conf_participant",
	    "INSERT INTO conference_participants AS p (tenant_id,"
	    " conference_sid, conference_name, call_sid, hold, muted,"
	    " joined_at, left_at, last_sequence)"
	    " VALUES ($1::bigint, $2, $3, $4, coalesce($7::boolean, false),"
	    " coalesce($8::boolean, false),"
	    " CASE WHEN $5::boolean THEN $10::timestamptz END,"
	    " CASE WHEN $6::boolean THEN $10::timestamptz END, $9::integer)"
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
