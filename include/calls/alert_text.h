#ifndef RAMAL_ALERT_TEXT_H
#define RAMAL_ALERT_TEXT_H

#include <stddef.h>

#include <jansson.h>

/*
 * What an alert says, on each channel (docs/alerts.md): pure functions,
 * no database, no network.  Every text that leaves ramal is made here, so
 * the rules of LGPD hold in one place: a phone number only ever goes out
 * masked (alert_mask_number), free text (a job's error) has its digit runs
 * masked (alert_scrub), and no CPF, no recording URL and no audio is ever
 * put in a message.  Texts are pt-BR.
 */

/* The events (alerts.event) and their channels. */
#define ALERT_EVENTS_N 5
extern const char *const alert_events[ALERT_EVENTS_N]; /* table order */

/* The index of event in alert_events, or -1. */
int alert_event_index(const char *event);

/* One alert as the channels render it (every pointer borrowed). */
struct alert_view {
	long long id; /* alerts.id */
	const char *event; /* one of alert_events */
	const char *line; /* the line's label or number; NULL: none */
	const char *caller; /* full number; rendered masked; NULL: none */
	const char *when; /* local time, "dd/mm HH:MM"; NULL: none */
	const char *occurred_at; /* RFC 3339 UTC */
	const json_t *details; /* alerts.details (an object), or NULL */
	long long callback_id; /* the callback it opened, 0: none */
};

/*
 * A phone number masked for a message: +5511987654321 becomes
 * "+55 11 9****-4321", +551133334444 "+55 11 3***-4444", another
 * country's "+1 ******4321" (the first digit after + and the last four
 * kept), client:ana "ramal ana", and anything else (hidden, anonymous,
 * not a number) "número não identificado".  Writes at most outlen - 1
 * bytes and a NUL; returns out.
 */
const char *alert_mask_number(const char *number, char *out, size_t outlen);

/*
 * A copy of free text (at most outlen - 1 bytes, cut on a UTF-8
 * boundary) in which every run of 8 or more digits, spaces, dots and
 * hyphens holding 8 or more digits (optionally after '+') is replaced by
 * its last four digits after "…": a number or a CPF never goes out
 * whole.  Returns out.
 */
const char *alert_scrub(const char *text, char *out, size_t outlen);

/* The event's title in pt-BR ("Chamada abandonada na fila"...). */
const char *alert_title(const char *event);

/*
 * What happened in a few words, without the title: "esperou 42 s",
 * "duração 23 s", the dead job's kind, attempts and scrubbed error...
 * Written to out (always NUL-terminated); returns out.
 */
const char *alert_detail(const struct alert_view *a, char *out, size_t outlen);

/*
 * One line for plain text (Slack's fallback, the digest):
 * "Chamada abandonada na fila · Vendas · +55 11 9****-4321 · esperou
 * 42 s · 21/11 14:32".  A new string (free()).
 */
char *alert_line(const struct alert_view *a);

/*
 * The link into the softphone for a's callback (base_url + "/?callback=
 * <id>"), in out; "" when a opened none.  Returns out.
 */
const char *alert_callback_link(const struct alert_view *a,
    const char *base_url, char *out, size_t outlen);

/*
 * The body of a Slack incoming-webhook message (Block Kit with the
 * plain-text fallback "text"): a header, the facts, and for a call a
 * "Ligar de volta" button into the softphone.  A new reference.
 */
json_t *alert_slack_body(const struct alert_view *a, const char *base_url);

/*
 * One Slack message for the n alerts held during quiet hours (total of
 * them, of which the first n are listed).  A new reference.
 */
json_t *alert_slack_digest(const struct alert_view *items, size_t n,
    size_t total, const char *base_url);

/*
 * ContentVariables of a WhatsApp template, as JSON text: {"1": title,
 * "2": line, "3": masked caller, "4": detail, "5": link}; for a digest
 * {"1": "N alertas", "2": the counts by event, "3": "", "4": "",
 * "5": base_url}.  A new string (free()), or NULL.
 */
char *alert_whatsapp_variables(const struct alert_view *a,
    const char *base_url);
char *alert_whatsapp_digest_variables(const struct alert_view *items, size_t n,
    size_t total, const char *base_url);

/*
 * The JSON body of the signed webhook for one alert (or for a digest:
 * items, n of total): documented in docs/alerts.md.  delivery is the
 * alert_deliveries.id (a receiver's idempotency key).  A new reference.
 */
json_t *alert_webhook_body(const struct alert_view *a, long long delivery,
    const char *base_url);
json_t *alert_webhook_digest(const struct alert_view *items, size_t n,
    size_t total, long long delivery, const char *base_url);

/*
 * The X-Ramal-Signature value of body: "sha256=" + the hex HMAC-SHA256
 * of the len bytes of body under key.  out must hold
 * ALERT_SIGNATURE_LEN + 1 bytes.  0, or -1 on a library failure.
 */
#define ALERT_SIGNATURE_LEN (7 + 64)
int alert_signature(const char *key, const char *body, size_t len, char *out);

#endif
