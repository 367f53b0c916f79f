/*
 * The alerts' API.  See include/api/alerts_api.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alerts.h"
#include "alerts_api.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "store_alerts.h"
#include "util.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200
#define URL_MAX_LEN 2048
#define SECRET_MIN 16
#define SECRET_MAX 256

/* A positive count of at most max from the query, def when absent. */
static long long
query_count(struct http_req *r, const char *name, long long def, long long max,
    int *bad)
{
	const char *s = http_req_query(r, name);
	long long v;

	if (s == NULL)
		return def;
	if (*s == '\0' || strlen(s) > 18 ||
	    strspn(s, "0123456789") != strlen(s) ||
	    (v = strtoll(s, NULL, 10)) < 1 || v > max) {
		*bad = 1;
		return def;
	}
	return v;
}

/* details with every string scrubbed (a job's error may hold digits). */
static json_t *
details_shown(const char *text)
{
	json_t *in = text ? json_loads(text, 0, NULL) : NULL, *out, *v;
	const char *key;
	char buf[512];

	out = json_object();
	if (json_is_object(in))
		json_object_foreach(in, key, v)
		{
			if (json_is_string(v))
				json_object_set_new(out, key,
				    json_string(
					alert_scrub(json_string_value(v), buf,
					    sizeof(buf))));
			else if (json_is_integer(v) || json_is_null(v))
				json_object_set(out, key, v);
		}
	json_decref(in);
	return out;
}

static json_t *
alert_json(const struct store_alert *a)
{
	struct alert_view v;
	json_t *details = a->details ? json_loads(a->details, 0, NULL) : NULL;
	json_t *o, *deliveries;
	char who[64], detail[512];
	char *line;

	memset(&v, 0, sizeof(v));
	v.id = a->id;
	v.event = a->event;
	v.line = a->line;
	v.caller = a->caller;
	v.when = a->when_local;
	v.occurred_at = a->occurred_at;
	v.details = details;
	v.callback_id = a->callback_id;
	line = alert_line(&v);
	alert_detail(&v, detail, sizeof(detail));
	deliveries = a->deliveries ? json_loads(a->deliveries, 0, NULL) : NULL;
	if (!json_is_array(deliveries)) {
		json_decref(deliveries);
		deliveries = json_array();
	}
	o = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:s?, s:s?, s:s?,"
		      " s:s, s:s, s:o, s:o}",
	    "id", (json_int_t)a->id, "event", a->event, "title",
	    alert_title(a->event), "occurred_at", a->occurred_at, "line",
	    a->line, "state", a->state, "reason", a->reason, "call_sid",
	    a->call_sid, "recording_sid", a->recording_sid, "detail", detail,
	    "text", line, "details", details_shown(a->details), "deliveries",
	    deliveries);
	json_object_set_new(o, "caller",
	    a->caller != NULL || strcmp(a->event, "dead-job") != 0
		? json_string(alert_mask_number(a->caller, who, sizeof(who)))
		: json_null());
	json_object_set_new(o, "callback_id",
	    a->callback_id > 0 ? json_integer(a->callback_id) : json_null());
	free(line);
	json_decref(details);
	return o;
}

int
alerts_api_list(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	struct store_alert *v = NULL;
	struct db_conn *c;
	enum db_result res;
	json_t *list;
	size_t n = 0;
	long long limit, before, last;
	int bad = 0;

	limit = query_count(r, "limit", LIST_DEFAULT, LIST_MAX, &bad);
	before = query_count(r, "before", 0, 999999999999999999LL, &bad);
	if (bad)
		return http_reply_error(r, 400,
		    "limit must be 1 to %d and before an alert id", LIST_MAX);
	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	res = store_alerts_list(c, u->tenant_id, before, (int)limit, &v, &n);
	db_release(c);
	if (res == DB_UNAVAILABLE)
		return http_reply_error(r, 503, "temporarily unavailable");
	if (res != DB_OK)
		return -1;
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, alert_json(&v[i]));
	last = n == (size_t)limit && n > 0 ? v[n - 1].id : 0;
	store_alerts_free(v, n);
	return http_reply_json(r, 200,
	    json_pack("{s:o, s:o}", "alerts", list, "next_before",
		last > 0 ? json_integer(last) : json_null()));
}

/* ---- rules ---- */

static json_t *
source(int tenant, int deflt)
{
	return tenant ? json_string("tenant")
	    : deflt   ? json_string("default")
		      : json_null();
}

/* The GET answer: the rules and what each channel has to work with. */
static json_t *
rules_answer(const struct config *cfg, const struct alert_rules *rules,
    const struct store_alert_rules_row *row)
{
	json_t *o = alert_rules_json(rules), *tpl = json_object();
	const char *to =
	    rules->whatsapp_to[0] ? rules->whatsapp_to : cfg->whatsapp_to;
	int wa;

	for (int e = 0; e < ALERT_EVENTS_N; e++)
		json_object_set_new(tpl, alert_events[e],
		    json_boolean(
			alerts_template(cfg, alert_events[e]) != NULL));
	json_object_set_new(tpl, "digest",
	    json_boolean(alerts_template(cfg, "digest") != NULL));
	wa = cfg->whatsapp_from != NULL && cfg->twilio_account_sid != NULL &&
	    to != NULL;
	json_object_set_new(o, "channels",
	    json_pack("{s:{s:b, s:o}, s:{s:b, s:o, s:s?, s:b},"
		      " s:{s:b, s:s?, s:s?, s:o}}",
		"slack", "configured",
		row->slack_enc != NULL || cfg->slack_webhook_url != NULL,
		"source",
		source(row->slack_enc != NULL, cfg->slack_webhook_url != NULL),
		"webhook", "configured",
		row->webhook_url != NULL || cfg->alert_webhook_url != NULL,
		"source",
		source(row->webhook_url != NULL,
		    cfg->alert_webhook_url != NULL),
		"url",
		row->webhook_url ? row->webhook_url : cfg->alert_webhook_url,
		"signed",
		row->webhook_url ? row->webhook_secret_enc != NULL
				 : cfg->alert_webhook_secret != NULL,
		"whatsapp", "configured", wa, "from", cfg->whatsapp_from, "to",
		to, "templates", tpl));
	json_object_set_new(o, "short_abandon_s",
	    json_integer(cfg->alert_short_abandon_s));
	json_object_set_new(o, "max_attempts",
	    json_integer(cfg->alert_max_attempts));
	return o;
}

static int
reply_rules(struct http_req *r, struct db_conn *c, long long tenant)
{
	struct store_alert_rules_row row;
	struct alert_rules rules;
	enum db_result res;

	res = store_alerts_rules_get(c, tenant, &row);
	if (res != DB_OK && res != DB_NOTFOUND) {
		store_alert_rules_row_cleanup(&row);
		return res == DB_UNAVAILABLE
		    ? http_reply_error(r, 503, "temporarily unavailable")
		    : -1;
	}
	alert_rules_load(&rules, row.rules);
	res = http_reply_json(r, 200,
	    rules_answer(http_req_config(r), &rules, &row));
	store_alert_rules_row_cleanup(&row);
	return (int)res;
}

int
alerts_api_rules_get(struct http_req *r)
{
	struct db_conn *c;
	int rc;

	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	rc = reply_rules(r, c, auth_user_of(r)->tenant_id);
	db_release(c);
	return rc;
}

static int
url_ok(const char *s)
{
	size_t n = strlen(s);

	return n < URL_MAX_LEN &&
	    (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) &&
	    strpbrk(s, " \t\r\n\"<>") == NULL && util_utf8_valid(s, n) &&
	    strlen(s) > (strncmp(s, "https://", 8) == 0 ? 8u : 7u);
}

/*
 * A write-only member: absent (0), null (1, *out NULL), or a string
 * accepted by ok (1, *out it); -1 when it is something else.
 */
static int
optional_string(const json_t *body, const char *name, int (*ok)(const char *),
    const char **out)
{
	const json_t *v = json_object_get(body, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (json_is_null(v))
		return 1;
	if (!json_is_string(v) || !ok(json_string_value(v)))
		return -1;
	*out = json_string_value(v);
	return 1;
}

static int
secret_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= SECRET_MIN && n <= SECRET_MAX && util_utf8_valid(s, n);
}

int
alerts_api_rules_put(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	const struct config *cfg = http_req_config(r);
	json_t *body = http_req_json(r), *stored = NULL;
	struct store_alert_rules_row row;
	struct store_alert_rules_put put;
	struct alert_rules rules;
	const char *slack, *hook, *secret;
	char *slack_enc = NULL, *secret_enc = NULL, *text = NULL;
	char err[256];
	struct db_conn *c;
	enum db_result res;
	int rc = -1;

	memset(&put, 0, sizeof(put));
	memset(&row, 0, sizeof(row));
	if (!json_is_object(body))
		return http_reply_error(r, 400, "send a JSON object");
	if ((put.set_slack = optional_string(body, "slack_webhook_url", url_ok,
		 &slack)) < 0)
		return http_reply_error(r, 400,
		    "slack_webhook_url must be null or an https:// URL");
	if ((put.set_webhook_url =
		    optional_string(body, "webhook_url", url_ok, &hook)) < 0)
		return http_reply_error(r, 400,
		    "webhook_url must be null or an https:// URL");
	if ((put.set_webhook_secret = optional_string(body, "webhook_secret",
		 secret_ok, &secret)) < 0)
		return http_reply_error(r, 400,
		    "webhook_secret must be null or %d to %d characters",
		    SECRET_MIN, SECRET_MAX);
	if ((slack != NULL || secret != NULL) && !cfg->have_secret_key)
		return http_reply_error(r, 503,
		    "RAMAL_SECRET_KEY is not set: secrets cannot be stored");
	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	res = store_alerts_rules_get(c, u->tenant_id, &row);
	if (res != DB_OK && res != DB_NOTFOUND)
		goto fail;
	alert_rules_load(&rules, row.rules);
	if (alert_rules_apply(&rules, body, err, sizeof(err)) != 0) {
		rc = http_reply_error(r, 400, "%s", err);
		goto out;
	}
	switch (store_alerts_timezone_known(c, rules.timezone)) {
	case 1:
		break;
	case 0:
		rc = http_reply_error(r, 400, "unknown time zone %s",
		    rules.timezone);
		goto out;
	default:
		res = DB_ERR;
		goto fail;
	}
	if (slack != NULL &&
	    (slack_enc = alerts_seal(cfg, "slack", u->account_sid, slack)) ==
		NULL)
		goto out_500;
	if (secret != NULL &&
	    (secret_enc = alerts_seal(cfg, "webhook-secret", u->account_sid,
		 secret)) == NULL)
		goto out_500;
	stored = alert_rules_json(&rules);
	text = json_dumps(stored, JSON_COMPACT);
	put.rules = text;
	put.slack_enc = slack_enc;
	put.webhook_url = hook;
	put.webhook_secret_enc = secret_enc;
	put.by = u->id;
	res = store_alerts_rules_put(c, u->tenant_id, &put);
	if (res != DB_OK)
		goto fail;
	log_kv(LOG_INFO, "alert rules changed", "slack",
	    put.set_slack ? (slack ? "set" : "cleared") : NULL, "webhook",
	    put.set_webhook_url ? (hook ? "set" : "cleared") : NULL, NULL);
	store_alert_rules_row_cleanup(&row);
	rc = reply_rules(r, c, u->tenant_id);
	goto out;
out_500:
	log_kv(LOG_ERROR, "cannot seal an alert secret", NULL);
	rc = -1;
	goto out;
fail:
	rc = res == DB_UNAVAILABLE
	    ? http_reply_error(r, 503, "temporarily unavailable")
	    : -1;
out:
	db_release(c);
	store_alert_rules_row_cleanup(&row);
	json_decref(stored);
	free(text);
	util_free_secret(slack_enc);
	util_free_secret(secret_enc);
	return rc;
}
