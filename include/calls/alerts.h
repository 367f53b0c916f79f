#ifndef RAMAL_ALERTS_H
#define RAMAL_ALERTS_H

#include <stddef.h>

#include <jansson.h>

#include "alert_text.h"
#include "config.h"
#include "job.h"

/*
 * Alerts: the tenant's rules, and the jobs that deliver what the
 * outbox (sql/025_alerts.sql) holds.  docs/alerts.md is the reference.
 *
 * alert.dispatch (one per alert, queued by the outbox's trigger in the
 * transaction that stored the fact): applies the rules (short abandons,
 * channels, quiet hours, cooldown), opens the callback owed, and queues
 * one alert.deliver per channel; all in its attempt's transaction, so a
 * retried or crashed attempt leaves nothing half done.
 * alert.deliver: one HTTP request (Slack, the signed webhook, or
 * Twilio's Messages API for WhatsApp); on 429, 5xx or no answer it queues
 * the next try itself, after the longer of its backoff and the answer's
 * Retry-After, and gives up after ALERT_MAX_ATTEMPTS (logged, never
 * alerted about).  It never holds up a webhook: the handlers only insert.
 * alert.digest: at the end of quiet hours, one message per tenant and
 * channel with what was held.
 */

#define ALERTS_JOB_DISPATCH "alert.dispatch"
#define ALERTS_JOB_DELIVER "alert.deliver"
#define ALERTS_JOB_DIGEST "alert.digest"

/* Channels, as bits of struct alert_rules.channels. */
#define ALERT_CH_SLACK 0x1
#define ALERT_CH_WHATSAPP 0x2
#define ALERT_CH_WEBHOOK 0x4
#define ALERT_CHANNELS_N 3

/* "slack", "whatsapp", "webhook" for a bit; NULL for anything else. */
const char *alerts_channel_name(int bit);

/* A tenant's rules, defaults filled in. */
struct alert_rules {
	int channels[ALERT_EVENTS_N]; /* ALERT_CH_* bits, by alert_events */
	int cooldown_s[ALERT_EVENTS_N];
	int quiet; /* quiet hours set */
	int quiet_start, quiet_end; /* minutes of the day, local */
	char timezone[64];
	char whatsapp_to[48]; /* "" : WHATSAPP_TO */
};

/*
 * The defaults: abandoned, missed-dedicated, voicemail and dead-job to
 * Slack and the webhook (each only where configured), failed to the
 * webhook; no cooldown but for failed (300 s) and dead-job (600 s); no
 * quiet hours; America/Sao_Paulo.
 */
void alert_rules_default(struct alert_rules *r);

/*
 * Apply the members of j (an API body: events, quiet_hours, timezone,
 * whatsapp_to; others are ignored) to r.  0, or -1 with a one-line
 * reason for the API in err (r may be half changed then).  The time
 * zone's existence is for the caller to check.
 */
int alert_rules_apply(struct alert_rules *r, const json_t *j, char *err,
    size_t errlen);

/* r as the API shows it and as alert_rules.rules stores it (new ref). */
json_t *alert_rules_json(const struct alert_rules *r);

/*
 * The defaults, then the stored rules (JSON text; NULL: none) on top;
 * a stored value that does not parse is ignored (logged).
 */
void alert_rules_load(struct alert_rules *r, const char *stored);

/* The WhatsApp template (ContentSid) of event ("digest" too), or NULL. */
const char *alerts_template(const struct config *cfg, const char *event);

/* The name of the variable that holds it (WHATSAPP_TEMPLATE_...). */
const char *alerts_template_var(const char *event);

/*
 * Seal / open a tenant's alert secret (what: "slack", "webhook-secret")
 * under RAMAL_SECRET_KEY, bound to the tenant's account.  New strings
 * (free with util_free_secret), NULL on failure.
 */
char *alerts_seal(const struct config *cfg, const char *what,
    const char *account_sid, const char *plaintext);
char *alerts_open(const struct config *cfg, const char *what,
    const char *account_sid, const char *sealed);

/*
 * The alerts' clock (epoch seconds): the system's, unless the
 * environment variable RAMAL_TEST_ALERTS_CLOCK names a file holding epoch
 * seconds, which is then read each time (tests only: quiet hours and
 * cooldowns without waiting; docs/alerts.md).
 */
double alerts_clock_now(void);

/* The job handlers (src/jobkinds.c). */
int alerts_job_dispatch(const struct job *j, char *err, size_t errlen);
int alerts_job_deliver(const struct job *j, char *err, size_t errlen);
int alerts_job_digest(const struct job *j, char *err, size_t errlen);

#endif
