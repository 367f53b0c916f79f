/*
 * Call status callbacks.  See include/calls/status.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "paths.h"
#include "callflow.h"
#include "db.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "spool.h"
#include "status.h"
#include "store_call.h"
#include "store_tr.h"
#include "taskrouter.h"
#include "twparam.h"
#include "util.h"

#define MAX_SPOOLED_PAIRS 512

int
status_rank(const char *s)
{
	static const char *const finals[] = { "completed", "busy", "failed",
		"no-answer", "canceled" };

	if (s == NULL)
		return -1;
	if (strcmp(s, "queued") == 0)
		return 0;
	if (strcmp(s, "initiated") == 0)
		return 1;
	if (strcmp(s, "ringing") == 0)
		return 2;
	if (strcmp(s, "in-progress") == 0)
		return 3;
	for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++)
		if (strcmp(s, finals[i]) == 0)
			return 4;
	return -1;
}

/*
 * A queued call's agent leg ended: queue the job that completes its task
 * (after the wrap-up), so the worker's capacity is free for the next call.
 * OUTCOME_LATER when the database did not answer: the caller keeps the
 * callback (spooled, or left in the spool) so that its replay queues the
 * job; the job's dedupe key makes a second queuing harmless.
 */
static enum outcome
task_call_ended(const struct store_call_status *st)
{
	struct store_tr_ended e;
	struct db_conn *c;
	enum db_result res;
	char dedupe[64];
	json_t *p;

	if ((c = db_acquire()) == NULL) {
		log_kv(LOG_WARN,
		    "the ended call's task completion is kept for later", "why",
		    "database unavailable", NULL);
		return OUTCOME_LATER;
	}
	res = store_tr_call_ended(c, st->account_sid, st->call_sid, &e);
	if (res == DB_OK) {
		p = json_pack("{s:s, s:s, s:I, s:b}", "task_sid", e.task_sid,
		    "workspace_sid", e.workspace_sid, "user_id",
		    (json_int_t)e.user_id, "call_ended", 1);
		snprintf(dedupe, sizeof(dedupe), "%s:%s",
		    TASKROUTER_JOB_COMPLETE, e.task_sid);
		res = job_enqueue(c, TASKROUTER_JOB_COMPLETE, p, dedupe, 0,
		    st->account_sid);
		json_decref(p);
	}
	db_release(c);
	if (res == DB_OK || res == DB_NOTFOUND)
		return OUTCOME_DONE;
	if (res == DB_INVALID) {
		log_kv(LOG_ERROR, "the ended call's task is not completed",
		    "why", "invalid data", NULL);
		return OUTCOME_DONE;
	}
	log_kv(LOG_WARN, "the ended call's task completion is kept for later",
	    "why", "job not queued", NULL);
	return OUTCOME_LATER;
}

enum outcome
status_apply(const struct form *f, const char *received_at, int replayed)
{
	struct store_call_status st;
	struct db_conn *c = NULL;
	char when[32], *json = NULL;
	const char *seq;
	enum db_result res;
	enum outcome result = OUTCOME_LATER;

	memset(&st, 0, sizeof(st));
	st.account_sid = form_get(f, "AccountSid");
	st.call_sid = form_get(f, "CallSid");
	if (!twparam_sid(st.call_sid, "CA")) {
		log_kv(LOG_WARN, "status callback without a valid CallSid",
		    NULL);
		return OUTCOME_NEVER;
	}
	st.parent_call_sid = form_get(f, "ParentCallSid");
	if (st.parent_call_sid != NULL &&
	    !twparam_sid(st.parent_call_sid, "CA"))
		st.parent_call_sid = NULL;
	st.direction = form_get(f, "Direction");
	st.from = form_get(f, "From");
	st.to = form_get(f, "To");
	st.status = form_get(f, "CallStatus");
	st.rank = status_rank(st.status);
	seq = form_get(f, "SequenceNumber");
	st.sequence = -1;
	if (seq != NULL && strspn(seq, "0123456789") == strlen(seq) &&
	    *seq != '\0' && strlen(seq) < 9)
		st.sequence = atol(seq);
	st.event_time =
	    twparam_rfc2822(form_get(f, "Timestamp"), when, sizeof(when)) == 0
	    ? when
	    : received_at;
	st.duration_s = form_get(f, "CallDuration");
	if (st.duration_s != NULL &&
	    (*st.duration_s == '\0' || strlen(st.duration_s) > 8 ||
		strspn(st.duration_s, "0123456789") != strlen(st.duration_s)))
		st.duration_s = NULL;
	st.sip_response_code = form_get(f, "SipResponseCode");
	if (st.sip_response_code != NULL &&
	    (strlen(st.sip_response_code) != 3 ||
		strspn(st.sip_response_code, "0123456789") != 3))
		st.sip_response_code = NULL;
	st.answered_by = form_get(f, "AnsweredBy");

	json = twparam_json(f);
	if (json == NULL)
		return OUTCOME_NEVER;
	/*
	 * One statement each way.  The known statuses share their commit
	 * and round trip with other callbacks arriving at the same time.
	 */
	if (st.rank >= 0)
		res = store_call_status(NULL, &st, PATH_STATUS, received_at,
		    json, replayed);
	else {
		log_kv(LOG_WARN, "unknown CallStatus kept as an event only",
		    "status", st.status, NULL);
		if ((c = db_acquire()) == NULL)
			goto out;
		res = store_call_event(c, st.account_sid, st.call_sid,
		    PATH_STATUS, received_at, json, replayed);
	}
	/*
	 * Bad data can never be stored, nor another tenant's call (logged
	 * by the store); anything else may work later.
	 */
	if (res == DB_OK) {
		/*
		 * Stored; an ended leg also needs its task's completion queued.
		 * Kept for a replay when that fails: the replay stores the
		 * callback again (the upsert is order-safe, call_events keeps
		 * duplicates) and queues the completion once.
		 */
		result = st.rank == 4 ? task_call_ended(&st) : OUTCOME_DONE;
	} else if (res == DB_FOREIGN)
		result = OUTCOME_REFUSED;
	else
		result = res == DB_INVALID ? OUTCOME_NEVER : OUTCOME_LATER;
out:
	db_release(c);
	free(json);
	return result;
}

enum outcome
status_replay(const char *route, const char *received_at, const char *body,
    size_t len)
{
	struct form f;
	enum outcome rc;

	(void)route;
	form_init(&f);
	if (form_parse(&f, body, len, MAX_SPOOLED_PAIRS) != 0) {
		form_cleanup(&f);
		return OUTCOME_NEVER;
	}
	log_ctx_call(form_get(&f, "CallSid"));
	rc = status_apply(&f, received_at, 1);
	log_ctx_call(NULL);
	form_cleanup(&f);
	return rc;
}

int
status_callback(struct http_req *r)
{
	char received_at[32];
	const char *body;
	size_t len;

	util_rfc3339_now(received_at, sizeof(received_at));
	switch (status_apply(http_req_form(r), received_at, 0)) {
	case OUTCOME_DONE:
		break;
	case OUTCOME_NEVER:
	case OUTCOME_REFUSED: /* answered as invalid data: Twilio never retries */
		return http_reply_error(r, 400,
		    "status callback cannot be stored (see the log)");
	case OUTCOME_LATER:
		body = http_req_body(r, &len);
		if (spool_put(PATH_STATUS, received_at, body, len) != 0)
			return http_reply_error(r, 503,
			    "temporarily unavailable");
		log_kv(LOG_WARN,
		    "status callback spooled: database unavailable", NULL);
		break;
	}
	return callflow_reply_empty(r);
}
