/*
 * Alerts: rules, dispatch and delivery.  See include/calls/alerts.h and
 * docs/alerts.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "alerts.h"
#include "form.h"
#include "httpc.h"
#include "log.h"
#include "secret.h"
#include "store_alerts.h"
#include "twapi.h"
#include "util.h"

#define DEFAULT_TZ "America/Sao_Paulo"
#define COOLDOWN_MAX_S 86400
#define RETRY_MAX_S 3600
#define DIGEST_LIST 20
#define SEND_BUDGET_MS 15000L

static const char *const channel_names[ALERT_CHANNELS_N] = { "slack",
	"whatsapp", "webhook" };

const char *
alerts_channel_name(int bit)
{
	for (int i = 0; i < ALERT_CHANNELS_N; i++)
		if (bit == 1 << i)
			return channel_names[i];
	return NULL;
}

static int
channel_bit(const char *name)
{
	for (int i = 0; name != NULL && i < ALERT_CHANNELS_N; i++)
		if (strcmp(name, channel_names[i]) == 0)
			return 1 << i;
	return 0;
}

/* ---- rules ---- */

void
alert_rules_default(struct alert_rules *r)
{
	static const int chans[ALERT_EVENTS_N] = {
		ALERT_CH_SLACK | ALERT_CH_WEBHOOK, /* abandoned */
		ALERT_CH_SLACK | ALERT_CH_WEBHOOK, /* missed-dedicated */
		ALERT_CH_SLACK | ALERT_CH_WEBHOOK, /* voicemail */
		ALERT_CH_WEBHOOK, /* failed */
		ALERT_CH_SLACK | ALERT_CH_WEBHOOK, /* dead-job */
	};
	static const int cool[ALERT_EVENTS_N] = { 0, 0, 0, 300, 600 };

	memset(r, 0, sizeof(*r));
	memcpy(r->channels, chans, sizeof(chans));
	memcpy(r->cooldown_s, cool, sizeof(cool));
	snprintf(r->timezone, sizeof(r->timezone), "%s", DEFAULT_TZ);
}

/* "HH:MM" into minutes of the day; -1 when it is not one. */
static int
parse_hhmm(const char *s)
{
	int h, m;
	char tail;

	if (s == NULL || strlen(s) != 5 || s[2] != ':' ||
	    sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 ||
	    m < 0 || m > 59 || strspn(s, "0123456789:") != 5)
		return -1;
	return h * 60 + m;
}

static int
tz_plausible(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < 64 &&
	    strspn(s,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789_/+-") == n &&
	    s[0] != '/' && strstr(s, "..") == NULL;
}

static int
whatsapp_plausible(const char *s)
{
	const char *d;
	size_t n;

	if (strncmp(s, "whatsapp:", 9) == 0)
		s += 9;
	if (s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	d = s + 1;
	n = strlen(d);
	return n >= 8 && n <= 15 && strspn(d, "0123456789") == n;
}

#define FAIL(...) \
	do { \
		snprintf(err, errlen, __VA_ARGS__); \
		return -1; \
	} while (0)

static int
apply_event(struct alert_rules *r, int e, const json_t *v, char *err,
    size_t errlen)
{
	const json_t *ch = json_object_get(v, "channels");
	const json_t *cd = json_object_get(v, "cooldown_s");
	const char *key;
	const json_t *x;
	size_t i;
	int bits = 0;

	if (!json_is_object(v))
		FAIL("events.%s must be an object", alert_events[e]);
	json_object_foreach((json_t *)v, key, x)
	{
		if (strcmp(key, "channels") != 0 &&
		    strcmp(key, "cooldown_s") != 0)
			FAIL("events.%s: unknown member %.40s", alert_events[e],
			    key);
	}
	if (ch != NULL) {
		if (!json_is_array(ch))
			FAIL("events.%s.channels must be an array of slack, "
			     "whatsapp, webhook",
			    alert_events[e]);
		json_array_foreach(ch, i, x)
		{
			int b = channel_bit(json_string_value(x));

			if (b == 0)
				FAIL("events.%s.channels: each must be slack, "
				     "whatsapp or webhook",
				    alert_events[e]);
			bits |= b;
		}
		r->channels[e] = bits;
	}
	if (cd != NULL) {
		if (!json_is_integer(cd) || json_integer_value(cd) < 0 ||
		    json_integer_value(cd) > COOLDOWN_MAX_S)
			FAIL("events.%s.cooldown_s must be an integer from 0 "
			     "to %d",
			    alert_events[e], COOLDOWN_MAX_S);
		r->cooldown_s[e] = (int)json_integer_value(cd);
	}
	return 0;
}

int
alert_rules_apply(struct alert_rules *r, const json_t *j, char *err,
    size_t errlen)
{
	const json_t *events = json_object_get(j, "events");
	const json_t *quiet = json_object_get(j, "quiet_hours");
	const json_t *tz = json_object_get(j, "timezone");
	const json_t *wa = json_object_get(j, "whatsapp_to");
	const char *key;
	const json_t *v;
	int e, s, t;

	if (!json_is_object(j))
		FAIL("send a JSON object");
	if (events != NULL) {
		if (!json_is_object(events))
			FAIL("events must be an object keyed by event");
		json_object_foreach((json_t *)events, key, v)
		{
			if ((e = alert_event_index(key)) < 0)
				FAIL("events: unknown event %.40s (abandoned, "
				     "missed-dedicated, voicemail, failed, "
				     "dead-job)",
				    key);
			if (apply_event(r, e, v, err, errlen) != 0)
				return -1;
		}
	}
	if (quiet != NULL) {
		if (json_is_null(quiet))
			r->quiet = 0;
		else {
			if (!json_is_object(quiet))
				FAIL("quiet_hours must be null or {\"start\": "
				     "\"HH:MM\", \"end\": \"HH:MM\"}");
			s = parse_hhmm(
			    json_string_value(json_object_get(quiet, "start")));
			t = parse_hhmm(
			    json_string_value(json_object_get(quiet, "end")));
			if (s < 0 || t < 0)
				FAIL("quiet_hours.start and .end must be "
				     "\"HH:MM\" (00:00 to 23:59)");
			if (s == t)
				FAIL("quiet_hours.start and .end must differ");
			r->quiet = 1;
			r->quiet_start = s;
			r->quiet_end = t;
		}
	}
	if (tz != NULL) {
		if (!json_is_string(tz) || !tz_plausible(json_string_value(tz)))
			FAIL("timezone must be an IANA time zone name such as "
			     "America/Sao_Paulo");
		snprintf(r->timezone, sizeof(r->timezone), "%s",
		    json_string_value(tz));
	}
	if (wa != NULL) {
		if (json_is_null(wa))
			r->whatsapp_to[0] = '\0';
		else if (!json_is_string(wa) ||
		    !whatsapp_plausible(json_string_value(wa)))
			FAIL("whatsapp_to must be null or whatsapp:+<country>"
			     "<number>");
		else
			snprintf(r->whatsapp_to, sizeof(r->whatsapp_to), "%s%s",
			    strncmp(json_string_value(wa), "whatsapp:", 9)
				? "whatsapp:"
				: "",
			    json_string_value(wa));
	}
	return 0;
}

static void
hhmm(char out[8], int minutes)
{
	unsigned m = (unsigned)minutes % 1440u;

	snprintf(out, 8, "%02u:%02u", m / 60u, m % 60u);
}

json_t *
alert_rules_json(const struct alert_rules *r)
{
	json_t *events = json_object(), *o;
	char s[8], t[8];

	for (int e = 0; e < ALERT_EVENTS_N; e++) {
		json_t *ch = json_array();

		for (int i = 0; i < ALERT_CHANNELS_N; i++)
			if (r->channels[e] & (1 << i))
				json_array_append_new(ch,
				    json_string(channel_names[i]));
		json_object_set_new(events, alert_events[e],
		    json_pack("{s:o, s:i}", "channels", ch, "cooldown_s",
			r->cooldown_s[e]));
	}
	o = json_pack("{s:o, s:s}", "events", events, "timezone", r->timezone);
	if (r->quiet) {
		hhmm(s, r->quiet_start);
		hhmm(t, r->quiet_end);
		json_object_set_new(o, "quiet_hours",
		    json_pack("{s:s, s:s}", "start", s, "end", t));
	} else
		json_object_set_new(o, "quiet_hours", json_null());
	json_object_set_new(o, "whatsapp_to",
	    r->whatsapp_to[0] ? json_string(r->whatsapp_to) : json_null());
	return o;
}

void
alert_rules_load(struct alert_rules *r, const char *stored)
{
	json_t *j;
	char err[256];

	alert_rules_default(r);
	if (stored == NULL)
		return;
	j = json_loads(stored, 0, NULL);
	if (j == NULL || alert_rules_apply(r, j, err, sizeof(err)) != 0) {
		log_kv(LOG_ERROR, "stored alert rules ignored", "why",
		    j == NULL ? "not JSON" : err, NULL);
		alert_rules_default(r);
	}
	json_decref(j);
}

/* ---- configuration ---- */

const char *
alerts_template(const struct config *cfg, const char *event)
{
	static const char digest[] = "digest";

	if (cfg == NULL || event == NULL)
		return NULL;
	switch (alert_event_index(event)) {
	case 0:
		return cfg->whatsapp_template_abandoned;
	case 1:
		return cfg->whatsapp_template_missed_dedicated;
	case 2:
		return cfg->whatsapp_template_voicemail;
	case 3:
		return cfg->whatsapp_template_failed;
	case 4:
		return cfg->whatsapp_template_dead_job;
	default:
		return strcmp(event, digest) == 0
		    ? cfg->whatsapp_template_digest
		    : NULL;
	}
}

const char *
alerts_template_var(const char *event)
{
	static const char *const vars[ALERT_EVENTS_N] = {
		"WHATSAPP_TEMPLATE_ABANDONED",
		"WHATSAPP_TEMPLATE_MISSED_DEDICATED",
		"WHATSAPP_TEMPLATE_VOICEMAIL",
		"WHATSAPP_TEMPLATE_FAILED",
		"WHATSAPP_TEMPLATE_DEAD_JOB",
	};
	int e = alert_event_index(event);

	return e >= 0 ? vars[e] : "WHATSAPP_TEMPLATE_DIGEST";
}

static void
aad_of(char *out, size_t outlen, const char *what, const char *account)
{
	snprintf(out, outlen, "alerts:%s:%s", what, account ? account : "");
}

char *
alerts_seal(const struct config *cfg, const char *what, const char *account_sid,
    const char *plaintext)
{
	char aad[96];

	if (!cfg->have_secret_key)
		return NULL;
	aad_of(aad, sizeof(aad), what, account_sid);
	return secret_seal(cfg->secret_key, plaintext, aad);
}

char *
alerts_open(const struct config *cfg, const char *what, const char *account_sid,
    const char *sealed)
{
	char aad[96];

	if (!cfg->have_secret_key || sealed == NULL)
		return NULL;
	aad_of(aad, sizeof(aad), what, account_sid);
	return secret_open(cfg->secret_key, sealed, aad);
}

double
alerts_clock_now(void)
{
	const char *path = getenv("RAMAL_TEST_ALERTS_CLOCK");
	struct timespec ts;
	char text[64];
	FILE *fp;
	double v;
	char *end;
	size_t n;

	if (path != NULL && *path != '\0' && (fp = fopen(path, "r")) != NULL) {
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
		text[n] = '\0';
		errno = 0;
		v = strtod(text, &end);
		if (errno == 0 && end != text && v > 0)
			return v;
		log_kv(LOG_WARN,
		    "RAMAL_TEST_ALERTS_CLOCK unreadable; the "
		    "system clock is used",
		    NULL);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- dispatch ---- */

/* The channels of a tenant that can deliver anything at all. */
static int
channels_configured(const struct config *cfg, const struct store_alert *a,
    const struct alert_rules *rules)
{
	int bits = 0;

	if (a->tenant_slack || cfg->slack_webhook_url != NULL)
		bits |= ALERT_CH_SLACK;
	if (a->tenant_webhook || cfg->alert_webhook_url != NULL)
		bits |= ALERT_CH_WEBHOOK;
	if (cfg->whatsapp_from != NULL && cfg->twilio_account_sid != NULL &&
	    (rules->whatsapp_to[0] != '\0' || cfg->whatsapp_to != NULL))
		bits |= ALERT_CH_WHATSAPP;
	return bits;
}

static int
in_quiet(const struct alert_rules *r, int minute)
{
	if (r->quiet_start < r->quiet_end)
		return minute >= r->quiet_start && minute < r->quiet_end;
	return minute >= r->quiet_start || minute < r->quiet_end;
}

/* Seconds from (minute, second) to the end of quiet hours, at least 1. */
static int
until_quiet_end(const struct alert_rules *r, int minute, int second)
{
	int s = ((r->quiet_end - minute + 1440) % 1440) * 60 - second;

	return s > 0 ? s : s + 86400;
}

static enum db_result
queue_delivery(PGconn *pg, const struct store_alert *a, long long id)
{
	char dedupe[64];
	json_t *p = json_pack("{s:I}", "delivery_id", (json_int_t)id);
	enum db_result res;

	snprintf(dedupe, sizeof(dedupe), "%s:%lld:0", ALERTS_JOB_DELIVER, id);
	res = job_enqueue_pg(pg, ALERTS_JOB_DELIVER, p, dedupe, 0,
	    a->account_sid, NULL);
	json_decref(p);
	return res;
}

static enum db_result
queue_digest(PGconn *pg, const struct store_alert *a, const char *channel,
    int delay_s)
{
	char dedupe[96];
	json_t *p = json_pack("{s:I, s:s}", "tenant_id",
	    (json_int_t)a->tenant_id, "channel", channel);
	enum db_result res;

	snprintf(dedupe, sizeof(dedupe), "%s:%lld:%s", ALERTS_JOB_DIGEST,
	    a->tenant_id, channel);
	res = job_enqueue_pg(pg, ALERTS_JOB_DIGEST, p, dedupe, delay_s,
	    a->account_sid, NULL);
	json_decref(p);
	return res;
}

/*
 * The deliveries of a during quiet hours: held for the digest due in
 * delay_s (WhatsApp only with a digest template).  A db_result.
 */
static enum db_result
hold(PGconn *pg, const struct config *cfg, const struct store_alert *a,
    int bits, int delay_s)
{
	enum db_result res = DB_OK;
	long long id;

	for (int i = 0; i < ALERT_CHANNELS_N && res == DB_OK; i++) {
		if (!(bits & (1 << i)))
			continue;
		if ((1 << i) == ALERT_CH_WHATSAPP &&
		    alerts_template(cfg, "digest") == NULL) {
			res = store_alerts_delivery_add(pg, a, channel_names[i],
			    "skipped",
			    "no WhatsApp template for the digest "
			    "(WHATSAPP_TEMPLATE_DIGEST)",
			    &id);
			continue;
		}
		res = store_alerts_delivery_add(pg, a, channel_names[i], "held",
		    NULL, &id);
		if (res == DB_OK)
			res = queue_digest(pg, a, channel_names[i], delay_s);
	}
	return res;
}

/* Queue a delivery per channel of bits.  *queued: how many. */
static enum db_result
notify(PGconn *pg, const struct config *cfg, const struct store_alert *a,
    int bits, int *queued)
{
	enum db_result res = DB_OK;
	char note[160];
	long long id;

	*queued = 0;
	for (int i = 0; i < ALERT_CHANNELS_N && res == DB_OK; i++) {
		if (!(bits & (1 << i)))
			continue;
		if ((1 << i) == ALERT_CH_WHATSAPP &&
		    alerts_template(cfg, a->event) == NULL) {
			snprintf(note, sizeof(note),
			    "no WhatsApp template for %s (%s)", a->event,
			    alerts_template_var(a->event));
			res = store_alerts_delivery_add(pg, a, channel_names[i],
			    "skipped", note, &id);
			continue;
		}
		res = store_alerts_delivery_add(pg, a, channel_names[i],
		    "queued", NULL, &id);
		if (res == DB_OK && id > 0) {
			res = queue_delivery(pg, a, id);
			(*queued)++;
		}
	}
	return res;
}

static int
owes_callback(int e)
{
	return e == 0 || e == 1 || e == 2; /* abandoned, missed, voicemail */
}

static int
db_retry(enum db_result res, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: database error %d", what, (int)res);
	return JOB_RETRY;
}

int
alerts_job_dispatch(const struct job *j, char *err, size_t errlen)
{
	json_int_t id =
	    json_integer_value(json_object_get(j->payload, "alert_id"));
	struct store_alert a;
	struct alert_rules rules;
	json_t *details = NULL;
	enum db_result res;
	long long callback = 0;
	const char *state = "notified", *reason = NULL;
	double now = alerts_clock_now();
	int e, bits, minute, second, queued = 0, rc = JOB_DONE;
	char ids[24];

	if (id <= 0) {
		snprintf(err, errlen, "payload has no alert_id");
		return JOB_FAIL;
	}
	res = store_alerts_lock(j->pg, (long long)id, &a);
	if (res == DB_NOTFOUND)
		return JOB_DONE;
	if (res != DB_OK)
		return db_retry(res, err, errlen, "reading the alert");
	if (strcmp(a.state, "new") != 0)
		goto out; /* dispatched already */
	e = alert_event_index(a.event);
	alert_rules_load(&rules, a.rules);
	details = a.details ? json_loads(a.details, 0, NULL) : NULL;
	snprintf(ids, sizeof(ids), "%lld", a.id);

	if (e == 0 && j->cfg != NULL &&
	    json_is_integer(json_object_get(details, "queue_time_s")) &&
	    json_integer_value(json_object_get(details, "queue_time_s")) <
		j->cfg->alert_short_abandon_s) {
		state = "suppressed";
		reason = "short abandon";
		goto decide;
	}
	if (owes_callback(e) &&
	    (res = store_callbacks_open(j->pg, &a, &callback)) != DB_OK) {
		rc = db_retry(res, err, errlen, "opening the callback");
		goto out;
	}
	bits = e >= 0 && j->cfg != NULL
	    ? rules.channels[e] & channels_configured(j->cfg, &a, &rules)
	    : 0;
	if (bits == 0) {
		state = "suppressed";
		reason = "no channel configured for this event";
		goto decide;
	}
	if (rules.quiet) {
		if (store_alerts_local_time(j->pg, now, rules.timezone, &minute,
			&second) != 0) {
			rc = db_retry(DB_ERR, err, errlen, "local time");
			goto out;
		}
		if (in_quiet(&rules, minute)) {
			res = hold(j->pg, j->cfg, &a, bits,
			    until_quiet_end(&rules, minute, second));
			if (res != DB_OK) {
				rc = db_retry(res, err, errlen, "holding");
				goto out;
			}
			state = "held";
			reason = "quiet hours";
			goto decide;
		}
	}
	if (rules.cooldown_s[e] > 0) {
		switch (store_alerts_cooldown(j->pg, &a, now,
		    rules.cooldown_s[e])) {
		case 1:
			state = "cooldown";
			goto decide;
		case 0:
			break;
		default:
			rc = db_retry(DB_ERR, err, errlen, "cooldown");
			goto out;
		}
	}
	if ((res = notify(j->pg, j->cfg, &a, bits, &queued)) != DB_OK) {
		rc = db_retry(res, err, errlen, "queuing deliveries");
		goto out;
	}
	if (queued == 0) {
		state = "suppressed";
		reason = "no channel can carry this event";
	}
decide:
	res = store_alerts_decide(j->pg, a.id, state, reason, now, callback);
	if (res != DB_OK) {
		rc = db_retry(res, err, errlen, "recording the decision");
		goto out;
	}
	log_kv(LOG_INFO, "alert dispatched", "alert", ids, "event", a.event,
	    "state", state, "reason", reason, NULL);
out:
	json_decref(details);
	store_alert_cleanup(&a);
	return rc;
}

/* ---- delivery ---- */

/* What one attempt came to. */
struct attempt {
	long status; /* HTTP status, 0 when no answer */
	long retry_after_s; /* -1: none */
	int transient; /* worth another try */
	int ok;
	char why[300];
};

/* An alert_view of a stored alert (details parsed into *details). */
static void
view_of(const struct store_alert *a, struct alert_view *v, json_t **details)
{
	memset(v, 0, sizeof(*v));
	*details = a->details ? json_loads(a->details, 0, NULL) : NULL;
	v->id = a->id;
	v->event = a->event;
	v->line = a->line;
	v->caller = a->caller;
	v->when = a->when_local;
	v->occurred_at = a->occurred_at;
	v->details = *details;
	v->callback_id = a->callback_id;
}

/* The request's timeout: what the job has left, at most SEND_BUDGET_MS. */
static long
budget_ms(const struct job *j)
{
	long left = job_time_left_ms(j) - 2000;

	if (left > SEND_BUDGET_MS)
		left = SEND_BUDGET_MS;
	return left < 1000 ? 1000 : left;
}

static void
judge_http(struct attempt *at, enum httpc_result hr,
    const struct httpc_resp *resp)
{
	at->status = resp->status;
	at->retry_after_s = resp->retry_after_s;
	if (hr != HTTPC_OK) {
		at->transient = 1;
		snprintf(at->why, sizeof(at->why), "no answer: %s",
		    resp->error);
		return;
	}
	at->ok = resp->status >= 200 && resp->status < 300;
	at->transient =
	    resp->status == 429 || resp->status >= 500 || resp->status == 408;
	if (!at->ok)
		snprintf(at->why, sizeof(at->why), "HTTP %ld", resp->status);
}

static void
post_json(const struct job *j, const char *url, const char *body,
    const char *const *headers, struct attempt *at)
{
	struct httpc_req req;
	struct httpc_resp resp;
	enum httpc_result hr;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.json = body;
	req.user_agent = "ramal-alerts";
	req.timeout_ms = budget_ms(j);
	req.body_max = 64 * 1024;
	for (int i = 0;
	     headers != NULL && headers[i] != NULL && i < HTTPC_HEADERS_MAX;
	     i++)
		req.headers[i] = headers[i];
	hr = httpc_request(&req, &resp);
	judge_http(at, hr, &resp);
	httpc_resp_cleanup(&resp);
}

/* The rendered alert(s) of d: one view, or a digest's n of total. */
struct rendered {
	struct alert_view one;
	json_t *one_details;
	struct store_alert *items;
	struct alert_view *views;
	json_t **item_details;
	size_t n, total;
};

static void
rendered_cleanup(struct rendered *r)
{
	json_decref(r->one_details);
	for (size_t i = 0; i < r->n; i++)
		json_decref(r->item_details[i]);
	store_alerts_free(r->items, r->n);
	free(r->views);
	free(r->item_details);
	memset(r, 0, sizeof(*r));
}

static enum db_result
render_load(PGconn *pg, const struct store_alert_delivery *d,
    struct rendered *r)
{
	enum db_result res;

	memset(r, 0, sizeof(*r));
	if (d->alert_id != 0) {
		view_of(&d->alert, &r->one, &r->one_details);
		return DB_OK;
	}
	res = store_alerts_digest_items(pg, d->id, DIGEST_LIST, &r->items,
	    &r->n, &r->total);
	if (res != DB_OK)
		return res;
	r->views = xcalloc(r->n ? r->n : 1, sizeof(*r->views));
	r->item_details = xcalloc(r->n ? r->n : 1, sizeof(*r->item_details));
	for (size_t i = 0; i < r->n; i++)
		view_of(&r->items[i], &r->views[i], &r->item_details[i]);
	return DB_OK;
}

static void
send_slack(const struct job *j, const struct store_alert_delivery *d,
    const struct rendered *r, struct attempt *at)
{
	char *url =
	    alerts_open(j->cfg, "slack", d->account_sid, d->rules.slack_enc);
	const char *target = url ? url : j->cfg->slack_webhook_url;
	json_t *body;
	char *text;

	if (target == NULL) {
		snprintf(at->why, sizeof(at->why),
		    d->rules.slack_enc ? "the tenant's Slack URL cannot be "
					 "opened (RAMAL_SECRET_KEY changed?)"
				       : "no Slack webhook URL configured");
		util_free_secret(url);
		return;
	}
	body = d->alert_id
	    ? alert_slack_body(&r->one, j->cfg->base_url)
	    : alert_slack_digest(r->views, r->n, r->total, j->cfg->base_url);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text != NULL)
		post_json(j, target, text, NULL, at);
	free(text);
	util_free_secret(url);
}

static void
send_webhook(const struct job *j, const struct store_alert_delivery *d,
    const struct rendered *r, struct attempt *at)
{
	char *secret = alerts_open(j->cfg, "webhook-secret", d->account_sid,
	    d->rules.webhook_secret_enc);
	const char *key = secret ? secret : j->cfg->alert_webhook_secret;
	const char *url = d->rules.webhook_url ? d->rules.webhook_url
					       : j->cfg->alert_webhook_url;
	char sig[ALERT_SIGNATURE_LEN + 1], h_sig[128], h_id[64], h_ev[96];
	const char *headers[4] = { NULL, NULL, NULL, NULL };
	json_t *body;
	char *text;

	if (url == NULL) {
		snprintf(at->why, sizeof(at->why), "no webhook URL configured");
		util_free_secret(secret);
		return;
	}
	body = d->alert_id
	    ? alert_webhook_body(&r->one, d->id, j->cfg->base_url)
	    : alert_webhook_digest(r->views, r->n, r->total, d->id,
		  j->cfg->base_url);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	snprintf(h_id, sizeof(h_id), "X-Ramal-Delivery: %lld", d->id);
	snprintf(h_ev, sizeof(h_ev), "X-Ramal-Event: %s",
	    d->alert_id ? r->one.event : "digest");
	headers[0] = h_id;
	headers[1] = h_ev;
	if (text != NULL && key != NULL &&
	    alert_signature(key, text, strlen(text), sig) == 0) {
		snprintf(h_sig, sizeof(h_sig), "X-Ramal-Signature: %s", sig);
		headers[2] = h_sig;
	}
	if (text != NULL)
		post_json(j, url, text, headers, at);
	free(text);
	util_free_secret(secret);
}

static void
send_whatsapp(const struct job *j, const struct store_alert_delivery *d,
    const struct rendered *r, const struct alert_rules *rules,
    struct attempt *at)
{
	const char *event = d->alert_id ? r->one.event : "digest";
	const char *tpl = alerts_template(j->cfg, event);
	const char *to =
	    rules->whatsapp_to[0] ? rules->whatsapp_to : j->cfg->whatsapp_to;
	struct twapi_client cl;
	struct twapi_resp resp;
	enum twapi_result tr;
	char path[128], to_buf[64], from_buf[64];
	char *vars;
	struct form f;

	if (tpl == NULL || to == NULL || j->cfg->whatsapp_from == NULL ||
	    twapi_client_init(&cl, j->cfg) != 0) {
		snprintf(at->why, sizeof(at->why),
		    tpl == NULL ? "no WhatsApp template for %s (%s)"
				: "WhatsApp is not configured (%s%s)",
		    tpl == NULL ? event : "WHATSAPP_FROM, WHATSAPP_TO, ",
		    tpl == NULL ? alerts_template_var(event)
				: "TWILIO_ACCOUNT_SID");
		return;
	}
	cl.timeout_ms = budget_ms(j);
	vars = d->alert_id ? alert_whatsapp_variables(&r->one, j->cfg->base_url)
			   : alert_whatsapp_digest_variables(r->views, r->n,
				 r->total, j->cfg->base_url);
	snprintf(to_buf, sizeof(to_buf), "%s%s",
	    strncmp(to, "whatsapp:", 9) ? "whatsapp:" : "", to);
	snprintf(from_buf, sizeof(from_buf), "%s%s",
	    strncmp(j->cfg->whatsapp_from, "whatsapp:", 9) ? "whatsapp:" : "",
	    j->cfg->whatsapp_from);
	snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s/Messages.json",
	    cl.account_sid);
	form_init(&f);
	form_add(&f, "To", to_buf);
	form_add(&f, "From", from_buf);
	form_add(&f, "ContentSid", tpl);
	form_add(&f, "ContentVariables", vars ? vars : "{}");
	tr = twapi_post(&cl, TWAPI_API, path, &f, &resp);
	form_cleanup(&f);
	free(vars);
	at->status = resp.status;
	at->retry_after_s = resp.retry_after_s;
	at->ok = tr == TWAPI_OK;
	at->transient = tr == TWAPI_TRANSPORT ||
	    (tr == TWAPI_HTTP_ERROR &&
		(resp.status == 429 || resp.status >= 500));
	if (!at->ok)
		twapi_describe(&resp, at->why, sizeof(at->why));
	twapi_resp_cleanup(&resp);
}

static uint32_t
jitter(void)
{
	uint32_t v = 0;

	if (util_random(&v, sizeof(v)) != 0)
		v = (uint32_t)util_now_us();
	return v;
}

int
alerts_job_deliver(const struct job *j, char *err, size_t errlen)
{
	json_int_t id =
	    json_integer_value(json_object_get(j->payload, "delivery_id"));
	struct store_alert_delivery d;
	struct alert_rules rules;
	struct rendered r;
	struct attempt at;
	enum db_result res;
	const char *state;
	char ids[24], status[16], next_s[16], dedupe[64];
	long next = 0;
	int attempt, max, rc = JOB_DONE;
	json_t *p;

	if (id <= 0) {
		snprintf(err, errlen, "payload has no delivery_id");
		return JOB_FAIL;
	}
	res = store_alerts_delivery_lock(j->pg, (long long)id, &d);
	if (res == DB_NOTFOUND)
		return JOB_DONE;
	if (res != DB_OK)
		return db_retry(res, err, errlen, "reading the delivery");
	memset(&r, 0, sizeof(r));
	if (strcmp(d.state, "queued") != 0 && strcmp(d.state, "retrying") != 0)
		goto out; /* sent or given up already */
	alert_rules_load(&rules, d.rules.rules);
	if ((res = render_load(j->pg, &d, &r)) != DB_OK) {
		rc = db_retry(res, err, errlen, "reading the digest");
		goto out;
	}
	memset(&at, 0, sizeof(at));
	at.retry_after_s = -1;
	if (strcmp(d.channel, "slack") == 0)
		send_slack(j, &d, &r, &at);
	else if (strcmp(d.channel, "webhook") == 0)
		send_webhook(j, &d, &r, &at);
	else
		send_whatsapp(j, &d, &r, &rules, &at);

	attempt = d.attempts + 1;
	max = j->cfg ? j->cfg->alert_max_attempts : 6;
	snprintf(ids, sizeof(ids), "%lld", d.id);
	snprintf(status, sizeof(status), "%ld", at.status);
	if (at.ok)
		state = "sent";
	else if (at.transient && attempt < max) {
		state = "retrying";
		next = job_backoff_ms(attempt, jitter()) / 1000;
		if (at.retry_after_s > next)
			next = at.retry_after_s;
		if (next < 1)
			next = 1;
		if (next > RETRY_MAX_S)
			next = RETRY_MAX_S;
	} else
		state = "dead";
	res = store_alerts_delivery_done(j->pg, d.id, state, attempt, at.status,
	    at.ok ? NULL : at.why, next);
	if (res == DB_OK && next > 0) {
		p = json_pack("{s:I}", "delivery_id", (json_int_t)d.id);
		snprintf(dedupe, sizeof(dedupe), "%s:%lld:%d",
		    ALERTS_JOB_DELIVER, d.id, attempt);
		res = job_enqueue_pg(j->pg, ALERTS_JOB_DELIVER, p, dedupe,
		    (int)next, d.account_sid, NULL);
		json_decref(p);
	}
	if (res != DB_OK) {
		rc = db_retry(res, err, errlen, "recording the attempt");
		goto out;
	}
	snprintf(next_s, sizeof(next_s), "%ld", next);
	if (at.ok)
		log_kv(LOG_INFO, "alert delivered", "delivery", ids, "channel",
		    d.channel, "status", status, NULL);
	else if (next > 0)
		log_kv(LOG_WARN, "alert delivery failed; trying again",
		    "delivery", ids, "channel", d.channel, "status", status,
		    "retry_s", next_s, "error", at.why, NULL);
	else
		/* Only logged: an alert about an alert could loop. */
		log_kv(LOG_ERROR, "alert delivery given up", "delivery", ids,
		    "channel", d.channel, "status", status, "error", at.why,
		    NULL);
out:
	rendered_cleanup(&r);
	store_alert_delivery_cleanup(&d);
	return rc;
}

int
alerts_job_digest(const struct job *j, char *err, size_t errlen)
{
	json_int_t tenant =
	    json_integer_value(json_object_get(j->payload, "tenant_id"));
	const char *channel =
	    json_string_value(json_object_get(j->payload, "channel"));
	char account[35], dedupe[64], ids[24], count_s[16];
	enum db_result res;
	long long id;
	long count;
	json_t *p;

	if (tenant <= 0 || alerts_channel_name(channel_bit(channel)) == NULL) {
		snprintf(err, errlen, "payload needs tenant_id and channel");
		return JOB_FAIL;
	}
	res = store_alerts_digest_make(j->pg, (long long)tenant, channel, &id,
	    &count);
	if (res != DB_OK)
		return db_retry(res, err, errlen, "gathering the digest");
	if (id == 0)
		return JOB_DONE;
	if ((res = store_alerts_tenant_account(j->pg, (long long)tenant,
		 account)) != DB_OK)
		return db_retry(res, err, errlen, "reading the tenant");
	p = json_pack("{s:I}", "delivery_id", (json_int_t)id);
	snprintf(dedupe, sizeof(dedupe), "%s:%lld:0", ALERTS_JOB_DELIVER, id);
	res = job_enqueue_pg(j->pg, ALERTS_JOB_DELIVER, p, dedupe, 0, account,
	    NULL);
	json_decref(p);
	if (res != DB_OK)
		return db_retry(res, err, errlen, "queuing the digest");
	snprintf(ids, sizeof(ids), "%lld", id);
	snprintf(count_s, sizeof(count_s), "%ld", count);
	log_kv(LOG_INFO, "alert digest queued", "delivery", ids, "channel",
	    channel, "alerts", count_s, NULL);
	return JOB_DONE;
}
