/*
 * Webhook sync: read, compare, update, read again.  See
 * include/account/hooks.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "hooks.h"
#include "paths.h"
#include "store_number.h"
#include "store_tr.h"
#include "util.h"

#define NOTE_MAX 512

/* The fields of a number, in the order the diff shows them. */
static const struct {
	const char *param, *key;
} number_fields[] = {
	{ "VoiceUrl", "voice_url" },
	{ "VoiceMethod", "voice_method" },
	{ "VoiceFallbackUrl", "voice_fallback_url" },
	{ "VoiceFallbackMethod", "voice_fallback_method" },
	{ "StatusCallback", "status_callback" },
	{ "StatusCallbackMethod", "status_callback_method" },
};

/* What ramal keeps of a number's webhooks (hooks_of_number). */
static const char *const stored_keys[] = { "voice_url", "voice_method",
	"voice_fallback_url", "voice_fallback_method", "status_callback",
	"status_callback_method", "voice_application_sid", "trunk_sid" };

const char *
hooks_kind_name(enum hooks_kind k)
{
	switch (k) {
	case HOOKS_NUMBER:
		return "number";
	case HOOKS_APP:
		return "TwiML App";
	case HOOKS_WORKSPACE:
		return "TaskRouter workspace";
	case HOOKS_WORKFLOW:
		return "TaskRouter workflow";
	}
	return "resource";
}

/* An HTTP method as Twilio shows it: unset is its default, POST. */
static const char *
method_of(const char *m)
{
	return *m != '\0' ? m : "POST";
}

/* 1 when have already is want (methods compared as Twilio applies them). */
static int
same(const struct hooks_field *f, const char *have)
{
	if (strcmp(f->want, "POST") == 0 && strstr(f->param, "Method"))
		return strcmp(method_of(have), "POST") == 0;
	return strcmp(have, f->want) == 0;
}

char *
hooks_of_number(const json_t *pn)
{
	json_t *o = json_object();
	char *text;

	for (size_t i = 0; i < sizeof(stored_keys) / sizeof(stored_keys[0]);
	     i++) {
		const char *v = twapi_json_str(pn, stored_keys[i]);

		json_object_set_new(o, stored_keys[i],
		    v != NULL ? json_string(v) : json_null());
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text != NULL ? text : xstrdup("{}");
}

int
hooks_at_base(const struct account_ctx *x, const json_t *hooks)
{
	if (!json_is_object(hooks))
		return -1;
	if (*account_str(hooks, "voice_application_sid") != '\0' ||
	    *account_str(hooks, "trunk_sid") != '\0')
		return 0;
	return strcmp(account_str(hooks, "voice_url"), x->url_inbound) == 0 &&
	    strcmp(account_str(hooks, "voice_fallback_url"), x->url_fallback) ==
	    0 &&
	    strcmp(account_str(hooks, "status_callback"), x->url_status) == 0 &&
	    strcmp(method_of(account_str(hooks, "voice_method")), "POST") ==
	    0 &&
	    strcmp(method_of(account_str(hooks, "voice_fallback_method")),
		"POST") == 0 &&
	    strcmp(method_of(account_str(hooks, "status_callback_method")),
		"POST") == 0;
}

__attribute__((format(printf, 3, 4))) static void
note(struct hooks_plan *p, int problem, const char *fmt, ...)
{
	char line[NOTE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->notes = xrealloc(p->notes, (p->nnotes + 1) * sizeof(*p->notes));
	p->notes[p->nnotes++] = xstrdup(line);
	p->problems += problem;
}

static struct hooks_item *
item_new(struct hooks_plan *p, enum hooks_kind kind, const char *sid,
    enum twapi_host host, const char *path)
{
	struct hooks_item *it;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	it = &p->v[p->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	snprintf(it->sid, sizeof(it->sid), "%s", sid);
	it->host = host;
	snprintf(it->path, sizeof(it->path), "%s", path);
	return it;
}

/* Add a field of it, comparing Twilio's value (read) with want. */
static void
field_add(struct hooks_item *it, const char *param, const char *key,
    const char *want)
{
	struct hooks_field *f = &it->f[it->nf++];

	f->param = param;
	f->key = key;
	f->want = want;
	f->have = xstrdup(account_str(it->read, key));
	f->differs = !same(f, f->have);
	it->changes += f->differs;
}

/* (Re)compare every field of it with it->read. */
static void
fields_compare(struct hooks_item *it)
{
	it->changes = 0;
	for (int i = 0; i < it->nf; i++) {
		struct hooks_field *f = &it->f[i];

		free(f->have);
		f->have = xstrdup(account_str(it->read, f->key));
		f->differs = !same(f, f->have);
		it->changes += f->differs;
	}
}

/* A number of the table (collected from store_number_list). */
struct row {
	char e164[20];
	char sid[35];
};

struct rows {
	struct row *v;
	size_t n, cap;
	const char *only;
};

static void
collect(void *arg, const struct store_number_row *r)
{
	struct rows *rs = arg;

	if (rs->only != NULL && strcmp(rs->only, r->e164) != 0)
		return;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	snprintf(rs->v[rs->n].e164, sizeof(rs->v[rs->n].e164), "%s", r->e164);
	snprintf(rs->v[rs->n].sid, sizeof(rs->v[rs->n].sid), "%s", r->sid);
	rs->n++;
}

static enum account_status
plan_numbers(struct account_ctx *x, const char *only, struct hooks_plan *p,
    struct account_err *e)
{
	struct rows rows = { NULL, 0, 0, only };
	json_t *all = NULL, *hit, *v;
	enum account_status rc;
	enum db_result res;
	char path[200];
	size_t i;

	res = store_number_list(x->db, x->account_sid, collect, &rows);
	if (res != DB_OK) {
		free(rows.v);
		return account_fail_db(e, "reading the numbers", res);
	}
	if (rows.n == 0 && only == NULL) {
		note(p, 0,
		    "account %s has no numbers in ramal's table (`ramal "
		    "number import` takes the account's numbers)",
		    x->account_sid);
		free(rows.v);
		return ACCOUNT_OK;
	}
	if ((rc = account_numbers_at_twilio(x, &all, e)) != ACCOUNT_OK) {
		free(rows.v);
		return rc;
	}
	for (i = 0; i < rows.n; i++) {
		struct hooks_item *it;
		const char *app, *trunk;

		hit = rows.v[i].sid[0] ? account_find(all, "sid", rows.v[i].sid)
				       : NULL;
		if (hit == NULL)
			hit = account_find(all, "phone_number", rows.v[i].e164);
		if (hit == NULL) {
			note(p, 1,
			    "number %s is in ramal's table but not on account "
			    "%s at Twilio: buy it again (`ramal number buy`) or "
			    "drop it (`ramal number release %s`)",
			    rows.v[i].e164, x->account_sid, rows.v[i].e164);
			continue;
		}
		snprintf(path, sizeof(path),
		    "/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json",
		    x->account_sid, account_str(hit, "sid"));
		it = item_new(p, HOOKS_NUMBER, account_str(hit, "sid"),
		    TWAPI_API, path);
		snprintf(it->number, sizeof(it->number), "%s", rows.v[i].e164);
		it->read = json_incref(hit);
		for (size_t k = 0;
		     k < sizeof(number_fields) / sizeof(number_fields[0]);
		     k++) {
			const char *want = "POST";

			if (k == 0)
				want = x->url_inbound;
			else if (k == 2)
				want = x->url_fallback;
			else if (k == 4)
				want = x->url_status;

			field_add(it, number_fields[k].param,
			    number_fields[k].key, want);
		}
		app = account_str(hit, "voice_application_sid");
		trunk = account_str(hit, "trunk_sid");
		if (*app != '\0' || *trunk != '\0') {
			char why[NOTE_MAX];

			snprintf(why, sizeof(why),
			    "its calls go to %s %s, which overrides its Voice "
			    "URL: in the Console set \"A call comes in\" to "
			    "Webhook",
			    *trunk ? "SIP trunk" : "TwiML App",
			    *trunk ? trunk : app);
			it->blocked = xstrdup(why);
			p->problems++;
		}
	}
	if (only == NULL)
		json_array_foreach(all, i, v)
		{
			const char *pn = account_str(v, "phone_number");
			size_t k;

			for (k = 0; k < rows.n; k++)
				if (strcmp(rows.v[k].e164, pn) == 0 ||
				    strcmp(rows.v[k].sid,
					account_str(v, "sid")) == 0)
					break;
			if (k == rows.n)
				note(p, 0,
				    "number %s is on account %s but not in "
				    "ramal's table: left alone (`ramal number "
				    "import` takes it)",
				    pn, x->account_sid);
		}
	json_decref(all);
	free(rows.v);
	return ACCOUNT_OK;
}

/*
 * GET path into *out.  1 read, 0 missing (404), -1 failed (e filled).
 */
static int
read_one(struct account_ctx *x, enum twapi_host host, const char *path,
    const char *what, json_t **out, struct account_err *e)
{
	const struct twapi_client *tw = account_twilio(x, e);
	struct twapi_resp resp;
	int rc = -1;

	*out = NULL;
	if (tw == NULL)
		return -1;
	switch (twapi_get(tw, host, path, NULL, &resp)) {
	case TWAPI_OK:
		if (json_is_object(resp.body)) {
			*out = json_incref(resp.body);
			rc = 1;
		} else
			account_fail(e, ACCOUNT_TWILIO,
			    "%s: the answer is not an object", what);
		break;
	case TWAPI_HTTP_ERROR:
		if (resp.status == 404) {
			rc = 0;
			break;
		}
		account_fail_twilio(e, what, &resp);
		break;
	case TWAPI_TRANSPORT:
		account_fail_twilio(e, what, &resp);
		break;
	}
	twapi_resp_cleanup(&resp);
	return rc;
}

/* One resource of the app/TaskRouter kind into the plan (or a note). */
static enum account_status
plan_one(struct account_ctx *x, struct hooks_plan *p, enum hooks_kind kind,
    const char *sid, enum twapi_host host, const char *path, const char *where,
    struct account_err *e)
{
	struct hooks_item *it;
	json_t *read;
	char what[160];
	int got;

	snprintf(what, sizeof(what), "reading %s %s", hooks_kind_name(kind),
	    sid);
	got = read_one(x, host, path, what, &read, e);
	if (got < 0)
		return e->status;
	if (got == 0) {
		note(p, 1, "%s %s (%s) does not exist on account %s",
		    hooks_kind_name(kind), sid, where, x->account_sid);
		return ACCOUNT_OK;
	}
	it = item_new(p, kind, sid, host, path);
	it->read = read;
	switch (kind) {
	case HOOKS_APP:
		field_add(it, "VoiceUrl", "voice_url", x->url_outbound);
		field_add(it, "VoiceMethod", "voice_method", "POST");
		break;
	case HOOKS_WORKSPACE:
		field_add(it, "EventCallbackUrl", "event_callback_url",
		    x->url_events);
		break;
	case HOOKS_WORKFLOW:
		field_add(it, "AssignmentCallbackUrl",
		    "assignment_callback_url", x->url_assignment);
		field_add(it, "FallbackAssignmentCallbackUrl",
		    "fallback_assignment_callback_url", x->url_assignment);
		break;
	case HOOKS_NUMBER:
		break;
	}
	return ACCOUNT_OK;
}

static enum account_status
plan_app_taskrouter(struct account_ctx *x, struct hooks_plan *p,
    struct account_err *e)
{
	const struct config *cfg = x->cfg;
	struct store_tr_config tr;
	const char *ws = NULL, *ww = NULL, *where = "ramal provision";
	enum account_status rc;
	enum db_result res;
	char path[256];

	if (x->tenant.primary && cfg->twilio_twiml_app_sid != NULL) {
		snprintf(path, sizeof(path),
		    "/2010-04-01/Accounts/%s/Applications/%s.json",
		    x->account_sid, cfg->twilio_twiml_app_sid);
		rc = plan_one(x, p, HOOKS_APP, cfg->twilio_twiml_app_sid,
		    TWAPI_API, path, "TWILIO_TWIML_APP_SID", e);
		if (rc != ACCOUNT_OK)
			return rc;
	} else
		note(p, 0,
		    "no TwiML App is known for account %s (only the main "
		    "account's TWILIO_TWIML_APP_SID): left alone",
		    x->account_sid);

	res = store_tr_config_get(x->db, x->account_sid, &tr);
	if (res == DB_OK) {
		ws = tr.workspace_sid;
		ww = tr.workflow_sid;
	} else if (res != DB_NOTFOUND)
		return account_fail_db(e, "reading the TaskRouter SIDs", res);
	else if (x->tenant.primary) {
		ws = cfg->twilio_workspace_sid;
		ww = cfg->twilio_workflow_sid;
		where = "TWILIO_WORKSPACE_SID/TWILIO_WORKFLOW_SID";
	}
	if (ws == NULL) {
		note(p, 0,
		    "no TaskRouter workspace is provisioned for account %s "
		    "(`ramal provision` makes it): left alone",
		    x->account_sid);
		return ACCOUNT_OK;
	}
	snprintf(path, sizeof(path), "/v1/Workspaces/%s", ws);
	rc = plan_one(x, p, HOOKS_WORKSPACE, ws, TWAPI_TASKROUTER, path, where,
	    e);
	if (rc != ACCOUNT_OK || ww == NULL)
		return rc;
	snprintf(path, sizeof(path), "/v1/Workspaces/%s/Workflows/%s", ws, ww);
	return plan_one(x, p, HOOKS_WORKFLOW, ww, TWAPI_TASKROUTER, path, where,
	    e);
}

enum account_status
hooks_plan(struct account_ctx *x, int what, const char *only_number,
    struct hooks_plan *p, struct account_err *e)
{
	enum account_status rc = ACCOUNT_OK;

	memset(p, 0, sizeof(*p));
	if (what & HOOKS_NUMBERS)
		rc = plan_numbers(x, only_number, p, e);
	if (rc == ACCOUNT_OK && (what & HOOKS_APP_TASKROUTER))
		rc = plan_app_taskrouter(x, p, e);
	return rc;
}

size_t
hooks_pending(const struct hooks_plan *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += p->v[i].changes > 0 && p->v[i].blocked == NULL;
	return n;
}

/* Store what was read of a number's webhooks. */
static void
store_read(struct account_ctx *x, struct hooks_item *it)
{
	char *hooks;

	if (it->kind != HOOKS_NUMBER || it->read == NULL)
		return;
	hooks = hooks_of_number(it->read);
	/* A failure here only leaves the stored copy older. */
	(void)store_number_hooks(x->db, x->account_sid, it->number, hooks);
	free(hooks);
}

/* Update it, read it again; it->mismatch says what did not take. */
static void
apply_one(struct account_ctx *x, struct hooks_item *it, struct account_err *e)
{
	const struct twapi_client *tw = account_twilio(x, e);
	struct twapi_resp resp;
	struct account_err why;
	struct buf b;
	struct form f;
	json_t *again = NULL;
	int got;

	if (tw == NULL) {
		it->mismatch = xstrdup(e->msg);
		return;
	}
	form_init(&f);
	for (int i = 0; i < it->nf; i++)
		form_add(&f, it->f[i].param, it->f[i].want);
	memset(&why, 0, sizeof(why));
	if (twapi_post(tw, it->host, it->path, &f, &resp) != TWAPI_OK) {
		account_fail_twilio(&why, "the update failed", &resp);
		it->mismatch = xstrdup(why.msg);
		goto out;
	}
	twapi_resp_cleanup(&resp);
	got = read_one(x, it->host, it->path, "reading it again", &again, &why);
	if (got <= 0) {
		it->mismatch =
		    xstrdup(got == 0 ? "it is gone after the update" : why.msg);
		goto out;
	}
	json_decref(it->read);
	it->read = again;
	fields_compare(it);
	if (it->changes == 0)
		goto out;
	buf_init(&b, 4096);
	for (int i = 0; i < it->nf; i++)
		if (it->f[i].differs)
			buf_printf(&b, "%s%s is still %s after the update",
			    b.len ? ", " : "", it->f[i].param,
			    *it->f[i].have ? it->f[i].have : "(none)");
	it->mismatch = buf_take(&b, NULL);
out:
	twapi_resp_cleanup(&resp);
	form_cleanup(&f);
}

enum account_status
hooks_apply(struct account_ctx *x, struct hooks_plan *p, struct account_err *e)
{
	struct hooks_item *first = NULL;
	size_t bad = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct hooks_item *it = &p->v[i];

		if (it->changes > 0 && it->blocked == NULL) {
			apply_one(x, it, e);
			if (it->mismatch != NULL) {
				bad++;
				if (first == NULL)
					first = it;
			}
		}
		store_read(x, it);
	}
	if (first == NULL)
		return ACCOUNT_OK;
	account_fail(e, ACCOUNT_TWILIO, "%s %s%s%s: %s%s",
	    hooks_kind_name(first->kind),
	    first->number[0] ? first->number : first->sid,
	    first->number[0] ? " " : "", first->number[0] ? first->sid : "",
	    first->mismatch, bad > 1 ? " (and more: see above)" : "");
	return ACCOUNT_TWILIO;
}

void
hooks_plan_free(struct hooks_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct hooks_item *it = &p->v[i];

		for (int k = 0; k < it->nf; k++)
			free(it->f[k].have);
		free(it->blocked);
		free(it->mismatch);
		json_decref(it->read);
	}
	free(p->v);
	for (size_t i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	memset(p, 0, sizeof(*p));
}
