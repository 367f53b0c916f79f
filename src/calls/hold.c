/*
 * Hold by conference escalation: the shared conference TwiML, the call
 * resolution of the hold API, the /twilio/conference callback, the hold
 * music and the job that does the REST work.  See include/calls/hold.h and
 * docs/call-flows.md ("Hold").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "paths.h"
#include "callflow.h"
#include "db.h"
#include "hold.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "spool.h"
#include "store_call.h"
#include "store_hold.h"
#include "store_scope.h"
#include "twapi.h"
#include "twapi_account.h"
#include "twiml.h"
#include "twparam.h"
#include "util.h"

#define URL_MAX 2048
#define CONF_NAME_MAX 64
#define MAX_SPOOLED_PAIRS 512

/* ---- TwiML ---- */

int
hold_conference_twiml(struct twiml *t, const struct config *cfg,
    const char *name)
{
	char rec[URL_MAX], ev[URL_MAX];
	int n, m;

	n = snprintf(rec, sizeof(rec), "%s" PATH_RECORDING, cfg->base_url);
	m = snprintf(ev, sizeof(ev), "%s" PATH_CONFERENCE, cfg->base_url);
	if (n < 0 || (size_t)n >= sizeof(rec) || m < 0 ||
	    (size_t)m >= sizeof(ev))
		return -1;
	twiml_open(t, "Dial", NULL);
	twiml_leaf(t, "Conference", name, "startConferenceOnEnter", "true",
	    "endConferenceOnExit", "true", "beep", "false", "record",
	    "record-from-start", "recordingStatusCallback", rec,
	    "recordingStatusCallbackMethod", "POST",
	    "recordingStatusCallbackEvent", "completed absent",
	    "statusCallback", ev, "statusCallbackMethod", "POST",
	    "statusCallbackEvent", "start end join leave hold", NULL);
	twiml_close(t);
	return 0;
}

int
hold_answer_conference(struct db_conn *c, const struct config *cfg,
    const struct form *f, struct twiml *t)
{
	const char *call_sid = form_get(f, "CallSid");
	char name[CONF_NAME_MAX];

	if (c == NULL || !twparam_sid(call_sid, "CA"))
		return 0;
	if (store_hold_escalated(c, form_get(f, "AccountSid"), call_sid, name,
		sizeof(name)) != DB_OK)
		return 0;
	if (hold_conference_twiml(t, cfg, name) != 0)
		return 0;
	log_kv(LOG_INFO,
	    "first bridge ended for hold: caller joins the conference",
	    "conference", name, NULL);
	return 1;
}

/* ---- the call a hold request is about ---- */

/* What looks a leg up: one of the store_hold_leg functions. */
typedef enum db_result (*leg_fn)(struct db_conn *, long long, const char *,
    struct store_hold_leg *);

/* A leg of the tenant by CallSid; *found 0 when there is none. */
static enum db_result
leg_by(struct db_conn *c, leg_fn fn, long long tenant_id, const char *sid,
    struct store_hold_leg *l, int *found)
{
	enum db_result res;

	*found = 0;
	if (sid == NULL || sid[0] == '\0')
		return DB_OK;
	res = fn(c, tenant_id, sid, l);
	if (res == DB_NOTFOUND)
		return DB_OK;
	*found = res == DB_OK;
	return res;
}

/* The called agent of an agent-to-agent call (*id 0: none). */
static enum db_result
peer(struct db_conn *c, long long tenant_id, const char *identity,
    long long *id)
{
	enum db_result res = store_hold_user(c, tenant_id, identity, id);

	return res == DB_NOTFOUND ? DB_OK : res;
}

enum db_result
hold_resolve(struct db_conn *c, long long tenant_id, const char *call_sid,
    struct hold_call *out)
{
	struct store_hold_leg l, a, other, agent;
	enum db_result res;
	int found, have_other = 0, have_agent = 0;

	memset(out, 0, sizeof(*out));
	res = leg_by(c, store_hold_leg, tenant_id, call_sid, &l, &found);
	if (res != DB_OK)
		return res;
	if (!found)
		return DB_NOTFOUND;
	snprintf(out->status, sizeof(out->status), "%s", l.status);
	snprintf(out->asked_sid, sizeof(out->asked_sid), "%s", l.call_sid);

	/* The anchor: the leg whose action sees the first bridge end. */
	a = l;
	if (l.bridge[0] == '\0' && l.conference_name[0] == '\0') {
		res = leg_by(c, store_hold_leg_by_agent, tenant_id, l.call_sid,
		    &a, &found);
		/* a dedicated leg whose whisper was not stored: its parent */
		if (res == DB_OK && !found)
			res = leg_by(c, store_hold_leg, tenant_id,
			    l.parent_call_sid, &a, &found);
		if (res != DB_OK)
			return res;
		if (!found)
			a = l;
		else if (a.id != l.id) {
			agent = l; /* the agent's own leg was asked for */
			have_agent = 1;
		}
	}

	out->anchor_id = a.id;
	snprintf(out->anchor_sid, sizeof(out->anchor_sid), "%s", a.call_sid);
	out->agent_user_id = a.agent_user_id;
	snprintf(out->direction, sizeof(out->direction), "%s", a.direction);
	snprintf(out->from, sizeof(out->from), "%s", a.from);
	snprintf(out->to, sizeof(out->to), "%s", a.to);
	snprintf(out->conference_state, sizeof(out->conference_state), "%s",
	    a.conference_state);
	out->hold = a.hold_wanted;
	out->hold_confirmed = a.hold_confirmed;
	out->ended =
	    a.status_rank >= 4 || strcmp(a.conference_state, "ended") == 0;

	if (strcmp(a.bridge, "outbound") == 0 ||
	    strcmp(a.bridge, "client") == 0) {
		out->bridge =
		    strcmp(a.bridge, "outbound") == 0 ? "outbound" : "client";
		snprintf(out->agent_sid, sizeof(out->agent_sid), "%s",
		    a.call_sid);
		if (out->bridge[0] == 'c' && strncmp(a.to, "client:", 7) == 0 &&
		    (res = peer(c, tenant_id, a.to + 7, &out->peer_user_id)) !=
			DB_OK)
			return res;
		res = leg_by(c,
		    a.other_call_sid[0] ? store_hold_leg : store_hold_leg_child,
		    tenant_id,
		    a.other_call_sid[0] ? a.other_call_sid : a.call_sid, &other,
		    &have_other);
		if (res != DB_OK)
			return res;
		if (have_other) {
			snprintf(out->other_sid, sizeof(out->other_sid), "%s",
			    other.call_sid);
			snprintf(out->held_sid, sizeof(out->held_sid), "%s",
			    a.held_call_sid[0] ? a.held_call_sid
					       : other.call_sid);
			out->ended |= other.status_rank >= 4;
			out->bridged = strcmp(other.status, "in-progress") == 0;
		}
		return DB_OK;
	}
	if (strcmp(a.direction, "inbound") != 0)
		return DB_OK; /* not a call ramal knows how to hold */
	out->bridge = a.reservation_sid[0] != '\0' ? "queue" : "dedicated";
	snprintf(out->other_sid, sizeof(out->other_sid), "%s", a.call_sid);
	snprintf(out->held_sid, sizeof(out->held_sid), "%s", a.call_sid);
	if (!have_agent && a.agent_call_sid[0] != '\0')
		res = leg_by(c, store_hold_leg, tenant_id, a.agent_call_sid,
		    &agent, &have_agent);
	else if (!have_agent && out->bridge[0] == 'd')
		res = leg_by(c, store_hold_leg_child, tenant_id, a.call_sid,
		    &agent, &have_agent);
	if (res != DB_OK)
		return res;
	if (have_agent) {
		snprintf(out->agent_sid, sizeof(out->agent_sid), "%s",
		    agent.call_sid);
		out->ended |= agent.status_rank >= 4;
		/* the caller's own leg may have no status callback */
		out->bridged = strcmp(agent.status, "in-progress") == 0;
	}
	return DB_OK;
}

enum db_result
hold_request(struct db_conn *c, const struct hold_call *hc,
    const char *account_sid, int on)
{
	struct store_hold_mark m;
	enum db_result res;
	json_t *payload = NULL;
	int escalated;

	if ((res = db_simple(c, "BEGIN")) != DB_OK)
		return res;
	/* the anchor was found in the caller's tenant: its id is enough */
	m.anchor_id = hc->anchor_id;
	m.anchor_sid = hc->anchor_sid;
	m.hold = on;
	m.bridge = hc->bridge;
	m.agent_call_sid = hc->agent_sid[0] ? hc->agent_sid : NULL;
	m.other_call_sid = hc->other_sid[0] ? hc->other_sid : NULL;
	/* agent to agent: the party the asked leg talks to */
	m.held_call_sid = NULL;
	if (strcmp(hc->bridge, "client") == 0 && hc->other_sid[0] != '\0')
		m.held_call_sid = strcmp(hc->asked_sid, hc->other_sid) == 0
		    ? hc->agent_sid
		    : hc->other_sid;
	res = store_hold_mark(c, &m, &escalated);
	if (res == DB_NOTFOUND)
		res = DB_CONFLICT;
	if (res != DB_OK)
		goto fail;
	if (escalated) {
		payload = json_pack("{s:s}", "call_sid", hc->anchor_sid);
		res = job_enqueue(c, HOLD_JOB_KIND, payload, NULL, 0,
		    account_sid);
		json_decref(payload);
		if (res != DB_OK)
			goto fail;
	}
	if ((res = db_simple(c, "COMMIT")) != DB_OK)
		goto fail;
	return DB_OK;
fail:
	if (res != DB_UNAVAILABLE)
		db_simple(c, "ROLLBACK");
	return res;
}

/* ---- /twilio/conference ---- */

/* 1 or 0 for a Twilio boolean parameter, -1 when absent or neither. */
static int
tw_bool(const char *v)
{
	if (v == NULL)
		return -1;
	if (strcmp(v, "true") == 0)
		return 1;
	if (strcmp(v, "false") == 0)
		return 0;
	return -1;
}

/* The event into the database, in the caller's transaction. */
static enum db_result
conference_apply(struct db_conn *c, const struct form *f,
    const char *received_at, const char *json, int replayed)
{
	const char *account = form_get(f, "AccountSid");
	const char *conf_sid = form_get(f, "ConferenceSid");
	const char *name = form_get(f, "FriendlyName");
	const char *event = form_get(f, "StatusCallbackEvent");
	const char *call = form_get(f, "CallSid");
	const char *seq = form_get(f, "SequenceNumber");
	const char *state = NULL;
	struct store_hold_anchor a;
	struct store_hold_participant p;
	struct store_scope sc;
	int join, leave, p_hold = 0, p_left = 0;
	enum db_result res;
	json_t *payload;

	if (event == NULL)
		event = "";
	/* another tenant's leg, conference name or ConferenceSid: refused */
	memset(&sc, 0, sizeof(sc));
	sc.account_sid = account;
	sc.call_sid = twparam_sid(call, "CA") ? call : NULL;
	sc.conference_name = name;
	sc.conference_sid = twparam_sid(conf_sid, "CF") ? conf_sid : NULL;
	if ((res = store_scope_check(c, &sc)) != DB_OK)
		return res;
	res =
	    store_call_event(c, account, twparam_sid(call, "CA") ? call : NULL,
		PATH_CONFERENCE, received_at, json, replayed);
	if (res != DB_OK)
		return res;
	if (!twparam_sid(conf_sid, "CF") || name == NULL ||
	    strncmp(name, HOLD_CONF_PREFIX, strlen(HOLD_CONF_PREFIX)) != 0)
		return DB_OK; /* not one of ours: kept as an event only */
	res = store_hold_conf_anchor(c, account, name, conf_sid, &a);
	if (res == DB_NOTFOUND)
		return DB_OK;
	if (res != DB_OK)
		return res;

	if (strcmp(event, "conference-end") == 0)
		return store_hold_conf_anchor_state(c, a.id, "ended", -1);
	if (strncmp(event, "participant-", 12) != 0 || !twparam_sid(call, "CA"))
		return DB_OK;
	join = strcmp(event, "participant-join") == 0;
	leave = strcmp(event, "participant-leave") == 0;
	memset(&p, 0, sizeof(p));
	p.hold = -1;
	if (strcmp(event, "participant-hold") == 0)
		p.hold = 1;
	else if (strcmp(event, "participant-unhold") == 0)
		p.hold = 0;
	else if (join)
		p.hold = tw_bool(form_get(f, "Hold"));
	p.muted = -1;
	if (strcmp(event, "participant-mute") == 0)
		p.muted = 1;
	else if (strcmp(event, "participant-unmute") == 0)
		p.muted = 0;
	else if (join)
		p.muted = tw_bool(form_get(f, "Muted"));
	p.sequence = -1;
	if (seq != NULL && seq[0] != '\0' && strlen(seq) <= 9 &&
	    strspn(seq, "0123456789") == strlen(seq))
		p.sequence = strtol(seq, NULL, 10);
	p.tenant_id = a.tenant_id;
	p.conference_sid = conf_sid;
	p.conference_name = name;
	p.call_sid = call;
	p.joined = join;
	p.left = leave;
	p.event_time = received_at;
	res = store_hold_conf_participant(c, &p, &p_hold, &p_left);
	if (res == DB_NOTFOUND) {
		/* the conference became another tenant's meanwhile */
		res = store_scope_explain(c, &sc, res);
		return res == DB_NOTFOUND ? DB_OK : res;
	}
	/* only an event of the party to hold (see hold_request) moves on */
	if (res != DB_OK || strcmp(call, a.held_call_sid) != 0)
		return res;
	if (join && !p_left)
		state = "active";
	res = store_hold_conf_anchor_state(c, a.id, state, p_hold);
	if (res != DB_OK || !join || p_left || p_hold == a.hold_wanted)
		return res;
	/* the held party is in: the job sets its hold as the agent wants */
	payload = json_pack("{s:s}", "call_sid", a.call_sid);
	res = job_enqueue(c, HOLD_JOB_KIND, payload, NULL, 0, account);
	json_decref(payload);
	return res;
}

/*
 * Store one conference event: DONE, LATER (database unavailable: spool
 * it), NEVER (bad data) or REFUSED (a leg or the conference is another
 * tenant's: nothing stored).
 */
static enum outcome
conference_store(const struct form *f, const char *received_at, int replayed)
{
	struct db_conn *c;
	enum db_result res;
	char *json;

	if ((json = twparam_json(f)) == NULL)
		return OUTCOME_NEVER;
	if ((c = db_acquire()) == NULL) {
		free(json);
		return OUTCOME_LATER;
	}
	if ((res = db_simple(c, "BEGIN")) == DB_OK) {
		res = conference_apply(c, f, received_at, json, replayed);
		if (res == DB_OK)
			res = db_simple(c, "COMMIT");
		else if (res != DB_UNAVAILABLE)
			db_simple(c, "ROLLBACK");
	}
	db_release(c);
	free(json);
	if (res == DB_OK)
		return OUTCOME_DONE;
	if (res == DB_FOREIGN)
		return OUTCOME_REFUSED; /* logged by the store */
	if (res == DB_INVALID || res == DB_CONFLICT) {
		log_kv(LOG_ERROR, "conference event cannot be stored", "event",
		    form_get(f, "StatusCallbackEvent"), NULL);
		return OUTCOME_NEVER;
	}
	return OUTCOME_LATER;
}

int
hold_conference_callback(struct http_req *r)
{
	const struct form *f = http_req_form(r);
	char received_at[32];
	const char *body;
	size_t len;
	enum outcome rc;

	util_rfc3339_now(received_at, sizeof(received_at));
	log_ctx_call(form_get(f, "CallSid"));
	log_kv(LOG_INFO, "conference event", "event",
	    form_get(f, "StatusCallbackEvent"), "conference",
	    form_get(f, "FriendlyName"), NULL);
	rc = conference_store(f, received_at, 0);
	if (rc == OUTCOME_REFUSED)
		return http_reply_error(r, 400,
		    "conference event cannot be stored (see the log)");
	if (rc == OUTCOME_LATER) {
		/* kept on disk; hold_replay stores it once the database is back */
		body = http_req_body(r, &len);
		if (spool_put(PATH_CONFERENCE, received_at, body, len) != 0)
			return http_reply_error(r, 503,
			    "temporarily unavailable");
		log_kv(LOG_WARN,
		    "conference event spooled: database unavailable", "event",
		    form_get(f, "StatusCallbackEvent"), NULL);
	}
	return callflow_reply_empty(r);
}

enum outcome
hold_replay(const char *route, const char *received_at, const char *body,
    size_t len)
{
	struct form f;
	enum outcome rc = OUTCOME_NEVER;

	(void)route;
	form_init(&f);
	if (form_parse(&f, body, len, MAX_SPOOLED_PAIRS) == 0) {
		log_ctx_call(form_get(&f, "CallSid"));
		rc = conference_store(&f, received_at, 1);
		if (rc == OUTCOME_DONE)
			log_kv(LOG_INFO, "spooled conference event stored",
			    "event", form_get(&f, "StatusCallbackEvent"), NULL);
		log_ctx_call(NULL);
	}
	form_cleanup(&f);
	return rc;
}

int
hold_music(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	struct twiml t;
	size_t len;
	char *doc;

	twiml_init(&t);
	twiml_leaf(&t, "Play", cfg->queue_music_url, "loop", "0", NULL);
	doc = twiml_finish(&t, &len);
	if (doc == NULL)
		return http_reply_error(r, 500, "hold music unavailable");
	return http_reply_twiml(r, doc, len);
}

/* ---- the job ---- */

/* A 4xx from Twilio about a call or participant that is gone. */
static int
gone(const struct twapi_resp *resp)
{
	return resp->status == 404 ||
	    (resp->status == 400 && resp->err.code == 21220);
}

/*
 * Bring participant leg of conference name to hold want (Participants
 * update) unless its row already says so; confirm (the anchor's
 * hold_confirmed) when it is the party the agent asked for.  A job_result.
 */
static int
participant_set(const struct job *j, const struct twapi_client *tw,
    const struct config *cfg, const char *name, const char *anchor,
    const char *leg, int want, int confirm, char *err, size_t errlen)
{
	char path[256], url[URL_MAX], why[320];
	struct store_hold_job_participant part;
	struct twapi_resp resp;
	enum twapi_result tr;
	enum db_result res;
	struct form form;
	int rc;

	res = store_hold_job_participant(j->pg, name, leg, &part);
	if (res != DB_OK)
		/* not joined yet: its join event queues this job again */
		return res == DB_NOTFOUND ? JOB_DONE : JOB_RETRY;
	if (part.hold == want)
		return JOB_DONE;
	memset(&resp, 0, sizeof(resp));
	form_init(&form);
	form_add(&form, "Hold", twapi_bool(want));
	if (want) {
		snprintf(url, sizeof(url), "%s" PATH_VOICE_HOLD, cfg->base_url);
		form_add(&form, "HoldUrl", url);
		form_add(&form, "HoldMethod", "POST");
	}
	snprintf(path, sizeof(path),
	    "/2010-04-01/Accounts/%s/Conferences/%s/Participants/%s.json",
	    j->account_sid, part.conference_sid, leg);
	tr = twapi_post(tw, TWAPI_API, path, &form, &resp);
	form_cleanup(&form);
	if (tr != TWAPI_OK) {
		twapi_describe(&resp, why, sizeof(why));
		snprintf(err, errlen, "Participants update: %s", why);
		rc = tr == TWAPI_HTTP_ERROR && gone(&resp)	  ? JOB_DONE
		    : tr == TWAPI_HTTP_ERROR && resp.status < 500 ? JOB_FAIL
								  : JOB_RETRY;
		twapi_resp_cleanup(&resp);
		return rc;
	}
	twapi_resp_cleanup(&resp);
	log_kv(LOG_INFO, want ? "hold: party held" : "hold: party unheld",
	    "leg", leg, "conference", name, NULL);
	res = store_hold_job_participant_hold(j->pg, name, leg, want);
	if ((res == DB_OK || res == DB_NOTFOUND) && confirm)
		res = store_hold_job_confirm(j->pg, anchor, want);
	return res == DB_OK || res == DB_NOTFOUND ? JOB_DONE : JOB_RETRY;
}

int
hold_job(const struct job *j, char *err, size_t errlen)
{
	const struct config *cfg = j->cfg;
	const char *anchor = twapi_json_str(j->payload, "call_sid");
	char path[256], why[320];
	const char *target, *moved, *free_leg;
	struct store_hold_job_call call;
	struct twapi_account tw;
	struct twapi_resp resp;
	struct twiml t;
	struct form form;
	enum db_result res;
	enum twapi_result tr;
	int rc = JOB_RETRY;
	char *doc = NULL;

	memset(&resp, 0, sizeof(resp));
	memset(&tw, 0, sizeof(tw));
	form_init(&form);
	if (cfg == NULL || !twparam_sid(anchor, "CA")) {
		snprintf(err, errlen, "no configuration or no call_sid");
		return JOB_FAIL;
	}
	/* the call's own account: the primary's or a subaccount's token */
	switch (
	    twapi_account_open(&tw, cfg, j->pg, j->account_sid, err, errlen)) {
	case TWAPI_ACCOUNT_OK:
		break;
	case TWAPI_ACCOUNT_UNAVAILABLE:
		rc = JOB_RETRY;
		goto out;
	default:
		rc = JOB_FAIL;
		goto out;
	}
	/* one job at a time per call; the API's row updates never wait */
	if (store_hold_job_lock(j->pg, anchor) != DB_OK) {
		snprintf(err, errlen, "lock failed");
		goto out;
	}
	res = store_hold_job_call(j->pg, anchor, &call);
	if (res != DB_OK) {
		snprintf(err, errlen, "call not found");
		rc = res == DB_NOTFOUND ? JOB_FAIL : JOB_RETRY;
		goto out;
	}
	log_ctx_call(anchor);

	/* outbound: the agent owns the <Dial>, so the callee is moved */
	if (strcmp(call.bridge, "outbound") == 0 ||
	    strcmp(call.bridge, "client") == 0) {
		moved = call.other_call_sid;
		target = call.other_call_sid;
		free_leg = call.agent_call_sid;
	} else {
		moved = call.agent_call_sid;
		target = anchor;
		free_leg = call.agent_call_sid;
	}
	/* agent to agent: either agent may be the one held */
	if (call.held_call_sid[0] != '\0' &&
	    strcmp(call.held_call_sid, target) != 0) {
		free_leg = target;
		target = call.held_call_sid;
	}

	if (strcmp(call.conference_state, "requested") == 0) {
		if (!twparam_sid(moved, "CA")) {
			snprintf(err, errlen, "no leg to move");
			rc = JOB_FAIL;
			goto clear;
		}
		twiml_init(&t);
		if (hold_conference_twiml(&t, cfg, call.conference_name) != 0 ||
		    (doc = twiml_finish(&t, NULL)) == NULL) {
			snprintf(err, errlen, "conference TwiML too long");
			rc = JOB_FAIL;
			goto out;
		}
		form_add(&form, "Twiml", doc);
		free(doc);
		snprintf(path, sizeof(path),
		    "/2010-04-01/Accounts/%s/Calls/%s.json", j->account_sid,
		    moved);
		tr = twapi_post(&tw.client, TWAPI_API, path, &form, &resp);
		if (tr == TWAPI_OK) {
			log_kv(LOG_INFO, "hold: leg moved into the conference",
			    "leg", moved, "conference", call.conference_name,
			    NULL);
			res = store_hold_job_redirected(j->pg, anchor);
			rc = res == DB_OK || res == DB_NOTFOUND ? JOB_DONE
								: JOB_RETRY;
			goto out;
		}
		twapi_describe(&resp, why, sizeof(why));
		snprintf(err, errlen, "Calls update: %s", why);
		if (tr == TWAPI_HTTP_ERROR && gone(&resp)) {
			rc = JOB_DONE;
			goto clear;
		}
		rc = tr == TWAPI_HTTP_ERROR && resp.status < 500 ? JOB_FAIL
								 : JOB_RETRY;
		if (rc == JOB_FAIL)
			goto clear;
		goto out;
	}
	if (strcmp(call.conference_state, "redirected") != 0 &&
	    strcmp(call.conference_state, "active") != 0) {
		rc = JOB_DONE; /* never escalated, or over */
		goto out;
	}
	/* the party asked for as wanted; the other one (a hold that moved
	 * from one agent to the other) never held */
	rc = participant_set(j, &tw.client, cfg, call.conference_name, anchor,
	    target, call.hold_wanted, 1, err, errlen);
	if (rc == JOB_DONE && strcmp(free_leg, target) != 0 &&
	    twparam_sid(free_leg, "CA"))
		rc = participant_set(j, &tw.client, cfg, call.conference_name,
		    anchor, free_leg, 0, 0, err, errlen);
	goto out;

clear:
	/* the leg is gone: the action handlers must hang up, not join */
	log_kv(LOG_WARN, "hold: the call could not be moved; mark cleared",
	    "leg", moved, "why", err, NULL);
	res = store_hold_job_clear(j->pg, anchor);
	/* done, not failed: a failed attempt would roll the clearing back */
	rc = res == DB_OK || res == DB_NOTFOUND ? JOB_DONE : JOB_RETRY;
out:
	log_ctx_call(NULL);
	twapi_resp_cleanup(&resp);
	form_cleanup(&form);
	twapi_account_close(&tw);
	return rc;
}
