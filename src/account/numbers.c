/*
 * A tenant's numbers at Twilio: search, buy, import, release, list,
 * update.  See include/account/numbers.h and docs/numbers.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundles.h"
#include "ddd.h"
#include "form.h"
#include "hooks.h"
#include "log.h"
#include "numbers.h"
#include "store_number.h"
#include "twparam.h"
#include "util.h"

#define LIMIT_DEFAULT 20
#define LIMIT_MAX 50
#define SAME_STATE_EACH 5 /* numbers shown per other DDD of the state */
#define CONTAINS_MAX 9 /* digits: "+55" + DDD + these fit Twilio's 16 */
#define LABEL_MAX 200

/* ---- rows as JSON ---- */

static json_t *
str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

/* The numbers_list row of r. */
static json_t *
row_json(const struct account_ctx *x, const struct store_number_row *r)
{
	json_t *hooks = *r->hooks ? json_loads(r->hooks, 0, NULL) : NULL;
	int at = hooks_at_base(x, hooks);
	json_t *w;

	w = json_pack("{s:o, s:o, s:o, s:o, s:o}", "voice_url",
	    str_or_null(twapi_json_str(hooks, "voice_url")),
	    "voice_fallback_url",
	    str_or_null(twapi_json_str(hooks, "voice_fallback_url")),
	    "status_callback",
	    str_or_null(twapi_json_str(hooks, "status_callback")), "read_at",
	    str_or_null(r->hooks_read_at), "at_base_url",
	    at < 0 ? json_null() : json_boolean(at));
	json_decref(hooks);
	return json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:i, s:b, s:o}",
	    "sid", str_or_null(r->sid), "phone_number", r->e164, "label",
	    r->label, "owner", str_or_null(r->owner), "bundle_sid",
	    str_or_null(r->bundle_sid), "bundle_status",
	    str_or_null(r->bundle_status), "address_sid",
	    str_or_null(r->address_sid), "ring_timeout_s", r->ring_timeout_s,
	    "voicemail", r->voicemail, "webhooks", w);
}

struct rows_json {
	const struct account_ctx *x;
	json_t *arr;
};

static void
collect_json(void *arg, const struct store_number_row *r)
{
	struct rows_json *c = arg;

	json_array_append_new(c->arr, row_json(c->x, r));
}

/*
 * The row of number (an E.164 or a PN SID) into *out (a new object).
 * NOT_FOUND / BAD_INPUT / UNAVAILABLE with e filled.
 */
static enum account_status
find_row(struct account_ctx *x, const char *number, json_t **out,
    struct account_err *e)
{
	struct rows_json c = { x, json_array() };
	enum db_result res;
	char e164[20];

	*out = NULL;
	if (number != NULL && twparam_sid(number, "PN"))
		res = store_number_by_sid(x->db, x->account_sid, number,
		    collect_json, &c);
	else if (account_e164(number, e164, sizeof(e164)) != 0) {
		json_decref(c.arr);
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "%s is neither an E.164 number (+55...) nor a number SID "
		    "(PN...)",
		    number ? number : "(none)");
	} else
		res = store_number_get(x->db, x->account_sid, e164,
		    collect_json, &c);
	if (res == DB_OK && json_array_size(c.arr) == 1)
		*out = json_incref(json_array_get(c.arr, 0));
	json_decref(c.arr);
	if (res == DB_NOTFOUND)
		return account_fail(e, ACCOUNT_NOT_FOUND,
		    "account %s has no number %s in ramal", x->account_sid,
		    number);
	if (res != DB_OK || *out == NULL)
		return account_fail_db(e, "reading the number", res);
	return ACCOUNT_OK;
}

enum account_status
numbers_get(struct account_ctx *x, const char *number, json_t **out,
    struct account_err *e)
{
	return find_row(x, number, out, e);
}

/* ---- search ---- */

static const char *
type_path(const char *type)
{
	if (type == NULL || strcmp(type, "local") == 0)
		return "Local";
	if (strcmp(type, "mobile") == 0)
		return "Mobile";
	if (strcmp(type, "toll-free") == 0)
		return "TollFree";
	return NULL;
}

enum account_status
numbers_search_check(const struct numbers_query *q, struct account_err *e)
{
	const char *type = q->type ? q->type : "local";
	int tollfree = strcmp(type, "toll-free") == 0;

	memset(e, 0, sizeof(*e));
	if (q->country != NULL && strcasecmp(q->country, "BR") != 0)
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "country %s: only Brazil (BR) is supported", q->country);
	if (type_path(type) == NULL)
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "type %s: it is local, mobile or toll-free", type);
	if (tollfree && q->ddd != NULL)
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "toll-free numbers (0800) have no DDD: leave the DDD out");
	if (!tollfree && q->ddd == NULL)
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "a DDD is needed (two digits, e.g. 11 for São Paulo)");
	if (!tollfree &&
	    (strlen(q->ddd) != 2 || strspn(q->ddd, "0123456789") != 2))
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "DDD %s is not two digits", q->ddd);
	if (!tollfree && ddd_parse(q->ddd) == NULL)
		return account_fail(e, ACCOUNT_INVALID,
		    "DDD %s does not exist in Brazil (Anatel's plan has no "
		    "such area code)",
		    q->ddd);
	if (q->contains != NULL &&
	    (*q->contains == '\0' || strlen(q->contains) > CONTAINS_MAX ||
		strspn(q->contains, "0123456789") != strlen(q->contains)))
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "contains %s: 1 to %d digits (those right after the DDD)",
		    q->contains, CONTAINS_MAX);
	if (q->limit < 0 || q->limit > LIMIT_MAX)
		return account_fail(e, ACCOUNT_BAD_INPUT, "limit %d: 1 to %d",
		    q->limit, LIMIT_MAX);
	return ACCOUNT_OK;
}

/* One available number as numbers_search shows it. */
static json_t *
available_json(const json_t *v)
{
	const json_t *cap = json_object_get(v, "capabilities");
	json_t *voice = json_object_get(cap, "voice");
	json_t *sms = json_object_get(cap, "sms");

	if (sms == NULL)
		sms = json_object_get(cap, "SMS");
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:b, s:b}", "phone_number",
	    account_str(v, "phone_number"), "friendly_name",
	    str_or_null(twapi_json_str(v, "friendly_name")), "locality",
	    str_or_null(twapi_json_str(v, "locality")), "region",
	    str_or_null(twapi_json_str(v, "region")), "address_requirements",
	    str_or_null(twapi_json_str(v, "address_requirements")), "voice",
	    json_is_true(voice), "sms", json_is_true(sms));
}

/*
 * GET AvailablePhoneNumbers/BR/<kind>.json with Contains=pattern (NULL:
 * none): a new array of available_json in *out.
 */
static enum account_status
available(struct account_ctx *x, const char *kind, const char *pattern,
    int limit, json_t **out, struct account_err *e)
{
	const struct twapi_client *tw = account_twilio(x, e);
	struct twapi_resp resp;
	struct form q;
	char path[200], size[16];
	json_t *items, *v;
	enum account_status rc = ACCOUNT_TWILIO;
	size_t i;

	*out = NULL;
	if (tw == NULL)
		return e->status;
	snprintf(path, sizeof(path),
	    "/2010-04-01/Accounts/%s/AvailablePhoneNumbers/BR/%s.json",
	    x->account_sid, kind);
	snprintf(size, sizeof(size), "%d", limit);
	form_init(&q);
	if (pattern != NULL)
		form_add(&q, "Contains", pattern);
	form_add(&q, "VoiceEnabled", twapi_bool(1));
	form_add(&q, "PageSize", size);
	if (twapi_get(tw, TWAPI_API, path, &q, &resp) != TWAPI_OK) {
		account_fail_twilio(e, "searching Twilio's numbers", &resp);
		goto out;
	}
	items = json_object_get(resp.body, "available_phone_numbers");
	if (!json_is_array(items)) {
		account_fail(e, ACCOUNT_TWILIO,
		    "searching Twilio's numbers: the answer has no "
		    "available_phone_numbers");
		goto out;
	}
	*out = json_array();
	json_array_foreach(items, i, v)
	{
		if (i >= (size_t)limit)
			break;
		json_array_append_new(*out, available_json(v));
	}
	rc = ACCOUNT_OK;
out:
	twapi_resp_cleanup(&resp);
	form_cleanup(&q);
	return rc;
}

enum account_status
numbers_search(struct account_ctx *x, const struct numbers_query *q,
    json_t **out, struct account_err *e)
{
	const char *type = q->type ? q->type : "local";
	const char *kind = type_path(type);
	const struct ddd *d = NULL, *others[16];
	int limit = q->limit > 0 ? q->limit : LIMIT_DEFAULT;
	json_t *found = NULL, *same;
	enum account_status rc;
	char pattern[32];
	size_t n;

	*out = NULL;
	if ((rc = numbers_search_check(q, e)) != ACCOUNT_OK)
		return rc;
	if (q->ddd != NULL) {
		d = ddd_parse(q->ddd);
		snprintf(pattern, sizeof(pattern), "+55%s%s", d->code,
		    q->contains ? q->contains : "");
	} else
		snprintf(pattern, sizeof(pattern), "+55800%s",
		    q->contains ? q->contains : "");
	rc = available(x, kind, q->ddd != NULL || q->contains ? pattern : NULL,
	    limit, &found, e);
	if (rc != ACCOUNT_OK)
		return rc;
	same = json_array();
	n = d != NULL && json_array_size(found) == 0
	    ? ddd_of_uf(d->uf, d->code, others, 16)
	    : 0;
	for (size_t i = 0; i < n && i < 16; i++) {
		json_t *there = NULL;

		snprintf(pattern, sizeof(pattern), "+55%s%s", others[i]->code,
		    q->contains ? q->contains : "");
		rc = available(x, kind, pattern,
		    limit < SAME_STATE_EACH ? limit : SAME_STATE_EACH, &there,
		    e);
		if (rc != ACCOUNT_OK) {
			json_decref(found);
			json_decref(same);
			return rc;
		}
		json_array_append_new(same,
		    json_pack("{s:s, s:o}", "ddd", others[i]->code, "numbers",
			there));
	}
	*out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "country",
	    "BR", "type", type, "ddd", d ? json_string(d->code) : json_null(),
	    "uf", d ? json_string(d->uf) : json_null(), "state",
	    d ? json_string(d->state) : json_null(), "contains",
	    str_or_null(q->contains), "numbers", found, "same_state", same);
	return ACCOUNT_OK;
}

/* ---- buy ---- */

enum account_status
numbers_buy_check(const struct numbers_buy *b, struct account_err *e)
{
	char e164[20];

	memset(e, 0, sizeof(*e));
	if (account_e164(b->phone_number, e164, sizeof(e164)) != 0)
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "%s is not an E.164 number (+55 and the DDD and number, "
		    "e.g. +551130001234)",
		    b->phone_number ? b->phone_number : "(none)");
	if (b->bundle_sid != NULL && !twparam_sid(b->bundle_sid, "BU"))
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "%s is not a regulatory bundle SID (BU + 32 hex digits)",
		    b->bundle_sid);
	if (b->address_sid != NULL && !twparam_sid(b->address_sid, "AD"))
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "%s is not an address SID (AD + 32 hex digits)",
		    b->address_sid);
	if (b->label != NULL && strlen(b->label) > LABEL_MAX)
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "the label is longer than %d characters", LABEL_MAX);
	if (b->owner != NULL && !twparam_identity(b->owner))
		return account_fail(e, ACCOUNT_INVALID,
		    "no agent has the identity %s", b->owner);
	return ACCOUNT_OK;
}

/* The owner given exists in the tenant.  OK / INVALID / UNAVAILABLE. */
static enum account_status
owner_exists(struct account_ctx *x, const char *owner, struct account_err *e)
{
	enum db_result res;

	if (owner == NULL || *owner == '\0')
		return ACCOUNT_OK;
	res = store_number_agent(x->db, x->account_sid, owner);
	if (res == DB_NOTFOUND)
		return account_fail(e, ACCOUNT_INVALID,
		    "account %s has no agent with identity %s (ramal user "
		    "list)",
		    x->account_sid, owner);
	if (res != DB_OK)
		return account_fail_db(e, "reading the agent", res);
	return ACCOUNT_OK;
}

/*
 * The number is no other tenant's (e164 is unique across tenants: Twilio
 * would sell it, but ramal could not store it).
 */
static enum account_status
not_elsewhere(struct account_ctx *x, const char *e164, struct account_err *e)
{
	char other[40];
	enum db_result res;

	res = store_number_account(x->db, e164, other, sizeof(other));
	if (res == DB_NOTFOUND ||
	    (res == DB_OK && strcmp(other, x->account_sid) == 0))
		return ACCOUNT_OK;
	if (res != DB_OK)
		return account_fail_db(e, "reading the number", res);
	return account_fail(e, ACCOUNT_REFUSED,
	    "%s is a number of account %s in ramal, not of %s", e164, other,
	    x->account_sid);
}

/*
 * The IncomingPhoneNumber e164 of the account into *out (a new
 * reference), NULL when the account does not have it.
 */
static enum account_status
lookup(struct account_ctx *x, const char *e164, json_t **out,
    struct account_err *e)
{
	const struct twapi_client *tw = account_twilio(x, e);
	struct twapi_resp resp;
	struct form q;
	char path[160];
	json_t *hit;

	*out = NULL;
	if (tw == NULL)
		return e->status;
	snprintf(path, sizeof(path),
	    "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json",
	    x->account_sid);
	form_init(&q);
	form_add(&q, "PhoneNumber", e164);
	if (twapi_get(tw, TWAPI_API, path, &q, &resp) != TWAPI_OK) {
		form_cleanup(&q);
		account_fail_twilio(e, "looking the number up on the account",
		    &resp);
		twapi_resp_cleanup(&resp);
		return ACCOUNT_TWILIO;
	}
	form_cleanup(&q);
	hit = account_find(json_object_get(resp.body, "incoming_phone_numbers"),
	    "phone_number", e164);
	if (hit != NULL && twparam_sid(account_str(hit, "sid"), "PN"))
		*out = json_incref(hit);
	twapi_resp_cleanup(&resp);
	return ACCOUNT_OK;
}

/*
 * Store pn (Twilio's IncomingPhoneNumber) and its owner in one
 * transaction.  bundle/address: what was asked, when Twilio's answer
 * lacks them.
 */
static enum account_status
store_bought(struct account_ctx *x, const json_t *pn, const char *e164,
    const struct numbers_buy *b, struct account_err *e)
{
	struct store_number_twilio t;
	const char *bundle = twapi_json_str(pn, "bundle_sid");
	const char *address = twapi_json_str(pn, "address_sid");
	char *hooks = hooks_of_number(pn);
	enum db_result res;

	memset(&t, 0, sizeof(t));
	t.e164 = e164;
	t.sid = account_str(pn, "sid");
	t.label = b->label;
	t.bundle_sid = twparam_sid(bundle, "BU") ? bundle : b->bundle_sid;
	t.address_sid = twparam_sid(address, "AD") ? address : b->address_sid;
	t.hooks = hooks;
	if ((res = db_simple(x->db, "BEGIN")) != DB_OK)
		goto fail;
	if ((res = store_number_twilio(x->db, x->account_sid, &t)) != DB_OK)
		goto fail;
	if (b->owner != NULL &&
	    (res = store_number_assign(x->db, x->account_sid, e164,
		 *b->owner ? b->owner : NULL)) != DB_OK)
		goto fail;
	if ((res = db_simple(x->db, "COMMIT")) != DB_OK)
		goto fail;
	free(hooks);
	return ACCOUNT_OK;
fail:
	free(hooks);
	if (db_in_transaction(x->db))
		db_simple(x->db, "ROLLBACK");
	return account_fail(e, ACCOUNT_UNAVAILABLE,
	    "%s (%s) is on account %s at Twilio but could not be stored (%s): "
	    "run the same command again to complete it",
	    e164, t.sid, x->account_sid,
	    res == DB_NOTFOUND || res == DB_CONFLICT
		? "another account's number or SID"
		: "database error, see the log");
}

/* POST IncomingPhoneNumbers.json: the bought number into *out. */
static enum account_status
purchase(struct account_ctx *x, const char *e164, const struct numbers_buy *b,
    json_t **out, struct account_err *e)
{
	const struct twapi_client *tw = account_twilio(x, e);
	struct twapi_resp resp;
	struct form f;
	char path[160], what[80];

	*out = NULL;
	if (tw == NULL)
		return e->status;
	snprintf(path, sizeof(path),
	    "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json",
	    x->account_sid);
	form_init(&f);
	form_add(&f, "PhoneNumber", e164);
	if (b->bundle_sid != NULL)
		form_add(&f, "BundleSid", b->bundle_sid);
	if (b->address_sid != NULL)
		form_add(&f, "AddressSid", b->address_sid);
	if (b->label != NULL && *b->label != '\0')
		form_add(&f, "FriendlyName", b->label);
	form_add(&f, "VoiceUrl", x->url_inbound);
	form_add(&f, "VoiceMethod", "POST");
	form_add(&f, "VoiceFallbackUrl", x->url_fallback);
	form_add(&f, "VoiceFallbackMethod", "POST");
	form_add(&f, "StatusCallback", x->url_status);
	form_add(&f, "StatusCallbackMethod", "POST");
	snprintf(what, sizeof(what), "buying %s", e164);
	if (twapi_post(tw, TWAPI_API, path, &f, &resp) != TWAPI_OK) {
		form_cleanup(&f);
		account_fail_twilio(e, what, &resp);
		twapi_resp_cleanup(&resp);
		return ACCOUNT_TWILIO;
	}
	form_cleanup(&f);
	if (!twparam_sid(twapi_json_str(resp.body, "sid"), "PN")) {
		twapi_resp_cleanup(&resp);
		return account_fail(e, ACCOUNT_TWILIO,
		    "%s: Twilio's answer has no number SID; look for the "
		    "number in the Console and run `ramal number import`",
		    what);
	}
	*out = json_incref(resp.body);
	twapi_resp_cleanup(&resp);
	return ACCOUNT_OK;
}

/* Point one number's webhooks at BASE_URL when they are not. */
static enum account_status
sync_one(struct account_ctx *x, const char *e164, struct account_err *e)
{
	struct hooks_plan p;
	enum account_status rc;

	rc = hooks_plan(x, HOOKS_NUMBERS, e164, &p, e);
	if (rc == ACCOUNT_OK && hooks_pending(&p) > 0)
		rc = hooks_apply(x, &p, e);
	hooks_plan_free(&p);
	return rc;
}

/* Queue a bundle check; a failure only delays it to the next one. */
static void
watch_bundles(struct account_ctx *x)
{
	if (bundles_schedule(x->db) != DB_OK)
		log_warnx("could not queue the regulatory bundle check");
}

enum account_status
numbers_buy(struct account_ctx *x, const struct numbers_buy *b, json_t **out,
    struct account_err *e)
{
	json_t *pn = NULL;
	const char *outcome = "found";
	enum account_status rc;
	char e164[20];

	*out = NULL;
	if ((rc = numbers_buy_check(b, e)) != ACCOUNT_OK)
		return rc;
	account_e164(b->phone_number, e164, sizeof(e164));
	if ((rc = owner_exists(x, b->owner, e)) != ACCOUNT_OK ||
	    (rc = not_elsewhere(x, e164, e)) != ACCOUNT_OK ||
	    (rc = account_guard(x, e)) != ACCOUNT_OK)
		return rc;
	/* Bought before (a second run, or one cut short)? */
	if ((rc = lookup(x, e164, &pn, e)) != ACCOUNT_OK)
		return rc;
	if (pn == NULL) {
		if ((rc = purchase(x, e164, b, &pn, e)) != ACCOUNT_OK)
			return rc;
		outcome = "bought";
		log_kv(LOG_INFO, "number bought", "account", x->account_sid,
		    "number", e164, "sid", account_str(pn, "sid"), NULL);
	}
	rc = store_bought(x, pn, e164, b, e);
	if (rc == ACCOUNT_OK && !hooks_at_base(x, pn))
		rc = sync_one(x, e164, e);
	json_decref(pn);
	if (rc != ACCOUNT_OK)
		return rc;
	if (b->bundle_sid != NULL)
		watch_bundles(x);
	if ((rc = find_row(x, e164, &pn, e)) != ACCOUNT_OK)
		return rc;
	*out = json_pack("{s:s, s:o}", "outcome", outcome, "number", pn);
	return ACCOUNT_OK;
}

/* ---- import ---- */

/* A number of the table, as import compares it. */
struct known {
	char e164[20];
	char sid[35];
	char bundle[35];
	char address[35];
	int labelled;
	int seen;
};

struct knowns {
	struct known *v;
	size_t n, cap;
};

static void
collect_known(void *arg, const struct store_number_row *r)
{
	struct knowns *k = arg;
	struct known *n;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		k->v = xrealloc(k->v, k->cap * sizeof(*k->v));
	}
	n = &k->v[k->n++];
	memset(n, 0, sizeof(*n));
	snprintf(n->e164, sizeof(n->e164), "%s", r->e164);
	snprintf(n->sid, sizeof(n->sid), "%s", r->sid);
	snprintf(n->bundle, sizeof(n->bundle), "%s", r->bundle_sid);
	snprintf(n->address, sizeof(n->address), "%s", r->address_sid);
	n->labelled = *r->label != '\0';
}

/* 1 when storing pn would give the row k something it lacks. */
static int
completes(const struct known *k, const json_t *pn)
{
	const char *sid = account_str(pn, "sid");

	return strcmp(k->sid, sid) != 0 ||
	    (*k->bundle == '\0' && *account_str(pn, "bundle_sid") != '\0') ||
	    (*k->address == '\0' && *account_str(pn, "address_sid") != '\0') ||
	    (!k->labelled && *account_str(pn, "friendly_name") != '\0');
}

/* Take one IncomingPhoneNumber into the table; which list it goes in. */
static enum account_status
import_one(struct account_ctx *x, struct knowns *known, const json_t *pn,
    json_t *lists[4], struct account_err *e)
{
	struct store_number_twilio t;
	const char *e164 = account_str(pn, "phone_number");
	const char *bundle = twapi_json_str(pn, "bundle_sid");
	const char *address = twapi_json_str(pn, "address_sid");
	struct known *k = NULL;
	char *hooks = hooks_of_number(pn);
	enum db_result res;
	int which;

	for (size_t i = 0; i < known->n; i++)
		if (strcmp(known->v[i].e164, e164) == 0)
			k = &known->v[i];
	if (k != NULL)
		k->seen = 1;
	memset(&t, 0, sizeof(t));
	t.e164 = e164;
	t.sid = account_str(pn, "sid");
	t.label_default = twapi_json_str(pn, "friendly_name");
	t.bundle_sid = twparam_sid(bundle, "BU") ? bundle : NULL;
	t.address_sid = twparam_sid(address, "AD") ? address : NULL;
	t.hooks = hooks;
	if (k != NULL && !completes(k, pn)) {
		res = store_number_hooks(x->db, x->account_sid, e164, hooks);
		which = 2;
	} else {
		res = store_number_twilio(x->db, x->account_sid, &t);
		which = k == NULL ? 0 : 1;
	}
	free(hooks);
	if (res == DB_NOTFOUND || res == DB_CONFLICT) {
		json_array_append_new(lists[3], json_string(e164));
		return ACCOUNT_OK;
	}
	if (res != DB_OK)
		return account_fail_db(e, "storing the numbers", res);
	json_array_append_new(lists[which], json_string(e164));
	return ACCOUNT_OK;
}

enum account_status
numbers_import(struct account_ctx *x, json_t **out, struct account_err *e)
{
	struct knowns known = { NULL, 0, 0 };
	struct hooks_plan p;
	json_t *all = NULL, *v, *lists[4], *updated, *missing, *blocked;
	enum account_status rc;
	enum db_result res;
	int with_bundle = 0;
	size_t i;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	for (i = 0; i < 4; i++)
		lists[i] = json_array();
	updated = json_array();
	missing = json_array();
	blocked = json_array();
	if ((rc = account_guard(x, e)) != ACCOUNT_OK)
		goto out;
	res = store_number_list(x->db, x->account_sid, collect_known, &known);
	if (res != DB_OK) {
		rc = account_fail_db(e, "reading the numbers", res);
		goto out;
	}
	if ((rc = account_numbers_at_twilio(x, &all, e)) != ACCOUNT_OK)
		goto out;
	json_array_foreach(all, i, v)
	{
		if (!twparam_sid(account_str(v, "sid"), "PN") ||
		    account_e164(account_str(v, "phone_number"),
			(char[20]){ 0 }, 20) != 0)
			continue;
		with_bundle |= *account_str(v, "bundle_sid") != '\0';
		if ((rc = import_one(x, &known, v, lists, e)) != ACCOUNT_OK)
			goto out;
	}
	for (i = 0; i < known.n; i++)
		if (!known.v[i].seen)
			json_array_append_new(missing,
			    json_string(known.v[i].e164));
	/* Imported numbers are pointed at this deployment at once. */
	if ((rc = hooks_plan(x, HOOKS_NUMBERS, NULL, &p, e)) != ACCOUNT_OK)
		goto out;
	for (i = 0; i < p.n; i++) {
		if (p.v[i].blocked != NULL)
			json_array_append_new(blocked,
			    json_pack("{s:s, s:s}", "phone_number",
				p.v[i].number, "why", p.v[i].blocked));
		else if (p.v[i].changes > 0)
			json_array_append_new(updated,
			    json_string(p.v[i].number));
	}
	if (hooks_pending(&p) > 0 && (rc = hooks_apply(x, &p, e)) != ACCOUNT_OK)
		goto out;
	if (with_bundle)
		watch_bundles(x);
	*out = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "added",
	    lists[0], "completed", lists[1], "unchanged", lists[2], "elsewhere",
	    lists[3], "webhooks", updated, "missing", missing, "blocked",
	    blocked);
out:
	hooks_plan_free(&p);
	for (i = 0; i < 4; i++)
		json_decref(lists[i]);
	json_decref(updated);
	json_decref(missing);
	json_decref(blocked);
	json_decref(all);
	free(known.v);
	return rc;
}

/* ---- release ---- */

enum account_status
numbers_release(struct account_ctx *x, const char *number, int force,
    json_t **out, struct account_err *e)
{
	const struct twapi_client *tw;
	struct twapi_resp resp;
	json_t *row = NULL, *pn = NULL;
	const char *owner, *gone = "released";
	char e164[20], sid[35], path[200], what[80];
	enum account_status rc;
	enum db_result res;

	*out = NULL;
	if ((rc = find_row(x, number, &row, e)) != ACCOUNT_OK)
		return rc;
	snprintf(e164, sizeof(e164), "%s", account_str(row, "phone_number"));
	snprintf(sid, sizeof(sid), "%s", account_str(row, "sid"));
	owner = account_str(row, "owner");
	if (*owner != '\0' && !force) {
		rc = account_fail(e, ACCOUNT_REFUSED,
		    "%s is the dedicated line of agent %s: nothing was "
		    "released; assign it to nobody first (`ramal number assign "
		    "%s none`) or use --force",
		    e164, owner, e164);
		json_decref(row);
		return rc;
	}
	json_decref(row);
	if ((rc = account_guard(x, e)) != ACCOUNT_OK ||
	    (tw = account_twilio(x, e)) == NULL)
		return e->status;
	if (sid[0] == '\0') {
		/* Added by hand: the account may still have it. */
		if ((rc = lookup(x, e164, &pn, e)) != ACCOUNT_OK)
			return rc;
		snprintf(sid, sizeof(sid), "%s",
		    pn ? account_str(pn, "sid") : "");
		json_decref(pn);
	}
	if (sid[0] == '\0')
		gone = "already gone";
	else {
		snprintf(path, sizeof(path),
		    "/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json",
		    x->account_sid, sid);
		snprintf(what, sizeof(what), "releasing %s", e164);
		if (twapi_delete(tw, TWAPI_API, path, &resp) != TWAPI_OK) {
			if (resp.status != 404) {
				rc = account_fail_twilio(e, what, &resp);
				twapi_resp_cleanup(&resp);
				return rc;
			}
			gone = "already gone";
		}
		twapi_resp_cleanup(&resp);
		log_kv(LOG_INFO, "number released", "account", x->account_sid,
		    "number", e164, "sid", sid, "twilio", gone, NULL);
	}
	res = store_number_delete(x->db, x->account_sid, e164);
	if (res != DB_OK && res != DB_NOTFOUND)
		return account_fail(e, ACCOUNT_UNAVAILABLE,
		    "%s was released at Twilio but its row could not be "
		    "deleted (database error, see the log): run the same "
		    "command again to complete it",
		    e164);
	*out = json_pack("{s:s, s:o, s:s}", "phone_number", e164, "sid",
	    str_or_null(sid), "twilio", gone);
	return ACCOUNT_OK;
}

/* ---- list and update ---- */

/* Read every number's webhooks at Twilio now and store them. */
static enum account_status
read_hooks(struct account_ctx *x, struct account_err *e)
{
	struct knowns known = { NULL, 0, 0 };
	json_t *all = NULL, *hit;
	enum account_status rc = ACCOUNT_OK;
	enum db_result res;

	res = store_number_list(x->db, x->account_sid, collect_known, &known);
	if (res != DB_OK) {
		free(known.v);
		return account_fail_db(e, "reading the numbers", res);
	}
	if (known.n == 0) {
		free(known.v);
		return ACCOUNT_OK;
	}
	if ((rc = account_numbers_at_twilio(x, &all, e)) != ACCOUNT_OK) {
		free(known.v);
		return rc;
	}
	for (size_t i = 0; i < known.n; i++) {
		char *hooks;

		hit = *known.v[i].sid ? account_find(all, "sid", known.v[i].sid)
				      : NULL;
		if (hit == NULL)
			hit =
			    account_find(all, "phone_number", known.v[i].e164);
		/* Not on the account: no webhooks at all. */
		hooks = hit ? hooks_of_number(hit) : xstrdup("{}");
		res = store_number_hooks(x->db, x->account_sid, known.v[i].e164,
		    hooks);
		free(hooks);
		if (res != DB_OK && res != DB_NOTFOUND) {
			rc = account_fail_db(e, "storing the webhooks", res);
			break;
		}
	}
	json_decref(all);
	free(known.v);
	return rc;
}

enum account_status
numbers_list(struct account_ctx *x, int read_twilio, json_t **out,
    struct account_err *e)
{
	struct rows_json c = { x, json_array() };
	enum account_status rc;
	enum db_result res;

	*out = NULL;
	if (read_twilio && (rc = read_hooks(x, e)) != ACCOUNT_OK) {
		json_decref(c.arr);
		return rc;
	}
	res = store_number_list(x->db, x->account_sid, collect_json, &c);
	if (res != DB_OK) {
		json_decref(c.arr);
		return account_fail_db(e, "reading the numbers", res);
	}
	*out = json_pack("{s:o, s:s, s:s}", "numbers", c.arr, "webhooks_from",
	    read_twilio ? "twilio" : "stored", "base_url", x->cfg->base_url);
	return ACCOUNT_OK;
}

enum account_status
numbers_update(struct account_ctx *x, const char *number, const char *owner,
    const char *label, json_t **out, struct account_err *e)
{
	struct store_number_in in;
	json_t *row = NULL;
	enum account_status rc;
	enum db_result res = DB_OK;
	char e164[20];

	*out = NULL;
	if (label != NULL && strlen(label) > LABEL_MAX)
		return account_fail(e, ACCOUNT_BAD_INPUT,
		    "the label is longer than %d characters", LABEL_MAX);
	if ((rc = find_row(x, number, &row, e)) != ACCOUNT_OK)
		return rc;
	snprintf(e164, sizeof(e164), "%s", account_str(row, "phone_number"));
	json_decref(row);
	if ((rc = owner_exists(x, owner, e)) != ACCOUNT_OK)
		return rc;
	if ((res = db_simple(x->db, "BEGIN")) != DB_OK)
		goto fail;
	if (owner != NULL &&
	    (res = store_number_assign(x->db, x->account_sid, e164,
		 *owner ? owner : NULL)) != DB_OK)
		goto fail;
	if (label != NULL) {
		memset(&in, 0, sizeof(in));
		in.e164 = e164;
		in.label = label;
		in.voicemail = -1;
		if ((res = store_number_put(x->db, x->account_sid, &in)) !=
		    DB_OK)
			goto fail;
	}
	if ((res = db_simple(x->db, "COMMIT")) != DB_OK)
		goto fail;
	return find_row(x, e164, out, e);
fail:
	if (db_in_transaction(x->db))
		db_simple(x->db, "ROLLBACK");
	return account_fail_db(e, "updating the number", res);
}
