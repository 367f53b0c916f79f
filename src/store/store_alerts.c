/*
 * Store helpers of alerts.  See include/store/store_alerts.h and
 * sql/025_alerts.sql.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_alerts.h"
#include "util.h"

#define TZ_OF(r) "coalesce(" r ".rules->>'timezone', 'America/Sao_Paulo')"
#define UTC_MS(col) \
	"to_char(" col " AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define UTC_TEXT(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/*
 * An alert's columns, in struct store_alert's order (alert_from_row);
 * FROM alerts a JOIN tenants t LEFT JOIN alert_rules r.
 */
#define ALERT_COLS \
	"a.id, a.tenant_id, coalesce(a.phone_number_id, 0)," \
	" coalesce(a.callback_id, 0), t.account_sid, a.event, a.state," \
	" a.reason, a.scope, coalesce(a.caller, (SELECT c.from_number" \
	"  FROM calls c WHERE c.call_sid = a.call_sid" \
	"  AND c.tenant_id = a.tenant_id)), a.call_sid, a.recording_sid," \
	" a.line, a.details::text, " UTC_MS( \
	    "a.occurred_at") "," \
			     " to_char(a.occurred_at AT TIME ZONE " TZ_OF( \
				 "r") ", 'DD/MM HH24:MI')," \
				      " r.rules::text, coalesce(r.slack_webhook_url_enc IS NOT NULL, false)," \
				      " coalesce(r.webhook_url IS NOT NULL, false)"
#define ALERT_NCOLS 19
#define ALERT_FROM \
	" FROM alerts a JOIN tenants t ON t.id = a.tenant_id" \
	" LEFT JOIN alert_rules r ON r.tenant_id = a.tenant_id"

const struct db_stmt store_alerts_statements[] = {
	{ "alerts_list",
	    "SELECT " ALERT_COLS ","
	    " (SELECT coalesce(json_agg(json_build_object('channel', d.channel,"
	    "  'state', d.state, 'attempts', d.attempts, 'last_status',"
	    "  d.last_status, 'error', d.last_error,"
	    "  'sent_at', " UTC_TEXT(
		"coalesce(d.sent_at, g.sent_at)") ","
						  "  'next_at', " UTC_TEXT(
						      "d.next_at") ","
								   "  'digest_id', d.digest_id, 'digest_state', g.state)"
								   "  ORDER BY d.channel), '[]')::text"
								   "  FROM alert_deliveries d"
								   "  LEFT JOIN alert_deliveries g ON g.id = d.digest_id"
								   "  WHERE d.alert_id = a.id)" ALERT_FROM
								   " WHERE a.tenant_id = $1::bigint"
								   " AND ($2::bigint = 0 OR a.id < $2::bigint)"
								   " ORDER BY a.id DESC LIMIT $3::integer",
	    3 },
	{ "alerts_rules_get",
	    "SELECT rules::text, slack_webhook_url_enc, webhook_url,"
	    " webhook_secret_enc FROM alert_rules WHERE tenant_id = $1::bigint",
	    1 },
	/*
	 * $3..$5 flags: replace the Slack URL, the webhook URL, the webhook
	 * secret with $6..$8 (NULL clears); otherwise keep them.
	 */
	{ "alerts_rules_put",
	    "INSERT INTO alert_rules AS r (tenant_id, rules,"
	    " slack_webhook_url_enc, webhook_url, webhook_secret_enc,"
	    " updated_by)"
	    " VALUES ($1::bigint, $2::jsonb,"
	    " CASE WHEN $3::boolean THEN $6 END,"
	    " CASE WHEN $4::boolean THEN $7 END,"
	    " CASE WHEN $5::boolean THEN $8 END, $9::bigint)"
	    " ON CONFLICT (tenant_id) DO UPDATE SET rules = excluded.rules,"
	    " slack_webhook_url_enc = CASE WHEN $3::boolean THEN $6"
	    "  ELSE r.slack_webhook_url_enc END,"
	    " webhook_url = CASE WHEN $4::boolean THEN $7"
	    "  ELSE r.webhook_url END,"
	    " webhook_secret_enc = CASE WHEN $5::boolean THEN $8"
	    "  ELSE r.webhook_secret_enc END,"
	    " updated_by = excluded.updated_by, updated_at = now()",
	    9 },
	{ "alerts_rules_all",
	    "SELECT t.account_sid, r.rules::text FROM tenants t"
	    " LEFT JOIN alert_rules r ON r.tenant_id = t.id"
	    " WHERE t.status = 'active' ORDER BY t.id",
	    0 },
	{ "alerts_tz_known",
	    "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)",
	    1 },
	{ NULL, NULL, 0 },
};

/* ---- small helpers ---- */

static char *
dup_field(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL
					: xstrdup(PQgetvalue(r, row, col));
}

static long long
ll_field(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col)
	    ? 0
	    : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/*
 * Run sql on a job's connection; the result (PQclear it) with *res set
 * as db_exec would; a failure is logged with what.
 */
static PGresult *
run(PGconn *pg, const char *what, const char *sql, int n,
    const char *const *params, enum db_result *res)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);

	*res = db_classify(r);
	if (*res != DB_OK && *res != DB_NOTFOUND)
		log_kv(LOG_ERROR, "alerts: query failed", "stmt", what,
		    "sqlstate",
		    r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
		    "detail",
		    r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL,
		    NULL);
	return r;
}

static void
alert_from_row(const PGresult *r, int row, struct store_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = ll_field(r, row, 0);
	a->tenant_id = ll_field(r, row, 1);
	a->phone_number_id = ll_field(r, row, 2);
	a->callback_id = ll_field(r, row, 3);
	snprintf(a->account_sid, sizeof(a->account_sid), "%s",
	    PQgetvalue(r, row, 4));
	a->event = dup_field(r, row, 5);
	a->state = dup_field(r, row, 6);
	a->reason = dup_field(r, row, 7);
	a->scope = dup_field(r, row, 8);
	a->caller = dup_field(r, row, 9);
	a->call_sid = dup_field(r, row, 10);
	a->recording_sid = dup_field(r, row, 11);
	a->line = dup_field(r, row, 12);
	a->details = dup_field(r, row, 13);
	a->occurred_at = dup_field(r, row, 14);
	a->when_local = dup_field(r, row, 15);
	a->rules = dup_field(r, row, 16);
	a->tenant_slack = strcmp(PQgetvalue(r, row, 17), "t") == 0;
	a->tenant_webhook = strcmp(PQgetvalue(r, row, 18), "t") == 0;
}

void
store_alert_cleanup(struct store_alert *a)
{
	if (a == NULL)
		return;
	free(a->event);
	free(a->state);
	free(a->reason);
	free(a->scope);
	free(a->caller);
	free(a->call_sid);
	free(a->recording_sid);
	free(a->line);
	free(a->details);
	free(a->occurred_at);
	free(a->when_local);
	free(a->deliveries);
	free(a->rules);
	memset(a, 0, sizeof(*a));
}

void
store_alert_rules_row_cleanup(struct store_alert_rules_row *r)
{
	if (r == NULL)
		return;
	free(r->rules);
	util_free_secret(r->slack_enc);
	free(r->webhook_url);
	util_free_secret(r->webhook_secret_enc);
	memset(r, 0, sizeof(*r));
}

void
store_alert_delivery_cleanup(struct store_alert_delivery *d)
{
	if (d == NULL)
		return;
	free(d->channel);
	free(d->state);
	store_alert_rules_row_cleanup(&d->rules);
	store_alert_cleanup(&d->alert);
	memset(d, 0, sizeof(*d));
}

/* ---- dispatch ---- */

enum db_result
store_alerts_lock(PGconn *pg, long long id, struct store_alert *out)
{
	char ids[24];
	const char *p[1] = { ids };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	snprintf(ids, sizeof(ids), "%lld", id);
	r = run(pg, "alerts_lock",
	    "SELECT " ALERT_COLS ALERT_FROM " WHERE a.id = $1::bigint"
	    " FOR UPDATE OF a",
	    1, p, &res);
	if (res == DB_OK)
		alert_from_row(r, 0, out);
	PQclear(r);
	return res;
}

int
store_alerts_cooldown(PGconn *pg, const struct store_alert *a, double now,
    int cooldown_s)
{
	char tenant[24], id[24], when[48], secs[16];
	const char *p[6] = { tenant, a->event, a->scope, id, when, secs };
	enum db_result res;
	PGresult *r;
	int rc = -1;

	snprintf(tenant, sizeof(tenant), "%lld", a->tenant_id);
	snprintf(id, sizeof(id), "%lld", a->id);
	snprintf(when, sizeof(when), "%.3f", now);
	snprintf(secs, sizeof(secs), "%d", cooldown_s);
	r = run(pg, "alerts_cooldown_lock",
	    "SELECT pg_advisory_xact_lock(hashtextextended("
	    "'alerts:' || $1 || ':' || $2 || ':' || $3, 0))",
	    3, p, &res);
	PQclear(r);
	if (res != DB_OK)
		return -1;
	r = run(pg, "alerts_cooldown",
	    "SELECT EXISTS (SELECT 1 FROM alerts WHERE tenant_id = $1::bigint"
	    " AND event = $2 AND scope = $3 AND state = 'notified'"
	    " AND id <> $4::bigint"
	    " AND decided_at > to_timestamp($5::float8)"
	    "  - make_interval(secs => $6::integer)"
	    " AND decided_at <= to_timestamp($5::float8))",
	    6, p, &res);
	if (res == DB_OK)
		rc = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return rc;
}

int
store_alerts_local_time(PGconn *pg, double now, const char *tz, int *minute,
    int *second)
{
	char when[48];
	const char *p[2] = { when, tz };
	enum db_result res;
	PGresult *r;
	int rc = -1;

	snprintf(when, sizeof(when), "%.3f", now);
	r = run(pg, "alerts_local_time",
	    "SELECT extract(hour FROM x)::int * 60"
	    " + extract(minute FROM x)::int, floor(extract(second FROM x))::int"
	    " FROM (SELECT to_timestamp($1::float8) AT TIME ZONE $2 AS x) l",
	    2, p, &res);
	if (res == DB_OK) {
		*minute = atoi(PQgetvalue(r, 0, 0));
		*second = atoi(PQgetvalue(r, 0, 1));
		rc = 0;
	}
	PQclear(r);
	return rc;
}

enum db_result
store_alerts_decide(PGconn *pg, long long id, const char *state,
    const char *reason, double now, long long callback_id)
{
	char ids[24], when[48], cb[24];
	const char *p[5] = { ids, state, reason, when,
		callback_id > 0 ? cb : NULL };
	enum db_result res;

	snprintf(ids, sizeof(ids), "%lld", id);
	snprintf(when, sizeof(when), "%.3f", now);
	snprintf(cb, sizeof(cb), "%lld", callback_id);
	PQclear(run(pg, "alerts_decide",
	    "UPDATE alerts SET state = $2, reason = $3,"
	    " decided_at = to_timestamp($4::float8),"
	    " callback_id = $5::bigint WHERE id = $1::bigint",
	    5, p, &res));
	return res;
}

enum db_result
store_alerts_delivery_add(PGconn *pg, const struct store_alert *a,
    const char *channel, const char *state, const char *note, long long *id)
{
	char tenant[24], alert[24];
	const char *p[5] = { tenant, alert, channel, state, note };
	enum db_result res;
	PGresult *r;

	*id = 0;
	snprintf(tenant, sizeof(tenant), "%lld", a->tenant_id);
	snprintf(alert, sizeof(alert), "%lld", a->id);
	r = run(pg, "alerts_delivery_add",
	    "INSERT INTO alert_deliveries (tenant_id, alert_id, channel, state,"
	    " last_error) VALUES ($1::bigint, $2::bigint, $3, $4, $5)"
	    " ON CONFLICT (alert_id, channel) DO NOTHING RETURNING id",
	    5, p, &res);
	if (res == DB_OK)
		*id = ll_field(r, 0, 0);
	PQclear(r);
	return res == DB_NOTFOUND ? DB_OK : res;
}

enum db_result
store_callbacks_open(PGconn *pg, const struct store_alert *a, long long *id)
{
	char tenant[24], number[24];
	const char *key = NULL;
	const char *p[9];
	enum db_result res;
	PGresult *r;
	char keybuf[256];

	*id = 0;
	if (a->caller == NULL)
		return DB_OK;
	snprintf(tenant, sizeof(tenant), "%lld", a->tenant_id);
	snprintf(number, sizeof(number), "%lld", a->phone_number_id);
	snprintf(keybuf, sizeof(keybuf), "%s:%s", a->event,
	    a->recording_sid && strcmp(a->event, "voicemail") == 0
		? a->recording_sid
		: (a->call_sid ? a->call_sid : ""));
	key = keybuf;
	p[0] = tenant;
	p[1] = a->caller;
	r = run(pg, "callbacks_lock",
	    "SELECT pg_advisory_xact_lock(hashtextextended("
	    "'callbacks:' || $1 || ':' || $2, 0))",
	    2, p, &res);
	PQclear(r);
	if (res != DB_OK)
		return res;
	p[2] = key;
	p[3] = a->phone_number_id > 0 ? number : NULL;
	p[4] = a->line;
	p[5] = a->event;
	p[6] = a->call_sid;
	p[7] = a->recording_sid;
	p[8] = a->occurred_at;
	/*
	 * skip: the caller reached an agent by calling in after this
	 * happened (that call closed what was open; nothing is owed).
	 */
	r = run(pg, "callbacks_open",
	    "WITH skip AS (SELECT 1 FROM calls c"
	    "  WHERE c.tenant_id = $1::bigint AND c.from_number = $2"
	    "  AND c.direction = 'inbound' AND c.parent_call_sid IS NULL"
	    "  AND c.agent_user_id IS NOT NULL"
	    "  AND c.call_sid IS DISTINCT FROM $7"
	    "  AND c.created_at > $9::timestamptz LIMIT 1),"
	    " done AS (SELECT id FROM callbacks WHERE key = $3),"
	    " up AS (UPDATE callbacks SET missed_calls = missed_calls + 1,"
	    "  recording_sid = coalesce(recording_sid, $8),"
	    "  updated_at = now()"
	    "  WHERE tenant_id = $1::bigint AND caller = $2"
	    "  AND state IN ('open', 'in-progress')"
	    "  AND NOT EXISTS (SELECT 1 FROM skip)"
	    "  AND NOT EXISTS (SELECT 1 FROM done) RETURNING id),"
	    " ins AS (INSERT INTO callbacks (tenant_id, key, caller,"
	    "  phone_number_id, line, reason, call_sid, recording_sid,"
	    "  created_at)"
	    "  SELECT $1::bigint, $3, $2, $4::bigint, $5, $6, $7, $8,"
	    "  $9::timestamptz"
	    "  WHERE $2 ~ '^\\+[1-9][0-9]{7,14}$'"
	    "  AND NOT EXISTS (SELECT 1 FROM skip)"
	    "  AND NOT EXISTS (SELECT 1 FROM done)"
	    "  AND NOT EXISTS (SELECT 1 FROM up)"
	    "  ON CONFLICT DO NOTHING RETURNING id)"
	    " SELECT coalesce((SELECT id FROM ins), (SELECT id FROM up),"
	    " (SELECT id FROM done), 0)",
	    9, p, &res);
	if (res == DB_OK)
		*id = ll_field(r, 0, 0);
	PQclear(r);
	return res;
}

/* ---- delivery ---- */

enum db_result
store_alerts_delivery_lock(PGconn *pg, long long id,
    struct store_alert_delivery *out)
{
	char ids[24], alert[24];
	const char *p[1] = { ids };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	snprintf(ids, sizeof(ids), "%lld", id);
	r = run(pg, "alerts_delivery_lock",
	    "SELECT d.id, d.tenant_id, coalesce(d.alert_id, 0), d.channel,"
	    " d.state, d.attempts, t.account_sid, r.rules::text,"
	    " r.slack_webhook_url_enc, r.webhook_url, r.webhook_secret_enc"
	    " FROM alert_deliveries d JOIN tenants t ON t.id = d.tenant_id"
	    " LEFT JOIN alert_rules r ON r.tenant_id = d.tenant_id"
	    " WHERE d.id = $1::bigint FOR UPDATE OF d",
	    1, p, &res);
	if (res == DB_OK) {
		out->id = ll_field(r, 0, 0);
		out->tenant_id = ll_field(r, 0, 1);
		out->alert_id = ll_field(r, 0, 2);
		out->channel = dup_field(r, 0, 3);
		out->state = dup_field(r, 0, 4);
		out->attempts = atoi(PQgetvalue(r, 0, 5));
		snprintf(out->account_sid, sizeof(out->account_sid), "%s",
		    PQgetvalue(r, 0, 6));
		out->rules.rules = dup_field(r, 0, 7);
		out->rules.slack_enc = dup_field(r, 0, 8);
		out->rules.webhook_url = dup_field(r, 0, 9);
		out->rules.webhook_secret_enc = dup_field(r, 0, 10);
	}
	PQclear(r);
	if (res != DB_OK || out->alert_id == 0)
		return res;
	snprintf(alert, sizeof(alert), "%lld", out->alert_id);
	p[0] = alert;
	r = run(pg, "alerts_delivery_alert",
	    "SELECT " ALERT_COLS ALERT_FROM " WHERE a.id = $1::bigint", 1, p,
	    &res);
	if (res == DB_OK)
		alert_from_row(r, 0, &out->alert);
	PQclear(r);
	return res;
}

enum db_result
store_alerts_digest_items(PGconn *pg, long long digest_id, size_t max,
    struct store_alert **out, size_t *n, size_t *total)
{
	char ids[24], lim[16];
	const char *p[2] = { ids, lim };
	enum db_result res;
	PGresult *r;

	*out = NULL;
	*n = 0;
	*total = 0;
	snprintf(ids, sizeof(ids), "%lld", digest_id);
	snprintf(lim, sizeof(lim), "%zu", max);
	r = run(pg, "alerts_digest_items",
	    "SELECT " ALERT_COLS ", count(*) OVER ()"
	    " FROM alert_deliveries h JOIN alerts a ON a.id = h.alert_id"
	    " JOIN tenants t ON t.id = a.tenant_id"
	    " LEFT JOIN alert_rules r ON r.tenant_id = a.tenant_id"
	    " WHERE h.digest_id = $1::bigint"
	    " ORDER BY a.occurred_at, a.id LIMIT $2::integer",
	    2, p, &res);
	if (res == DB_OK) {
		*n = (size_t)PQntuples(r);
		*out = xcalloc(*n, sizeof(**out));
		for (size_t i = 0; i < *n; i++)
			alert_from_row(r, (int)i, &(*out)[i]);
		*total = (size_t)ll_field(r, 0, ALERT_NCOLS);
	}
	PQclear(r);
	return res == DB_NOTFOUND ? DB_OK : res;
}

enum db_result
store_alerts_delivery_done(PGconn *pg, long long id, const char *state,
    int attempts, long status, const char *error, long next_in_s)
{
	char ids[24], att[16], st[16], next[24];
	const char *p[6] = { ids, state, att, status > 0 ? st : NULL, error,
		next };
	enum db_result res;

	snprintf(ids, sizeof(ids), "%lld", id);
	snprintf(att, sizeof(att), "%d", attempts);
	snprintf(st, sizeof(st), "%ld", status);
	snprintf(next, sizeof(next), "%ld", next_in_s);
	PQclear(run(pg, "alerts_delivery_done",
	    "UPDATE alert_deliveries SET state = $2, attempts = $3::integer,"
	    " last_status = $4::integer, last_error = $5,"
	    " next_at = CASE WHEN $2 = 'retrying'"
	    "  THEN clock_timestamp() + make_interval(secs => $6::integer) END,"
	    " sent_at = CASE WHEN $2 = 'sent' THEN clock_timestamp()"
	    "  ELSE sent_at END,"
	    " updated_at = clock_timestamp() WHERE id = $1::bigint",
	    6, p, &res));
	return res;
}

enum db_result
store_alerts_digest_make(PGconn *pg, long long tenant_id, const char *channel,
    long long *id, long *count)
{
	char tenant[24];
	const char *p[2] = { tenant, channel };
	enum db_result res;
	PGresult *r;

	*id = 0;
	*count = 0;
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	r = run(pg, "alerts_digest_make",
	    "WITH held AS (SELECT id FROM alert_deliveries"
	    "  WHERE tenant_id = $1::bigint AND channel = $2"
	    "  AND state = 'held' FOR UPDATE),"
	    " dig AS (INSERT INTO alert_deliveries (tenant_id, channel)"
	    "  SELECT $1::bigint, $2 WHERE EXISTS (SELECT 1 FROM held)"
	    "  RETURNING id),"
	    " up AS (UPDATE alert_deliveries d SET state = 'digested',"
	    "  digest_id = dig.id, updated_at = now()"
	    "  FROM dig, held WHERE d.id = held.id RETURNING d.id)"
	    " SELECT (SELECT id FROM dig), (SELECT count(*) FROM up)",
	    2, p, &res);
	if (res == DB_OK) {
		*id = ll_field(r, 0, 0);
		*count = (long)ll_field(r, 0, 1);
	}
	PQclear(r);
	return res;
}

enum db_result
store_alerts_tenant_account(PGconn *pg, long long tenant_id,
    char account_sid[35])
{
	char tenant[24];
	const char *p[1] = { tenant };
	enum db_result res;
	PGresult *r;

	account_sid[0] = '\0';
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	r = run(pg, "alerts_tenant_account",
	    "SELECT account_sid FROM tenants WHERE id = $1::bigint", 1, p,
	    &res);
	if (res == DB_OK)
		snprintf(account_sid, 35, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return res;
}

/* ---- the API ---- */

enum db_result
store_alerts_list(struct db_conn *c, long long tenant_id, long long before,
    int limit, struct store_alert **out, size_t *n)
{
	char tenant[24], b[24], lim[16];
	const char *p[3] = { tenant, b, lim };
	enum db_result res;
	PGresult *r;

	*out = NULL;
	*n = 0;
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	snprintf(b, sizeof(b), "%lld", before);
	snprintf(lim, sizeof(lim), "%d", limit);
	r = db_exec(c, "alerts_list", 3, p, &res);
	if (res == DB_OK) {
		*n = (size_t)PQntuples(r);
		*out = xcalloc(*n, sizeof(**out));
		for (size_t i = 0; i < *n; i++) {
			alert_from_row(r, (int)i, &(*out)[i]);
			(*out)[i].deliveries =
			    dup_field(r, (int)i, ALERT_NCOLS);
		}
	}
	PQclear(r);
	return res == DB_NOTFOUND ? DB_OK : res;
}

void
store_alerts_free(struct store_alert *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_alert_cleanup(&v[i]);
	free(v);
}

enum db_result
store_alerts_rules_get(struct db_conn *c, long long tenant_id,
    struct store_alert_rules_row *out)
{
	char tenant[24];
	const char *p[1] = { tenant };
	enum db_result res;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	r = db_exec(c, "alerts_rules_get", 1, p, &res);
	if (res == DB_OK) {
		out->rules = dup_field(r, 0, 0);
		out->slack_enc = dup_field(r, 0, 1);
		out->webhook_url = dup_field(r, 0, 2);
		out->webhook_secret_enc = dup_field(r, 0, 3);
	}
	PQclear(r);
	return res;
}

enum db_result
store_alerts_rules_put(struct db_conn *c, long long tenant_id,
    const struct store_alert_rules_put *in)
{
	char tenant[24], by[24];
	const char *p[9];
	enum db_result res;

	snprintf(tenant, sizeof(tenant), "%lld", tenant_id);
	snprintf(by, sizeof(by), "%lld", in->by);
	p[0] = tenant;
	p[1] = in->rules;
	p[2] = in->set_slack ? "true" : "false";
	p[3] = in->set_webhook_url ? "true" : "false";
	p[4] = in->set_webhook_secret ? "true" : "false";
	p[5] = in->slack_enc;
	p[6] = in->webhook_url;
	p[7] = in->webhook_secret_enc;
	p[8] = in->by > 0 ? by : NULL;
	PQclear(db_exec(c, "alerts_rules_put", 9, p, &res));
	return res;
}

int
store_alerts_timezone_known(struct db_conn *c, const char *tz)
{
	const char *p[1] = { tz };
	enum db_result res;
	PGresult *r;
	int rc = -1;

	r = db_exec(c, "alerts_tz_known", 1, p, &res);
	if (res == DB_OK)
		rc = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return rc;
}

enum db_result
store_alerts_rules_each(struct db_conn *c, store_alerts_rules_fn fn, void *arg)
{
	enum db_result res;
	PGresult *r;

	r = db_exec(c, "alerts_rules_all", 0, NULL, &res);
	if (res == DB_OK)
		for (int i = 0; i < PQntuples(r); i++)
			fn(arg, PQgetvalue(r, i, 0),
			    PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1));
	PQclear(r);
	return res == DB_NOTFOUND ? DB_OK : res;
}
