/*
 * `ramal provision`: TaskRouter set-up on the primary account.  See
 * include/cli/provision.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "paths.h"
#include "db.h"
#include "form.h"
#include "log.h"
#include "migrate.h"
#include "provision.h"
#include "store.h"
#include "store_tenant.h"
#include "store_tr.h"
#include "taskrouter.h"
#include "twapi.h"
#include "twparam.h"
#include "util.h"

#define MAX_PAGES 50
#define PAGE_SIZE "100"

enum prov_result { FOUND, CREATED, UPDATED };

static const char *const outcome_names[] = { "found", "created", "updated" };

/* A worker found or created for an agent, stored at the end. */
struct new_worker {
	long long user_id;
	char sid[STORE_TR_SID_LEN];
};

struct prov {
	const struct config *cfg;
	struct twapi_client tw;
	struct store_tr_config sids;
	char events_url[1024];
	char assignment_url[1024];
	struct new_worker *workers;
	size_t nworkers;
	int counts[3];
};

static int
sid_ok(const char *s, const char *prefix)
{
	return s != NULL && strlen(s) == 34 && strncmp(s, prefix, 2) == 0 &&
	    strspn(s + 2, "0123456789abcdefABCDEF") == 32;
}

static void
report(struct prov *p, const char *kind, const char *name, const char *sid,
    enum prov_result o)
{
	p->counts[o]++;
	printf("  %-11s %-16s %s  %s\n", kind, name, sid, outcome_names[o]);
	fflush(stdout);
}

/* Print why a Twilio request failed; always -1. */
static int
fail(const char *what, const struct twapi_resp *r)
{
	char why[512];

	fprintf(stderr, "ramal provision: %s failed: %s\n", what,
	    twapi_describe(r, why, sizeof(why)));
	if (r->status == 401)
		fprintf(stderr,
		    "ramal provision: check TWILIO_ACCOUNT_SID and "
		    "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY_SID/SECRET)\n");
	return -1;
}

static int
fail_msg(const char *what, const char *why)
{
	fprintf(stderr, "ramal provision: %s failed: %s\n", what, why);
	return -1;
}

/*
 * Every item of the list resource at path (TaskRouter envelope: key plus
 * meta.next_page_url), following next pages.  A new array, or NULL after
 * printing the failure.
 */
static json_t *
list_all(struct prov *p, const char *what, const char *path, const char *key,
    const char *friendly_name)
{
	struct twapi_resp resp;
	struct form q;
	json_t *all = json_array(), *items, *v;
	char *next = NULL;
	size_t i;
	int ok = 0;

	memset(&resp, 0, sizeof(resp));
	form_init(&q);
	form_add(&q, "PageSize", PAGE_SIZE);
	if (friendly_name != NULL)
		form_add(&q, "FriendlyName", friendly_name);
	for (int page = 0; page < MAX_PAGES; page++) {
		enum twapi_result rc;
		const char *np;

		/* A next page is an absolute URL with the query in it. */
		if (next != NULL)
			rc = twapi_get(&p->tw, TWAPI_TASKROUTER, next, NULL,
			    &resp);
		else
			rc = twapi_get(&p->tw, TWAPI_TASKROUTER, path, &q,
			    &resp);
		if (rc != TWAPI_OK) {
			fail(what, &resp);
			goto out;
		}
		items = json_object_get(resp.body, key);
		if (!json_is_array(items)) {
			fail_msg(what, "the answer has no list");
			goto out;
		}
		json_array_foreach(items, i, v)
		{
			json_array_append(all, v);
		}
		np = twapi_json_str(json_object_get(resp.body, "meta"),
		    "next_page_url");
		free(next);
		next = np != NULL && *np != '\0' ? xstrdup(np) : NULL;
		twapi_resp_cleanup(&resp);
		if (next == NULL)
			break;
	}
	ok = 1;
out:
	twapi_resp_cleanup(&resp);
	free(next);
	form_cleanup(&q);
	if (!ok) {
		json_decref(all);
		all = NULL;
	}
	return all;
}

/* The first item whose friendly_name is name (borrowed), or NULL. */
static json_t *
find_named(json_t *items, const char *name, int nocase)
{
	size_t i;
	json_t *v;

	json_array_foreach(items, i, v)
	{
		const char *fn = twapi_json_str(v, "friendly_name");

		if (fn != NULL &&
		    (nocase ? strcasecmp(fn, name) : strcmp(fn, name)) == 0)
			return v;
	}
	return NULL;
}

/*
 * Fetch the instance at path.  1 with *out (new reference) when it
 * exists, 0 when Twilio says 404, -1 after printing another failure.
 */
static int
fetch(struct prov *p, const char *what, const char *path, json_t **out)
{
	struct twapi_resp resp;
	int rc = -1;

	*out = NULL;
	switch (twapi_get(&p->tw, TWAPI_TASKROUTER, path, NULL, &resp)) {
	case TWAPI_OK:
		if (json_is_object(resp.body)) {
			*out = json_incref(resp.body);
			rc = 1;
		} else
			fail_msg(what, "the answer is not an object");
		break;
	case TWAPI_HTTP_ERROR:
		if (resp.status == 404)
			rc = 0;
		else
			fail(what, &resp);
		break;
	case TWAPI_TRANSPORT:
		fail(what, &resp);
		break;
	}
	twapi_resp_cleanup(&resp);
	return rc;
}

/*
 * POST form to path; on success copy the answer's sid (prefix) into sid
 * (may be NULL to ignore).  0 / -1 (printed).
 */
static int
post(struct prov *p, const char *what, const char *path,
    const struct form *form, const char *prefix, char sid[STORE_TR_SID_LEN])
{
	struct twapi_resp resp;
	const char *s;
	int rc = -1;

	if (twapi_post(&p->tw, TWAPI_TASKROUTER, path, form, &resp) !=
	    TWAPI_OK) {
		fail(what, &resp);
		goto out;
	}
	s = twapi_json_str(resp.body, "sid");
	if (!sid_ok(s, prefix)) {
		fail_msg(what, "Twilio's answer has no valid sid");
		goto out;
	}
	if (sid != NULL)
		snprintf(sid, STORE_TR_SID_LEN, "%s", s);
	rc = 0;
out:
	twapi_resp_cleanup(&resp);
	return rc;
}

/*
 * Find the resource named name: by known_sid (instance_fmt has one %s for
 * it) when given, else by FriendlyName in the list at list_path.  1 with
 * *out (new reference), 0 when missing, -1 printed.  A known SID that
 * does not exist is an error when must_exist (it came from the
 * environment), else ignored.
 */
static int
locate(struct prov *p, const char *what, const char *known_sid, int must_exist,
    const char *instance_path, const char *list_path, const char *key,
    const char *name, json_t **out)
{
	json_t *all, *hit;
	int rc;

	*out = NULL;
	if (known_sid != NULL && *known_sid != '\0') {
		rc = fetch(p, what, instance_path, out);
		if (rc != 0)
			return rc;
		if (must_exist) {
			fprintf(stderr,
			    "ramal provision: %s: %s does not exist on account "
			    "%s\n",
			    what, known_sid, p->tw.account_sid);
			return -1;
		}
	}
	all = list_all(p, what, list_path, key, name);
	if (all == NULL)
		return -1;
	hit = find_named(all, name, 0);
	if (hit != NULL)
		*out = json_incref(hit);
	json_decref(all);
	return *out != NULL;
}

static int
same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A comma-separated list without blanks, its items sorted (free()). */
static char *
normal_list(const char *s)
{
	char *copy = xstrdup(s ? s : ""), *tok, *save = NULL, **v = NULL;
	size_t n = 0;
	struct buf out;

	for (tok = strtok_r(copy, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = tok;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	buf_init(&out, 64 * 1024);
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_addc(&out, ',') != 0) ||
		    buf_addstr(&out, v[i]) != 0)
			break;
	free(v);
	free(copy);
	return buf_take(&out, NULL);
}

/* 1 when two comma-separated lists hold the same items. */
static int
same_list(const char *a, const char *b)
{
	char *x = normal_list(a), *y = normal_list(b);
	int same = strcmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}

static int
step_workspace(struct prov *p, const char *known, int from_env)
{
	char path[128];
	struct form f;
	json_t *ws = NULL;
	enum prov_result o = FOUND;
	int rc = -1, found;

	snprintf(path, sizeof(path), "/v1/Workspaces/%s", known ? known : "");
	found = locate(p, "finding the TaskRouter workspace", known, from_env,
	    path, "/v1/Workspaces", "workspaces", PROVISION_WORKSPACE, &ws);
	if (found < 0)
		return -1;
	form_init(&f);
	if (!found) {
		form_add(&f, "FriendlyName", PROVISION_WORKSPACE);
		form_add(&f, "EventCallbackUrl", p->events_url);
		form_add(&f, "EventsFilter", TASKROUTER_EVENTS_FILTER);
		form_add(&f, "MultiTaskEnabled", twapi_bool(1));
		form_add(&f, "PrioritizeQueueOrder", "FIFO");
		if (post(p, "creating the TaskRouter workspace",
			"/v1/Workspaces", &f, "WS", p->sids.workspace_sid) != 0)
			goto out;
		o = CREATED;
	} else {
		const char *sid = twapi_json_str(ws, "sid");

		if (!sid_ok(sid, "WS")) {
			fail_msg("finding the TaskRouter workspace",
			    "Twilio's answer has no valid sid");
			goto out;
		}
		snprintf(p->sids.workspace_sid, STORE_TR_SID_LEN, "%s", sid);
		if (!same_str(twapi_json_str(ws, "event_callback_url"),
			p->events_url) ||
		    !same_list(twapi_json_str(ws, "events_filter"),
			TASKROUTER_EVENTS_FILTER)) {
			form_add(&f, "EventCallbackUrl", p->events_url);
			form_add(&f, "EventsFilter", TASKROUTER_EVENTS_FILTER);
			snprintf(path, sizeof(path), "/v1/Workspaces/%s", sid);
			if (post(p, "updating the TaskRouter workspace", path,
				&f, "WS", NULL) != 0)
				goto out;
			o = UPDATED;
		}
	}
	report(p, "workspace", PROVISION_WORKSPACE, p->sids.workspace_sid, o);
	rc = 0;
out:
	form_cleanup(&f);
	json_decref(ws);
	return rc;
}

static int
step_activities(struct prov *p)
{
	static const struct {
		const char *name;
		int available;
		size_t offset;
	} want[] = {
		{ "Available", 1,
		    offsetof(struct store_tr_config, activity_available_sid) },
		{ "Busy", 0,
		    offsetof(struct store_tr_config, activity_busy_sid) },
		{ "Offline", 0,
		    offsetof(struct store_tr_config, activity_offline_sid) },
		{ "Wrap-up", 0,
		    offsetof(struct store_tr_config, activity_wrapup_sid) },
	};
	char path[128];
	json_t *all;
	int rc = -1;

	snprintf(path, sizeof(path), "/v1/Workspaces/%s/Activities",
	    p->sids.workspace_sid);
	all = list_all(p, "listing the TaskRouter activities", path,
	    "activities", NULL);
	if (all == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *dst = (char *)&p->sids + want[i].offset;
		json_t *a = find_named(all, want[i].name, 1);
		struct form f;
		int err;

		if (a != NULL) {
			const char *sid = twapi_json_str(a, "sid");
			json_t *av = json_object_get(a, "available");

			if (!sid_ok(sid, "WA")) {
				fail_msg("listing the TaskRouter activities",
				    "an activity has no valid sid");
				goto out;
			}
			snprintf(dst, STORE_TR_SID_LEN, "%s", sid);
			if (json_is_boolean(av) &&
			    json_is_true(av) != want[i].available)
				fprintf(stderr,
				    "ramal provision: warning: activity %s "
				    "exists with available=%s; TaskRouter "
				    "cannot change that, fix it in the "
				    "Console\n",
				    want[i].name,
				    json_is_true(av) ? "true" : "false");
			report(p, "activity", want[i].name, dst, FOUND);
			continue;
		}
		form_init(&f);
		form_add(&f, "FriendlyName", want[i].name);
		form_add(&f, "Available", twapi_bool(want[i].available));
		err = post(p, "creating a TaskRouter activity", path, &f, "WA",
		    dst);
		form_cleanup(&f);
		if (err != 0)
			goto out;
		report(p, "activity", want[i].name, dst, CREATED);
	}
	rc = 0;
out:
	json_decref(all);
	return rc;
}

static int
step_queue(struct prov *p, const char *known)
{
	static const char target[] = "1==1";
	char path[256], list[128];
	struct form f;
	json_t *q = NULL;
	enum prov_result o = FOUND;
	int rc = -1, found;

	snprintf(list, sizeof(list), "/v1/Workspaces/%s/TaskQueues",
	    p->sids.workspace_sid);
	snprintf(path, sizeof(path), "%s/%s", list, known ? known : "");
	found = locate(p, "finding the TaskRouter task queue", known, 0, path,
	    list, "task_queues", PROVISION_QUEUE, &q);
	if (found < 0)
		return -1;
	form_init(&f);
	if (!found) {
		form_add(&f, "FriendlyName", PROVISION_QUEUE);
		form_add(&f, "TargetWorkers", target);
		if (post(p, "creating the TaskRouter task queue", list, &f,
			"WQ", p->sids.task_queue_sid) != 0)
			goto out;
		o = CREATED;
	} else {
		const char *sid = twapi_json_str(q, "sid");

		if (!sid_ok(sid, "WQ")) {
			fail_msg("finding the TaskRouter task queue",
			    "Twilio's answer has no valid sid");
			goto out;
		}
		snprintf(p->sids.task_queue_sid, STORE_TR_SID_LEN, "%s", sid);
		if (!same_str(twapi_json_str(q, "target_workers"), target)) {
			form_add(&f, "TargetWorkers", target);
			snprintf(path, sizeof(path), "%s/%s", list, sid);
			if (post(p, "updating the TaskRouter task queue", path,
				&f, "WQ", NULL) != 0)
				goto out;
			o = UPDATED;
		}
	}
	report(p, "task queue", PROVISION_QUEUE, p->sids.task_queue_sid, o);
	rc = 0;
out:
	form_cleanup(&f);
	json_decref(q);
	return rc;
}

/*
 * Dedicated first, then overflow: a task naming its agent in
 * dedicated_agent waits PROVISION_DEDICATED_TIMEOUT_S seconds for the
 * worker with that identity, then goes to the whole team; every other
 * task goes straight to the team.  TaskRouter's expression grammar has
 * string, number and boolean constants only (no null), so every task
 * ramal makes carries dedicated_agent as a string, "" when the line has
 * no owner (voice.c), and the filter compares it with ''.
 */
static json_t *
workflow_config(const char *queue)
{
	return json_pack("{s:{s:[{s:s, s:s, s:[{s:s, s:s, s:i}, {s:s}]}],"
			 " s:{s:s}}}",
	    "task_routing", "filters", "filter_friendly_name",
	    "dedicated agent, then the team", "expression",
	    "dedicated_agent != ''", "targets", "queue", queue, "expression",
	    "worker.identity == task.dedicated_agent", "timeout",
	    PROVISION_DEDICATED_TIMEOUT_S, "queue", queue, "default_filter",
	    "queue", queue);
}

/* 1 when the workflow w already has our callbacks and configuration. */
static int
workflow_current(const struct prov *p, json_t *w, json_t *want)
{
	const char *text = twapi_json_str(w, "configuration");
	json_t *have = text ? json_loads(text, 0, NULL) : NULL;
	json_t *timeout = json_object_get(w, "task_reservation_timeout");
	int same;

	same = have != NULL && json_equal(have, want) &&
	    same_str(twapi_json_str(w, "assignment_callback_url"),
		p->assignment_url) &&
	    same_str(twapi_json_str(w, "fallback_assignment_callback_url"),
		p->assignment_url) &&
	    json_integer_value(timeout) == PROVISION_RESERVATION_TIMEOUT_S;
	json_decref(have);
	return same;
}

static int
step_workflow(struct prov *p, const char *known, int from_env)
{
	char path[256], list[128], timeout[16], *config = NULL;
	struct form f;
	json_t *w = NULL, *want;
	enum prov_result o = FOUND;
	int rc = -1, found;

	want = workflow_config(p->sids.task_queue_sid);
	config = json_dumps(want, JSON_COMPACT);
	if (config == NULL) {
		json_decref(want);
		return fail_msg("building the workflow", "out of memory");
	}
	snprintf(timeout, sizeof(timeout), "%d",
	    PROVISION_RESERVATION_TIMEOUT_S);
	snprintf(list, sizeof(list), "/v1/Workspaces/%s/Workflows",
	    p->sids.workspace_sid);
	snprintf(path, sizeof(path), "%s/%s", list, known ? known : "");
	form_init(&f);
	found = locate(p, "finding the TaskRouter workflow", known, from_env,
	    path, list, "workflows", PROVISION_WORKFLOW, &w);
	if (found < 0)
		goto out;
	if (!found) {
		form_add(&f, "FriendlyName", PROVISION_WORKFLOW);
		form_add(&f, "Configuration", config);
		form_add(&f, "AssignmentCallbackUrl", p->assignment_url);
		form_add(&f, "FallbackAssignmentCallbackUrl",
		    p->assignment_url);
		form_add(&f, "TaskReservationTimeout", timeout);
		if (post(p, "creating the TaskRouter workflow", list, &f, "WW",
			p->sids.workflow_sid) != 0)
			goto out;
		o = CREATED;
	} else {
		const char *sid = twapi_json_str(w, "sid");

		if (!sid_ok(sid, "WW")) {
			fail_msg("finding the TaskRouter workflow",
			    "Twilio's answer has no valid sid");
			goto out;
		}
		snprintf(p->sids.workflow_sid, STORE_TR_SID_LEN, "%s", sid);
		if (!workflow_current(p, w, want)) {
			form_add(&f, "Configuration", config);
			form_add(&f, "AssignmentCallbackUrl",
			    p->assignment_url);
			form_add(&f, "FallbackAssignmentCallbackUrl",
			    p->assignment_url);
			form_add(&f, "TaskReservationTimeout", timeout);
			snprintf(path, sizeof(path), "%s/%s", list, sid);
			if (post(p, "updating the TaskRouter workflow", path,
				&f, "WW", NULL) != 0)
				goto out;
			o = UPDATED;
		}
	}
	report(p, "workflow", PROVISION_WORKFLOW, p->sids.workflow_sid, o);
	rc = 0;
out:
	form_cleanup(&f);
	json_decref(w);
	json_decref(want);
	free(config);
	return rc;
}

/*
 * The worker attributes ramal needs, merged over have (an object or
 * NULL): identity, contact_uri and name.  A new object.
 */
static json_t *
worker_attributes(const struct store_tr_agent *a, json_t *have)
{
	json_t *o = json_is_object(have) ? json_deep_copy(have) : json_object();
	char uri[160];

	snprintf(uri, sizeof(uri), "client:%s", a->identity);
	json_object_set_new(o, "identity", json_string(a->identity));
	json_object_set_new(o, "contact_uri", json_string(uri));
	json_object_set_new(o, "name", json_string(a->name));
	return o;
}

/*
 * 1 when name (a worker's FriendlyName) is the form identity had before
 * sql/016_identities.sql made it safe: made safe it is the identity,
 * or the identity less the _<n> added to keep it unique.
 */
static int
renamed_from(const char *name, const char *identity)
{
	char safe[128];
	size_t n;

	if (name == NULL || strcmp(name, identity) == 0 ||
	    twparam_identity_safe(name))
		return 0;
	twparam_identity_make_safe(name, strlen(name), safe, sizeof(safe));
	n = strlen(safe);
	if (strcmp(safe, identity) == 0)
		return 1;
	return strncmp(safe, identity, n) == 0 && identity[n] == '_' &&
	    identity[n + 1] != '\0' &&
	    strspn(identity + n + 1, "0123456789") == strlen(identity + n + 1);
}

/*
 * An agent that has its worker: when that worker is still named after
 * the identity's form from before sql/016_identities.sql, give it the
 * identity (FriendlyName) and attributes (contact_uri client:<identity>),
 * or TaskRouter would call the old identity, which no softphone
 * registers any more.  Any other worker is left alone, as before.
 * 0 / -1 (printed).
 */
static int
step_worker_renamed(struct prov *p, const struct store_tr_agent *a)
{
	char path[256], *text = NULL;
	const char *at;
	struct form f;
	json_t *w = NULL, *have = NULL, *attrs = NULL;
	int rc = -1;

	if (!sid_ok(a->worker_sid, "WK"))
		return 0;
	snprintf(path, sizeof(path), "/v1/Workspaces/%s/Workers/%s",
	    p->sids.workspace_sid, a->worker_sid);
	switch (fetch(p, "finding a TaskRouter worker", path, &w)) {
	case -1:
		return -1;
	case 0:
		return 0;
	}
	form_init(&f);
	if (!renamed_from(twapi_json_str(w, "friendly_name"), a->identity)) {
		rc = 0;
		goto out;
	}
	at = twapi_json_str(w, "attributes");
	have = at ? json_loads(at, 0, NULL) : NULL;
	attrs = worker_attributes(a, have);
	text = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
	form_add(&f, "FriendlyName", a->identity);
	form_add(&f, "Attributes", text ? text : "{}");
	if (post(p, "renaming a TaskRouter worker", path, &f, "WK", NULL) != 0)
		goto out;
	report(p, "worker", a->identity, a->worker_sid, UPDATED);
	rc = 0;
out:
	form_cleanup(&f);
	free(text);
	json_decref(attrs);
	json_decref(have);
	json_decref(w);
	return rc;
}

static int
step_worker(struct prov *p, const struct store_tr_agent *a)
{
	char list[128], path[256], sid[STORE_TR_SID_LEN], *text = NULL;
	struct form f;
	json_t *all, *w, *have = NULL, *attrs = NULL;
	enum prov_result o = FOUND;
	int rc = -1;

	snprintf(list, sizeof(list), "/v1/Workspaces/%s/Workers",
	    p->sids.workspace_sid);
	all = list_all(p, "finding a TaskRouter worker", list, "workers",
	    a->identity);
	if (all == NULL)
		return -1;
	form_init(&f);
	w = find_named(all, a->identity, 0);
	if (w != NULL) {
		const char *s = twapi_json_str(w, "sid");
		const char *at = twapi_json_str(w, "attributes");

		if (!sid_ok(s, "WK")) {
			fail_msg("finding a TaskRouter worker",
			    "a worker has no valid sid");
			goto out;
		}
		snprintf(sid, sizeof(sid), "%s", s);
		have = at ? json_loads(at, 0, NULL) : NULL;
		attrs = worker_attributes(a, have);
		if (have == NULL || !json_equal(have, attrs)) {
			text = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
			form_add(&f, "Attributes", text ? text : "{}");
			snprintf(path, sizeof(path), "%s/%s", list, sid);
			if (post(p, "updating a TaskRouter worker", path, &f,
				"WK", NULL) != 0)
				goto out;
			o = UPDATED;
		}
	} else {
		attrs = worker_attributes(a, NULL);
		text = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
		form_add(&f, "FriendlyName", a->identity);
		form_add(&f, "Attributes", text ? text : "{}");
		form_add(&f, "ActivitySid", p->sids.activity_offline_sid);
		if (post(p, "creating a TaskRouter worker", list, &f, "WK",
			sid) != 0)
			goto out;
		o = CREATED;
	}
	p->workers =
	    xrealloc(p->workers, (p->nworkers + 1) * sizeof(*p->workers));
	p->workers[p->nworkers].user_id = a->id;
	snprintf(p->workers[p->nworkers].sid, STORE_TR_SID_LEN, "%s", sid);
	p->nworkers++;
	report(p, "worker", a->identity, sid, o);
	rc = 0;
out:
	form_cleanup(&f);
	free(text);
	json_decref(attrs);
	json_decref(have);
	json_decref(all);
	return rc;
}

/* Store every SID in one transaction.  0 / -1 (printed). */
static int
store_all(struct prov *p, struct db_conn *c)
{
	enum db_result res;
	int rc = -1;

	if (db_simple(c, "BEGIN") != DB_OK ||
	    store_tr_config_put(c, p->tw.account_sid, &p->sids) != DB_OK)
		goto out;
	for (size_t i = 0; i < p->nworkers; i++) {
		res = store_tr_user_worker(c, p->workers[i].user_id,
		    p->workers[i].sid);
		if (res == DB_NOTFOUND) {
			fprintf(stderr,
			    "ramal provision: warning: user %lld got another "
			    "worker meanwhile; %s not stored\n",
			    p->workers[i].user_id, p->workers[i].sid);
			continue;
		}
		if (res == DB_CONFLICT)
			fprintf(stderr,
			    "ramal provision: worker %s is already stored on "
			    "another user\n",
			    p->workers[i].sid);
		if (res != DB_OK)
			goto out;
	}
	if (db_simple(c, "COMMIT") == DB_OK)
		rc = 0;
out:
	if (rc != 0) {
		if (db_in_transaction(c))
			db_simple(c, "ROLLBACK");
		fprintf(stderr, "ramal provision: storing the SIDs failed\n");
	}
	return rc;
}

static void
print_env(const struct prov *p)
{
	const struct config *cfg = p->cfg;
	const struct {
		const char *name, *have, *want;
	} vars[] = {
		{ "TWILIO_WORKSPACE_SID", cfg->twilio_workspace_sid,
		    p->sids.workspace_sid },
		{ "TWILIO_WORKFLOW_SID", cfg->twilio_workflow_sid,
		    p->sids.workflow_sid },
	};

	printf("Set these in the environment (or .env) of every ramal "
	       "instance:\n");
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *note = "";

		if (vars[i].have != NULL)
			note = same_str(vars[i].have, vars[i].want)
			    ? "  # already set"
			    : "  # differs from the current value";
		printf("%s=%s%s\n", vars[i].name, vars[i].want, note);
	}
}

/* Check the configuration provisioning needs.  0 / -1 (printed). */
static int
check_config(const struct config *cfg)
{
	static const char *const need[] = { "TWILIO_ACCOUNT_SID",
		"TWILIO_AUTH_TOKEN", "BASE_URL", "DATABASE_URL",
		"RAMAL_SECRET_KEY" };
	char err[256];

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (config_require(cfg, need[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "ramal provision: %s\n", err);
			return -1;
		}
	if (strncmp(cfg->base_url, "https://", 8) != 0)
		fprintf(stderr,
		    "ramal provision: warning: BASE_URL %s is not https; "
		    "Twilio must be able to reach it\n",
		    cfg->base_url);
	return 0;
}

/*
 * Make sure the primary tenant exists, then read what an earlier run
 * stored and the agents.  0 / -1 (printed).
 */
static int
load(const struct config *cfg, struct db_conn *c,
    struct store_tr_config *stored, int *have_stored,
    struct store_tr_agent **agents, size_t *nagents)
{
	enum db_result res;

	if (store_tenant_put(c, cfg->secret_key, cfg->twilio_account_sid, NULL,
		cfg->twilio_auth_token, 1, cfg->ramal_environment) != DB_OK)
		return fail_msg("storing the primary tenant", "see the log");
	res = store_tr_config_get(c, cfg->twilio_account_sid, stored);
	if (res != DB_OK && res != DB_NOTFOUND)
		return fail_msg("reading the stored SIDs", "see the log");
	*have_stored = res == DB_OK;
	if (store_tr_agents(c, cfg->twilio_account_sid, agents, nagents) !=
	    DB_OK)
		return fail_msg("reading the agents", "see the log");
	return 0;
}

/* Every Twilio step, in order.  0 / -1 (printed). */
static int
steps(struct prov *p, const struct store_tr_config *stored, int have_stored,
    const struct store_tr_agent *agents, size_t nagents)
{
	const struct config *cfg = p->cfg;
	const char *ws = cfg->twilio_workspace_sid, *ww;

	if (ws == NULL && have_stored)
		ws = stored->workspace_sid;
	if (step_workspace(p, ws, cfg->twilio_workspace_sid != NULL) != 0 ||
	    step_activities(p) != 0)
		return -1;
	/* Stored queue and workflow SIDs belong to the stored workspace. */
	if (have_stored &&
	    strcmp(stored->workspace_sid, p->sids.workspace_sid) != 0)
		have_stored = 0;
	if (step_queue(p, have_stored ? stored->task_queue_sid : NULL) != 0)
		return -1;
	ww = cfg->twilio_workflow_sid;
	if (ww == NULL && have_stored)
		ww = stored->workflow_sid;
	if (step_workflow(p, ww, cfg->twilio_workflow_sid != NULL) != 0)
		return -1;
	for (size_t i = 0; i < nagents; i++)
		if ((agents[i].worker_sid == NULL
			    ? step_worker(p, &agents[i])
			    : step_worker_renamed(p, &agents[i])) != 0)
			return -1;
	return 0;
}

int
provision_run(const struct config *cfg)
{
	struct prov p;
	struct store_tr_config stored;
	struct store_tr_agent *agents = NULL;
	struct db_conn *c = NULL;
	size_t nagents = 0;
	int status = 1, have_stored = 0;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	if (check_config(cfg) != 0)
		return 2;
	if (twapi_client_init(&p.tw, cfg) != 0) {
		fprintf(stderr, "ramal provision: no Twilio credentials\n");
		return 2;
	}
	snprintf(p.events_url, sizeof(p.events_url), "%s%s", cfg->base_url,
	    PATH_TR_EVENTS);
	snprintf(p.assignment_url, sizeof(p.assignment_url), "%s%s",
	    cfg->base_url, PATH_TR_ASSIGNMENT);
	if (migrate_run(cfg->database_url) < 0) {
		fprintf(stderr,
		    "ramal provision: database migrations failed (see the "
		    "log)\n");
		return 1;
	}
	if (db_init(cfg->database_url, 1, 5000, cfg->db_statement_timeout_ms,
		store_statements()) != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if ((c = db_acquire()) == NULL)
		fprintf(stderr, "ramal provision: database unreachable\n");
	else if (load(cfg, c, &stored, &have_stored, &agents, &nagents) == 0) {
		printf("ramal provision: TaskRouter on account %s\n",
		    cfg->twilio_account_sid);
		if (steps(&p, &stored, have_stored, agents, nagents) == 0 &&
		    store_all(&p, c) == 0)
			status = 0;
	}
	if (status == 0) {
		printf("ramal provision: done: %d created, %d updated, %d "
		       "found; SIDs stored\n",
		    p.counts[CREATED], p.counts[UPDATED], p.counts[FOUND]);
		print_env(&p);
	} else
		fprintf(stderr,
		    "ramal provision: stopped; nothing was stored (run it "
		    "again once fixed: it finds what was already created)\n");
	store_tr_agents_free(agents, nagents);
	free(p.workers);
	db_release(c);
	db_shutdown();
	curl_global_cleanup();
	return status;
}
