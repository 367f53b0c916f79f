/*
 * GET /api/calls/{sid}, POST /api/calls/{sid}/hold and /unhold.  See
 * include/api/api_calls.h.
 */
#include <string.h>

#include <jansson.h>

#include "api_calls.h"
#include "auth.h"
#include "db.h"
#include "hold.h"
#include "http.h"
#include "log.h"
#include "twparam.h"

/*
 * The call of the path's {sid} for the signed-in user into *hc.  0, or
 * -1 after replying (404, 403, 503).
 */
static int
find_call(struct http_req *r, struct db_conn *c, struct hold_call *hc)
{
	const struct auth_user *u = auth_user_of(r);
	const char *sid = http_req_param(r, 0);
	enum db_result res;

	if (!twparam_sid(sid, "CA")) {
		http_reply_error(r, 404, "no such call");
		return -1;
	}
	res = hold_resolve(c, u->tenant_id, sid, hc);
	if (res == DB_NOTFOUND) {
		http_reply_error(r, 404, "no such call");
		return -1;
	}
	if (res != DB_OK) {
		http_reply_error(r, 503, "database unavailable");
		return -1;
	}
	/* the called agent of an agent-to-agent call may act on it too */
	if (!auth_may_act_for(u, hc->agent_user_id) &&
	    (hc->peer_user_id == 0 || !auth_may_act_for(u, hc->peer_user_id))) {
		http_reply_error(r, 403, "this call is another agent's");
		return -1;
	}
	return 0;
}

int
api_calls_get(struct http_req *r)
{
	struct hold_call hc;
	struct db_conn *c;
	json_t *body;
	int rc;

	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "database unavailable");
	if (find_call(r, c, &hc) != 0) {
		db_release(c);
		return 0;
	}
	db_release(c);
	body = json_pack("{s:s, s:s, s:b, s:b, s:s?, s:s?, s:s?, s:s, s:s?,"
			 " s:s?, s:s?, s:s?, s:s?, s:b, s:b}",
	    "call_sid", http_req_param(r, 0), "status", hc.status, "hold",
	    hc.hold, "hold_confirmed", hc.hold_confirmed, "direction",
	    hc.direction[0] ? hc.direction : NULL, "from",
	    hc.from[0] ? hc.from : NULL, "to", hc.to[0] ? hc.to : NULL,
	    "anchor_call_sid", hc.anchor_sid, "agent_call_sid",
	    hc.agent_sid[0] ? hc.agent_sid : NULL, "bridge", hc.bridge,
	    "other_call_sid", hc.other_sid[0] ? hc.other_sid : NULL,
	    "held_call_sid", hc.held_sid[0] ? hc.held_sid : NULL, "conference",
	    hc.conference_state[0] ? hc.conference_state : NULL, "bridged",
	    hc.bridged, "ended", hc.ended);
	rc = http_reply_json(r, 200, body);
	return rc;
}

static int
hold_common(struct http_req *r, int on)
{
	const struct auth_user *u = auth_user_of(r);
	struct hold_call hc;
	struct db_conn *c;
	enum db_result res;

	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "database unavailable");
	if (find_call(r, c, &hc) != 0)
		goto out;
	if (hc.ended) {
		http_reply_error(r, 409, "the call is ending or has ended");
		goto out;
	}
	if (hc.bridge == NULL || !hc.bridged || hc.agent_sid[0] == '\0' ||
	    hc.other_sid[0] == '\0') {
		http_reply_error(r, 409,
		    "the call is not connected to an agent yet");
		goto out;
	}
	res = hold_request(c, &hc, u->account_sid, on);
	if (res == DB_CONFLICT) {
		http_reply_error(r, 409, "the call is ending or has ended");
		goto out;
	}
	if (res != DB_OK) {
		http_reply_error(r, 503, "database unavailable");
		goto out;
	}
	log_kv(LOG_INFO, on ? "hold requested" : "unhold requested", "call",
	    hc.anchor_sid, "bridge", hc.bridge, "by", u->identity, NULL);
	http_reply_json(r, 202,
	    json_pack("{s:s, s:b, s:s}", "call_sid", http_req_param(r, 0),
		"hold", on, "state", "pending"));
out:
	db_release(c);
	return 0;
}

int
api_calls_hold(struct http_req *r)
{
	return hold_common(r, 1);
}

int
api_calls_unhold(struct http_req *r)
{
	return hold_common(r, 0);
}
