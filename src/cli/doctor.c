/*
 * `ramal doctor`: a deployment checked against its Twilio account, read
 * only.  See include/cli/doctor.h and docs/doctor.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "alerts.h"
#include "auth.h"
#include "db.h"
#include "doctor.h"
#include "form.h"
#include "paths.h"
#include "store.h"
#include "store_alerts.h"
#include "store_number.h"
#include "store_tenant.h"
#include "store_tr.h"
#include "taskrouter.h"
#include "twapi.h"
#include "util.h"

#define MAX_PAGES 50
#define PAGE_SIZE "1000" /* the most both APIs give in a page */
#define URL_LEN 1024
#define WHAT_LEN (URL_LEN + 256)
#define WHY_LEN 512

/* What a GET gave. */
enum got {
	GOT, /* 2xx with a JSON object */
	MISSING, /* 404 */
	DENIED, /* 401 or 403: the credentials */
	BROKEN, /* anything else: transport, 5xx, not JSON */
};

/* An active tenant other than the primary account, and its credentials. */
struct tenant {
	const struct store_tenant_row *row;
	char *token; /* opened auth token (util_free_secret), or NULL */
	struct twapi_client cl;
	int ok; /* its credentials work */
};

struct doctor {
	const struct config *cfg;
	struct db_conn *db; /* NULL when the database did not answer */
	struct twapi_client token_cl; /* main account, TWILIO_AUTH_TOKEN */
	struct twapi_client key_cl; /* main account, the API key */
	const struct twapi_client *main_cl; /* one that works, or NULL */
	struct store_tenant_row *rows;
	size_t nrows;
	struct tenant *tenants;
	size_t ntenants;
	int nok, nfail;
	char url_inbound[URL_LEN];
	char url_fallback[URL_LEN];
	char url_status[URL_LEN];
	char url_outbound[URL_LEN];
	char url_events[URL_LEN];
	char url_assignment[URL_LEN];
};

void
doctor_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: ramal doctor\n"
	    "\n"
	    "Check this deployment against its Twilio account, read only:\n"
	    "the credentials of the main account and of each tenant, the API\n"
	    "key of /token, the TwiML App's Voice URL, each number's webhooks\n"
	    "and regulatory bundle, the TaskRouter workspace, activities,\n"
	    "queue, workflow and the agents' workers.  One line per check,\n"
	    "\"ok\" or \"FAIL\" with what to do.  Exit status 0 when every\n"
	    "check passed, 1 otherwise.\n"
	    "Configuration comes from the environment and ./.env, as for\n"
	    "`ramal serve`.\n");
}

static void
pass(struct doctor *d, const char *what)
{
	d->nok++;
	printf("ok   %s\n", what);
	fflush(stdout);
}

__attribute__((format(printf, 3, 4))) static void
fail(struct doctor *d, const char *what, const char *fmt, ...)
{
	va_list ap;

	d->nfail++;
	printf("FAIL %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* A string member, "" when absent or null (borrowed). */
static const char *
str_of(const json_t *obj, const char *key)
{
	const char *s = twapi_json_str(obj, key);

	return s != NULL ? s : "";
}

/* An HTTP method as Twilio shows it; Twilio's default is POST. */
static const char *
method_of(const json_t *obj, const char *key)
{
	const char *m = str_of(obj, key);

	return *m != '\0' ? m : "POST";
}

static const char *
shown(const char *url)
{
	return *url != '\0' ? url : "(none)";
}

/*
 * GET path with cl.  GOT with the answer in *out (new reference); else
 * *out is NULL and why says what went wrong.
 */
static enum got
get(const struct twapi_client *cl, enum twapi_host host, const char *path,
    const struct form *q, json_t **out, char *why, size_t whylen)
{
	struct twapi_resp resp;
	enum got g;

	*out = NULL;
	snprintf(why, whylen, "%s", "");
	switch (twapi_get(cl, host, path, q, &resp)) {
	case TWAPI_OK:
		if (json_is_object(resp.body)) {
			*out = json_incref(resp.body);
			g = GOT;
		} else {
			snprintf(why, whylen,
			    "the answer is not a JSON object");
			g = BROKEN;
		}
		break;
	case TWAPI_HTTP_ERROR:
		twapi_describe(&resp, why, whylen);
		if (resp.status == 404)
			g = MISSING;
		else if (resp.status == 401 || resp.status == 403)
			g = DENIED;
		else
			g = BROKEN;
		break;
	default:
		twapi_describe(&resp, why, whylen);
		g = BROKEN;
		break;
	}
	twapi_resp_cleanup(&resp);
	return g;
}

/*
 * Every item of the list at path (its items under key), following the
 * next pages: next_page_uri (a path) on the 2010 API, meta.next_page_url
 * (a URL on the same base) on TaskRouter.  GOT with a new array in *out,
 * else why.
 */
static enum got
get_list(const struct twapi_client *cl, enum twapi_host host, const char *path,
    const char *key, json_t **out, char *why, size_t whylen)
{
	struct form q;
	json_t *all = json_array(), *page = NULL, *items, *v;
	char *next = NULL;
	enum got g = BROKEN;
	size_t i;

	*out = NULL;
	form_init(&q);
	form_add(&q, "PageSize", PAGE_SIZE);
	for (int n = 0; n < MAX_PAGES; n++) {
		const char *np;

		g = get(cl, host, next != NULL ? next : path,
		    next != NULL ? NULL : &q, &page, why, whylen);
		if (g != GOT)
			goto out;
		items = json_object_get(page, key);
		if (!json_is_array(items)) {
			snprintf(why, whylen, "the answer has no %s list", key);
			g = BROKEN;
			goto out;
		}
		json_array_foreach(items, i, v)
		{
			json_array_append(all, v);
		}
		np = host == TWAPI_API
		    ? twapi_json_str(page, "next_page_uri")
		    : twapi_json_str(json_object_get(page, "meta"),
			  "next_page_url");
		free(next);
		next = np != NULL && *np != '\0' ? xstrdup(np) : NULL;
		json_decref(page);
		page = NULL;
		if (next == NULL) {
			*out = json_incref(all);
			break;
		}
	}
	if (*out == NULL) {
		snprintf(why, whylen, "more than %d pages", MAX_PAGES);
		g = BROKEN;
	}
out:
	json_decref(page);
	json_decref(all);
	free(next);
	form_cleanup(&q);
	return g;
}

/* The first item whose key is value (borrowed), or NULL. */
static json_t *
find_by(json_t *items, const char *key, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(items, i, v)
	{
		if (strcmp(str_of(v, key), value) == 0)
			return v;
	}
	return NULL;
}

/* 1 when the comma-separated list have holds every item of want. */
static int
has_all(const char *have, const char *want, char *missing, size_t len)
{
	char *copy = xstrdup(want), *tok, *save = NULL;
	int all = 1;

	missing[0] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const char *p = have;
		size_t n = strlen(tok);
		int found = 0;

		while ((p = strstr(p, tok)) != NULL) {
			if ((p == have || p[-1] == ',' || p[-1] == ' ') &&
			    (p[n] == '\0' || p[n] == ',' || p[n] == ' ')) {
				found = 1;
				break;
			}
			p += n;
		}
		if (!found) {
			size_t used = strlen(missing);

			snprintf(missing + used, len - used, "%s%s",
			    all ? "" : ",", tok);
			all = 0;
		}
	}
	free(copy);
	return all;
}

/* ---- the database ---- */

static void
check_database(struct doctor *d)
{
	d->db = db_acquire();
	if (d->db == NULL) {
		fail(d, "database",
		    "no connection (see the log above): check DATABASE_URL; "
		    "a database without ramal's tables needs `ramal migrate` "
		    "(or one start of `ramal serve`)");
		return;
	}
	/* One snapshot of every table, and a guard: nothing below may write. */
	if (db_simple(d->db,
		"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != DB_OK) {
		fail(d, "database", "could not open a read-only transaction");
		db_release(d->db);
		d->db = NULL;
		return;
	}
	pass(d, "database answers (DATABASE_URL)");
}

/* ---- credentials ---- */

/*
 * GET /Accounts/{sid}.json with cl and report it as what.  1 when the
 * account answered and is active.
 */
static int
check_account(struct doctor *d, const struct twapi_client *cl, const char *what,
    const char *fix)
{
	char path[128], why[WHY_LEN];
	json_t *acct = NULL;
	int ok = 0;

	snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s.json",
	    cl->account_sid);
	switch (get(cl, TWAPI_API, path, NULL, &acct, why, sizeof(why))) {
	case GOT:
		if (strcmp(str_of(acct, "status"), "active") == 0) {
			pass(d, what);
			ok = 1;
		} else
			fail(d, what,
			    "the account is %s: reactivate it in the Console "
			    "(or ask Twilio's support)",
			    shown(str_of(acct, "status")));
		break;
	case DENIED:
	case MISSING:
		fail(d, what, "Twilio refuses it (%s): %s", why, fix);
		break;
	case BROKEN:
		fail(d, what,
		    "could not ask Twilio (%s): check TWILIO_API_BASE and the "
		    "network, then run `ramal doctor` again",
		    why);
		break;
	}
	json_decref(acct);
	return ok;
}

static int
check_main_account(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	char what[WHAT_LEN], fix[WHAT_LEN];

	/* config_load makes TWILIO_AUTH_TOKEN go with TWILIO_ACCOUNT_SID. */
	snprintf(what, sizeof(what), "main account %s auth token (%s)",
	    cfg->twilio_account_sid, "TWILIO_AUTH_TOKEN");
	snprintf(fix, sizeof(fix),
	    "copy the Auth Token of %s from the Console (Account Info) into "
	    "TWILIO_AUTH_TOKEN; until then ramal refuses every webhook "
	    "Twilio signs for this account",
	    cfg->twilio_account_sid);
	return check_account(d, &d->token_cl, what, fix);
}

/*
 * The API key of /token.  A Standard key may not read /Accounts or /Keys,
 * so it is tried on a resource of the account: the list of its TwiML Apps.
 */
static int
check_api_key(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	char what[WHAT_LEN], path[128], why[WHY_LEN];
	json_t *page = NULL;
	struct form q;
	int ok = 0;

	if (cfg->twilio_api_key_sid == NULL ||
	    cfg->twilio_api_key_secret == NULL) {
		fail(d, "API key for /token (TWILIO_API_KEY_SID)",
		    "set TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET to a "
		    "Standard API key of %s (Console, API keys & tokens): "
		    "without them /token gives the softphone no Voice token",
		    cfg->twilio_account_sid);
		return 0;
	}
	snprintf(what, sizeof(what), "API key %s for /token",
	    cfg->twilio_api_key_sid);
	snprintf(path, sizeof(path),
	    "/2010-04-01/Accounts/%s/Applications.json",
	    cfg->twilio_account_sid);
	form_init(&q);
	form_add(&q, "PageSize", "1");
	switch (get(&d->key_cl, TWAPI_API, path, &q, &page, why, sizeof(why))) {
	case GOT:
		pass(d, what);
		ok = 1;
		break;
	case DENIED:
	case MISSING:
		fail(d, what,
		    "Twilio refuses it for %s (%s): the secret is wrong, or "
		    "the key was deleted or belongs to another account; make "
		    "a Standard API key of this account in the Console and "
		    "set TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (ramal's "
		    "own REST requests use it too)",
		    cfg->twilio_account_sid, why);
		break;
	case BROKEN:
		fail(d, what,
		    "could not ask Twilio (%s): check TWILIO_API_BASE and the "
		    "network, then run `ramal doctor` again",
		    why);
		break;
	}
	form_cleanup(&q);
	json_decref(page);
	return ok;
}

static void
check_tenants(struct doctor *d)
{
	const struct config *cfg = d->cfg;

	if (store_tenant_list(d->db, &d->rows, &d->nrows) != DB_OK) {
		fail(d, "tenants",
		    "reading the tenants table failed (see the "
		    "log above)");
		return;
	}
	d->tenants = xcalloc(d->nrows ? d->nrows : 1, sizeof(*d->tenants));
	for (size_t i = 0; i < d->nrows; i++) {
		const struct store_tenant_row *row = &d->rows[i];
		struct tenant *t;
		char what[WHAT_LEN], fix[WHAT_LEN];
		enum db_result res;

		if (strcmp(row->account_sid, cfg->twilio_account_sid) == 0)
			continue;
		t = &d->tenants[d->ntenants++];
		t->row = row;
		snprintf(what, sizeof(what), "tenant %s%s%s%s auth token",
		    row->account_sid, *row->friendly_name ? " (" : "",
		    row->friendly_name, *row->friendly_name ? ")" : "");
		res = store_tenant_token(d->db, cfg->secret_key,
		    row->account_sid, &t->token);
		if (res != DB_OK) {
			fail(d, what,
			    "its stored auth token does not open with "
			    "RAMAL_SECRET_KEY (was the key changed?): store it "
			    "again with `ramal tenant add %s`",
			    row->account_sid);
			continue;
		}
		twapi_client_init_account(&t->cl, cfg, row->account_sid,
		    t->token);
		snprintf(fix, sizeof(fix),
		    "store its current Auth Token with `ramal tenant add %s` "
		    "(the token is read from stdin); until then ramal "
		    "refuses that account's webhooks",
		    row->account_sid);
		t->ok = check_account(d, &t->cl, what, fix);
	}
}

/* ---- the TwiML App ---- */

static void
check_twiml_app(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	char what[WHAT_LEN], path[160], why[WHY_LEN];
	json_t *app = NULL;

	if (cfg->twilio_twiml_app_sid == NULL) {
		fail(d, "TwiML App (TWILIO_TWIML_APP_SID)",
		    "set TWILIO_TWIML_APP_SID to a TwiML App whose Voice URL is "
		    "%s (HTTP POST): the softphone's calls go through it",
		    d->url_outbound);
		return;
	}
	snprintf(what, sizeof(what), "TwiML App %s Voice URL",
	    cfg->twilio_twiml_app_sid);
	if (d->main_cl == NULL) {
		fail(d, what,
		    "not checked: no credentials of %s work (see above)",
		    cfg->twilio_account_sid);
		return;
	}
	snprintf(path, sizeof(path),
	    "/2010-04-01/Accounts/%s/Applications/%s.json",
	    cfg->twilio_account_sid, cfg->twilio_twiml_app_sid);
	switch (
	    get(d->main_cl, TWAPI_API, path, NULL, &app, why, sizeof(why))) {
	case GOT: {
		const char *url = str_of(app, "voice_url");
		const char *method = method_of(app, "voice_method");

		if (strcmp(url, d->url_outbound) == 0 &&
		    strcmp(method, "POST") == 0) {
			snprintf(what, sizeof(what),
			    "TwiML App %s Voice URL POST %s",
			    cfg->twilio_twiml_app_sid, d->url_outbound);
			pass(d, what);
		} else
			fail(d, what,
			    "it is %s %s: set the TwiML App's Voice URL to %s "
			    "(HTTP POST) in the Console (Voice, TwiML Apps)",
			    method, shown(url), d->url_outbound);
		break;
	}
	case MISSING:
		fail(d, what,
		    "%s has no such TwiML App: make one in the Console with "
		    "Voice URL %s (HTTP POST) and set TWILIO_TWIML_APP_SID to "
		    "its SID",
		    cfg->twilio_account_sid, d->url_outbound);
		break;
	default:
		fail(d, what, "could not read it (%s)", why);
		break;
	}
	json_decref(app);
}

/* ---- numbers ---- */

/* One of a number's three webhooks. */
static void
check_hook(struct doctor *d, const char *number, const char *label,
    const char *console, const char *url, const char *method, const char *want)
{
	char what[WHAT_LEN];

	if (strcmp(url, want) == 0 && strcmp(method, "POST") == 0) {
		snprintf(what, sizeof(what), "number %s %s POST %s", number,
		    label, want);
		pass(d, what);
		return;
	}
	snprintf(what, sizeof(what), "number %s %s", number, label);
	fail(d, what,
	    "it is %s %s: set \"%s\" to %s (HTTP POST) in the Console "
	    "(Phone Numbers, the number, Voice Configuration)",
	    method, shown(url), console, want);
}

/* A number of the table, as doctor checks it (its own copies). */
struct number {
	char *e164;
	char *sid; /* NULL when not stored */
	char *bundle; /* NULL when none */
};

struct numbers {
	struct number *v;
	size_t n, cap;
};

static void
collect_number(void *arg, const struct store_number_row *row)
{
	struct numbers *all = arg;

	if (all->n == all->cap) {
		all->cap = all->cap ? all->cap * 2 : 16;
		all->v = xrealloc(all->v, all->cap * sizeof(*all->v));
	}
	all->v[all->n].e164 = xstrdup(row->e164);
	all->v[all->n].sid =
	    row->sid != NULL && *row->sid != '\0' ? xstrdup(row->sid) : NULL;
	all->v[all->n].bundle =
	    row->bundle_sid != NULL && *row->bundle_sid != '\0'
	    ? xstrdup(row->bundle_sid)
	    : NULL;
	all->n++;
}

static void
numbers_free(struct numbers *all)
{
	for (size_t i = 0; i < all->n; i++) {
		free(all->v[i].e164);
		free(all->v[i].sid);
		free(all->v[i].bundle);
	}
	free(all->v);
}

static void
check_number(struct doctor *d, const char *account, const struct number *row,
    json_t *all)
{
	char what[WHAT_LEN];
	json_t *n = NULL;
	const char *trunk, *app;

	if (row->sid != NULL)
		n = find_by(all, "sid", row->sid);
	if (n == NULL)
		n = find_by(all, "phone_number", row->e164);
	if (n == NULL) {
		snprintf(what, sizeof(what), "number %s", row->e164);
		fail(d, what,
		    "%s has no such number at Twilio: buy or port it to that "
		    "account, or correct it with `ramal number add` "
		    "(--account %s)",
		    account, account);
		return;
	}
	trunk = str_of(n, "trunk_sid");
	app = str_of(n, "voice_application_sid");
	if (*trunk != '\0' || *app != '\0') {
		snprintf(what, sizeof(what), "number %s Voice URL", row->e164);
		fail(d, what,
		    "its calls go to %s %s, which overrides its Voice URL: in "
		    "the Console set \"A call comes in\" to Webhook %s (HTTP "
		    "POST)",
		    *trunk ? "SIP trunk" : "TwiML App", *trunk ? trunk : app,
		    d->url_inbound);
	} else
		check_hook(d, row->e164, "Voice URL", "A call comes in",
		    str_of(n, "voice_url"), method_of(n, "voice_method"),
		    d->url_inbound);
	check_hook(d, row->e164, "fallback URL", "Primary handler fails",
	    str_of(n, "voice_fallback_url"),
	    method_of(n, "voice_fallback_method"), d->url_fallback);
	check_hook(d, row->e164, "status callback", "Call status changes",
	    str_of(n, "status_callback"),
	    method_of(n, "status_callback_method"), d->url_status);
}

/*
 * The regulatory bundle of rows->v[at] (first number that uses it), read
 * at Twilio: Brazilian numbers need it twilio-approved.
 */
static void
check_bundle(struct doctor *d, const struct numbers *rows, size_t at,
    const struct twapi_client *cl)
{
	const char *sid = rows->v[at].bundle;
	char what[WHAT_LEN], path[128], why[WHY_LEN], used[256] = "";
	json_t *b = NULL;
	size_t len = 0;

	for (size_t i = 0; i < at; i++)
		if (rows->v[i].bundle && strcmp(rows->v[i].bundle, sid) == 0)
			return; /* checked with its first number */
	for (size_t i = at; i < rows->n && len + 20 < sizeof(used); i++)
		if (rows->v[i].bundle && strcmp(rows->v[i].bundle, sid) == 0)
			len += (size_t)snprintf(used + len, sizeof(used) - len,
			    "%s%s", len ? ", " : "", rows->v[i].e164);
	snprintf(what, sizeof(what), "regulatory bundle %s (%s)", sid, used);
	if (cl == NULL) {
		fail(d, what,
		    "not checked: no credentials of the account work");
		return;
	}
	snprintf(path, sizeof(path), "/v2/RegulatoryCompliance/Bundles/%s",
	    sid);
	switch (get(cl, TWAPI_NUMBERS, path, NULL, &b, why, sizeof(why))) {
	case GOT:
		if (strcmp(str_of(b, "status"), "twilio-approved") == 0) {
			snprintf(what, sizeof(what),
			    "regulatory bundle %s (%s) twilio-approved", sid,
			    used);
			pass(d, what);
		} else
			fail(d, what,
			    "it is %s, not twilio-approved: Twilio may take "
			    "its numbers back; see the bundle in the Console "
			    "(Phone Numbers, Regulatory Compliance, Bundles)",
			    shown(str_of(b, "status")));
		break;
	case MISSING:
		fail(d, what,
		    "the account has no such bundle: buy the numbers again "
		    "with an approved one, or fix phone_numbers.bundle_sid");
		break;
	default:
		fail(d, what, "could not read it (%s)", why);
		break;
	}
	json_decref(b);
}

/*
 * The numbers of account (from the table), each against Twilio's
 * IncomingPhoneNumbers of that account read with cl (NULL: none works),
 * and the bundles they use.
 */
static void
check_numbers_of(struct doctor *d, const char *account,
    const struct twapi_client *cl)
{
	struct numbers rows = { NULL, 0, 0 };
	char path[128], why[WHY_LEN], what[WHAT_LEN];
	json_t *all = NULL;
	enum got g = BROKEN;

	if (store_number_list(d->db, account, collect_number, &rows) !=
	    DB_OK) {
		numbers_free(&rows);
		snprintf(what, sizeof(what), "numbers of %s", account);
		fail(d, what,
		    "reading phone_numbers failed (see the log "
		    "above)");
		return;
	}
	if (rows.n == 0) {
		numbers_free(&rows);
		return;
	}
	if (cl != NULL) {
		snprintf(path, sizeof(path),
		    "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json",
		    account);
		g = get_list(cl, TWAPI_API, path, "incoming_phone_numbers",
		    &all, why, sizeof(why));
	} else
		snprintf(why, sizeof(why), "no credentials of %s work",
		    account);
	for (size_t i = 0; i < rows.n; i++) {
		if (g == GOT) {
			check_number(d, account, &rows.v[i], all);
			continue;
		}
		snprintf(what, sizeof(what), "number %s", rows.v[i].e164);
		fail(d, what,
		    "not checked: reading the numbers of %s failed (%s); fix "
		    "the credentials above",
		    account, why);
	}
	for (size_t i = 0; i < rows.n; i++)
		if (rows.v[i].bundle != NULL)
			check_bundle(d, &rows, i, cl);
	json_decref(all);
	numbers_free(&rows);
}

static void
check_numbers(struct doctor *d)
{
	for (size_t i = 0; i < d->nrows; i++) {
		const char *account = d->rows[i].account_sid;
		const struct twapi_client *cl = d->main_cl;

		/* A subaccount's own token, else its parent's credentials. */
		for (size_t k = 0; k < d->ntenants; k++)
			if (d->tenants[k].row == &d->rows[i] &&
			    d->tenants[k].ok)
				cl = &d->tenants[k].cl;
		check_numbers_of(d, account, cl);
	}
}

/* ---- TaskRouter ---- */

static void
check_workflow_env(struct doctor *d, const struct store_tr_config *tr)
{
	const char *env = d->cfg->twilio_workflow_sid;
	char what[WHAT_LEN];

	if (env == NULL)
		fail(d, "TWILIO_WORKFLOW_SID",
		    "not set, so calls no agent takes go to voicemail instead "
		    "of the queue: set TWILIO_WORKFLOW_SID=%s (the workflow "
		    "`ramal provision` made) on every instance",
		    tr->workflow_sid);
	else if (strcmp(env, tr->workflow_sid) != 0)
		fail(d, "TWILIO_WORKFLOW_SID",
		    "it is %s, but the provisioned workflow is %s: set "
		    "TWILIO_WORKFLOW_SID=%s on every instance",
		    env, tr->workflow_sid, tr->workflow_sid);
	else {
		snprintf(what, sizeof(what),
		    "TWILIO_WORKFLOW_SID %s is the provisioned workflow", env);
		pass(d, what);
	}
}

/* 1 when the workspace exists (the checks under it make sense). */
static int
check_workspace(struct doctor *d, const struct store_tr_config *tr)
{
	char what[WHAT_LEN], path[128], why[WHY_LEN], missing[1024];
	json_t *ws = NULL;
	int exists = 0;

	snprintf(what, sizeof(what), "TaskRouter workspace %s",
	    tr->workspace_sid);
	snprintf(path, sizeof(path), "/v1/Workspaces/%s", tr->workspace_sid);
	switch (get(d->main_cl, TWAPI_TASKROUTER, path, NULL, &ws, why,
	    sizeof(why))) {
	case GOT: {
		const char *cb = str_of(ws, "event_callback_url");

		exists = 1;
		if (strcmp(cb, d->url_events) != 0)
			fail(d, what,
			    "its event callback is %s: run `ramal provision` "
			    "(it sets %s)",
			    shown(cb), d->url_events);
		else if (!has_all(str_of(ws, "events_filter"),
			     TASKROUTER_EVENTS_FILTER, missing,
			     sizeof(missing)))
			fail(d, what,
			    "its events filter leaves out %s: run `ramal "
			    "provision`",
			    missing);
		else {
			snprintf(what, sizeof(what),
			    "TaskRouter workspace %s event callback %s",
			    tr->workspace_sid, d->url_events);
			pass(d, what);
		}
		break;
	}
	case MISSING:
		fail(d, what,
		    "%s has no such workspace: run `ramal provision` (agents "
		    "keep their old workers' SIDs: see docs/doctor.md)",
		    d->cfg->twilio_account_sid);
		break;
	default:
		fail(d, what, "could not read it (%s)", why);
		break;
	}
	json_decref(ws);
	return exists;
}

static void
check_activities(struct doctor *d, const struct store_tr_config *tr)
{
	const struct {
		const char *name;
		const char *sid;
		int available;
	} want[] = {
		{ "Available", tr->activity_available_sid, 1 },
		{ "Busy", tr->activity_busy_sid, 0 },
		{ "Offline", tr->activity_offline_sid, 0 },
		{ "Wrap-up", tr->activity_wrapup_sid, 0 },
	};
	char path[128], why[WHY_LEN], what[WHAT_LEN];
	json_t *all = NULL;
	enum got g;

	snprintf(path, sizeof(path), "/v1/Workspaces/%s/Activities",
	    tr->workspace_sid);
	g = get_list(d->main_cl, TWAPI_TASKROUTER, path, "activities", &all,
	    why, sizeof(why));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *a;

		snprintf(what, sizeof(what), "TaskRouter activity %s %s",
		    want[i].name, want[i].sid);
		if (g != GOT) {
			fail(d, what, "could not list the activities (%s)",
			    why);
			continue;
		}
		a = find_by(all, "sid", want[i].sid);
		if (a == NULL)
			fail(d, what,
			    "no such activity in workspace %s: run `ramal "
			    "provision`",
			    tr->workspace_sid);
		else if (json_is_true(json_object_get(a, "available")) !=
		    want[i].available)
			fail(d, what,
			    "it is %savailable, TaskRouter cannot change that: "
			    "delete it in the Console (Activities) and run "
			    "`ramal provision`",
			    want[i].available ? "not " : "");
		else
			pass(d, what);
	}
	json_decref(all);
}

static void
check_queue(struct doctor *d, const struct store_tr_config *tr)
{
	char what[WHAT_LEN], path[160], why[WHY_LEN];
	json_t *q = NULL;

	snprintf(what, sizeof(what), "TaskRouter task queue %s",
	    tr->task_queue_sid);
	snprintf(path, sizeof(path), "/v1/Workspaces/%s/TaskQueues/%s",
	    tr->workspace_sid, tr->task_queue_sid);
	switch (get(d->main_cl, TWAPI_TASKROUTER, path, NULL, &q, why,
	    sizeof(why))) {
	case GOT:
		pass(d, what);
		break;
	case MISSING:
		fail(d, what,
		    "no such task queue in workspace %s: run `ramal "
		    "provision`",
		    tr->workspace_sid);
		break;
	default:
		fail(d, what, "could not read it (%s)", why);
		break;
	}
	json_decref(q);
}

static void
check_workflow(struct doctor *d, const struct store_tr_config *tr)
{
	char what[WHAT_LEN], path[160], why[WHY_LEN];
	json_t *w = NULL;

	snprintf(what, sizeof(what), "TaskRouter workflow %s",
	    tr->workflow_sid);
	snprintf(path, sizeof(path), "/v1/Workspaces/%s/Workflows/%s",
	    tr->workspace_sid, tr->workflow_sid);
	switch (get(d->main_cl, TWAPI_TASKROUTER, path, NULL, &w, why,
	    sizeof(why))) {
	case GOT: {
		const char *cb = str_of(w, "assignment_callback_url");
		const char *fb = str_of(w, "fallback_assignment_callback_url");

		if (strcmp(cb, d->url_assignment) != 0)
			fail(d, what,
			    "its assignment callback is %s: run `ramal "
			    "provision` (it sets %s)",
			    shown(cb), d->url_assignment);
		else if (strcmp(fb, d->url_assignment) != 0)
			fail(d, what,
			    "its fallback assignment callback is %s: run "
			    "`ramal provision` (it sets %s)",
			    shown(fb), d->url_assignment);
		else if (strstr(str_of(w, "configuration"),
			     tr->task_queue_sid) == NULL)
			fail(d, what,
			    "it does not route to task queue %s: run `ramal "
			    "provision`",
			    tr->task_queue_sid);
		else {
			snprintf(what, sizeof(what),
			    "TaskRouter workflow %s assignment callback %s",
			    tr->workflow_sid, d->url_assignment);
			pass(d, what);
		}
		break;
	}
	case MISSING:
		fail(d, what,
		    "no such workflow in workspace %s: run `ramal provision` "
		    "and set TWILIO_WORKFLOW_SID to the SID it prints",
		    tr->workspace_sid);
		break;
	default:
		fail(d, what, "could not read it (%s)", why);
		break;
	}
	json_decref(w);
}

/* The identity in a worker's attributes is the agent's. */
static int
same_identity(const json_t *worker, const char *identity)
{
	const char *text = twapi_json_str(worker, "attributes");
	json_t *attrs = text ? json_loads(text, 0, NULL) : NULL;
	int same = strcmp(str_of(attrs, "identity"), identity) == 0;

	json_decref(attrs);
	return same;
}

static void
check_workers(struct doctor *d, const struct store_tr_config *tr)
{
	struct store_tr_agent *agents = NULL;
	size_t n = 0;
	char path[128], why[WHY_LEN], what[WHAT_LEN];
	json_t *all = NULL;
	enum got g;

	if (store_tr_agents(d->db, d->cfg->twilio_account_sid, &agents, &n) !=
	    DB_OK) {
		fail(d, "TaskRouter workers",
		    "reading the agents failed (see "
		    "the log above)");
		return;
	}
	if (n == 0)
		return;
	snprintf(path, sizeof(path), "/v1/Workspaces/%s/Workers",
	    tr->workspace_sid);
	g = get_list(d->main_cl, TWAPI_TASKROUTER, path, "workers", &all, why,
	    sizeof(why));
	for (size_t i = 0; i < n; i++) {
		const struct store_tr_agent *a = &agents[i];
		json_t *w;

		if (a->worker_sid == NULL) {
			snprintf(what, sizeof(what),
			    "TaskRouter worker of agent %s", a->identity);
			fail(d, what,
			    "%s has none, so the queue never offers %s a "
			    "call: run `ramal provision`",
			    a->identity, a->identity);
			continue;
		}
		snprintf(what, sizeof(what), "TaskRouter worker %s of agent %s",
		    a->worker_sid, a->identity);
		if (g != GOT) {
			fail(d, what, "could not list the workers (%s)", why);
			continue;
		}
		w = find_by(all, "sid", a->worker_sid);
		if (w == NULL)
			fail(d, what,
			    "no such worker in workspace %s, and `ramal "
			    "provision` only makes workers for agents without "
			    "one: clear it (UPDATE users SET worker_sid = NULL "
			    "WHERE identity = '%s'), then run `ramal "
			    "provision`",
			    tr->workspace_sid, a->identity);
		else if (!same_identity(w, a->identity))
			fail(d, what,
			    "its attributes do not say \"identity\": \"%s\", "
			    "so dedicated calls never reach it: set that in "
			    "its attributes in the Console (TaskRouter, "
			    "Workers)",
			    a->identity);
		else
			pass(d, what);
	}
	json_decref(all);
	store_tr_agents_free(agents, n);
}

static void
check_taskrouter(struct doctor *d)
{
	const char *account = d->cfg->twilio_account_sid;
	struct store_tr_config tr;

	switch (store_tr_config_get(d->db, account, &tr)) {
	case DB_OK:
		break;
	case DB_NOTFOUND:
		fail(d, "TaskRouter",
		    "nothing is provisioned for %s: run `ramal provision`",
		    account);
		return;
	default:
		fail(d, "TaskRouter",
		    "reading taskrouter_config failed (see "
		    "the log above)");
		return;
	}
	check_workflow_env(d, &tr);
	if (d->main_cl == NULL) {
		fail(d, "TaskRouter",
		    "not checked: no credentials of %s work (see above)",
		    account);
		return;
	}
	if (!check_workspace(d, &tr))
		return;
	check_activities(d, &tr);
	check_queue(d, &tr);
	check_workflow(d, &tr);
	check_workers(d, &tr);
}

/* ---- alerts ---- */

/* What the tenants' rules ask of WhatsApp. */
struct wa_use {
	int events; /* bit e: some tenant sends alert_events[e] there */
	int digest; /* some tenant with quiet hours sends something there */
	int no_recipient; /* ... and it has no whatsapp_to, nor WHATSAPP_TO */
	const struct config *cfg;
};

static void
collect_wa(void *arg, const char *account, const char *stored)
{
	struct wa_use *u = arg;
	struct alert_rules r;
	int any = 0;

	(void)account;
	alert_rules_load(&r, stored);
	for (int e = 0; e < ALERT_EVENTS_N; e++)
		if (r.channels[e] & ALERT_CH_WHATSAPP) {
			u->events |= 1 << e;
			any = 1;
		}
	if (any && r.quiet)
		u->digest = 1;
	if (any && r.whatsapp_to[0] == '\0' && u->cfg->whatsapp_to == NULL)
		u->no_recipient = 1;
}

static void
check_template(struct doctor *d, const char *event, const char *what)
{
	const char *tpl = alerts_template(d->cfg, event);
	char line[160];

	snprintf(line, sizeof(line), "WhatsApp template for %s", what);
	if (tpl != NULL) {
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    " %.6s… (%s)", tpl, alerts_template_var(event));
		pass(d, line);
	} else
		fail(d, line,
		    "%s is not set, so %s alerts are not sent on WhatsApp: set "
		    "it to the Content SID (HX...) of a template WhatsApp "
		    "approved (docs/alerts.md lists its variables)",
		    alerts_template_var(event), what);
}

/*
 * WhatsApp carries only approved templates: every event some tenant's
 * rules send there needs one (and the digest, with quiet hours).
 */
static void
check_alerts(struct doctor *d)
{
	struct wa_use u;

	memset(&u, 0, sizeof(u));
	u.cfg = d->cfg;
	if (store_alerts_rules_each(d->db, collect_wa, &u) != DB_OK) {
		fail(d, "alert rules", "could not be read (see the log above)");
		return;
	}
	if (u.events == 0)
		return;
	if (d->cfg->whatsapp_from == NULL)
		fail(d, "WhatsApp alerts",
		    "the alert rules send events to WhatsApp but WHATSAPP_FROM "
		    "is not set: set it to your WhatsApp sender "
		    "(whatsapp:+E164)");
	if (u.no_recipient)
		fail(d, "WhatsApp alerts",
		    "a tenant sends events to WhatsApp without a recipient: set "
		    "WHATSAPP_TO or its whatsapp_to (PUT /api/admin/alert-rules)");
	for (int e = 0; e < ALERT_EVENTS_N; e++)
		if (u.events & (1 << e))
			check_template(d, alert_events[e], alert_events[e]);
	if (u.digest)
		check_template(d, "digest", "the quiet hours' digest");
}

/* ---- the command ---- */

/* The settings every check needs; 0, or -1 after reporting them. */
static int
check_settings(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	int rc = 0;

	if (cfg->twilio_account_sid == NULL) {
		fail(d, "TWILIO_ACCOUNT_SID",
		    "not set: set it to the main account's SID (AC..., "
		    "Console, Account Info)");
		rc = -1;
	}
	/* Unset, it defaults to http://localhost:PORT (config.c). */
	if (!auth_cookie_secure(cfg->base_url)) {
		fail(d, "BASE_URL",
		    "it is %s, which Twilio cannot reach (the default when "
		    "unset): set it to the public https address Twilio calls "
		    "(no trailing slash)",
		    cfg->base_url);
		rc = -1;
	}
	return rc;
}

static void
urls_init(struct doctor *d)
{
	const char *b = d->cfg->base_url;

	snprintf(d->url_inbound, URL_LEN, "%s%s", b, PATH_VOICE_INBOUND);
	snprintf(d->url_fallback, URL_LEN, "%s%s", b, PATH_VOICE_FALLBACK);
	snprintf(d->url_status, URL_LEN, "%s%s", b, PATH_STATUS);
	snprintf(d->url_outbound, URL_LEN, "%s%s", b, PATH_VOICE_OUTBOUND);
	snprintf(d->url_events, URL_LEN, "%s%s", b, PATH_TR_EVENTS);
	snprintf(d->url_assignment, URL_LEN, "%s%s", b, PATH_TR_ASSIGNMENT);
}

static void
clients_init(struct doctor *d)
{
	const struct config *cfg = d->cfg;

	twapi_client_init_account(&d->token_cl, cfg, cfg->twilio_account_sid,
	    cfg->twilio_auth_token);
	twapi_client_init_account(&d->key_cl, cfg, cfg->twilio_account_sid,
	    cfg->twilio_api_key_secret);
	d->key_cl.user = cfg->twilio_api_key_sid;
}

static void
closing(const struct doctor *d)
{
	const char *b = d->cfg->base_url;

	printf("ramal doctor: %d ok, %d failed\n", d->nok, d->nfail);
	printf("not checked: that BASE_URL %s is reachable from the internet "
	       "and serves a valid TLS certificate%s; check it from outside, "
	       "e.g. curl -sf %s%s\n",
	    b,
	    strncmp(b, "https://", 8) != 0
		? " (it is not https: Twilio and browsers need https in "
		  "production)"
		: "",
	    b, PATH_READYZ);
}

int
doctor_run(const struct config *cfg)
{
	struct doctor d;
	int token_ok, key_ok;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	printf("ramal doctor: account %s, BASE_URL %s\n",
	    cfg->twilio_account_sid ? cfg->twilio_account_sid : "(unset)",
	    cfg->base_url);
	if (check_settings(&d) != 0)
		goto out;
	urls_init(&d);
	clients_init(&d);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (db_init(cfg->database_url, 1, 5000, cfg->db_statement_timeout_ms,
		store_statements()) != 0)
		fail(&d, "database", "DATABASE_URL is not usable");
	else
		check_database(&d);

	token_ok = check_main_account(&d);
	key_ok = check_api_key(&d);
	/* One bad credential is reported once, not by every check after. */
	d.main_cl = token_ok ? &d.token_cl : key_ok ? &d.key_cl : NULL;
	if (d.db != NULL)
		check_tenants(&d);
	check_twiml_app(&d);
	if (d.db != NULL) {
		check_numbers(&d);
		check_taskrouter(&d);
		check_alerts(&d);
	}

	for (size_t i = 0; i < d.ntenants; i++)
		util_free_secret(d.tenants[i].token);
	free(d.tenants);
	store_tenant_list_free(d.rows, d.nrows);
	if (d.db != NULL && db_in_transaction(d.db))
		db_simple(d.db, "ROLLBACK");
	db_release(d.db);
	db_shutdown();
	curl_global_cleanup();
out:
	closing(&d);
	return d.nfail == 0 ? 0 : 1;
}
