/*
 * Agent status and the agent list.  See include/api/agents.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agents.h"
#include "auth.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "store_events.h"
#include "store_tr.h"
#include "taskrouter.h"
#include "twapi.h"
#include "util.h"



const char *
agents_status_valid(const char *s)
{
	static const char *const ok[] = { "available", "busy", "offline" };

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(s, ok[i]) == 0)
			return ok[i];
	return NULL;
}

/* Set user_id's status from the request body and answer. */
static int
set_status(struct http_req *r, long long user_id)
{
	const struct auth_user *u = auth_user_of(r);
	json_t *body = http_req_json(r), *payload;
	const char *status = agents_status_valid(
	    json_string_value(json_object_get(body, "status")));
	struct store_events_status st;
	struct db_conn *c;
	enum db_result res;
	const char *sync;

	if (!json_is_object(body) || status == NULL)
		return http_reply_error(r, 400,
		    "send JSON {\"status\": \"available\" | \"busy\" | "
		    "\"offline\"}");
	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	if ((res = db_simple(c, "BEGIN")) != DB_OK)
		goto fail;
	res = store_events_agent_status(c, user_id, u->tenant_id, status, &st);
	if (res == DB_NOTFOUND) {
		db_simple(c, "ROLLBACK");
		db_release(c);
		return http_reply_error(r, 404, "no such agent");
	}
	if (res != DB_OK)
		goto fail;
	if (!st.changed) {
		db_simple(c, "ROLLBACK");
		db_release(c);
		return http_reply_error(r, 409,
		    "the agent is on a call; end it before going offline");
	}
	if (st.sync) {
		payload = json_pack("{s:I}", "user_id", (json_int_t)user_id);
		res = job_enqueue(c, AGENTS_JOB_ACTIVITY, payload, NULL, 0,
		    u->account_sid);
		json_decref(payload);
		if (res != DB_OK)
			goto fail;
	}
	if ((res = db_simple(c, "COMMIT")) != DB_OK)
		goto fail;
	db_release(c);
	sync = st.sync ? "pending" : "none";
	log_kv(LOG_INFO, "agent status set", "status", st.status,
	    "activity_sync", sync, NULL);
	return http_reply_json(r, 200,
	    json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)user_id,
		"status", st.status, "since", st.since, "activity_sync", sync));
fail:
	if (res != DB_UNAVAILABLE)
		db_simple(c, "ROLLBACK");
	db_release(c);
	if (res == DB_UNAVAILABLE)
		return http_reply_error(r, 503, "temporarily unavailable");
	return -1;
}

int
agents_status_me(struct http_req *r)
{
	return set_status(r, auth_user_of(r)->id);
}

int
agents_wrapup_end(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	struct db_conn *c;
	enum db_result res;
	char id[24];

	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	if ((res = db_simple(c, "BEGIN")) != DB_OK)
		goto fail;
	res = store_tr_wrapup_end(c, u->id);
	if (res == DB_NOTFOUND) {
		db_simple(c, "ROLLBACK");
		db_release(c);
		return http_reply_error(r, 409, "the agent is not in wrap-up");
	}
	if (res != DB_OK)
		goto fail;
	snprintf(id, sizeof(id), "%lld", u->id);
	res = job_run_now(c, TASKROUTER_JOB_COMPLETE, "user_id", id);
	if (res != DB_OK && res != DB_NOTFOUND)
		goto fail;
	if ((res = db_simple(c, "COMMIT")) != DB_OK)
		goto fail;
	db_release(c);
	log_kv(LOG_INFO, "wrap-up ended by the agent", NULL);
	return http_reply_json(r, 200,
	    json_pack("{s:I, s:s}", "id", (json_int_t)u->id, "status",
		"available"));
fail:
	if (res != DB_UNAVAILABLE)
		db_simple(c, "ROLLBACK");
	db_release(c);
	if (res == DB_UNAVAILABLE)
		return http_reply_error(r, 503, "temporarily unavailable");
	return -1;
}

int
agents_status_other(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	const char *p = http_req_param(r, 0);
	long long id;

	if (p == NULL || strlen(p) > 18 ||
	    strspn(p, "0123456789") != strlen(p) ||
	    (id = strtoll(p, NULL, 10)) <= 0)
		return http_reply_error(r, 404, "no such agent");
	/* Agents only for themselves; the tenant check is in the query. */
	if (!auth_may_act_for(u, id))
		return http_reply_error(r, 403,
		    "only supervisors and admins change another agent's "
		    "status");
	return set_status(r, id);
}

int
agents_list(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	struct db_conn *c;
	enum db_result res;
	json_t *list = NULL;

	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	res = store_events_agents(c, u->tenant_id, &list);
	db_release(c);
	if (res == DB_UNAVAILABLE)
		return http_reply_error(r, 503, "temporarily unavailable");
	if (res != DB_OK)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:o}", "agents", list));
}

/* ---- the job ---- */

int
agents_job_activity(const struct job *j, char *err, size_t errlen)
{
	json_int_t id =
	    json_integer_value(json_object_get(j->payload, "user_id"));
	struct store_events_sync s;
	struct twapi_client tw;
	struct twapi_resp resp;
	struct form f;
	char path[160], why[400];
	enum twapi_result tr;
	int rc;

	if (id <= 0) {
		snprintf(err, errlen, "payload has no user_id");
		return JOB_FAIL;
	}
	switch (store_events_agent_sync(j->pg, (long long)id, &s)) {
	case DB_OK:
		break;
	case DB_NOTFOUND:
		log_kv(LOG_INFO,
		    "agent activity not synced: no worker or no TaskRouter "
		    "configuration",
		    NULL);
		return JOB_DONE;
	default:
		snprintf(err, errlen, "cannot read the agent's worker");
		return JOB_RETRY;
	}
	if (j->cfg == NULL || j->cfg->twilio_account_sid == NULL ||
	    strcmp(s.account_sid, j->cfg->twilio_account_sid) != 0) {
		snprintf(err, errlen,
		    "TaskRouter of subaccounts is not supported yet");
		return JOB_FAIL;
	}
	if (twapi_client_init(&tw, j->cfg) != 0) {
		snprintf(err, errlen, "no Twilio credentials");
		return JOB_FAIL;
	}
	snprintf(path, sizeof(path), "/v1/Workspaces/%s/Workers/%s",
	    s.workspace_sid, s.worker_sid);
	form_init(&f);
	form_add(&f, "ActivitySid", s.activity_sid);
	/* Reservations offered meanwhile would ring an unavailable agent. */
	if (strcmp(s.status, "available") != 0)
		form_add(&f, "RejectPendingReservations", twapi_bool(1));
	memset(&resp, 0, sizeof(resp));
	tr = twapi_post(&tw, TWAPI_TASKROUTER, path, &f, &resp);
	form_cleanup(&f);
	if (tr == TWAPI_OK) {
		log_kv(LOG_INFO, "TaskRouter worker activity set", "worker",
		    s.worker_sid, "status", s.status, NULL);
		rc = JOB_DONE;
	} else {
		twapi_describe(&resp, why, sizeof(why));
		snprintf(err, errlen, "updating worker %s: %s", s.worker_sid,
		    why);
		rc = tr == TWAPI_HTTP_ERROR && resp.status >= 400 &&
			resp.status < 500 && resp.status != 429
		    ? JOB_FAIL
		    : JOB_RETRY;
	}
	twapi_resp_cleanup(&resp);
	return rc;
}
