/*
 * `ramal simulate`: play a call against a running server as Twilio would.
 * See include/cli/simulate.h.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "paths.h"
#include "auth.h"
#include "prompt.h"
#include "buf.h"
#include "cmdline.h"
#include "form.h"
#include "httpc.h"
#include "simulate.h"
#include "twsig.h"
#include "util.h"

#define MAX_DOCS 24 /* TwiML documents followed for one call */
#define RESP_MAX (256 * 1024)
#define TWIML_MAX RESP_MAX /* the longest TwiML document read */

enum mode { AGENT_ANSWERS, NO_ANSWER, ABANDON };

/* What the command line asked for (strings borrowed from argv). */
struct sim_args {
	const char *to, *from, *agent, *call, *email, *account, *url;
	enum mode mode;
	int leave_up;
	int password_stdin;
};

struct sim {
	const struct config *cfg;
	struct sim_args a;
	const char *server; /* where requests go */
	struct twsig_key *key;
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

/*
 * Send req; its answer's body into resp (which keeps its cap), and its
 * status, or 0 when no answer came (the reason printed).
 */
static long
answer(const struct httpc_req *req, struct httpc_resp *hr, struct buf *resp)
{
	long status = 0;

	if (httpc_request(req, hr) == HTTPC_OK)
		status = hr->status;
	else
		printf("   (%s)\n", hr->error);
	buf_reset(resp);
	buf_add(resp, hr->body.ptr ? hr->body.ptr : "", hr->body.len);
	httpc_resp_cleanup(hr);
	return status;
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
	struct httpc_req req = { 0 };
	struct httpc_resp hr = { 0 };
	struct buf sign_url, target;
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
	buf_addstr(&sign_url, base);
	buf_addstr(&sign_url, path);
	buf_addstr(&target, s->server);
	buf_addstr(&target, path);
	twsig_sign(s->key, buf_cstr(&sign_url), params, sig);
	snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s", sig);
	req.method = "POST";
	req.url = buf_cstr(&target);
	req.headers[0] = hdr;
	req.form = params;
	req.user_agent = "TwilioProxy/1.1 (ramal simulate)";
	req.body_max = resp->max;

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
	status = answer(&req, &hr, resp);
	printf("   ← %ld %s\n", status, buf_cstr(resp));
	if (status < 200 || status > 299)
		s->failures++;
	buf_cleanup(&sign_url);
	buf_cleanup(&target);
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

/* ---- reading TwiML (libxml2) ---- */

/*
 * The strings el_attr and el_text hand out, kept until their document is
 * freed (on the document's _private pointer, which is the application's).
 */
struct doc_strings {
	char **v;
	size_t n, cap;
};

/*
 * Parse an answer as XML, securely: no network (XML_PARSE_NONET), no
 * entity substitution (no XML_PARSE_NOENT), no DTD loaded, and a document
 * with a DOCTYPE (the only place entities are declared) refused, as is
 * one longer than TWIML_MAX.  The document (twiml_free), or NULL when it
 * is none of that or not well-formed.
 */
static xmlDoc *
twiml_parse(const char *text, size_t len)
{
	xmlDoc *doc;

	if (len > TWIML_MAX || len > INT_MAX ||
	    memmem(text, len, "<!DOCTYPE", 9) != NULL)
		return NULL;
	doc = xmlReadMemory(text, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return NULL;
	if (doc->intSubset != NULL || doc->extSubset != NULL ||
	    xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	doc->_private = xcalloc(1, sizeof(struct doc_strings));
	return doc;
}

static void
twiml_free(xmlDoc *doc)
{
	struct doc_strings *ds;

	if (doc == NULL)
		return;
	ds = doc->_private;
	for (size_t i = 0; i < ds->n; i++)
		free(ds->v[i]);
	free(ds->v);
	free(ds);
	xmlFreeDoc(doc);
}

/* Keep s (taken) until el's document is freed; returns s. */
static const char *
doc_keep(const xmlNode *el, char *s)
{
	struct doc_strings *ds = el->doc->_private;

	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? ds->cap * 2 : 16;
		ds->v = xrealloc(ds->v, ds->cap * sizeof(ds->v[0]));
	}
	ds->v[ds->n++] = s;
	return s;
}

/* The element itself or its next element sibling, or NULL. */
static xmlNode *
el_from(xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

static xmlNode *
el_first(const xmlNode *el)
{
	return el != NULL ? el_from(el->children) : NULL;
}

static xmlNode *
el_next(const xmlNode *el)
{
	return el_from(el->next);
}

static const char *
el_name(const xmlNode *el)
{
	return (const char *)el->name;
}

/* The first child element named name (el may be NULL), or NULL. */
static xmlNode *
el_child(const xmlNode *el, const char *name)
{
	for (xmlNode *c = el_first(el); c != NULL; c = el_next(c))
		if (strcmp(el_name(c), name) == 0)
			return c;
	return NULL;
}

/* An attribute's value (kept with the document), or NULL. */
static const char *
el_attr(const xmlNode *el, const char *name)
{
	xmlChar *v = xmlGetProp(el, (const xmlChar *)name);
	char *s;

	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return doc_keep(el, s);
}

/* The character data directly inside el (kept with the document). */
static const char *
el_text(const xmlNode *el)
{
	struct buf b;

	buf_init(&b, TWIML_MAX);
	for (const xmlNode *c = el->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE ||
			c->type == XML_CDATA_SECTION_NODE) &&
		    c->content != NULL)
			buf_addstr(&b, (const char *)c->content);
	return doc_keep(el, buf_take(&b, NULL));
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
follow_dial(struct sim *s, xmlNode *dial)
{
	xmlNode *client = el_child(dial, "Client");
	xmlNode *number = el_child(dial, "Number");
	xmlNode *queue = el_child(dial, "Queue");
	xmlNode *noun = client ? client : number;
	const char *action = el_attr(dial, "action");
	const char *cb = noun ? el_attr(noun, "statusCallback") : NULL;
	char child[35], target[160], num[16];
	const char *dial_status = "completed";
	const char *from = el_attr(dial, "callerId");
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
		xmlNode *id = el_child(client, "Identity");

		snprintf(target, sizeof(target), "client:%s",
		    el_text(id ? id : client));
	} else
		snprintf(target, sizeof(target), "%s", el_text(number));
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
		const char *whisper = el_attr(noun, "url");

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
		recording_done(s, el_attr(dial, "recordingStatusCallback"),
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
	xmlDoc *xd = NULL;

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
	    (xd = twiml_parse(doc, strlen(doc))) != NULL) {
		xmlNode *dial = el_child(xmlDocGetRootElement(xd), "Dial");

		printf("   (caller and %s talk for 42 s)\n", to);
		if (dial != NULL)
			recording_done(s,
			    el_attr(dial, "recordingStatusCallback"), agent_leg,
			    "DialVerb", 2, 42);
	}
	leg_status(s, NULL, agent_leg, NULL, s->from, to, "outbound-api",
	    "completed", 0, 42);
out:
	twiml_free(xd);
	free(doc);
	json_decref(j);
	json_decref(t);
	buf_cleanup(&resp);
}

static char *
follow_enqueue(struct sim *s, xmlNode *enq)
{
	const char *wait = el_attr(enq, "waitUrl");
	const char *action = el_attr(enq, "action");
	xmlNode *task = el_child(enq, "Task");
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
		assign_agent(s, task ? el_text(task) : NULL);
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
follow_record(struct sim *s, xmlNode *rec)
{
	const char *action = el_attr(rec, "action");
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
	if (el_attr(rec, "recordingStatusCallback") != NULL) {
		form_init(&f);
		form_add(&f, "AccountSid", s->cfg->twilio_account_sid);
		form_add(&f, "CallSid", s->caller);
		form_add(&f, "RecordingSid", re);
		form_add(&f, "RecordingUrl", buf_cstr(&url));
		form_add(&f, "RecordingStatus", "completed");
		form_add(&f, "RecordingDuration", "15");
		form_add(&f, "RecordingChannels", "1");
		form_add(&f, "RecordingSource", "RecordVerb");
		post(s, el_attr(rec, "recordingStatusCallback"), &f, &resp);
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
	xmlDoc *xd = twiml_parse(doc, strlen(doc));
	xmlNode *root = xd ? xmlDocGetRootElement(xd) : NULL;
	struct form f;
	struct buf resp;
	char *next = NULL;

	if (root == NULL || strcmp(el_name(root), "Response") != 0) {
		printf("   (not TwiML: the call ends)\n");
		s->failures++;
		twiml_free(xd);
		return NULL;
	}
	for (xmlNode *v = el_first(root); v; v = el_next(v)) {
		const char *verb = el_name(v);

		if (strcmp(verb, "Dial") == 0)
			next = follow_dial(s, v);
		else if (strcmp(verb, "Enqueue") == 0)
			next = follow_enqueue(s, v);
		else if (strcmp(verb, "Record") == 0)
			next = follow_record(s, v);
		else if (strcmp(verb, "Redirect") == 0) {
			leg_params(s, &f, s->caller, NULL, s->from, s->to,
			    "inbound", "in-progress");
			buf_init(&resp, RESP_MAX);
			next = next_doc(&resp, post(s, el_text(v), &f, &resp));
			buf_cleanup(&resp);
			form_cleanup(&f);
		} else if (strcmp(verb, "Hangup") == 0 ||
		    strcmp(verb, "Reject") == 0 || strcmp(verb, "Leave") == 0)
			break;
		else
			continue; /* Say, Play, Pause: heard, nothing to do */
		/* Twilio goes on with a new document when there is one. */
		if (next != NULL ||
		    (strcmp(verb, "Dial") != 0 && strcmp(verb, "Record") != 0))
			break;
	}
	twiml_free(xd);
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
	return s->key != NULL ? 0 : -1;
}

static int
sim_close(struct sim *s)
{
	printf("\n%s: %d step(s), %d failed.\n",
	    s->failures ? "FAILED" : "done", s->step, s->failures);
	twsig_key_free(s->key);
	return s->failures ? 1 : 0;
}

/* Set-up failed: free what sim_open made; exit status 1. */
static int
sim_abort(struct sim *s)
{
	twsig_key_free(s->key);
	return 1;
}

static int
sim_inbound(struct sim *s)
{
	struct form f;
	struct buf resp;
	long st;
	int rc;

	s->to = s->a.to;
	s->from = s->a.from;
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
sim_outbound(struct sim *s)
{
	const char *agent = s->a.agent;
	char from[160], app[35];
	struct form f;
	struct buf resp;
	long st;
	int rc;

	s->to = s->a.to;
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
	struct httpc_req req = { 0 };
	struct httpc_resp hr = { 0 };
	struct buf url, hdr;
	long status;

	buf_reset(resp);
	buf_init(&url, 1024);
	buf_init(&hdr, 1024);
	buf_addstr(&url, s->server);
	buf_addstr(&url, path);
	req.method = method;
	req.url = buf_cstr(&url);
	if (bearer != NULL) {
		buf_printf(&hdr, "Authorization: Bearer %s", bearer);
		req.headers[0] = buf_cstr(&hdr);
	}
	if (strcmp(method, "POST") == 0)
		req.json = body != NULL ? body : "";
	req.body_max = resp->max;
	if (want != 0) {
		s->step++;
		printf("\n%2d → %s %s (the softphone)\n", s->step, method,
		    path);
	}
	status = answer(&req, &hr, resp);
	if (want != 0) {
		/* never print the session token */
		printf("   ← %ld %s\n", status,
		    strstr(path, "/login") ? "(signed in)" : buf_cstr(resp));
		if (status != want)
			s->failures++;
	}
	buf_cleanup(&url);
	util_free_secret(buf_take(&hdr, NULL));
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
sim_hold(struct sim *s)
{
	const char *sid = s->a.call, *email = s->a.email;
	const char *account = s->a.account, *action;
	const char *moved, *url, *name;
	char path[96], conf[35], *pw = NULL, *doc = NULL, *token = NULL;
	xmlDoc *xd = NULL;
	xmlNode *c = NULL;
	struct call_view v;
	struct buf resp;
	struct form f;
	json_t *j;
	long st;
	int rc;

	if ((rc = sim_open(s, s->cfg)) != 0)
		return sim_abort(s) + (rc == -2);
	if ((pw = prompt_password(s->a.password_stdin, 0)) == NULL)
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
		    (xd = twiml_parse(doc, strlen(doc))) == NULL ||
		    (c = el_child(el_child(xmlDocGetRootElement(xd), "Dial"),
			 "Conference")) == NULL ||
		    (url = el_attr(c, "statusCallback")) == NULL) {
			printf("   (the action did not answer the "
			       "conference)\n");
			s->failures++;
			goto out;
		}
		name = el_text(c);
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
	twiml_free(xd);
	free(doc);
	if (token != NULL)
		util_free_secret(token);
	buf_cleanup(&resp);
	return sim_close(s);
}

/*
 * The options of the subcommand argv[1] into a; 0, or -1 with the reason
 * in err (an unknown option or a missing value; what is required is
 * checked by args_check).
 */
static int
args_parse(int argc, char **argv, struct sim_args *a, char *err, size_t errlen)
{
	const char *sub = argv[1];
	int in = strcmp(sub, "inbound") == 0,
	    out = strcmp(sub, "outbound") == 0;
	int hold = strcmp(sub, "hold") == 0;

	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **value = NULL;

		if (strcmp(o, "--url") == 0)
			value = &a->url;
		else if ((in || out) && strcmp(o, "--to") == 0)
			value = &a->to;
		else if (in && strcmp(o, "--from") == 0)
			value = &a->from;
		else if (out && strcmp(o, "--agent") == 0)
			value = &a->agent;
		else if (hold && strcmp(o, "--call") == 0)
			value = &a->call;
		else if (hold && strcmp(o, "--email") == 0)
			value = &a->email;
		else if (hold && strcmp(o, "--account") == 0)
			value = &a->account;
		else if (in && strcmp(o, "--agent-answers") == 0)
			a->mode = AGENT_ANSWERS;
		else if ((in || out) && strcmp(o, "--no-answer") == 0)
			a->mode = NO_ANSWER;
		else if (in && strcmp(o, "--abandon") == 0)
			a->mode = ABANDON;
		else if (out && strcmp(o, "--leave-up") == 0)
			a->leave_up = 1;
		else if (hold && strcmp(o, "--password-stdin") == 0)
			a->password_stdin = 1;
		else {
			snprintf(err, errlen, "%s %s",
			    o[0] == '-' ? "unknown option"
					: "unexpected argument",
			    o);
			return -1;
		}
		if (value != NULL) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "%s needs a value", o);
				return -1;
			}
			*value = argv[++i];
		}
	}
	return 0;
}

/* What the subcommand sub needs: 0, or -1 with the reason in err. */
static int
args_check(const char *sub, const struct sim_args *a, char *err, size_t errlen)
{
	if (strcmp(sub, "inbound") == 0 &&
	    (a->to == NULL || a->from == NULL || a->to[0] != '+' ||
		a->from[0] != '+'))
		snprintf(err, errlen,
		    "--to and --from (E.164, +...) are "
		    "required");
	else if (strcmp(sub, "outbound") == 0 &&
	    (a->agent == NULL || a->to == NULL || a->agent[0] == '\0' ||
		a->to[0] == '\0' || strlen(a->agent) > 120))
		snprintf(err, errlen, "--agent and --to are required");
	else if (strcmp(sub, "hold") == 0 &&
	    (a->call == NULL || a->email == NULL || strlen(a->call) != 34))
		snprintf(err, errlen,
		    "--call (a CallSid, CA...) and --email "
		    "are required");
	else
		return 0;
	return -1;
}

int
simulate_main(int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : NULL;
	struct config cfg;
	struct sim s;
	char server[128], err[256];
	int rc;

	memset(&s, 0, sizeof(s));
	s.a.mode = AGENT_ANSWERS;
	if (sub == NULL)
		return cmdline_usage_error("simulate", NULL,
		    "simulate: missing subcommand");
	if (strcmp(sub, "inbound") != 0 && strcmp(sub, "outbound") != 0 &&
	    strcmp(sub, "hold") != 0)
		return cmdline_usage_error("simulate", NULL,
		    "simulate: unknown subcommand %s", sub);
	if (args_parse(argc, argv, &s.a, err, sizeof(err)) != 0 ||
	    args_check(sub, &s.a, err, sizeof(err)) != 0)
		return cmdline_usage_error("simulate", sub, "simulate %s: %s",
		    sub, err);

	cmdline_config(&cfg, NULL);
	s.cfg = &cfg;
	s.mode = s.a.mode;
	s.leave_up = s.a.leave_up;
	snprintf(server, sizeof(server), "http://127.0.0.1:%d",
	    cfg.port ? cfg.port : 8080);
	s.server = s.a.url != NULL ? s.a.url : server;
	httpc_global_init();
	xmlInitParser();
	if (strcmp(sub, "inbound") == 0)
		rc = sim_inbound(&s);
	else if (strcmp(sub, "outbound") == 0)
		rc = sim_outbound(&s);
	else
		rc = sim_hold(&s);
	xmlCleanupParser();
	httpc_global_cleanup();
	config_cleanup(&cfg);
	return rc;
}
