/*
 * TaskRouter assignment and event callbacks.  See include/calls/taskrouter.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "paths.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "spool.h"
#include "store_events.h"
#include "store_scope.h"
#include "store_tr.h"
#include "taskrouter.h"
#include "twapi.h"
#include "twparam.h"
#include "util.h"

#define MAX_SPOOLED_PAIRS 512
#define TIME_MIN_S 946684800LL /* 2000-01-01 */
#define TIME_MAX_S 4102444800LL /* 2100-01-01 */

static int
all_digits(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= max && strspn(s, "0123456789") == n;
}

static int
format_ms(long long ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[24];

	if (ms / 1000 < TIME_MIN_S || ms / 1000 > TIME_MAX_S ||
	    gmtime_r(&t, &tm) == NULL)
		return -1;
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03dZ", day, (int)(ms % 1000));
	return 0;
}

int
taskrouter_parse_time(const char *timestamp_ms, const char *timestamp,
    char *out, size_t len)
{
	struct tm tm;
	const char *end;
	long long secs, frac = 0;

	if (all_digits(timestamp_ms, 16))
		return format_ms(strtoll(timestamp_ms, NULL, 10), out, len);
	if (timestamp == NULL || *timestamp == '\0')
		return -1;
	if (isdigit((unsigned char)timestamp[0]) &&
	    strspn(timestamp, "0123456789") <= 12 &&
	    (timestamp[strspn(timestamp, "0123456789")] == '\0' ||
		timestamp[strspn(timestamp, "0123456789")] == '.')) {
		const char *dot = strchr(timestamp, '.');

		secs = strtoll(timestamp, NULL, 10);
		if (dot != NULL) {
			int digits = 0;

			for (const char *q = dot + 1; *q; q++) {
				if (!isdigit((unsigned char)*q))
					return -1;
				if (digits < 3) {
					frac = frac * 10 + (*q - '0');
					digits++;
				}
			}
			while (digits++ < 3)
				frac *= 10;
		}
		return format_ms(secs * 1000 + frac, out, len);
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(timestamp, "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (end != NULL && *end == '\0') {
		/* Read the offset first: timegm() resets tm_gmtoff. */
		long long off = tm.tm_gmtoff;

		return format_ms(((long long)timegm(&tm) - off) * 1000, out,
		    len);
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(timestamp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	if (*end == '.') {
		int digits = 0;

		for (end++; isdigit((unsigned char)*end); end++)
			if (digits < 3) {
				frac = frac * 10 + (*end - '0');
				digits++;
			}
		while (digits++ < 3)
			frac *= 10;
	}
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
		return -1;
	return format_ms((long long)timegm(&tm) * 1000 + frac, out, len);
}

const char *
taskrouter_activity_status(const char *name)
{
	static const struct {
		const char *name, *status;
	} map[] = {
		{ "Available", "available" },
		{ "Busy", "busy" },
		{ "Wrap-up", "wrapup" },
		{ "Wrapup", "wrapup" },
		{ "Wrap up", "wrapup" },
		{ "Offline", "offline" },
	};

	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(name, map[i].name) == 0)
			return map[i].status;
	return NULL;
}

/* A JSON object parameter (TaskAttributes...): new reference or NULL. */
static json_t *
json_param(const struct form *f, const char *name)
{
	const char *text = form_get(f, name);
	json_t *v;

	if (text == NULL)
		return NULL;
	v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static const char *
json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *
sid_or_null(const struct form *f, const char *name, const char *prefix)
{
	const char *v = form_get(f, name);

	return twparam_sid(v, prefix) ? v : NULL;
}

/*
 * Is a SID of this callback (its task's call, the task, the reservation,
 * the worker) another tenant's?  DB_FOREIGN then (logged), else DB_OK or
 * the failure.  The task and reservation upserts are scoped as well;
 * this refuses the whole callback, its raw event included.
 */
static enum db_result
scope_check(struct db_conn *c, const struct form *f, const json_t *attrs)
{
	const char *call = json_str(attrs, "call_sid");
	struct store_scope sc;

	memset(&sc, 0, sizeof(sc));
	sc.account_sid = form_get(f, "AccountSid");
	sc.call_sid = twparam_sid(call, "CA") ? call : NULL;
	sc.task_sid = sid_or_null(f, "TaskSid", "WT");
	sc.reservation_sid = sid_or_null(f, "ReservationSid", "WR");
	sc.worker_sid = sid_or_null(f, "WorkerSid", "WK");
	return store_scope_check(c, &sc);
}

/* ---- assignment callback ---- */

/*
 * The address to ring for a worker: its contact_uri when it is
 * client:<identity> or an E.164 number, else client:<identity>.  0 / -1.
 */
static int
worker_contact(const json_t *attrs, char *out, size_t len)
{
	const char *uri = json_str(attrs, "contact_uri");
	const char *id = json_str(attrs, "identity");

	if (uri != NULL && strncmp(uri, "client:", 7) == 0 &&
	    twparam_identity(uri + 7)) {
		snprintf(out, len, "%s", uri);
		return 0;
	}
	if (uri != NULL && uri[0] == '+' && all_digits(uri + 1, 15)) {
		snprintf(out, len, "%s", uri);
		return 0;
	}
	if (twparam_identity(id)) {
		snprintf(out, len, "client:%s", id);
		return 0;
	}
	return -1;
}

/* A caller ID we can hand back: printable, short, non-empty. */
static int
valid_caller(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * Record what an assignment callback tells (the raw callback, the task,
 * the reservation and the call's task), best effort: the event callbacks
 * carry the same facts, so nothing is lost when the database is down.
 * OUTCOME_REFUSED (logged, nothing recorded) when a SID of it is another
 * tenant's; LATER when the callback should spool it (its budget ran out,
 * or a replay while the database is down).
 */
static enum outcome
assignment_record(const struct form *f, const json_t *task,
    const char *received_at, int replayed)
{
	const char *account = form_get(f, "AccountSid");
	const char *wr = form_get(f, "ReservationSid");
	const char *wt = form_get(f, "TaskSid");
	const char *wk = form_get(f, "WorkerSid");
	const char *call = json_str(task, "call_sid");
	const char *prio = form_get(f, "TaskPriority");
	char when[32], *json = NULL, *attrs = NULL;
	struct store_tr_event ev;
	struct store_tr_task t;
	struct store_tr_reservation rv;
	struct db_conn *c = NULL;
	enum db_result res = DB_UNAVAILABLE;
	enum outcome result = OUTCOME_LATER;
	char limit[64];

	if (!twparam_sid(call, "CA"))
		call = NULL;
	if (!twparam_sid(wk, "WK"))
		wk = NULL;
	if (taskrouter_parse_time(form_get(f, "TimestampMs"),
		form_get(f, "Timestamp"), when, sizeof(when)) != 0)
		snprintf(when, sizeof(when), "%s", received_at);
	json = twparam_json(f);
	attrs = task ? json_dumps(task, JSON_COMPACT) : NULL;
	if (json == NULL) {
		result = OUTCOME_NEVER;
		goto out;
	}
	if ((c = db_acquire()) == NULL) {
		result = replayed ? OUTCOME_LATER : OUTCOME_NEVER;
		goto out;
	}
	/*
	 * In the callback each of the five statements may take a fifth of
	 * TASKROUTER_ASSIGNMENT_DB_MS; a replay from the spool has 10 s.
	 */
	snprintf(limit, sizeof(limit), "SET LOCAL statement_timeout = %d",
	    replayed ? 10000 : TASKROUTER_ASSIGNMENT_DB_MS / 5);
	if ((res = db_simple(c, "BEGIN")) != DB_OK ||
	    (res = db_simple(c, limit)) != DB_OK)
		goto fail;
	if ((res = scope_check(c, f, task)) != DB_OK)
		goto fail;

	memset(&ev, 0, sizeof(ev));
	ev.account_sid = account;
	ev.event_type = "assignment";
	ev.resource_type = "reservation";
	ev.resource_sid = wr;
	ev.event_at = when;
	ev.received_at = received_at;
	ev.params_json = json;
	if ((res = store_tr_event_insert(c, &ev)) != DB_OK)
		goto fail;

	memset(&t, 0, sizeof(t));
	t.account_sid = account;
	t.task_sid = wt;
	t.workspace_sid = twparam_sid(form_get(f, "WorkspaceSid"), "WS")
	    ? form_get(f, "WorkspaceSid")
	    : NULL;
	t.workflow_sid = twparam_sid(form_get(f, "WorkflowSid"), "WW")
	    ? form_get(f, "WorkflowSid")
	    : NULL;
	t.task_queue_sid = twparam_sid(form_get(f, "TaskQueueSid"), "WQ")
	    ? form_get(f, "TaskQueueSid")
	    : NULL;
	t.call_sid = call;
	t.attributes_json = attrs;
	t.assignment_status = "reserved";
	t.priority = all_digits(prio, 9) ? prio : NULL;
	t.event_at = when;
	if ((res = store_tr_task_upsert(c, &t)) != DB_OK)
		goto fail;

	memset(&rv, 0, sizeof(rv));
	rv.account_sid = account;
	rv.reservation_sid = wr;
	rv.task_sid = wt;
	rv.worker_sid = wk;
	rv.call_sid = call;
	rv.status = "pending";
	rv.event_at = when;
	if ((res = store_tr_reservation_upsert(c, &rv)) != DB_OK)
		goto fail;
	if (call != NULL) {
		res = store_tr_call_link(c, account, call, wt, NULL, NULL);
		if (res != DB_OK && res != DB_NOTFOUND)
			goto fail;
	}
	/* The softphone's popup: only while the call still rings. */
	if (!replayed && call != NULL && wk != NULL) {
		const char *from = json_str(task, "from");
		const char *to = json_str(task, "to");

		res = store_events_call_incoming(c, account, wk, call,
		    valid_caller(from) ? from : "", to ? to : "");
		if (res != DB_OK && res != DB_NOTFOUND)
			goto fail;
	}
	if ((res = db_simple(c, "COMMIT")) == DB_OK) {
		result = OUTCOME_DONE;
		goto out;
	}
fail:
	if (res != DB_UNAVAILABLE)
		db_simple(c, "ROLLBACK");
	/*
	 * Another tenant's SID: nothing recorded (logged by the scope
	 * check).  Otherwise the callback spools what ran out of its budget
	 * (DB_ERR: the statement timeout) to record it afterwards; with the
	 * database down the event callbacks (spooled) carry the same facts.
	 * A replay keeps it only while the database is down.
	 */
	if (res == DB_FOREIGN)
		result = OUTCOME_REFUSED;
	else if (replayed)
		result = res == DB_UNAVAILABLE ? OUTCOME_LATER : OUTCOME_NEVER;
	else
		result = res == DB_ERR ? OUTCOME_LATER : OUTCOME_NEVER;
out:
	db_release(c);
	free(json);
	free(attrs);
	return result;
}

enum outcome
taskrouter_assignment_replay(const char *route, const char *received_at,
    const char *body, size_t len)
{
	struct form f;
	json_t *task;
	enum outcome rc;

	(void)route;
	form_init(&f);
	if (form_parse(&f, body, len, MAX_SPOOLED_PAIRS) != 0) {
		form_cleanup(&f);
		return OUTCOME_NEVER;
	}
	task = json_param(&f, "TaskAttributes");
	rc = assignment_record(&f, task, received_at, 1);
	if (rc == OUTCOME_DONE)
		log_kv(LOG_INFO, "spooled assignment callback recorded",
		    "reservation", form_get(&f, "ReservationSid"), NULL);
	json_decref(task);
	form_cleanup(&f);
	return rc;
}

static int
reject(struct http_req *r, const char *why, const char *wr, const char *wt)
{
	log_kv(LOG_WARN, "TaskRouter reservation rejected", "reason", why,
	    "reservation", wr, "task", wt, NULL);
	return http_reply_json(r, 200,
	    json_pack("{s:s}", "instruction", "reject"));
}

int
taskrouter_assignment(struct http_req *r)
{
	const struct form *f = http_req_form(r);
	const struct config *cfg = http_req_config(r);
	const char *wr = form_get(f, "ReservationSid");
	const char *wt = form_get(f, "TaskSid");
	const char *call, *from, *tdid, *caller_id, *body;
	json_t *task = NULL, *worker = NULL, *instr;
	size_t len;
	char to[160], received_at[32];
	struct buf url, status;
	int rc;

	util_rfc3339_now(received_at, sizeof(received_at));
	if (!twparam_sid(wr, "WR") || !twparam_sid(wt, "WT"))
		return reject(r, "no valid ReservationSid/TaskSid", NULL, NULL);
	task = json_param(f, "TaskAttributes");
	worker = json_param(f, "WorkerAttributes");
	log_ctx_call(json_str(task, "call_sid"));
	/*
	 * TaskRouter waits 5 s for the answer and retries a slow callback:
	 * the bookkeeping gets a fixed budget, and what does not fit is
	 * spooled and recorded after the answer.
	 */
	switch (assignment_record(f, task, received_at, 0)) {
	case OUTCOME_DONE:
		break;
	case OUTCOME_REFUSED:
		rc = reject(r, "another tenant's task, reservation or call", wr,
		    wt);
		goto out;
	case OUTCOME_LATER:
		body = http_req_body(r, &len);
		if (spool_put(PATH_TR_ASSIGNMENT_RECORD, received_at, body,
			len) == 0) {
			log_kv(LOG_WARN,
			    "assignment recorded later: the database did not "
			    "answer within the budget",
			    "reservation", wr, NULL);
			break;
		}
		/* FALLTHROUGH */
	case OUTCOME_NEVER:
		log_kv(LOG_WARN, "assignment not recorded (answered anyway)",
		    "reservation", wr, NULL);
		break;
	}

	call = json_str(task, "call_sid");
	from = json_str(task, "from");
	tdid = json_str(task, "to");
	if (!twparam_sid(call, "CA")) {
		rc = reject(r, "not a voice task (no call_sid)", wr, wt);
		goto out;
	}
	if (!valid_caller(from)) {
		rc = reject(r, "the task has no caller (from)", wr, wt);
		goto out;
	}
	if (worker_contact(worker, to, sizeof(to)) != 0) {
		rc = reject(r, "the worker has no contact_uri or identity", wr,
		    wt);
		goto out;
	}
	/*
	 * Calling a phone, Twilio needs a number of the account as from
	 * (40111): the DID the caller dialled, else the tenant's caller ID.
	 * A client: leg shows the caller.
	 */
	caller_id = from;
	if (to[0] == '+') {
		if (tdid != NULL && tdid[0] == '+' && all_digits(tdid + 1, 15))
			caller_id = tdid;
		else if (cfg->twilio_caller_id != NULL)
			caller_id = cfg->twilio_caller_id;
		else {
			rc = reject(r,
			    "no number of the account to call the worker's "
			    "phone from",
			    wr, wt);
			goto out;
		}
	}
	buf_init(&url, 4096);
	buf_init(&status, 4096);
	if (buf_printf(&url,
		"%s" PATH_VOICE_WHISPER "?reason=overflow&reservation=%s&task=%s"
		"&call=%s",
		cfg->base_url, wr, wt, call) != 0 ||
	    buf_printf(&status, "%s" PATH_STATUS, cfg->base_url) != 0) {
		buf_cleanup(&url);
		buf_cleanup(&status);
		rc = reject(r, "URL too long", wr, wt);
		goto out;
	}
	/*
	 * No "accept": the whisper's <Dial><Queue reservationSid> accepts the
	 * reservation when it bridges, and a reservation is accepted once
	 * (14215 otherwise).
	 */
	instr = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "instruction",
	    "call", "to", to, "from", caller_id, "url", buf_cstr(&url),
	    "timeout", TASKROUTER_CALL_TIMEOUT_S, "status_callback_url",
	    buf_cstr(&status));
	buf_cleanup(&url);
	buf_cleanup(&status);
	log_kv(LOG_INFO, "TaskRouter reservation: calling the agent",
	    "reservation", wr, "task", wt, "to", to, NULL);
	rc = http_reply_json(r, 200, instr);
out:
	json_decref(task);
	json_decref(worker);
	return rc;
}

/* ---- event callback ---- */

/* The reservation status an event type means, or NULL. */
static const char *
reservation_status(const char *type)
{
	static const struct {
		const char *event, *status;
	} map[] = {
		{ "reservation.created", "pending" },
		{ "reservation.accepted", "accepted" },
		{ "reservation.rejected", "rejected" },
		{ "reservation.timeout", "timeout" },
		{ "reservation.canceled", "canceled" },
		{ "reservation.rescinded", "rescinded" },
		{ "reservation.wrapup", "wrapping" },
		{ "reservation.completed", "completed" },
		{ "reservation.failed", "failed" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(type, map[i].event) == 0)
			return map[i].status;
	return NULL;
}

/* The task part of an event.  A db_result. */
static enum db_result
apply_task(struct db_conn *c, const struct form *f, const json_t *attrs,
    const char *attrs_text, const char *when, const char *type)
{
	const char *account = form_get(f, "AccountSid");
	const char *wt = form_get(f, "TaskSid");
	const char *call = json_str(attrs, "call_sid");
	const char *status = form_get(f, "TaskAssignmentStatus");
	const char *prio = form_get(f, "TaskPriority");
	const char *wr = NULL, *wk = NULL, *rstatus;
	struct store_tr_task t;
	enum db_result res;

	if (!twparam_sid(call, "CA"))
		call = NULL;
	memset(&t, 0, sizeof(t));
	t.account_sid = account;
	t.task_sid = wt;
	t.workspace_sid = sid_or_null(f, "WorkspaceSid", "WS");
	t.workflow_sid = sid_or_null(f, "WorkflowSid", "WW");
	t.task_queue_sid = sid_or_null(f, "TaskQueueSid", "WQ");
	t.call_sid = call;
	t.attributes_json = attrs_text;
	t.assignment_status = store_tr_task_rank(status) >= 0 ? status : NULL;
	t.reason = form_get(f, "TaskCanceledReason");
	if (t.reason == NULL || *t.reason == '\0')
		t.reason = form_get(f, "TaskCompletedReason");
	if (t.reason != NULL && *t.reason == '\0')
		t.reason = NULL;
	t.priority = all_digits(prio, 9) ? prio : NULL;
	t.event_at = when;
	if ((res = store_tr_task_upsert(c, &t)) != DB_OK)
		return res;
	if (call == NULL)
		return DB_OK;
	/* The call keeps the reservation its agent took. */
	rstatus = strncmp(type, "reservation.", 12) == 0
	    ? reservation_status(type)
	    : NULL;
	if (rstatus != NULL &&
	    (strcmp(rstatus, "accepted") == 0 ||
		strcmp(rstatus, "wrapping") == 0 ||
		strcmp(rstatus, "completed") == 0)) {
		wr = sid_or_null(f, "ReservationSid", "WR");
		wk = sid_or_null(f, "WorkerSid", "WK");
	}
	res = store_tr_call_link(c, account, call, wt, wr, wk);
	return res == DB_NOTFOUND ? DB_OK : res;
}

static enum db_result
apply_reservation(struct db_conn *c, const struct form *f, const json_t *attrs,
    const char *when, const char *status)
{
	struct store_tr_reservation rv;
	const char *call = json_str(attrs, "call_sid");

	memset(&rv, 0, sizeof(rv));
	rv.account_sid = form_get(f, "AccountSid");
	rv.reservation_sid = form_get(f, "ReservationSid");
	rv.task_sid = form_get(f, "TaskSid");
	rv.worker_sid = sid_or_null(f, "WorkerSid", "WK");
	rv.call_sid = twparam_sid(call, "CA") ? call : NULL;
	rv.status = status;
	rv.event_at = when;
	return store_tr_reservation_upsert(c, &rv);
}

static enum db_result
apply_worker(struct db_conn *c, const struct form *f, const char *when)
{
	const char *wk = form_get(f, "WorkerSid");
	const char *activity = form_get(f, "WorkerActivityName");
	const char *version = form_get(f, "WorkerVersion");
	const char *status = taskrouter_activity_status(activity);
	enum db_result res;

	if (!twparam_sid(wk, "WK"))
		return DB_OK;
	if (status == NULL) {
		log_kv(LOG_INFO, "TaskRouter activity has no agent status",
		    "worker", wk, "activity", activity, NULL);
		return DB_OK;
	}
	res = store_tr_worker_activity(c, form_get(f, "AccountSid"), wk, status,
	    when, all_digits(version, 18) ? version : NULL);
	if (res == DB_NOTFOUND) {
		log_kv(LOG_DEBUG,
		    "worker activity not applied (no such agent or older)",
		    "worker", wk, "activity", activity, NULL);
		res = DB_OK;
	}
	return res;
}

enum outcome
taskrouter_event_apply(const struct form *f, const char *received_at,
    int replayed)
{
	const char *account = form_get(f, "AccountSid");
	const char *type = form_get(f, "EventType");
	const char *wt = form_get(f, "TaskSid");
	const char *rstatus = NULL;
	struct store_tr_event ev;
	struct db_conn *c = NULL;
	json_t *attrs = NULL;
	char when[32], *json = NULL, *attrs_text = NULL;
	enum db_result res = DB_OK;
	enum outcome result = OUTCOME_LATER;
	int handled = 0;

	if (!twparam_sid(account, "AC")) {
		log_kv(LOG_WARN, "TaskRouter event without a valid AccountSid",
		    NULL);
		return OUTCOME_NEVER;
	}
	if (type == NULL || *type == '\0' || strlen(type) > 100)
		type = "unknown";
	if (taskrouter_parse_time(form_get(f, "TimestampMs"),
		form_get(f, "Timestamp"), when, sizeof(when)) != 0)
		snprintf(when, sizeof(when), "%s", received_at);
	attrs = json_param(f, "TaskAttributes");
	if (attrs != NULL)
		attrs_text = json_dumps(attrs, JSON_COMPACT);
	json = twparam_json(f);
	if (json == NULL) {
		result = OUTCOME_NEVER;
		goto out;
	}

	if ((c = db_acquire()) == NULL)
		goto out;
	if ((res = db_simple(c, "BEGIN")) != DB_OK)
		goto fail;
	if ((res = scope_check(c, f, attrs)) != DB_OK)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.account_sid = account;
	ev.event_type = type;
	ev.resource_type = form_get(f, "ResourceType");
	ev.resource_sid = form_get(f, "ResourceSid");
	ev.event_sid = form_get(f, "Sid");
	ev.event_at = when;
	ev.received_at = received_at;
	ev.params_json = json;
	ev.replayed = replayed;
	if ((res = store_tr_event_insert(c, &ev)) != DB_OK) {
		if (res == DB_NOTFOUND) {
			log_kv(LOG_WARN,
			    "TaskRouter event of an unknown account", "account",
			    account, NULL);
			res = DB_INVALID;
		}
		goto fail;
	}
	if (twparam_sid(wt, "WT") &&
	    (strncmp(type, "task.", 5) == 0 ||
		strncmp(type, "reservation.", 12) == 0 ||
		strncmp(type, "task-queue.", 11) == 0)) {
		if ((res = apply_task(c, f, attrs, attrs_text, when, type)) !=
		    DB_OK)
			goto fail;
		handled = 1;
	}
	if (strncmp(type, "reservation.", 12) == 0)
		rstatus = reservation_status(type);
	if (rstatus != NULL &&
	    twparam_sid(form_get(f, "ReservationSid"), "WR") &&
	    twparam_sid(wt, "WT")) {
		res = apply_reservation(c, f, attrs, when, rstatus);
		if (res != DB_OK)
			goto fail;
		handled = 1;
	}
	if (strcmp(type, "worker.activity.update") == 0 ||
	    strcmp(type, "worker.created") == 0) {
		if ((res = apply_worker(c, f, when)) != DB_OK)
			goto fail;
		handled = 1;
	}
	if ((res = db_simple(c, "COMMIT")) != DB_OK)
		goto fail;
	if (!handled)
		log_kv(LOG_INFO, "TaskRouter event stored only", "type", type,
		    "resource", form_get(f, "ResourceSid"), NULL);
	result = OUTCOME_DONE;
	goto out;
fail:
	if (res != DB_UNAVAILABLE)
		db_simple(c, "ROLLBACK");
	/*
	 * Bad data can never be stored, nor what is another tenant's
	 * (logged by the store); anything else may work later.
	 */
	if (res == DB_FOREIGN)
		result = OUTCOME_REFUSED;
	else
		result = res == DB_INVALID ? OUTCOME_NEVER : OUTCOME_LATER;
out:
	db_release(c);
	json_decref(attrs);
	free(attrs_text);
	free(json);
	return result;
}

enum outcome
taskrouter_replay(const char *route, const char *received_at, const char *body,
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
	rc = taskrouter_event_apply(&f, received_at, 1);
	form_cleanup(&f);
	return rc;
}

int
taskrouter_events(struct http_req *r)
{
	char received_at[32];
	const char *body;
	size_t len;

	util_rfc3339_now(received_at, sizeof(received_at));
	switch (taskrouter_event_apply(http_req_form(r), received_at, 0)) {
	case OUTCOME_DONE:
		break;
	case OUTCOME_NEVER:
	case OUTCOME_REFUSED: /* answered as invalid data */
		return http_reply_error(r, 400,
		    "TaskRouter event cannot be stored (see the log)");
	case OUTCOME_LATER:
		body = http_req_body(r, &len);
		if (spool_put(PATH_TR_EVENTS, received_at, body, len) !=
		    0)
			return http_reply_error(r, 503,
			    "temporarily unavailable");
		log_kv(LOG_WARN,
		    "TaskRouter event spooled: database unavailable", NULL);
		break;
	}
	return http_reply(r, 200, "application/json", "{}", 2);
}

/* ---- the task.complete job ---- */

/*
 * Move task wt of workspace ws to AssignmentStatus status (REST).  A
 * job_result: JOB_DONE also when TaskRouter refuses with a 4xx (the task
 * was completed or canceled meanwhile: nothing left to move).
 */
static int
task_assignment(const struct job *j, const char *ws, const char *wt,
    const char *status, const char *reason, char *err, size_t errlen)
{
	struct twapi_client tw;
	struct twapi_resp resp;
	struct form f;
	char path[160], why[400];
	enum twapi_result tr;
	int rc = JOB_DONE;

	if (j->cfg == NULL || j->cfg->twilio_account_sid == NULL ||
	    j->account_sid == NULL ||
	    strcmp(j->account_sid, j->cfg->twilio_account_sid) != 0) {
		snprintf(err, errlen,
		    "TaskRouter of subaccounts is not supported yet");
		return JOB_FAIL;
	}
	if (twapi_client_init(&tw, j->cfg) != 0) {
		snprintf(err, errlen, "no Twilio credentials");
		return JOB_FAIL;
	}
	snprintf(path, sizeof(path), "/v1/Workspaces/%s/Tasks/%s", ws, wt);
	form_init(&f);
	form_add(&f, "AssignmentStatus", status);
	form_add(&f, "Reason", reason);
	memset(&resp, 0, sizeof(resp));
	tr = twapi_post(&tw, TWAPI_TASKROUTER, path, &f, &resp);
	form_cleanup(&f);
	twapi_describe(&resp, why, sizeof(why));
	if (tr == TWAPI_OK)
		log_kv(LOG_INFO, "TaskRouter task updated", "task", wt,
		    "status", status, NULL);
	else if (tr == TWAPI_HTTP_ERROR && resp.status >= 400 &&
	    resp.status < 500 && resp.status != 429)
		log_kv(LOG_WARN, "TaskRouter refused to update the task",
		    "task", wt, "status", status, "why", why, NULL);
	else {
		snprintf(err, errlen, "task %s to %s: %s", wt, status, why);
		rc = JOB_RETRY;
	}
	twapi_resp_cleanup(&resp);
	return rc;
}

/*
 * The call ended (call_ended) or the wrap-up did: with WRAPUP_S > 0 an
 * ended call's task goes to wrapping and the agent to wrap-up, and this
 * job comes back after WRAPUP_S (or at once, when the agent ends the
 * wrap-up) to complete it; otherwise the task is completed now.  A task
 * moves assigned -> wrapping -> completed, as TaskRouter documents.
 */
int
taskrouter_job_complete(const struct job *j, char *err, size_t errlen)
{
	const char *wt =
	    json_string_value(json_object_get(j->payload, "task_sid"));
	const char *ws =
	    json_string_value(json_object_get(j->payload, "workspace_sid"));
	json_int_t uid =
	    json_integer_value(json_object_get(j->payload, "user_id"));
	int ended = json_is_true(json_object_get(j->payload, "call_ended"));
	char dedupe[64];
	json_t *next;
	enum db_result res;
	int rc;

	if (!twparam_sid(wt, "WT") || !twparam_sid(ws, "WS")) {
		snprintf(err, errlen, "payload has no task_sid/workspace_sid");
		return JOB_FAIL;
	}
	if (ended && uid > 0 && j->cfg != NULL && j->cfg->wrapup_s > 0) {
		/* Wrap-up: the task keeps the agent's capacity meanwhile. */
		rc = task_assignment(j, ws, wt, "wrapping", "call ended", err,
		    errlen);
		if (rc != JOB_DONE)
			return rc;
		next = json_pack("{s:s, s:s, s:I, s:b}", "task_sid", wt,
		    "workspace_sid", ws, "user_id", uid, "call_ended", 0);
		snprintf(dedupe, sizeof(dedupe), "%s:wrapup:%s",
		    TASKROUTER_JOB_COMPLETE, wt);
		res = store_tr_wrapup_pg(j->pg, (long long)uid, 1);
		if (res == DB_OK)
			res =
			    job_enqueue_pg(j->pg, TASKROUTER_JOB_COMPLETE, next,
				dedupe, j->cfg->wrapup_s, j->account_sid, NULL);
		json_decref(next);
		if (res != DB_OK) {
			snprintf(err, errlen, "cannot start the wrap-up");
			return JOB_RETRY;
		}
		log_kv(LOG_INFO, "agent in wrap-up", "task", wt, NULL);
		return JOB_DONE;
	}
	rc = task_assignment(j, ws, wt, "completed",
	    ended ? "call ended" : "wrap-up ended", err, errlen);
	if (rc != JOB_DONE)
		return rc;
	if (uid > 0 && store_tr_wrapup_pg(j->pg, (long long)uid, 0) != DB_OK) {
		snprintf(err, errlen, "cannot end the wrap-up");
		return JOB_RETRY;
	}
	return JOB_DONE;
}
