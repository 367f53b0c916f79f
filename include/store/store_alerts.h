#ifndef RAMAL_STORE_ALERTS_H
#define RAMAL_STORE_ALERTS_H

#include <stddef.h>

#include <libpq-fe.h>

#include "db.h"

/*
 * Store helpers of alerts (sql/025_alerts.sql, docs/alerts.md): the
 * outbox the triggers fill, the deliveries, the rules per tenant.
 *
 * The functions on a PGconn run on a job's connection, inside its
 * attempt's transaction (no prepared statements there: each is one
 * PQexecParams); those on a db_conn use the pool's named statements
 * (store_alerts_statements[], merged by store.c).  Strings given are
 * borrowed; strings returned are owned by the struct (free with its
 * _cleanup).  Every failure is logged here, once.
 */
extern const struct db_stmt store_alerts_statements[];

/* One alert, as dispatch, delivery and the API read it. */
struct store_alert {
	long long id;
	long long tenant_id;
	long long phone_number_id; /* 0: none */
	long long callback_id; /* 0: none */
	char account_sid[35]; /* the tenant's */
	char *event;
	char *state;
	char *reason; /* NULL: none */
	char *scope;
	char *caller; /* full number (the call's, when the alert lacks it) */
	char *call_sid;
	char *recording_sid;
	char *line;
	char *details; /* JSON object text */
	char *occurred_at; /* RFC 3339 UTC */
	char *when_local; /* "dd/mm HH:MM" in the tenant's time zone */
	char *deliveries; /* the API's list: a JSON array text, or NULL */
	char *rules; /* alert_rules.rules (JSON text), or NULL: defaults */
	int tenant_slack; /* the tenant has a Slack webhook of its own */
	int tenant_webhook; /* ... and a signed webhook */
};

void store_alert_cleanup(struct store_alert *a);

/* The tenant's rules row (strings NULL when unset). */
struct store_alert_rules_row {
	char *rules; /* JSON text */
	char *slack_enc; /* sealed Slack webhook URL */
	char *webhook_url;
	char *webhook_secret_enc; /* sealed */
};

void store_alert_rules_row_cleanup(struct store_alert_rules_row *r);

/* ---- dispatch (a job's connection) ---- */

/*
 * Alert id, locked for this transaction (FOR UPDATE), into *out.
 * DB_NOTFOUND when it is gone.
 */
enum db_result store_alerts_lock(PGconn *pg, long long id,
    struct store_alert *out);

/*
 * 1 when an alert of the same tenant, event and scope other than id was
 * notified within cooldown_s seconds before now (epoch seconds, the
 * alerts' clock), 0 when not, -1 on failure.  Takes a transaction-level
 * advisory lock on (tenant, event, scope) first, so two dispatches of
 * the same kind never both pass.
 */
int store_alerts_cooldown(PGconn *pg, const struct store_alert *a, double now,
    int cooldown_s);

/*
 * The minute of the day (0..1439) and the second within it at now
 * (epoch seconds) in time zone tz.  0 / -1.
 */
int store_alerts_local_time(PGconn *pg, double now, const char *tz, int *minute,
    int *second);

/*
 * Set the alert's state (notified, held, cooldown, suppressed), reason
 * (NULL: none), decided_at = now (epoch seconds) and callback_id (0:
 * none).  A db_result.
 */
enum db_result store_alerts_decide(PGconn *pg, long long id, const char *state,
    const char *reason, double now, long long callback_id);

/*
 * A delivery row of the alert on channel in state (queued, held,
 * skipped; note: its last_error, NULL: none); *id the new row's id, or 0
 * when the alert had one for that channel already.
 */
enum db_result store_alerts_delivery_add(PGconn *pg,
    const struct store_alert *a, const char *channel, const char *state,
    const char *note, long long *id);

/*
 * The callback the alert owes (abandoned, missed-dedicated, voicemail):
 * opened once per alert key; merged into the caller's open callback
 * (missed_calls + 1) when there is one; none when the caller reached an
 * agent by calling in after the alert, or the caller is not a number.
 * *id the callback's id, 0 when none.  Serialised per caller by an
 * advisory lock.
 */
enum db_result store_callbacks_open(PGconn *pg, const struct store_alert *a,
    long long *id);

/* ---- delivery (a job's connection) ---- */

/* One delivery with what sending it needs. */
struct store_alert_delivery {
	long long id;
	long long tenant_id;
	long long alert_id; /* 0: a digest */
	char *channel;
	char *state;
	int attempts;
	char account_sid[35];
	struct store_alert_rules_row rules;
	struct store_alert alert; /* when alert_id != 0 */
};

void store_alert_delivery_cleanup(struct store_alert_delivery *d);

/* Delivery id, locked (FOR UPDATE).  DB_NOTFOUND when gone. */
enum db_result store_alerts_delivery_lock(PGconn *pg, long long id,
    struct store_alert_delivery *out);

/*
 * The alerts a digest gathers, oldest first, at most max in a new array
 * of *n (free each with store_alert_cleanup, then the array); *total
 * how many it holds in all.
 */
enum db_result store_alerts_digest_items(PGconn *pg, long long digest_id,
    size_t max, struct store_alert **out, size_t *n, size_t *total);

/*
 * Record an attempt's outcome: state (sent, retrying, dead), the HTTP
 * status (0: none), error (NULL: none), and for retrying next_in_s.
 */
enum db_result store_alerts_delivery_done(PGconn *pg, long long id,
    const char *state, int attempts, long status, const char *error,
    long next_in_s);

/*
 * Gather the held deliveries of tenant and channel into a new digest
 * delivery: *id its id and *count how many it holds (0 and no row when
 * none is held).
 */
enum db_result store_alerts_digest_make(PGconn *pg, long long tenant_id,
    const char *channel, long long *id, long *count);

/* The tenant's account SID (for a job's account_sid).  A db_result. */
enum db_result store_alerts_tenant_account(PGconn *pg, long long tenant_id,
    char account_sid[35]);

/* ---- the API (pool) ---- */

/*
 * The tenant's alerts, newest first, ids below before (0: from the
 * newest), at most limit, each with its deliveries (JSON text): a new
 * array of *n.
 */
enum db_result store_alerts_list(struct db_conn *c, long long tenant_id,
    long long before, int limit, struct store_alert **out, size_t *n);

void store_alerts_free(struct store_alert *v, size_t n);

/* The tenant's rules row; DB_NOTFOUND (out all NULL) when none yet. */
enum db_result store_alerts_rules_get(struct db_conn *c, long long tenant_id,
    struct store_alert_rules_row *out);

/*
 * Write the tenant's rules row: rules (JSON text), and each secret or URL
 * when its set_* flag is 1 (the value NULL clears it); the others are
 * kept.  by: the admin's users.id.
 */
struct store_alert_rules_put {
	const char *rules;
	int set_slack, set_webhook_url, set_webhook_secret;
	const char *slack_enc, *webhook_url, *webhook_secret_enc;
	long long by;
};

enum db_result store_alerts_rules_put(struct db_conn *c, long long tenant_id,
    const struct store_alert_rules_put *in);

/*
 * fn(arg, account_sid, rules) for every active tenant, rules NULL when it
 * has none stored (both borrowed for the call).
 */
typedef void (*store_alerts_rules_fn)(void *arg, const char *account_sid,
    const char *rules);

enum db_result store_alerts_rules_each(struct db_conn *c,
    store_alerts_rules_fn fn, void *arg);

/* 1 when PostgreSQL knows time zone tz, 0 when not, -1 on failure. */
int store_alerts_timezone_known(struct db_conn *c, const char *tz);

#endif
