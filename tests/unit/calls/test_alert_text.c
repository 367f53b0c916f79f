/*
 * What alerts say: masking of numbers and of free text, the pt-BR lines,
 * Slack's Block Kit body, WhatsApp's variables, the webhook signature
 * (RFC 4231's HMAC-SHA256 test case 2), and the rules' validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "alert_text.h"
#include "alerts.h"

static const char *
mask(const char *n)
{
	static char out[64];

	return alert_mask_number(n, out, sizeof(out));
}

static void
test_mask(void **state)
{
	(void)state;
	assert_string_equal(mask("+5511987654321"), "+55 11 9****-4321");
	assert_string_equal(mask("+551133334444"), "+55 11 3***-4444");
	assert_string_equal(mask("+14155550123"), "+1 ******0123");
	assert_string_equal(mask("+447911123456"), "+4 *******3456");
	assert_string_equal(mask("client:ana_souza"), "ramal ana_souza");
	assert_string_equal(mask(NULL), "número não identificado");
	assert_string_equal(mask(""), "número não identificado");
	assert_string_equal(mask("anonymous"), "número não identificado");
	assert_string_equal(mask("+266696687"), "número não identificado");
	assert_string_equal(mask("+12345"), "número não identificado");
	assert_string_equal(mask("client:a b"), "número não identificado");
	/* never the whole number, whatever the cap */
	{
		char tiny[8];

		alert_mask_number("+5511987654321", tiny, sizeof(tiny));
		assert_null(strstr(tiny, "987654321"));
	}
}

static const char *
scrub(const char *s)
{
	static char out[256];

	return alert_scrub(s, out, sizeof(out));
}

static void
test_scrub(void **state)
{
	(void)state;
	assert_string_equal(scrub("To +5511987654321 refused"),
	    "To …4321 refused");
	assert_string_equal(scrub("cpf 123.456.789-09 na mensagem"),
	    "cpf …8909 na mensagem");
	assert_string_equal(scrub("(11) 98765-4321"), "(…4321");
	assert_string_equal(scrub("HTTP 503 after 3 tries, job 1234567"),
	    "HTTP 503 after 3 tries, job 1234567");
	assert_string_equal(scrub("worker WK0123456789abcdef"),
	    "worker WK…6789abcdef");
	assert_string_equal(scrub(NULL), "");
	{
		char small[6];

		/* cut on a UTF-8 boundary, never inside "ç" */
		alert_scrub("açúcar", small, sizeof(small));
		assert_string_equal(small, "açú");
	}
}

static void
test_lines_and_slack(void **state)
{
	json_t *details = json_pack("{s:i}", "queue_time_s", 42);
	struct alert_view v = { .id = 7,
		.event = "abandoned",
		.line = "Vendas <SP> & cia",
		.caller = "+5511987654321",
		.when = "23/11 14:32",
		.occurred_at = "2026-11-23T17:32:00Z",
		.details = details,
		.callback_id = 12 };
	json_t *body;
	char *line, *text, link[128];

	(void)state;
	line = alert_line(&v);
	assert_string_equal(line,
	    "Chamada abandonada na fila · Vendas <SP> & cia · +55 11 "
	    "9****-4321 · esperou 42 s na fila · 23/11 14:32");
	free(line);
	assert_string_equal(alert_callback_link(&v, "https://r.example", link,
				sizeof(link)),
	    "https://r.example/?callback=12");
	body = alert_slack_body(&v, "https://r.example");
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	/* mrkdwn escapes &, < and >; the fallback text stays plain */
	assert_non_null(strstr(text, "Vendas &lt;SP&gt; &amp; cia"));
	assert_non_null(strstr(text,
	    "\"text\":\"Chamada abandonada na fila"
	    " · Vendas <SP> & cia"));
	assert_non_null(strstr(text,
	    "\"url\":\"https://r.example/?callback="
	    "12\""));
	assert_null(strstr(text, "987654321"));
	free(text);
	json_decref(body);
	text = alert_whatsapp_variables(&v, "https://r.example");
	assert_string_equal(text,
	    "{\"1\":\"Chamada abandonada na fila\",\"2\":\"Vendas <SP> & "
	    "cia\",\"3\":\"+55 11 9****-4321\",\"4\":\"esperou 42 s na "
	    "fila\",\"5\":\"https://r.example/?callback=12\"}");
	free(text);
	json_decref(details);
}

static void
test_dead_job_detail(void **state)
{
	json_t *details =
	    json_pack("{s:s, s:i, s:s}", "kind", "recording.archive",
		"attempts", 8, "error", "upload refused for +5511987654321");
	struct alert_view v = { .event = "dead-job", .details = details };
	char out[256];
	char *line;

	(void)state;
	assert_string_equal(alert_detail(&v, out, sizeof(out)),
	    "recording.archive após 8 tentativas: upload refused for …4321");
	line = alert_line(&v);
	/* no caller for a job */
	assert_string_equal(line,
	    "Tarefa em segundo plano desistiu · recording.archive após 8 "
	    "tentativas: upload refused for …4321");
	free(line);
	json_decref(details);
}

static void
test_signature(void **state)
{
	char sig[ALERT_SIGNATURE_LEN + 1];

	(void)state;
	/* RFC 4231, test case 2 */
	assert_int_equal(alert_signature("Jefe", "what do ya want for nothing?",
			     28, sig),
	    0);
	assert_string_equal(sig,
	    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b9"
	    "64ec3843");
}

static void
test_rules(void **state)
{
	struct alert_rules r;
	json_t *in, *out;
	char err[256], *text;

	(void)state;
	alert_rules_default(&r);
	in = json_loads("{\"events\": {\"voicemail\": {\"channels\": "
			"[\"whatsapp\"], \"cooldown_s\": 30}}, \"quiet_hours\":"
			" {\"start\": \"22:00\", \"end\": \"07:30\"},"
			" \"whatsapp_to\": \"+5511912345678\"}",
	    0, NULL);
	assert_int_equal(alert_rules_apply(&r, in, err, sizeof(err)), 0);
	json_decref(in);
	out = alert_rules_json(&r);
	text = json_dumps(json_object_get(out, "quiet_hours"),
	    JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"end\":\"07:30\",\"start\":\"22:00\"}");
	free(text);
	text = json_dumps(json_object_get(json_object_get(out, "events"),
			      "voicemail"),
	    JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text,
	    "{\"channels\":[\"whatsapp\"],\"cooldown_s\":30}");
	free(text);
	assert_string_equal(json_string_value(
				json_object_get(out, "whatsapp_to")),
	    "whatsapp:+5511912345678");
	json_decref(out);
	in = json_loads("{\"events\": {\"abandoned\": {\"channels\": "
			"[\"sms\"]}}}",
	    0, NULL);
	assert_int_equal(alert_rules_apply(&r, in, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "slack, whatsapp or webhook"));
	json_decref(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_lines_and_slack),
		cmocka_unit_test(test_dead_job_detail),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
