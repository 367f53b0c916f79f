/*
 * `ramal simulate`: play a call against a running server as Twilio would.
 * See include/cli/simulate.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "paths.h"
#include "auth.h"
#include "prompt.h"
#include "buf.h"
#include "form.h"
#include "simulate.h"
#include "twsig.h"
#include "util.h"
#include "xmlmini.h"

#define MAX_DOCS 24 /* TwiML documents followed for one call */
#define RESP_MAX (256 * 1024)

enum mode { AGENT_ANSWERS, NO_ANSWER, ABANDON };

struct sim {
	const struct config *cfg;
	const char *server; /* where requests go */
	struct twsig_key *key;
	CURL *curl;
	enum mode mode;
	const char *from, *to;
	int leave_up; /* outbound: stop once the callee answered */
	char caller[35];
	int failures;
	int step;
	time_t start;
};

static void
new_sid(char out[35], const char *prefix)
{
	uint8_t r[16];

	util_random(r, sizeof(r));
	memcpy(out, prefix, 2);
	util_hex_encode(out + 2, r, sizeof(r));
}

static void
rfc2822_now(char *out, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void
urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p) != NULL)
			buf_addc(b, (char)*p);
		else if (*p == ' ')
			buf_addc(b, '+');
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_add(b, data, size * n) == 0 ? size * n : 0;
}

/*
 * POST params to url (absolute under BASE_URL, or a path), signed.  The
 * answer goes to resp; returns the HTTP status (0 on a transport error).
 */
static long
post(struct sim *s, const char *url, const struct form *params,
    struct buf *resp)
{
	const char *base = s->cfg->base_url;
	struct buf sign_url, target, body;
	struct curl_slist *h = NULL;
	char sig[29], hdr[64];
	long status = 0;
	const char *path;

	buf_reset(resp);
	if (strncmp(url, base, strlen(base)) == 0)
		path = url + strlen(base);
	else if (url[0] == '/')
		path = url;
	else {
		printf("   (skipped %s: not this server)\n", url);
		return 200;
	}
	buf_init(&sign_url, 8192);
	buf_init(&target, 8192);
	buf_init(&body, 64 * 1024);
	buf_addstr(&sign_url, base);
	buf_addstr(&sign_url, path);
	buf_addstr(&target, s->server);
	buf_addstr(&target, path);
	for (size_t i = 0; i < params->n; i++) {
		if (i > 0)
			buf_addc(&body, '&');
		urlencode(&body, params->v[i].name);
		buf_addc(&body, '=');
		urlencode(&body, params->v[i].value);
	}
	twsig_sign(s->key, buf_cstr(&sign_url), params, sig);
	snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s", sig);
	h = curl_slist_append(h, hdr);
	h = curl_slist_append(h,
	    "Content-Type: application/x-www-form-urlencoded");
	h = curl_slist_append(h,
	    "User-Agent: TwilioProxy/1.1 (ramal simulate)");
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, buf_cstr(&target));
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, buf_cstr(&body));
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)body.len);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);

	s->step++;
	printf("\n%2d → POST %s", s->step, path);
	for (size_t i = 0; i < params->n; i++) {
		const char *n = params->v[i].name;

		if (strstr(n, "Status") || strcmp(n, "CallSid") == 0 ||
		    strcmp(n, "QueueResult") == 0 ||
		    strcmp(n, "QueueTime") == 0 || strcmp(n, "TaskSid") == 0 ||
		    strcmp(n, "RecordingSid") == 0)
			printf("  %s=%s", n, params->v[i].value);
	}
	printf("\n");
	if (curl_easy_perform(s->curl) == CURLE_OK)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	printf("   ← %ld %s\n", status, buf_cstr(resp));
	if (status < 200 || status > 299)
		s->failures++;
	curl_slist_free_all(h);
	buf_cleanup(&sign_url);
	buf_cleanup(&target);
	buf_cleanup(&body);
	return status;
}

/* The parameters every voice request of a leg carries. */
static void
leg_params(struct sim *s, struct form *f, const char *call_sid,
    const char *parent, const char *from, const char *to, const char *direction,
    const char *status)
{
	form_init(f);
	form_add(f, "AccountSid", s->cfg->twilio_account_sid);
	form_add(f, "ApiVersion", "2010-04-01");
	form_add(f, "CallSid", call_sid);
	if (parent != NULL)
		form_add(f, "ParentCallSid", parent);
	form_add(f, "From", from);
	form_add(f, "Caller", from);
	form_add(f, "To", to);
	form_add(f, "Called", to);
	form_add(f, "Direction", direction);
	form_add(f, "CallStatus", status);
	if (strncmp(from, "+55", 3) == 0)
		form_add(f, "FromCountry", "BR");
	if (strncmp(to, "+55", 3) == 0)
		form_add(f, "ToCountry", "BR");
}

/* A status callback for a leg. */
static void
leg_status(struct sim *s, const char *url, const char *call_sid,
    const char *parent, const char *from, const char *to, const char *direction,
    const char *status, int seq, int duration)
{
	struct form f;
	struct buf resp;
	char num[16], ts[64];

	leg_params(s, &f, call_sid, parent, from, to, direction, status);
	snprintf(num, sizeof(num), "%d", seq);
	form_add(&f, "SequenceNumber", num);
	rfc2822_now(ts, sizeof(ts));
	form_add(&f, "Timestamp", ts);
	form_add(&f, "CallbackSource", "call-progress-events");
	if (duration >= 0) {
		snprintf(num, sizeof(num), "%d", duration);
		form_add(&f, "CallDuration", num);
	}
	buf_init(&resp, RESP_MAX);
	post(s, url ? url : PATH_STATUS, &f, &resp);
	buf_cleanup(&resp);
	form_cleanup(&f);
}

/* A recording callback for a finished recording. */
static void
recording_done(struct sim *s, const char *url, const char *call_sid,
    const char *source, int channels, int duration)
{
	struct form f;
	struct buf resp, rec_url;
	char re[35], num[16];

	if (url == NULL)
		return;
	new_sid(re, "RE");
	form_init(&f);
	buf_init(&rec_url, 512);
	buf_printf(&rec_url,
	    "https://api.twilio.com/2010-04-01/Accounts/%s/Recordings/%s",
	    s->cfg->twilio_account_sid, re);
	form_add(&f, "AccountSid", s->cfg->twilio_account_sid);
	form_add(&f, "CallSid", call_sid);
	form_add(&f, "RecordingSid", re);
	form_add(&f, "RecordingUrl", buf_cstr(&rec_url));
	form_add(&f, "RecordingStatus", "completed");
	snprintf(num, sizeof(num), "%d", duration);
	form_add(&f, "RecordingDuration", num);
	snprintf(num, sizeof(num), "%d", channels);
	form_add(&f, "RecordingChannels", num);
	form_add(&f, "RecordingSource", source);
	form_add(&f, "RecordingTrack", "both");
	buf_init(&resp, RESP_MAX);
	post(s, url, &f, &resp);
	buf_cleanup(&resp);
	buf_cleanup(&rec_url);
	form_cleanup(&f);
}

/* Take over resp's bytes as the next document (NULL when empty). */
static char *
next_doc(struct buf *resp, long status)
{
	if (status < 200 || status > 299 || resp->len == 0)
		return NULL;
	return buf_take(resp, NULL);
}

static char *
follow_dial(struct sim *s, const struct xmlmini_el *dial)
{
	const struct xmlmini_el *client = xmlmini_child(dial, "Client");
	const struct xmlmini_el *number = xmlmini_child(dial, "Number");
	const struct xmlmini_el *queue = xmlmini_child(dial, "Queue");
	const struct xmlmini_el *noun = client ? client : number;
	const char *action = xmlmini_attr(dial, "action");
	const char *cb = noun ? xmlmini_attr(noun, "statusCallback") : NULL;
	char child[35], target[160], num[16];
	const char *dial_status = "completed";
	const char *from = xmlmini_attr(dial, "callerId");
	struct form f;
	struct buf resp;
	long st;
	char *doc = NULL;
	int talk = 42;

	if (queue != NULL) {
		printf("   (the agent is bridged to the queued caller)\n");
		return NULL;
	}
	if (noun == NULL) {
		printf(
		    "   (a Dial without Client or Number: nothing to ring)\n");
		return NULL;
	}
	if (client != NULL) {
		const struct xmlmini_el *id = xmlmini_child(client, "Identity");

		snprintf(target, sizeof(target), "client:%s",
		    id ? id->text : client->text);
	} else
		snprintf(target, sizeof(target), "%s", number->text);
	/* the child leg shows the <Dial callerId> (outbound) or the caller */
	if (from == NULL)
		from = s->from;
	new_sid(child, "CA");
	buf_init(&resp, RESP_MAX);
	leg_status(s, cb, child, s->caller, from, target, "outbound-dial",
	    "initiated", 0, -1);
	leg_status(s, cb, child, s->caller, from, target, "outbound-dial",
	    "ringing", 1, -1);
	if (s->mode == AGENT_ANSWERS) {
		/* the whisper, or the callee's disclaimer (outbound) */
		const char *whisper = xmlmini_attr(noun, "url");

		if (whisper != NULL) {
			leg_params(s, &f, child, s->caller, from, target,
			    "outbound-dial", "in-progress");
			post(s, whisper, &f, &resp);
			form_cleanup(&f);
		}
		leg_status(s, cb, child, s->caller, from, target,
		    "outbound-dial", "in-progress", 2, -1);
		if (s->leave_up) {
			printf("\n   (the call stays up: %s leg %s, %s leg %s;"
			       " try `ramal simulate hold --call %s`)\n",
			    s->from, s->caller, target, child, s->caller);
			buf_cleanup(&resp);
			return NULL;
		}
		printf("   (caller and %s talk for %d s)\n", target, talk);
		recording_done(s, xmlmini_attr(dial, "recordingStatusCallback"),
		    s->caller, "DialVerb", 2, talk);
		leg_status(s, cb, child, s->caller, from, target,
		    "outbound-dial", "completed", 3, talk);
	} else {
		printf("   (%s does not answer)\n", target);
		leg_status(s, cb, child, s->caller, from, target,
		    "outbound-dial", "no-answer", 2, 0);
		dial_status = "no-answer";
		talk = 0;
	}
	if (action != NULL) {
		leg_params(s, &f, s->caller, NULL, s->from, s->to, "inbound",
		    "in-progress");
		form_add(&f, "DialCallStatus", dial_status);
		form_add(&f, "DialCallSid", child);
		snprintf(num, sizeof(num), "%d", talk);
		form_add(&f, "DialCallDuration", num);
		st = post(s, action, &f, &resp);
		form_cleanup(&f);
		doc = next_doc(&resp, st);
	}
	buf_cleanup(&resp);
	return doc;
}

/* TaskRouter offers the task to an agent who answers (agent-answers). */
static void
assign_agent(struct sim *s, const char *task_json)
{
	struct form f;
	struct buf resp;
	char task[35], res[35], worker[35], agent_leg[35];
	char attrs[512], to[160];
	json_t *j = NULL, *t = NULL;
	const char *instr, *url, *identity = "agente";
	long st;
	char *doc = NULL;
	struct xmlmini_el *root = NULL;

	new_sid(task, "WT");
	new_sid(res, "WR");
	new_sid(worker, "WK");
	t = json_loads(task_json ? task_json : "{}", 0, NULL);
	if (t != NULL &&
	    json_is_string(json_object_get(t, "dedicated_agent")) &&
	    json_string_length(json_object_get(t, "dedicated_agent")) > 0)
		identity =
		    json_string_value(json_object_get(t, "dedicated_agent"));
	snprintf(attrs, sizeof(attrs),
	    "{\"identity\":\"%s\",\"contact_uri\":\"client:%s\"}", identity,
	    identity);
	form_init(&f);
	form_add(&f, "AccountSid", s->cfg->twilio_account_sid);
	if (s->cfg->twilio_workspace_sid)
		form_add(&f, "WorkspaceSid", s->cfg->twilio_workspace_sid);
	if (s->cfg->twilio_workflow_sid)
		form_add(&f, "WorkflowSid", s->cfg->twilio_workflow_sid);
	form_add(&f, "TaskSid", task);
	form_add(&f, "ReservationSid", res);
	form_add(&f, "WorkerSid", worker);
	form_add(&f, "WorkerAttributes", attrs);
	form_add(&f, "TaskAttributes", task_json ? task_json : "{}");
	form_add(&f, "TaskAge", "5");
	form_add(&f, "TaskPriority", "0");
	buf_init(&resp, RESP_MAX);
	st = post(s, PATH_TR_ASSIGNMENT, &f, &resp);
	form_cleanup(&f);
	if (st != 200 || (j = json_loads(buf_cstr(&resp), 0, NULL)) == NULL)
		goto out;
	instr = json_string_value(json_object_get(j, "instruction"));
	url = json_string_value(json_object_get(j, "url"));
	if (instr == NULL || strcmp(instr, "call") != 0 || url == NULL)
		goto out;
	/* TaskRouter calls the agent; the url runs on that leg. */
	new_sid(agent_leg, "CA");
	snprintf(to, sizeof(to), "client:%s", identity);
	leg_params(s, &f, agent_leg, NULL, s->from, to, "outbound-api",
	    "in-progress");
	st = post(s, url, &f, &resp);
	form_cleanup(&f);
	if ((doc = next_doc(&resp, st)) != NULL &&
	    (root = xmlmini_parse(doc, strlen(doc))) != NULL) {
		const struct xmlmini_el *dial = xmlmini_child(root, "Dial");

		printf("   (caller and %s talk for 42 s)\n", to);
		if (dial != NULL)
			recording_done(s,
			    xmlmini_attr(dial, "recordingStatusCallback"),
			    agent_leg, "DialVerb", 2, 42);
	}
	leg_status(s, NULL, agent_leg, NULL, s->from, to, "outbound-api",
	    "completed", 0, 42);
out:
	xmlmini_free(root);
	free(doc);
	json_decref(j);
	json_decref(t);
	buf_cleanup(&resp);
}

static char *
follow_enqueue(struct sim *s, const struct xmlmini_el *enq)
{
	const char *wait = xmlmini_attr(enq, "waitUrl");
	const char *action = xmlmini_attr(enq, "action");
	const struct xmlmini_el *task = xmlmini_child(enq, "Task");
	const char *result = "bridged", *qtime = "12";
	struct form f;
	struct buf resp;
	long st;
	char *doc = NULL;

	buf_init(&resp, RESP_MAX);
	if (wait != NULL) {
		leg_params(s, &f, s->caller, NULL, s->from, s->to, "inbound",
		    "in-progress");
		form_add(&f, "QueuePosition", "1");
		form_add(&f, "QueueTime", "0");
		form_add(&f, "AvgQueueTime", "0");
		form_add(&f, "CurrentQueueSize", "1");
		form_add(&f, "MaxQueueSize", "100");
		post(s, wait, &f, &resp);
		form_cleanup(&f);
	}
	switch (s->mode) {
	case AGENT_ANSWERS:
		assign_agent(s, task ? task->text : NULL);
		break;
	case ABANDON:
		printf("   (the caller gives up and hangs up)\n");
		result = "hangup";
		qtime = "40";
		break;
	case NO_ANSWER:
		/* Nobody takes the task; the wait runs past its limit. */
		result = "leave";
		qtime = "3600";
		if (wait != NULL) {
			leg_params(s, &f, s->caller, NULL, s->from, s->to,
			    "inbound", "in-progress");
			form_add(&f, "QueuePosition", "1");
			form_add(&f, "QueueTime", qtime);
			form_add(&f, "AvgQueueTime", "60");
			form_add(&f, "CurrentQueueSize", "1");
			form_add(&f, "MaxQueueSize", "100");
			post(s, wait, &f, &resp);
			form_cleanup(&f);
		}
		break;
	}
	if (action != NULL) {
		leg_params(s, &f, s->caller, NULL, s->from, s->to, "inbound",
		    strcmp(result, "hangup") == 0 ? "completed"
						  : "in-progress");
		form_add(&f, "QueueResult", result);
		form_add(&f, "QueueTime", qtime);
		st = post(s, action, &f, &resp);
		form_cleanup(&f);
		if (strcmp(result, "hangup") != 0)
			doc = next_doc(&resp, st);
	}
	buf_cleanup(&resp);
	return doc;
}

static char *
follow_record(struct sim *s, const struct xmlmini_el *rec)
{
	const char *action = xmlmini_attr(rec, "action");
	struct form f;
	struct buf resp, url;
	char re[35];
	long st;
	char *doc = NULL;

	printf("   (the caller leaves a 15 s message)\n");
	new_sid(re, "RE");
	buf_init(&resp, RESP_MAX);
	buf_init(&url, 512);
	buf_printf(&url,
	    "https://api.twilio.com/2010-04-01/Accounts/%s/Recordings/%s",
	    s->cfg->twilio_account_sid, re);
	if (action != NULL) {
		leg_params(s, &f, s->caller, NULL, s->from, s->to, "inbound",
		    "in-progress");
		form_add(&f, "RecordingSid", re);
		form_add(&f, "RecordingUrl", buf_cstr(&url));
		form_add(&f, "RecordingDuration", "15");
		form_add(&f, "Digits", "#");
		st = post(s, action, &f, &resp);
		form_cleanup(&f);
		doc = next_doc(&resp, st);
	}
	if (xmlmini_attr(rec, "recordingStatusCallback") != NULL) {
		form_init(&f);
		form_add(&f, "AccountSid", s->cfg->twilio_account_sid);
		form_add(&f, "CallSid", s->caller);
		form_add(&f, "RecordingSid", re);
		form_add(&f, "RecordingUrl", buf_cstr(&url));
		form_add(&f, "RecordingStatus", "completed");
		form_add(&f, "RecordingDuration", "15");
		form_add(&f, "RecordingChannels", "1");
		form_add(&f, "RecordingSource", "RecordVerb");
		post(s, xmlmini_attr(rec, "recordingStatusCallback"), &f,
		    &resp);
		form_cleanup(&f);
	}
	buf_cleanup(&resp);
	buf_cleanup(&url);
	return doc;
}

/*
 * Run one document's verbs; the next document to run (its caller frees
 * it), or NULL when the call ends.
 */
static char *
run_doc(struct sim *s, const char *doc)
{
	struct xmlmini_el *root = xmlmini_parse(doc, strlen(doc));
	struct form f;
	struct buf resp;
	char *next = NULL;

	if (root == NULL || strcmp(root->name, "Response") != 0) {
		printf("   (not TwiML: the call ends)\n");
		s->failures++;
		xmlmini_free(root);
		return NULL;
	}
	for (const struct xmlmini_el *v = root->child; v; v = v->next) {
		if (strcmp(v->name, "Dial") == 0)
			next = follow_dial(s, v);
		else if (strcmp(v->name, "Enqueue") == 0)
			next = follow_enqueue(s, v);
		else if (strcmp(v->name, "Record") == 0)
			next = follow_record(s, v);
		else if (strcmp(v->name, "Redirect") == 0) {
			leg_params(s, &f, s->caller, NULL, s->from, s->to,
			    "inbound", "in-progress");
			buf_init(&resp, RESP_MAX);
			next = next_doc(&resp, post(s, v->text, &f, &resp));
			buf_cleanup(&resp);
			form_cleanup(&f);
		} else if (strcmp(v->name, "Hangup") == 0 ||
		    strcmp(v->name, "Reject") == 0 ||
		    strcmp(v->name, "Leave") == 0)
			break;
		else
			continue; /* Say, Play, Pause: heard, nothing to do */
		/* Twilio goes on with a new document when there is one. */
		if (next != NULL ||
		    (strcmp(v->name, "Dial") != 0 &&
			strcmp(v->name, "Record") != 0))
			break;
	}
	xmlmini_free(root);
	return next;
}

/* Follow the documents of a call from doc (taken) until it ends. */
static void
run_call(struct sim *s, char *doc)
{
	int docs = 0;

	while (doc != NULL && docs++ < MAX_DOCS) {
		char *next = run_doc(s, doc);

		free(doc);
		doc = next;
	}
	free(doc);
}

static int
sim_open(struct sim *s, const struct config *cfg)
{
	if (cfg->twilio_account_sid == NULL) {
		fprintf(stderr,
		    "ramal: simulate signs as TWILIO_ACCOUNT_SID; "
		    "set it (make run makes a local one)\n");
		return -2;
	}
	s->key = twsig_key_new(cfg->twilio_auth_token);
	s->curl = curl_easy_init();
	return s->key != NULL && s->curl != NULL ? 0 : -1;
}

static int
sim_close(struct sim *s)
{
	printf("\n%s: %d step(s), %d failed.\n",
	    s->failures ? "FAILED" : "done", s->step, s->failures);
	if (s->curl)
		curl_easy_cleanup(s->curl);
	twsig_key_free(s->key);
	return s->failures ? 1 : 0;
}

/* Set-up failed: free what sim_open made; exit status 1. */
static int
sim_abort(struct sim *s)
{
	if (s->curl)
		curl_easy_cleanup(s->curl);
	twsig_key_free(s->key);
	return 1;
}

static int
sim_inbound(struct sim *s, int argc, char **argv)
{
	struct form f;
	struct buf resp;
	long st;
	int rc;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			s->to = argv[++i];
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			s->from = argv[++i];
		else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			s->server = argv[++i];
		else if (strcmp(argv[i], "--agent-answers") == 0)
			s->mode = AGENT_ANSWERS;
		else if (strcmp(argv[i], "--no-answer") == 0)
			s->mode = NO_ANSWER;
		else if (strcmp(argv[i], "--abandon") == 0)
			s->mode = ABANDON;
		else
			return -1;
	}
	if (s->to == NULL || s->from == NULL || s->to[0] != '+' ||
	    s->from[0] != '+')
		return -1;
	if ((rc = sim_open(s, s->cfg)) != 0)
		return sim_abort(s) + (rc == -2);
	new_sid(s->caller, "CA");
	s->start = time(NULL);
	printf("Simulating an inbound call %s from %s to %s on %s\n", s->caller,
	    s->from, s->to, s->server);

	leg_params(s, &f, s->caller, NULL, s->from, s->to, "inbound",
	    "ringing");
	buf_init(&resp, RESP_MAX);
	st = post(s, PATH_VOICE_INBOUND, &f, &resp);
	form_cleanup(&f);
	run_call(s, next_doc(&resp, st));
	buf_cleanup(&resp);
	leg_status(s, NULL, s->caller, NULL, s->from, s->to, "inbound",
	    "completed", 0, (int)(time(NULL) - s->start) + 60);
	printf("\nThe call is in the calls and call_events tables.");
	return sim_close(s);
}

/*
 * An outbound call from the softphone of agent: the TwiML App's VoiceUrl
 * with From=client:<agent> and the To the agent typed, then whatever the
 * answer asks for (the callee's legs, its disclaimer, the recording, the
 * <Dial> action).
 */
static int
sim_outbound(struct sim *s, int argc, char **argv)
{
	const char *agent = NULL;
	char from[160], app[35];
	struct form f;
	struct buf resp;
	long st;
	int rc;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--agent") == 0 && i + 1 < argc)
			agent = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			s->to = argv[++i];
		else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			s->server = argv[++i];
		else if (strcmp(argv[i], "--no-answer") == 0)
			s->mode = NO_ANSWER;
		else if (strcmp(argv[i], "--leave-up") == 0)
			s->leave_up = 1;
		else
			return -1;
	}
	if (agent == NULL || s->to == NULL || agent[0] == '\0' ||
	    s->to[0] == '\0' || strlen(agent) > 120)
		return -1;
	if ((rc = sim_open(s, s->cfg)) != 0)
		return sim_abort(s) + (rc == -2);
	snprintf(from, sizeof(from), "client:%s", agent);
	s->from = from;
	if (s->cfg->twilio_twiml_app_sid != NULL)
		snprintf(app, sizeof(app), "%s", s->cfg->twilio_twiml_app_sid);
	else
		new_sid(app, "AP");
	new_sid(s->caller, "CA");
	s->start = time(NULL);
	printf("Simulating an outbound call %s from %s to %s on %s\n",
	    s->caller, s->from, s->to, s->server);

	leg_params(s, &f, s->caller, NULL, s->from, s->to, "inbound",
	    "ringing");
	form_add(&f, "ApplicationSid", app);
	buf_init(&resp, RESP_MAX);
	st = post(s, PATH_VOICE_OUTBOUND, &f, &resp);
	form_cleanup(&f);
	run_call(s, next_doc(&resp, st));
	buf_cleanup(&resp);
	if (!s->leave_up || s->mode != AGENT_ANSWERS)
		leg_status(s, NULL, s->caller, NULL, s->from, s->to, "inbound",
		    "completed", 0, (int)(time(NULL) - s->start) + 60);
	printf("\nThe call is in the calls and call_events tables.");
	return sim_close(s);
}

/* ---- hold: the API as the softphone calls it, Twilio's side as Twilio ---- */

/*
 * One request to ramal's API (body: JSON text or NULL; bearer or NULL);
 * the HTTP status (0: transport error).  A status other than want counts
 * as a failed step (want 0: any, not counted).
 */
static long
api(struct sim *s, const char *method, const char *path, const char *body,
    const char *bearer, struct buf *resp, long want)
{
	struct curl_slist *h = NULL;
	struct buf url, hdr;
	long status = 0;

	buf_reset(resp);
	buf_init(&url, 1024);
	buf_init(&hdr, 1024);
	buf_addstr(&url, s->server);
	buf_addstr(&url, path);
	if (bearer != NULL) {
		buf_printf(&hdr, "Authorization: Bearer %s", bearer);
		h = curl_slist_append(h, buf_cstr(&hdr));
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, buf_cstr(&url));
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS,
		    body != NULL ? body : "");
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	if (want != 0) {
		s->step++;
		printf("\n%2d → %s %s (the softphone)\n", s->step, method,
		    path);
	}
	if (curl_easy_perform(s->curl) == CURLE_OK)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (want != 0) {
		/* never print the session token */
		printf("   ← %ld %s\n", status,
		    strstr(path, "/login") ? "(signed in)" : buf_cstr(resp));
		if (status != want)
			s->failures++;
	}
	curl_slist_free_all(h);
	buf_cleanup(&url);
	buf_cleanup(&hdr);
	return status;
}

/* What GET /api/calls/{sid} says about the call. */
struct call_view {
	char bridge[16], anchor[35], agent[35], other[35], held[35],
	    conference[16], from[160], to[160];
	int bridged, ended, hold, confirmed;
};

static int
call_view(struct sim *s, const char *sid, const char *token,
    struct call_view *v, int show)
{
	static const struct {
		const char *key;
		size_t off, len;
	} f[] = {
#define F(k, m) \
	{ k, offsetof(struct call_view, m), sizeof(((struct call_view *)0)->m) }
		F("bridge", bridge),
		F("anchor_call_sid", anchor),
		F("agent_call_sid", agent),
		F("other_call_sid", other),
		F("held_call_sid", held),
		F("conference", conference),
		F("from", from),
		F("to", to),
#undef F
	};
	char path[96];
	struct buf resp;
	json_t *j;
	long st;

	memset(v, 0, sizeof(*v));
	snprintf(path, sizeof(path), "/api/calls/%s", sid);
	buf_init(&resp, RESP_MAX);
	st = api(s, "GET", path, NULL, token, &resp, show ? 200 : 0);
	j = st == 200 ? json_loads(buf_cstr(&resp), 0, NULL) : NULL;
	buf_cleanup(&resp);
	if (j == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *val =
		    json_string_value(json_object_get(j, f[i].key));

		snprintf((char *)v + f[i].off, f[i].len, "%s", val ? val : "");
	}
	v->bridged = json_is_true(json_object_get(j, "bridged"));
	v->ended = json_is_true(json_object_get(j, "ended"));
	v->hold = json_is_true(json_object_get(j, "hold"));
	v->confirmed = json_is_true(json_object_get(j, "hold_confirmed"));
	json_decref(j);
	return 0;
}

/* Poll the call until done(v) or about 10 s; 1 when it came. */
static int
wait_call(struct sim *s, const char *sid, const char *token,
    struct call_view *v, int (*done)(const struct call_view *))
{
	for (int i = 0; i < 100; i++) {
		if (call_view(s, sid, token, v, 0) == 0 && done(v))
			return 1;
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	return 0;
}

static int
moved_on(const struct call_view *v)
{
	return strcmp(v->conference, "requested") != 0;
}

static int
held(const struct call_view *v)
{
	return v->confirmed;
}

static int
not_held(const struct call_view *v)
{
	return !v->confirmed;
}

/* One conference statusCallback event (call NULL: conference-wide). */
static void
conf_event(struct sim *s, const char *url, const char *name, const char *conf,
    const char *event, const char *call, int seq)
{
	struct form f;
	struct buf resp;
	char num[16], ts[64];

	form_init(&f);
	form_add(&f, "AccountSid", s->cfg->twilio_account_sid);
	form_add(&f, "ConferenceSid", conf);
	form_add(&f, "FriendlyName", name);
	form_add(&f, "StatusCallbackEvent", event);
	snprintf(num, sizeof(num), "%d", seq);
	form_add(&f, "SequenceNumber", num);
	rfc2822_now(ts, sizeof(ts));
	form_add(&f, "Timestamp", ts);
	if (call != NULL) {
		form_add(&f, "CallSid", call);
		form_add(&f, "Hold",
		    strcmp(event, "participant-hold") == 0 ? "true" : "false");
		form_add(&f, "Muted", "false");
		form_add(&f, "EndConferenceOnExit", "true");
		form_add(&f, "StartConferenceOnEnter", "true");
		form_add(&f, "Coaching", "false");
	}
	buf_init(&resp, RESP_MAX);
	post(s, url, &f, &resp);
	buf_cleanup(&resp);
	form_cleanup(&f);
}

/*
 * The first hold of a live call and an unhold: the API requests an agent
 * makes, and what Twilio sends when ramal's jobs have done their part
 * (the first bridge's action, the conference events).
 */
static int
sim_hold(struct sim *s, int argc, char **argv)
{
	const char *sid = NULL, *email = NULL, *account = NULL, *action;
	const char *moved, *url, *name;
	char path[96], conf[35], *pw = NULL, *doc = NULL, *token = NULL;
	struct xmlmini_el *root = NULL;
	const struct xmlmini_el *c = NULL;
	struct call_view v;
	struct buf resp;
	struct form f;
	json_t *j;
	long st;
	int from_stdin = 0;
	int rc;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--call") == 0 && i + 1 < argc)
			sid = argv[++i];
		else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--account") == 0 && i + 1 < argc)
			account = argv[++i];
		else if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = 1;
		else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			s->server = argv[++i];
		else
			return -1;
	}
	if (sid == NULL || email == NULL || strlen(sid) != 34)
		return -1;
	if ((rc = sim_open(s, s->cfg)) != 0)
		return sim_abort(s) + (rc == -2);
	if ((pw = prompt_password(from_stdin, 0)) == NULL)
		return sim_abort(s);
	printf("Simulating hold and unhold of call %s on %s, signed in as %s\n",
	    sid, s->server, email);
	buf_init(&resp, RESP_MAX);

	/* 1. the agent signs in, as the softphone does */
	j = json_pack("{s:s, s:s, s:s?}", "email", email, "password", pw,
	    "account", account);
	util_free_secret(pw);
	pw = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	st = api(s, "POST", PATH_API_LOGIN, pw, NULL, &resp, 200);
	util_free_secret(pw);
	j = st == 200 ? json_loads(buf_cstr(&resp), 0, NULL) : NULL;
	if (j != NULL && json_is_string(json_object_get(j, "token")))
		token = xstrdup(json_string_value(json_object_get(j, "token")));
	json_decref(j);
	if (token == NULL)
		goto out;

	/* 2. the call as the softphone sees it, then hold */
	if (call_view(s, sid, token, &v, 1) != 0)
		goto out;
	if (!v.bridged || v.ended) {
		printf("   (the call is not connected: nothing to hold)\n");
		s->failures++;
		goto out;
	}
	snprintf(path, sizeof(path), "/api/calls/%s/hold", sid);
	if (api(s, "POST", path, NULL, token, &resp, 202) != 202)
		goto out;

	if (v.conference[0] == '\0') {
		/* 3. the job moves a leg out of the first bridge */
		printf("   (waiting for the job to move the leg at Twilio)\n");
		if (!wait_call(s, sid, token, &v, moved_on) ||
		    strcmp(v.conference, "redirected") != 0) {
			printf("   (the leg was not moved: conference %s; "
			       "see the server's log: jobs need "
			       "JOB_WORKERS > 0, and the call must exist at "
			       "TWILIO_API_BASE)\n",
			    v.conference[0] ? v.conference : "cleared");
			s->failures++;
			goto out;
		}
		/* 4. the first bridge ends: the owner's action runs */
		moved = strcmp(v.bridge, "outbound") == 0 ||
			strcmp(v.bridge, "client") == 0
		    ? v.other
		    : v.agent;
		if (strcmp(v.bridge, "dedicated") == 0)
			action = PATH_VOICE_OVERFLOW;
		else if (strcmp(v.bridge, "queue") == 0)
			action = PATH_VOICE_QUEUE_EXIT;
		else
			action = "/twilio/voice/outbound?step=done";
		leg_params(s, &f, v.anchor, NULL, v.from, v.to, "inbound",
		    "in-progress");
		if (strcmp(v.bridge, "queue") == 0) {
			form_add(&f, "QueueResult", "bridged");
			form_add(&f, "QueueTime", "30");
		} else {
			form_add(&f, "DialCallStatus", "completed");
			form_add(&f, "DialCallSid", moved);
		}
		st = post(s, action, &f, &resp);
		form_cleanup(&f);
		doc = next_doc(&resp, st);
		if (doc == NULL ||
		    (root = xmlmini_parse(doc, strlen(doc))) == NULL ||
		    (c = xmlmini_child(xmlmini_child(root, "Dial"),
			 "Conference")) == NULL ||
		    (url = xmlmini_attr(c, "statusCallback")) == NULL) {
			printf("   (the action did not answer the "
			       "conference)\n");
			s->failures++;
			goto out;
		}
		name = c->text;
		/* 5. both parties are in the conference */
		new_sid(conf, "CF");
		conf_event(s, url, name, conf, "conference-start", NULL, 0);
		conf_event(s, url, name, conf, "participant-join", moved, 1);
		conf_event(s, url, name, conf, "participant-join",
		    strcmp(moved, v.anchor) == 0 ? v.other : v.anchor, 2);
	} else {
		printf("   (already in its conference: only the participant "
		       "changes)\n");
		url = NULL;
		name = NULL;
	}

	/* 6. the job holds the party; Twilio confirms */
	printf("   (waiting for the job to hold the participant)\n");
	if (!wait_call(s, sid, token, &v, held)) {
		printf("   (not held: see the server's log)\n");
		s->failures++;
		goto out;
	}
	if (url != NULL)
		conf_event(s, url, name, conf, "participant-hold", v.held, 3);
	call_view(s, sid, token, &v, 1);

	/* 7. unhold */
	snprintf(path, sizeof(path), "/api/calls/%s/unhold", sid);
	if (api(s, "POST", path, NULL, token, &resp, 202) != 202)
		goto out;
	printf("   (waiting for the job to unhold the participant)\n");
	if (!wait_call(s, sid, token, &v, not_held)) {
		printf("   (still held: see the server's log)\n");
		s->failures++;
		goto out;
	}
	if (url != NULL)
		conf_event(s, url, name, conf, "participant-unhold", v.held, 4);
	call_view(s, sid, token, &v, 1);
	printf("\nThe call stays up in its conference; hold again with the "
	       "same command.");
out:
	xmlmini_free(root);
	free(doc);
	if (token != NULL)
		util_free_secret(token);
	buf_cleanup(&resp);
	return sim_close(s);
}

int
simulate_main(const struct config *cfg, int argc, char **argv)
{
	struct sim s;
	char server[128];
	int rc = -1;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.mode = AGENT_ANSWERS;
	snprintf(server, sizeof(server), "http://127.0.0.1:%d",
	    cfg->port ? cfg->port : 8080);
	s.server = server;
	if (argc >= 2 && strcmp(argv[1], "inbound") == 0)
		rc = sim_inbound(&s, argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "outbound") == 0)
		rc = sim_outbound(&s, argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "hold") == 0)
		rc = sim_hold(&s, argc, argv);
	if (rc >= 0)
		return rc;
	fprintf(stderr,
	    "usage: ramal simulate inbound --to +E164 --from +E164\n"
	    "           [--agent-answers | --no-answer | --abandon] "
	    "[--url http://127.0.0.1:PORT]\n"
	    "       ramal simulate outbound --agent IDENTITY --to NUMBER\n"
	    "           [--no-answer] [--leave-up] [--url URL]\n"
	    "       ramal simulate hold --call CA... --email EMAIL "
	    "[--password-stdin]\n"
	    "           [--account AC...] [--url URL]\n");
	return 2;
}
