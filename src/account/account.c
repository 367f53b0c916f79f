/*
 * One tenant being set up at Twilio: context, guard, client, failures.
 * See include/account/account.h.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "form.h"
#include "paths.h"
#include "util.h"

#define MAX_PAGES 50
#define PAGE_SIZE "1000" /* the most IncomingPhoneNumbers gives in a page */

enum account_status
account_fail(struct account_err *e, enum account_status status, const char *fmt,
    ...)
{
	va_list ap;

	e->status = status;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	/* One line, whatever Twilio's message held. */
	for (char *p = e->msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return status;
}

/* What to do about the Twilio errors an operator meets here. */
static const char *
hint_of(int code)
{
	switch (code) {
	case 20003:
		return "check the account's credentials (TWILIO_AUTH_TOKEN, "
		       "TWILIO_API_KEY_SID/SECRET, or `ramal tenant add`)";
	case 21422:
		return "the number is not for sale any more: search again "
		       "with `ramal number search`";
	case 21421:
		return "give the number in E.164 (+55...)";
	case 21631:
		return "this number needs an address: give --address AD... "
		       "(Console, Phone Numbers, Addresses)";
	case 21649:
		return "Brazilian numbers need an approved regulatory bundle: "
		       "give --bundle BU... (Console, Phone Numbers, Regulatory "
		       "Compliance, Bundles)";
	case 21404:
		return "a trial account may have one number only: upgrade the "
		       "account";
	default:
		return NULL;
	}
}

enum account_status
account_fail_twilio(struct account_err *e, const char *what,
    const struct twapi_resp *r)
{
	char why[512];
	const char *hint = hint_of(r->err.code);

	twapi_describe(r, why, sizeof(why));
	account_fail(e, ACCOUNT_TWILIO, "%s: %s%s%s", what, why,
	    hint ? "; " : "", hint ? hint : "");
	e->twilio_code = r->err.code;
	return ACCOUNT_TWILIO;
}

enum account_status
account_fail_db(struct account_err *e, const char *what, enum db_result res)
{
	return account_fail(e, ACCOUNT_UNAVAILABLE, "%s: %s", what,
	    res == DB_UNAVAILABLE ? "the database is unreachable"
				  : "database error (see the log)");
}

int
account_e164(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	if (in == NULL || *in != '+' || outlen < 2)
		return -1;
	out[n++] = '+';
	for (const char *p = in + 1; *p; p++) {
		if (strchr(" -().", *p) != NULL)
			continue;
		if (!isdigit((unsigned char)*p) || n + 1 >= outlen)
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	return (n >= 9 && n <= 16 && out[1] != '0') ? 0 : -1;
}

enum account_status
account_open(struct account_ctx *x, const struct config *cfg,
    struct db_conn *db, const char *account_sid, struct account_err *e)
{
	enum db_result res;

	memset(x, 0, sizeof(*x));
	memset(e, 0, sizeof(*e));
	x->cfg = cfg;
	x->db = db;
	snprintf(x->account_sid, sizeof(x->account_sid), "%s",
	    account_sid ? account_sid : "");
	snprintf(x->url_inbound, sizeof(x->url_inbound), "%s%s", cfg->base_url,
	    PATH_VOICE_INBOUND);
	snprintf(x->url_fallback, sizeof(x->url_fallback), "%s%s",
	    cfg->base_url, PATH_VOICE_FALLBACK);
	snprintf(x->url_status, sizeof(x->url_status), "%s%s", cfg->base_url,
	    PATH_STATUS);
	snprintf(x->url_outbound, sizeof(x->url_outbound), "%s%s",
	    cfg->base_url, PATH_VOICE_OUTBOUND);
	snprintf(x->url_events, sizeof(x->url_events), "%s%s", cfg->base_url,
	    PATH_TR_EVENTS);
	snprintf(x->url_assignment, sizeof(x->url_assignment), "%s%s",
	    cfg->base_url, PATH_TR_ASSIGNMENT);
	res = store_tenant_get(db, x->account_sid, &x->tenant);
	if (res == DB_NOTFOUND)
		return account_fail(e, ACCOUNT_NOT_FOUND,
		    "unknown account %s (add it with `ramal tenant add`)",
		    x->account_sid);
	if (res != DB_OK)
		return account_fail_db(e, "reading the tenant", res);
	return ACCOUNT_OK;
}

void
account_close(struct account_ctx *x)
{
	if (x->tw_open)
		twapi_account_close(&x->tw);
	x->tw_open = 0;
}

enum account_status
account_guard(struct account_ctx *x, struct account_err *e)
{
	const char *here = x->cfg->ramal_environment;

	if (x->force || strcmp(x->tenant.environment, here) == 0)
		return ACCOUNT_OK;
	return account_fail(e, ACCOUNT_REFUSED,
	    "account %s is a tenant of the %s environment and this "
	    "deployment is %s (RAMAL_ENVIRONMENT): nothing was changed at "
	    "Twilio; use --force to act on it anyway",
	    x->account_sid, x->tenant.environment, here);
}

const struct twapi_client *
account_twilio(struct account_ctx *x, struct account_err *e)
{
	char why[256];

	if (x->tw_open)
		return &x->tw.client;
	if (strcmp(x->tenant.status, "active") != 0) {
		account_fail(e, ACCOUNT_REFUSED, "account %s is %s",
		    x->account_sid, x->tenant.status);
		return NULL;
	}
	switch (twapi_account_open(&x->tw, x->cfg, db_pg(x->db), x->account_sid,
	    why, sizeof(why))) {
	case TWAPI_ACCOUNT_OK:
		x->tw_open = 1;
		return &x->tw.client;
	case TWAPI_ACCOUNT_UNAVAILABLE:
		twapi_account_close(&x->tw);
		account_fail(e, ACCOUNT_UNAVAILABLE,
		    "reading the credentials of %s: %s", x->account_sid, why);
		return NULL;
	case TWAPI_ACCOUNT_UNKNOWN:
		break;
	}
	twapi_account_close(&x->tw);
	account_fail(e, ACCOUNT_REFUSED, "no Twilio credentials for %s: %s",
	    x->account_sid, why);
	return NULL;
}

const char *
account_str(const json_t *obj, const char *key)
{
	const char *s = twapi_json_str(obj, key);

	return s != NULL ? s : "";
}

json_t *
account_find(json_t *items, const char *key, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(items, i, v)
	{
		if (strcmp(account_str(v, key), value) == 0)
			return v;
	}
	return NULL;
}

enum account_status
account_numbers_at_twilio(struct account_ctx *x, json_t **out,
    struct account_err *e)
{
	const struct twapi_client *tw = account_twilio(x, e);
	struct twapi_resp resp;
	struct form q;
	char path[160], *next = NULL;
	json_t *all, *items, *v;
	enum account_status rc = ACCOUNT_TWILIO;
	size_t i;
	int page;

	*out = NULL;
	if (tw == NULL)
		return e->status;
	all = json_array();
	form_init(&q);
	form_add(&q, "PageSize", PAGE_SIZE);
	snprintf(path, sizeof(path),
	    "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json",
	    x->account_sid);
	for (page = 0; page < MAX_PAGES; page++) {
		const char *np;

		/* next_page_uri is a path with its query. */
		if (twapi_get(tw, TWAPI_API, next ? next : path,
			next ? NULL : &q, &resp) != TWAPI_OK) {
			account_fail_twilio(e, "listing the account's numbers",
			    &resp);
			twapi_resp_cleanup(&resp);
			goto out;
		}
		items = json_object_get(resp.body, "incoming_phone_numbers");
		if (!json_is_array(items)) {
			twapi_resp_cleanup(&resp);
			account_fail(e, ACCOUNT_TWILIO,
			    "listing the account's numbers: the answer has no "
			    "incoming_phone_numbers");
			goto out;
		}
		json_array_foreach(items, i, v)
		{
			json_array_append(all, v);
		}
		np = twapi_json_str(resp.body, "next_page_uri");
		free(next);
		next = np != NULL && *np != '\0' ? xstrdup(np) : NULL;
		twapi_resp_cleanup(&resp);
		if (next == NULL)
			break;
	}
	if (page == MAX_PAGES) {
		account_fail(e, ACCOUNT_TWILIO,
		    "listing the account's numbers: more than %d pages",
		    MAX_PAGES);
		goto out;
	}
	*out = json_incref(all);
	rc = ACCOUNT_OK;
out:
	json_decref(all);
	free(next);
	form_cleanup(&q);
	return rc;
}
