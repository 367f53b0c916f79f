/*
 * account: E.164 input, and how a number's stored webhooks are judged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "account.h"
#include "hooks.h"

static void
test_e164(void **state)
{
	char out[20];

	(void)state;
	assert_int_equal(account_e164("+55 (11) 3000-1234", out, sizeof(out)),
	    0);
	assert_string_equal(out, "+551130001234");
	assert_int_equal(account_e164("+1.415.555.0100", out, sizeof(out)), 0);
	assert_string_equal(out, "+14155550100");
	/* no +, a leading 0, letters, too short, too long */
	assert_int_equal(account_e164("551130001234", out, sizeof(out)), -1);
	assert_int_equal(account_e164("+0551130001234", out, sizeof(out)), -1);
	assert_int_equal(account_e164("+55113000123a", out, sizeof(out)), -1);
	assert_int_equal(account_e164("+5511300", out, sizeof(out)), -1);
	assert_int_equal(account_e164("+5511300012345678", out, sizeof(out)),
	    -1);
	assert_int_equal(account_e164(NULL, out, sizeof(out)), -1);
	/* a buffer too small is a refusal, never an overflow */
	assert_int_equal(account_e164("+551130001234", out, 8), -1);
}

static void
ctx_init(struct account_ctx *x)
{
	memset(x, 0, sizeof(*x));
	strcpy(x->url_inbound, "https://r.test/twilio/voice/inbound");
	strcpy(x->url_fallback, "https://r.test/twilio/voice/fallback");
	strcpy(x->url_status, "https://r.test/twilio/status");
}

static void
test_at_base(void **state)
{
	struct account_ctx x;
	json_t *pn, *stored;
	char *text;

	(void)state;
	ctx_init(&x);
	pn = json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:n, s:n, s:s}",
	    "voice_url", "https://r.test/twilio/voice/inbound",
	    "voice_fallback_url", "https://r.test/twilio/voice/fallback",
	    "status_callback", "https://r.test/twilio/status", "voice_method",
	    "status_callback_method", "POST", "voice_fallback_method", "POST",
	    "voice_application_sid", "trunk_sid", "friendly_name", "Vendas");
	/* what is stored: the webhooks only, unset methods as null */
	text = hooks_of_number(pn);
	stored = json_loads(text, 0, NULL);
	assert_non_null(stored);
	assert_int_equal(json_object_size(stored), 8);
	assert_null(json_object_get(stored, "friendly_name"));
	assert_true(json_is_null(json_object_get(stored, "voice_method")));
	/* Twilio's default method is POST */
	assert_int_equal(hooks_at_base(&x, stored), 1);
	json_object_set_new(stored, "voice_method", json_string("GET"));
	assert_int_equal(hooks_at_base(&x, stored), 0);
	json_object_set_new(stored, "voice_method", json_string("POST"));
	json_object_set_new(stored, "status_callback",
	    json_string("https://old.test/twilio/status"));
	assert_int_equal(hooks_at_base(&x, stored), 0);
	json_object_set_new(stored, "status_callback",
	    json_string("https://r.test/twilio/status"));
	/* a TwiML App takes the calls: the Voice URL is not used */
	json_object_set_new(stored, "voice_application_sid",
	    json_string("AP00000000000000000000000000000000"));
	assert_int_equal(hooks_at_base(&x, stored), 0);
	/* never read */
	assert_int_equal(hooks_at_base(&x, NULL), -1);
	free(text);
	json_decref(stored);
	json_decref(pn);
}

static void
test_fail_is_one_line(void **state)
{
	struct account_err e;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(account_fail(&e, ACCOUNT_TWILIO, "a\nb\r%s", "c"),
	    ACCOUNT_TWILIO);
	assert_string_equal(e.msg, "a b c");
	assert_int_equal(e.status, ACCOUNT_TWILIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e164),
		cmocka_unit_test(test_at_base),
		cmocka_unit_test(test_fail_is_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
