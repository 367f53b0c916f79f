/*
 * What alerts say, on each channel.  See include/calls/alert_text.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alert_text.h"
#include "buf.h"
#include "util.h"

#define LINE_MAX_BYTES 1024
#define DETAIL_MAX 400
#define DIGEST_LIST_MAX 20

const char *const alert_events[ALERT_EVENTS_N] = { "abandoned",
	"missed-dedicated", "voicemail", "failed", "dead-job" };

static const char *const titles[ALERT_EVENTS_N] = {
	"Chamada abandonada na fila",
	"Ligação dedicada não atendida",
	"Novo recado na caixa postal",
	"Ligação falhou na Twilio",
	"Tarefa em segundo plano desistiu",
};

static const char hidden[] = "número não identificado";

int
alert_event_index(const char *event)
{
	if (event == NULL)
		return -1;
	for (int i = 0; i < ALERT_EVENTS_N; i++)
		if (strcmp(event, alert_events[i]) == 0)
			return i;
	return -1;
}

const char *
alert_title(const char *event)
{
	int i = alert_event_index(event);

	return i < 0 ? "Alerta" : titles[i];
}

/* ---- masking ---- */

const char *
alert_mask_number(const char *number, char *out, size_t outlen)
{
	const char *d;
	size_t n, i;
	struct buf b;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (number != NULL && strncmp(number, "client:", 7) == 0 &&
	    number[7] != '\0' &&
	    strspn(number + 7,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789_") == strlen(number + 7)) {
		snprintf(out, outlen, "ramal %s", number + 7);
		return out;
	}
	d = number != NULL && number[0] == '+' ? number + 1 : number;
	n = d != NULL ? strlen(d) : 0;
	if (n < 8 || n > 15 || strspn(d, "0123456789") != n ||
	    strcmp(d, "266696687") == 0) {
		snprintf(out, outlen, "%s", hidden);
		return out;
	}
	buf_init(&b, outlen - 1);
	if (number[0] == '+' && strncmp(d, "55", 2) == 0 &&
	    (n == 12 || n == 13)) {
		/* +55, the DDD, then 8 (landline) or 9 (mobile) digits */
		buf_printf(&b, "+55 %c%c %c", d[2], d[3], d[4]);
		for (i = 5; i < n - 4; i++)
			buf_addc(&b, '*');
		buf_printf(&b, "-%s", d + n - 4);
	} else {
		buf_printf(&b, "%s%c ", number[0] == '+' ? "+" : "", d[0]);
		for (i = 1; i < n - 4; i++)
			buf_addc(&b, '*');
		buf_addstr(&b, d + n - 4);
	}
	snprintf(out, outlen, "%s", buf_cstr(&b));
	buf_cleanup(&b);
	return out;
}

/* Copy at most max bytes of s to b, never cutting a UTF-8 sequence. */
static void
add_utf8_prefix(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	buf_add(b, s, n);
}

const char *
alert_scrub(const char *text, char *out, size_t outlen)
{
	const char *p = text ? text : "";
	struct buf b;
	const char *s;
	size_t n;

	if (outlen == 0)
		return out;
	buf_init(&b, 4 * outlen + 16);
	while (*p != '\0') {
		const char *q = *p == '+' ? p + 1 : p;
		const char *end = q;
		size_t digits = 0;

		if (isdigit((unsigned char)*q))
			for (const char *r = q; *r != '\0'; r++) {
				if (isdigit((unsigned char)*r)) {
					digits++;
					end = r + 1;
				} else if (strchr(" .-()", *r) == NULL)
					break;
			}
		if (digits >= 8) {
			char last[5];
			size_t k = 0;

			for (const char *r = end; r > q && k < 4; r--)
				if (isdigit((unsigned char)r[-1]))
					last[3 - k++] = r[-1];
			last[4] = '\0';
			buf_printf(&b, "…%s", last + 4 - k);
			p = end;
		} else if (digits > 0) {
			buf_add(&b, p, (size_t)(end - p));
			p = end;
		} else
			buf_addc(&b, *p++);
	}
	s = buf_cstr(&b);
	n = strlen(s);
	if (n > outlen - 1) {
		n = outlen - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	buf_cleanup(&b);
	return out;
}

/* ---- texts ---- */

static long long
detail_int(const struct alert_view *a, const char *key)
{
	json_t *v = a->details ? json_object_get(a->details, key) : NULL;

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static const char *
detail_str(const struct alert_view *a, const char *key)
{
	json_t *v = a->details ? json_object_get(a->details, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
alert_detail(const struct alert_view *a, char *out, size_t outlen)
{
	char err[DETAIL_MAX];
	long long v;
	const char *s;
	int i = alert_event_index(a->event);

	out[0] = '\0';
	switch (i) {
	case 0: /* abandoned */
		if ((v = detail_int(a, "queue_time_s")) >= 0)
			snprintf(out, outlen, "esperou %lld s na fila", v);
		break;
	case 1: /* missed-dedicated */
		s = detail_str(a, "owner");
		if (s != NULL && *s != '\0')
			snprintf(out, outlen, "%s não atendeu e ninguém mais",
			    s);
		else
			snprintf(out, outlen, "ninguém atendeu");
		break;
	case 2: /* voicemail */
		if ((v = detail_int(a, "duration_s")) >= 0)
			snprintf(out, outlen, "duração %lld s", v);
		break;
	case 3: /* failed */
		s = detail_str(a, "direction");
		v = detail_int(a, "sip_response_code");
		snprintf(out, outlen, "%s%s%.0lld",
		    s != NULL && strcmp(s, "inbound") == 0 ? "entrada"
							   : "saída",
		    v > 0 ? ", código SIP " : "", v > 0 ? v : 0);
		break;
	case 4: /* dead-job */
		alert_scrub(detail_str(a, "error"), err, sizeof(err));
		v = detail_int(a, "attempts");
		s = detail_str(a, "kind") ? detail_str(a, "kind") : "?";
		if (v > 0)
			snprintf(out, outlen, "%s após %lld tentativa%s%s%s", s,
			    v, v == 1 ? "" : "s", err[0] ? ": " : "", err);
		else
			snprintf(out, outlen, "%s não pôde ser executada%s%s",
			    s, err[0] ? ": " : "", err);
		break;
	default:
		break;
	}
	return out;
}

/* The masked caller, or NULL when the alert has none (a dead job). */
static const char *
masked_caller(const struct alert_view *a, char *out, size_t outlen)
{
	if (a->caller == NULL && alert_event_index(a->event) == 4)
		return NULL;
	return alert_mask_number(a->caller, out, outlen);
}

char *
alert_line(const struct alert_view *a)
{
	char who[64], detail[DETAIL_MAX];
	struct buf b;

	buf_init(&b, LINE_MAX_BYTES);
	buf_addstr(&b, alert_title(a->event));
	if (a->line != NULL && a->line[0] != '\0') {
		buf_addstr(&b, " · ");
		add_utf8_prefix(&b, a->line, 80);
	}
	if (masked_caller(a, who, sizeof(who)) != NULL)
		buf_printf(&b, " · %s", who);
	if (alert_detail(a, detail, sizeof(detail))[0] != '\0')
		buf_printf(&b, " · %s", detail);
	if (a->when != NULL && a->when[0] != '\0')
		buf_printf(&b, " · %s", a->when);
	return buf_take(&b, NULL);
}

const char *
alert_callback_link(const struct alert_view *a, const char *base_url, char *out,
    size_t outlen)
{
	out[0] = '\0';
	if (a->callback_id > 0 && base_url != NULL)
		snprintf(out, outlen, "%s/?callback=%lld", base_url,
		    a->callback_id);
	return out;
}

/* Slack's mrkdwn needs &, < and > escaped. */
static void
add_mrkdwn(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '&')
			buf_addstr(b, "&amp;");
		else if (*s == '<')
			buf_addstr(b, "&lt;");
		else if (*s == '>')
			buf_addstr(b, "&gt;");
		else
			buf_addc(b, *s);
	}
}

static json_t *
mrkdwn_section(const char *text)
{
	return json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
	    "type", "mrkdwn", "text", text);
}

json_t *
alert_slack_body(const struct alert_view *a, const char *base_url)
{
	char who[64], detail[DETAIL_MAX], link[512];
	json_t *blocks, *body;
	struct buf b;
	char *text = alert_line(a);

	blocks = json_array();
	json_array_append_new(blocks,
	    json_pack("{s:s, s:{s:s, s:s}}", "type", "header", "text", "type",
		"plain_text", "text", alert_title(a->event)));
	buf_init(&b, 4 * LINE_MAX_BYTES);
	if (a->line != NULL && a->line[0] != '\0') {
		buf_addstr(&b, "*Linha:* ");
		add_mrkdwn(&b, a->line);
		buf_addc(&b, '\n');
	}
	if (masked_caller(a, who, sizeof(who)) != NULL) {
		buf_addstr(&b, "*Cliente:* ");
		add_mrkdwn(&b, who);
		buf_addc(&b, '\n');
	}
	if (alert_detail(a, detail, sizeof(detail))[0] != '\0') {
		buf_addstr(&b, "*Detalhe:* ");
		add_mrkdwn(&b, detail);
		buf_addc(&b, '\n');
	}
	if (a->when != NULL && a->when[0] != '\0') {
		buf_addstr(&b, "*Quando:* ");
		add_mrkdwn(&b, a->when);
	}
	json_array_append_new(blocks, mrkdwn_section(buf_cstr(&b)));
	buf_cleanup(&b);
	if (alert_callback_link(a, base_url, link, sizeof(link))[0] != '\0')
		json_array_append_new(blocks,
		    json_pack("{s:s, s:[{s:s, s:{s:s, s:s}, s:s, s:s}]}",
			"type", "actions", "elements", "type", "button", "text",
			"type", "plain_text", "text", "Ligar de volta", "url",
			link, "style", "primary"));
	body = json_pack("{s:s, s:o}", "text", text, "blocks", blocks);
	free(text);
	return body;
}

/* "3 chamadas abandonadas na fila, 1 recado" style counts. */
static void
digest_counts(const struct alert_view *items, size_t n, struct buf *b)
{
	size_t count[ALERT_EVENTS_N] = { 0 };
	int first = 1;

	for (size_t i = 0; i < n; i++) {
		int e = alert_event_index(items[i].event);

		if (e >= 0)
			count[e]++;
	}
	for (int e = 0; e < ALERT_EVENTS_N; e++) {
		if (count[e] == 0)
			continue;
		buf_printf(b, "%s%zu × %s", first ? "" : ", ", count[e],
		    titles[e]);
		first = 0;
	}
}

json_t *
alert_slack_digest(const struct alert_view *items, size_t n, size_t total,
    const char *base_url)
{
	struct buf b, t;
	json_t *blocks, *body;
	char title[128];

	snprintf(title, sizeof(title), "Resumo do horário silencioso: %zu %s",
	    total, total == 1 ? "alerta" : "alertas");
	blocks = json_array();
	json_array_append_new(blocks,
	    json_pack("{s:s, s:{s:s, s:s}}", "type", "header", "text", "type",
		"plain_text", "text", title));
	buf_init(&b, 16 * LINE_MAX_BYTES);
	buf_init(&t, 2 * LINE_MAX_BYTES);
	digest_counts(items, n, &t);
	for (size_t i = 0; i < n && i < DIGEST_LIST_MAX; i++) {
		char *line = alert_line(&items[i]);

		buf_addstr(&b, "• ");
		add_mrkdwn(&b, line);
		buf_addc(&b, '\n');
		free(line);
	}
	if (total > n || n > DIGEST_LIST_MAX)
		buf_printf(&b, "… e mais %zu no ramal.",
		    total - (n < DIGEST_LIST_MAX ? n : DIGEST_LIST_MAX));
	if (b.len > 0)
		json_array_append_new(blocks, mrkdwn_section(buf_cstr(&b)));
	if (base_url != NULL)
		json_array_append_new(blocks,
		    json_pack("{s:s, s:[{s:s, s:{s:s, s:s}, s:s}]}", "type",
			"actions", "elements", "type", "button", "text", "type",
			"plain_text", "text", "Abrir o ramal", "url",
			base_url));
	{
		struct buf text;

		buf_init(&text, 4 * LINE_MAX_BYTES);
		buf_printf(&text, "%s: %s", title, buf_cstr(&t));
		body = json_pack("{s:s, s:o}", "text", buf_cstr(&text),
		    "blocks", blocks);
		buf_cleanup(&text);
	}
	buf_cleanup(&b);
	buf_cleanup(&t);
	return body;
}

char *
alert_whatsapp_variables(const struct alert_view *a, const char *base_url)
{
	char who[64], detail[DETAIL_MAX], link[512];
	json_t *v;
	char *text;

	if (masked_caller(a, who, sizeof(who)) == NULL)
		who[0] = '\0';
	alert_detail(a, detail, sizeof(detail));
	alert_callback_link(a, base_url, link, sizeof(link));
	v = json_pack("{s:s, s:s, s:s, s:s, s:s}", "1", alert_title(a->event),
	    "2", a->line ? a->line : "", "3", who, "4", detail, "5",
	    link[0] ? link : (base_url ? base_url : ""));
	text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	return text;
}

char *
alert_whatsapp_digest_variables(const struct alert_view *items, size_t n,
    size_t total, const char *base_url)
{
	char count[64];
	struct buf t;
	json_t *v;
	char *text;

	snprintf(count, sizeof(count), "%zu %s", total,
	    total == 1 ? "alerta" : "alertas");
	buf_init(&t, 2 * LINE_MAX_BYTES);
	digest_counts(items, n, &t);
	v = json_pack("{s:s, s:s, s:s, s:s, s:s}", "1", count, "2",
	    buf_cstr(&t), "3", "", "4", "", "5", base_url ? base_url : "");
	buf_cleanup(&t);
	text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	return text;
}

/* The alert as the webhook carries it. */
static json_t *
webhook_alert(const struct alert_view *a, const char *base_url)
{
	char who[64], detail[DETAIL_MAX], link[512];
	json_t *o;
	char *line;

	alert_detail(a, detail, sizeof(detail));
	line = alert_line(a);
	o = json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s, s:s}", "id",
	    (json_int_t)a->id, "event", a->event, "title",
	    alert_title(a->event), "line", a->line, "occurred_at",
	    a->occurred_at, "detail", detail, "text", line);
	free(line);
	json_object_set_new(o, "caller",
	    masked_caller(a, who, sizeof(who)) ? json_string(who)
					       : json_null());
	if (a->callback_id > 0) {
		json_object_set_new(o, "callback_id",
		    json_integer(a->callback_id));
		json_object_set_new(o, "callback_url",
		    json_string(
			alert_callback_link(a, base_url, link, sizeof(link))));
	}
	return o;
}

json_t *
alert_webhook_body(const struct alert_view *a, long long delivery,
    const char *base_url)
{
	return json_pack("{s:I, s:s, s:o}", "delivery_id", (json_int_t)delivery,
	    "type", "alert", "alert", webhook_alert(a, base_url));
}

json_t *
alert_webhook_digest(const struct alert_view *items, size_t n, size_t total,
    long long delivery, const char *base_url)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, webhook_alert(&items[i], base_url));
	return json_pack("{s:I, s:s, s:I, s:o}", "delivery_id",
	    (json_int_t)delivery, "type", "digest", "total", (json_int_t)total,
	    "alerts", list);
}

int
alert_signature(const char *key, const char *body, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (key == NULL ||
	    HMAC(EVP_sha256(), key, (int)strlen(key),
		(const unsigned char *)body, len, md, &mdlen) == NULL ||
	    mdlen != 32)
		return -1;
	memcpy(out, "sha256=", 7);
	util_hex_encode(out + 7, md, 32);
	return 0;
}
