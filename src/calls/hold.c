/*
 * Hold by conference escalation: the shared conference TwiML, the call
 * resolution of the hold API, the /twilio/conference callback, the hold
 * music and the job that does the REST work.  See include/hold.h and
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
#include "store.h"
#include "store_hold.h"
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
	const char *params[2] = { form_get(f, "AccountSid"),
		form_get(f, "CallSid") };
	char name[CONF_NAME_MAX];
	enum db_result res;
	PGresult *r;

	if (c == NULL || !twparam_sid(params[1], "CA"))
		return 0;
	r = db_exec(c, "hold_escalated", 2, params, &res);
	if (res != DB_OK ||
	    snprintf(name, sizeof(name), "%s", PQgetvalue(r, 0, 0)) >=
		(int)sizeof(name)) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	if (hold_conference_twiml(t, cfg, name) != 0)
		return 0;
	log_kv(LOG_INFO,
	    "first bridge ended for hold: caller joins the conference",
	    "conference", name, NULL);
	return 1;
}

/* ---- the call a hold request is about ---- */

struct leg {
	long long id;
	char sid[35], parent[35], direction[24], routing[24], bridge[16];
	long long agent;
	char status[24];
	int rank;
	char from[64], to[140], reservation[40], conf_name[CONF_NAME_MAX],
	    conf_state[16], agent_sid[35], other_sid[35], held[35];
	int hold_wanted, hold_confirmed;
	char created[48];
};

static void
copy(char *dst, size_t len, const PGresult *r, int col)
{
	snprintf(dst, len, "%s",
	    PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col));
}

static enum db_result
fetch(struct db_conn *c, const char *stmt, int n, const char *const *params,
    struct leg *l)
{
	enum db_result res;
	PGresult *r;

	memset(l, 0, sizeof(*l));
	r = db_exec(c, stmt, n, params, &res);
	if (res == DB_OK) {
		l->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		copy(l->sid, sizeof(l->sid), r, 1);
		copy(l->parent, sizeof(l->parent), r, 2);
		copy(l->direction, sizeof(l->direction), r, 3);
		copy(l->routing, sizeof(l->routing), r, 4);
		copy(l->bridge, sizeof(l->bridge), r, 5);
		l->agent = PQgetisnull(r, 0, 6)
		    ? 0
		    : strtoll(PQgetvalue(r, 0, 6), NULL, 10);
		copy(l->status, sizeof(l->status), r, 7);
		l->rank = atoi(PQgetvalue(r, 0, 8));
		copy(l->from, sizeof(l->from), r, 9);
		copy(l->to, sizeof(l->to), r, 10);
		copy(l->reservation, sizeof(l->reservation), r, 11);
		copy(l->conf_name, sizeof(l->conf_name), r, 12);
		copy(l->conf_state, sizeof(l->conf_state), r, 13);
		copy(l->agent_sid, sizeof(l->agent_sid), r, 14);
		copy(l->other_sid, sizeof(l->other_sid), r, 15);
		l->hold_wanted = strcmp(PQgetvalue(r, 0, 16), "t") == 0;
		l->hold_confirmed = strcmp(PQgetvalue(r, 0, 17), "t") == 0;
		copy(l->created, sizeof(l->created), r, 19);
		copy(l->held, sizeof(l->held), r, 20);
	}
	PQclear(r);
	return res;
}

/* A leg of the tenant by CallSid; *found 0 when there is none. */
static enum db_result
leg_by(struct db_conn *c, const char *stmt, const char *tenant, const char *a2,
    const char *a3, struct leg *l, int *found)
{
	const char *params[3] = { tenant, a2, a3 };
	enum db_result res;

	*found = 0;
	if (a2 == NULL || a2[0] == '\0')
		return DB_OK;
	res = fetch(c, stmt, a3 != NULL ? 3 : 2, params, l);
	if (res == DB_NOTFOUND)
		return DB_OK;
	*found = res == DB_OK;
	return res;
}

/* The called agent of an agent-to-agent call (*id 0: none). */
static enum db_result
peer(struct db_conn *c, const char *tenant, const char *identity, long long *id)
{
	const char *params[2] = { tenant, identity };
	enum db_result res;
	PGresult *r;

	*id = 0;
	r = db_exec(c, "hold_user", 2, params, &res);
	if (res == DB_OK)
		*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return res == DB_NOTFOUND ? DB_OK : res;
}

enum db_result
hold_resolve(struct db_conn *c, long long tenant_id, const char *call_sid,
    struct hold_call *out)
{
	struct leg l, a, other, agent;
	char tenant[24];
	enum db_result res;
	int found, have_other = 0, have_agent = 0;

	memset(out, 0, sizeof(*out));
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	res = leg_by(c, "hold_leg", tenant, call_sid, NULL, &l, &found);
	if (res != DB_OK)
		return res;
	if (!found)
		return DB_NOTFOUND;
	snprintf(out->status, sizeof(out->status), "%s", l.status);
	snprintf(out->asked_sid, sizeof(out->asked_sid), "%s", l.sid);

	/* The anchor: the leg whose action sees the first bridge end. */
	a = l;
	if (l.bridge[0] == '\0' && l.conf_name[0] == '\0') {
		res = leg_by(c, "hold_by_agent_leg", tenant, l.sid, NULL, &a,
		    &found);
		/* a dedicated leg whose whisper was not stored: its parent */
		if (res == DB_OK && !found)
			res = leg_by(c, "hold_leg", tenant, l.parent, NULL, &a,
			    &found);
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
	snprintf(out->anchor_sid, sizeof(out->anchor_sid), "%s", a.sid);
	out->agent_user_id = a.agent;
	snprintf(out->direction, sizeof(out->direction), "%s", a.direction);
	snprintf(out->from, sizeof(out->from), "%s", a.from);
	snprintf(out->to, sizeof(out->to), "%s", a.to);
	snprintf(out->conference_state, sizeof(out->conference_state), "%s",
	    a.conf_state);
	out->hold = a.hold_wanted;
	out->hold_confirmed = a.hold_confirmed;
	out->ended = a.rank >= 4 || strcmp(a.conf_state, "ended") == 0;

	if (strcmp(a.bridge, "outbound") == 0 ||
	    strcmp(a.bridge, "client") == 0) {
		out->bridge =
		    strcmp(a.bridge, "outbound") == 0 ? "outbound" : "client";
		snprintf(out->agent_sid, sizeof(out->agent_sid), "%s", a.sid);
		if (out->bridge[0] == 'c' && strncmp(a.to, "client:", 7) == 0 &&
		    (res = peer(c, tenant, a.to + 7, &out->peer_user_id)) !=
			DB_OK)
			return res;
		res = leg_by(c, a.other_sid[0] ? "hold_leg" : "hold_child",
		    tenant, a.other_sid[0] ? a.other_sid : a.sid, NULL, &other,
		    &have_other);
		if (res != DB_OK)
			return res;
		if (have_other) {
			snprintf(out->other_sid, sizeof(out->other_sid), "%s",
			    other.sid);
			snprintf(out->held_sid, sizeof(out->held_sid), "%s",
			    a.held[0] ? a.held : other.sid);
			out->ended |= other.rank >= 4;
			out->bridged = strcmp(other.status, "in-progress") == 0;
		}
		return DB_OK;
	}
	if (strcmp(a.direction, "inbound") != 0)
		return DB_OK; /* not a call ramal knows how to hold */
	out->bridge = a.reservation[0] != '\0' ? "queue" : "dedicated";
	snprintf(out->other_sid, sizeof(out->other_sid), "%s", a.sid);
	snprintf(out->held_sid, sizeof(out->held_sid), "%s", a.sid);
	if (!have_agent && a.agent_sid[0] != '\0')
		res = leg_by(c, "hold_leg", tenant, a.agent_sid, NULL, &agent,
		    &have_agent);
	else if (!have_agent && out->bridge[0] == 'd')
		res = leg_by(c, "hold_child", tenant, a.sid, NULL, &agent,
		    &have_agent);
	if (res != DB_OK)
		return res;
	if (have_agent) {
		snprintf(out->agent_sid, sizeof(out->agent_sid), "%s",
		    agent.sid);
		out->ended |= agent.rank >= 4;
		/* the caller's own leg may have no status callback */
		out->bridged = strcmp(agent.status, "in-progress") == 0;
	}
	return DB_OK;
}

enum db_result
hold_request(struct db_conn *c, const struct hold_call *hc,
    const char *account_sid, int on)
{
	char id[24];
	const char *params[7];
	enum db_result res;
	json_t *payload = NULL;
	PGresult *r;
	int escalated;

	if ((res = db_simple(c, "BEGIN")) != DB_OK)
		return res;
	snprintf(id, sizeof(id), "%lld", hc->anchor_id);
	params[0] = id;
	params[1] = hc->anchor_sid;
	params[2] = on ? "true" : "false";
	params[3] = hc->bridge;
	params[4] = hc->agent_sid[0] ? hc->agent_sid : NULL;
	params[5] = hc->other_sid[0] ? hc->other_sid : NULL;
	/* agent to agent: the party the asked leg talks to */
	params[6] = NULL;
	if (strcmp(hc->bridge, "client") == 0 && hc->other_sid[0] != '\0')
		params[6] = strcmp(hc->asked_sid, hc->other_sid) == 0
		    ? hc->agent_sid
		    : hc->other_sid;
	/* the anchor was found in the caller's tenant: its id is enough */
	r = db_exec(c, "hold_mark", 7, params, &res);
	if (res == DB_NOTFOUND)
		res = DB_CONFLICT;
	escalated = res == DB_OK && !PQgetisnull(r, 0, 0);
	PQclear(r);
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


/* "true"/"false" of a Twilio boolean parameter, or NULL. */
static const char *
tw_bool(const char *v)
{
	if (v == NULL)
		return NULL;
	if (strcmp(v, "true") == 0)
		return "true";
	if (strcmp(v, "false") == 0)
		return "false";
	return NULL;
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
	const char *params[10], *hold = NULL, *muted = NULL, *state = NULL;
	char anchor_id[24], tenant[24], anchor_sid[35], target[35];
	int join, leave, wanted, p_hold = 0, p_left = 0;
	enum db_result res;
	json_t *payload;
	PGresult *r;

	if (event == NULL)
		event = "";
	res =
	    store_call_event(c, account, twparam_sid(call, "CA") ? call : NULL,
		PATH_CONFERENCE, received_at, json, replayed);
	if (res != DB_OK)
		return res;
	if (!twparam_sid(conf_sid, "CF") || name == NULL ||
	    strncmp(name, HOLD_CONF_PREFIX, strlen(HOLD_CONF_PREFIX)) != 0)
		return DB_OK; /* not one of ours: kept as an event only */
	params[0] = account;
	params[1] = name;
	params[2] = conf_sid;
	r = db_exec(c, "conf_anchor", 3, params, &res);
	if (res == DB_NOTFOUND) {
		PQclear(r);
		return DB_OK;
	}
	if (res != DB_OK) {
		PQclear(r);
		return res;
	}
	snprintf(anchor_id, sizeof(anchor_id), "%s", PQgetvalue(r, 0, 0));
	snprintf(anchor_sid, sizeof(anchor_sid), "%s", PQgetvalue(r, 0, 1));
	snprintf(tenant, sizeof(tenant), "%s", PQgetvalue(r, 0, 2));
	/* the party to hold (see hold_request) */
	copy(target, sizeof(target), r, 7);
	wanted = strcmp(PQgetvalue(r, 0, 5), "t") == 0;
	PQclear(r);

	if (strcmp(event, "conference-end") == 0) {
		params[0] = anchor_id;
		params[1] = "ended";
		params[2] = NULL;
		PQclear(db_exec(c, "conf_anchor_state", 3, params, &res));
		return res;
	}
	if (strncmp(event, "participant-", 12) != 0 || !twparam_sid(call, "CA"))
		return DB_OK;
	join = strcmp(event, "participant-join") == 0;
	leave = strcmp(event, "participant-leave") == 0;
	if (strcmp(event, "participant-hold") == 0)
		hold = "true";
	else if (strcmp(event, "participant-unhold") == 0)
		hold = "false";
	else if (join)
		hold = tw_bool(form_get(f, "Hold"));
	if (strcmp(event, "participant-mute") == 0)
		muted = "true";
	else if (strcmp(event, "participant-unmute") == 0)
		muted = "false";
	else if (join)
		muted = tw_bool(form_get(f, "Muted"));
	if (seq == NULL || seq[0] == '\0' || strlen(seq) > 9 ||
	    strspn(seq, "0123456789") != strlen(seq))
		seq = "-1";
	params[0] = tenant;
	params[1] = conf_sid;
	params[2] = name;
	params[3] = call;
	params[4] = join ? "true" : "false";
	params[5] = leave ? "true" : "false";
	params[6] = hold;
	params[7] = muted;
	params[8] = seq;
	params[9] = received_at;
	r = db_exec(c, "conf_participant", 10, params, &res);
	if (res == DB_OK) {
		p_hold = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		p_left = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	}
	PQclear(r);
	if (res != DB_OK || strcmp(call, target) != 0)
		return res;
	if (join && !p_left)
		state = "active";
	params[0] = anchor_id;
	params[1] = state;
	params[2] = p_hold ? "true" : "false";
	PQclear(db_exec(c, "conf_anchor_state", 3, params, &res));
	if (res != DB_OK || !join || p_left || p_hold == wanted)
		return res;
	/* the held party is in: the job sets its hold as the agent wants */
	payload = json_pack("{s:s}", "call_sid", anchor_sid);
	res = job_enqueue(c, HOLD_JOB_KIND, payload, NULL, 0, account);
	json_decref(payload);
	return res;
}

/*
 * Store one conference event: 0 stored, 1 not now (database unavailable:
 * spool it), -1 never (bad data).
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

static PGresult *
job_sql(const struct job *j, const char *sql, int n, const char *const *p,
    enum db_result *res)
{
	PGresult *r = PQexecParams(j->pg, sql, n, NULL, p, NULL, NULL, 0);

	*res = db_classify(r);
	if (*res != DB_OK && *res != DB_NOTFOUND)
		log_kv(LOG_ERROR, "hold job query failed", "detail",
		    r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL,
		    NULL);
	return r;
}

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
	const char *p[4] = { name, leg, want ? "true" : "false", anchor };
	char conf_sid[35], path[256], url[URL_MAX], why[320];
	struct twapi_resp resp;
	enum twapi_result tr;
	enum db_result res;
	struct form form;
	int rc;
	PGresult *r;

	r = job_sql(j,
	    "SELECT conference_sid, hold FROM conference_participants"
	    " WHERE conference_name = $1 AND call_sid = $2"
	    " AND left_at IS NULL ORDER BY id DESC LIMIT 1",
	    2, p, &res);
	if (res != DB_OK) {
		PQclear(r);
		/* not joined yet: its join event queues this job again */
		return res == DB_NOTFOUND ? JOB_DONE : JOB_RETRY;
	}
	snprintf(conf_sid, sizeof(conf_sid), "%s", PQgetvalue(r, 0, 0));
	rc = (strcmp(PQgetvalue(r, 0, 1), "t") == 0) == want;
	PQclear(r);
	if (rc)
		return JOB_DONE;
	memset(&resp, 0, sizeof(resp));
	form_init(&form);
	form_add(&form, "Hold", twapi_bool(want));
	if (want) {
		snprintf(url, sizeof(url), "%s" PATH_VOICE_HOLD,
		    cfg->base_url);
		form_add(&form, "HoldUrl", url);
		form_add(&form, "HoldMethod", "POST");
	}
	snprintf(path, sizeof(path),
	    "/2010-04-01/Accounts/%s/Conferences/%s/Participants/%s.json",
	    j->account_sid, conf_sid, leg);
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
	PQclear(job_sql(j,
	    "UPDATE conference_participants SET hold = $3::boolean,"
	    " updated_at = now() WHERE conference_name = $1 AND call_sid = $2",
	    3, p, &res));
	if ((res == DB_OK || res == DB_NOTFOUND) && confirm)
		PQclear(job_sql(j,
		    "UPDATE calls SET hold_confirmed = $1::boolean,"
		    " updated_at = now() WHERE call_sid = $2",
		    2, p + 2, &res));
	return res == DB_OK || res == DB_NOTFOUND ? JOB_DONE : JOB_RETRY;
}

int
hold_job(const struct job *j, char *err, size_t errlen)
{
	const struct config *cfg = j->cfg;
	const char *anchor = twapi_json_str(j->payload, "call_sid");
	const char *p[4];
	char name[CONF_NAME_MAX], state[16], bridge[16], agent[35], other[35],
	    held[35], path[256], why[320];
	const char *target, *moved, *free_leg;
	struct twapi_account tw;
	struct twapi_resp resp;
	struct twiml t;
	struct form form;
	enum db_result res;
	enum twapi_result tr;
	int wanted, rc = JOB_RETRY;
	PGresult *r;
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
	p[0] = anchor;
	PQclear(job_sql(j,
	    "SELECT pg_advisory_xact_lock(hashtext("
	    "'ramal-hold:' || $1))",
	    1, p, &res));
	if (res != DB_OK) {
		snprintf(err, errlen, "lock failed");
		goto out;
	}
	r = job_sql(j,
	    "SELECT coalesce(conference_name, ''),"
	    " coalesce(conference_state, ''), coalesce(bridge, ''),"
	    " coalesce(agent_call_sid, ''), coalesce(other_call_sid, ''),"
	    " hold_wanted, coalesce(held_call_sid, '')"
	    " FROM calls WHERE call_sid = $1",
	    1, p, &res);
	if (res != DB_OK) {
		PQclear(r);
		snprintf(err, errlen, "call not found");
		rc = res == DB_NOTFOUND ? JOB_FAIL : JOB_RETRY;
		goto out;
	}
	snprintf(name, sizeof(name), "%s", PQgetvalue(r, 0, 0));
	snprintf(state, sizeof(state), "%s", PQgetvalue(r, 0, 1));
	snprintf(bridge, sizeof(bridge), "%s", PQgetvalue(r, 0, 2));
	snprintf(agent, sizeof(agent), "%s", PQgetvalue(r, 0, 3));
	snprintf(other, sizeof(other), "%s", PQgetvalue(r, 0, 4));
	wanted = strcmp(PQgetvalue(r, 0, 5), "t") == 0;
	snprintf(held, sizeof(held), "%s", PQgetvalue(r, 0, 6));
	PQclear(r);
	log_ctx_call(anchor);

	/* outbound: the agent owns the <Dial>, so the callee is moved */
	if (strcmp(bridge, "outbound") == 0 || strcmp(bridge, "client") == 0) {
		moved = other;
		target = other;
		free_leg = agent;
	} else {
		moved = agent;
		target = anchor;
		free_leg = agent;
	}
	/* agent to agent: either agent may be the one held */
	if (held[0] != '\0' && strcmp(held, target) != 0) {
		free_leg = target;
		target = held;
	}

	if (strcmp(state, "requested") == 0) {
		if (!twparam_sid(moved, "CA")) {
			snprintf(err, errlen, "no leg to move");
			rc = JOB_FAIL;
			goto clear;
		}
		twiml_init(&t);
		if (hold_conference_twiml(&t, cfg, name) != 0 ||
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
			    "leg", moved, "conference", name, NULL);
			PQclear(job_sql(j,
			    "UPDATE calls SET conference_state = 'redirected',"
			    " updated_at = now() WHERE call_sid = $1"
			    " AND conference_state = 'requested'",
			    1, p, &res));
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
	if (strcmp(state, "redirected") != 0 && strcmp(state, "active") != 0) {
		rc = JOB_DONE; /* never escalated, or over */
		goto out;
	}
	/* the party asked for as wanted; the other one (a hold that moved
	 * from one agent to the other) never held */
	rc = participant_set(j, &tw.client, cfg, name, anchor, target, wanted,
	    1, err, errlen);
	if (rc == JOB_DONE && strcmp(free_leg, target) != 0 &&
	    twparam_sid(free_leg, "CA"))
		rc = participant_set(j, &tw.client, cfg, name, anchor, free_leg,
		    0, 0, err, errlen);
	goto out;

clear:
	/* the leg is gone: the action handlers must hang up, not join */
	log_kv(LOG_WARN, "hold: the call could not be moved; mark cleared",
	    "leg", moved, "why", err, NULL);
	p[0] = anchor;
	PQclear(job_sql(j,
	    "UPDATE calls SET conference_name = NULL, conference_state = NULL,"
	    " hold_wanted = false, hold_changed_at = now(), updated_at = now()"
	    " WHERE call_sid = $1 AND conference_state = 'requested'",
	    1, p, &res));
	/* done, not failed: a failed attempt would roll the clearing back */
	rc = res == DB_OK || res == DB_NOTFOUND ? JOB_DONE : JOB_RETRY;
out:
	log_ctx_call(NULL);
	twapi_resp_cleanup(&resp);
	form_cleanup(&form);
	twapi_account_close(&tw);
	return rc;
}
