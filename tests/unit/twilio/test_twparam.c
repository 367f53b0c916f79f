/*
 * twparam: Twilio parameter checks and conversions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"
#include "twparam.h"

static void
test_sid(void **state)
{
	(void)state;
	assert_true(twparam_sid("CA0123456789abcdef0123456789ABCDEF", "CA"));
	assert_false(twparam_sid("CA0123456789abcdef0123456789ABCDEF", "RE"));
	assert_false(twparam_sid("CA0123456789abcdef0123456789ABCDE", "CA"));
	assert_false(twparam_sid("CA0123456789abcdef0123456789ABCDEG", "CA"));
	assert_false(twparam_sid(NULL, "CA"));
}

static void
test_identity(void **state)
{
	char longer[130];

	(void)state;
	assert_true(twparam_identity("ana.souza_1-x"));
	assert_false(twparam_identity(""));
	assert_false(twparam_identity("ana souza"));
	assert_false(twparam_identity("ana@x"));
	assert_false(twparam_identity(NULL));
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_false(twparam_identity(longer));
	longer[121] = '\0';
	assert_true(twparam_identity(longer));
}

static void
test_identity_safe(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "ana.souza", "ana_souza" },
		{ "Ana.Souza", "Ana_Souza" },
		{ "team.sp-agent_07", "team_sp_agent_07" },
		{ "a.-b", "a_b" }, /* a run becomes one _ */
		{ "a_.b",
		    "a__b" }, /* as regexp_replace('[^A-Za-z0-9_]+', '_') */
		{ "jo\xc3\xa3o", "jo_o" },
		{ ".x.", "_x_" },
		{ "maria silva", "maria_silva" },
		{ "agent_07", "agent_07" },
		{ "", "" },
	};
	char out[128], longer[200];
	size_t i;

	(void)state;
	assert_true(twparam_identity_safe("ana_souza_1"));
	assert_true(twparam_identity_safe("A9_"));
	assert_false(twparam_identity_safe("ana.souza"));
	assert_false(twparam_identity_safe("agent-07"));
	assert_false(twparam_identity_safe(""));
	assert_false(twparam_identity_safe(NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		twparam_identity_make_safe(cases[i].in, strlen(cases[i].in),
		    out, sizeof(out));
		assert_string_equal(out, cases[i].out);
		if (out[0] != '\0')
			assert_true(twparam_identity_safe(out));
	}
	/* only the first n bytes: the part of an email before '@' */
	twparam_identity_make_safe("ana.souza@example.com", 9, out,
	    sizeof(out));
	assert_string_equal(out, "ana_souza");
	/* cut to 121, and to what out holds */
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	twparam_identity_make_safe(longer, strlen(longer), out, sizeof(out));
	assert_int_equal(strlen(out), 121);
	assert_true(twparam_identity_safe(out));
	twparam_identity_make_safe("abcdef", 6, out, 4);
	assert_string_equal(out, "abc");
}

static void
test_rfc2822(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(twparam_rfc2822("Mon, 16 Aug 2010 03:45:01 +0000", out,
			     sizeof(out)),
	    0);
	assert_string_equal(out, "2010-08-16T03:45:01Z");
	/* Brasília time, three hours behind UTC */
	assert_int_equal(twparam_rfc2822("Mon, 23 Nov 2026 18:00:00 -0300", out,
			     sizeof(out)),
	    0);
	assert_string_equal(out, "2026-11-23T21:00:00Z");
	assert_int_equal(twparam_rfc2822("Tue, 24 Nov 2026 01:30:00 +0530", out,
			     sizeof(out)),
	    0);
	assert_string_equal(out, "2026-11-23T20:00:00Z");
	assert_int_equal(twparam_rfc2822("2026-11-23T21:00:00Z", out,
			     sizeof(out)),
	    -1);
	assert_int_equal(twparam_rfc2822("Mon, 16 Aug 2010 03:45:01 +0000 x",
			     out, sizeof(out)),
	    -1);
	assert_int_equal(twparam_rfc2822(NULL, out, sizeof(out)), -1);
}

static void
test_json(void **state)
{
	struct form f;
	char *j;

	(void)state;
	form_init(&f);
	form_add(&f, "To", "+551130000000");
	form_add(&f, "Extra", "a");
	form_add(&f, "CalledCity", "São Paulo");
	form_add(&f, "Extra", "b");
	form_add(&f, "Extra", "c");
	j = twparam_json(&f);
	assert_string_equal(j,
	    "{\"CalledCity\":\"São Paulo\",\"Extra\":[\"a\",\"b\",\"c\"],"
	    "\"To\":\"+551130000000\"}");
	free(j);
	form_cleanup(&f);
	form_init(&f);
	j = twparam_json(&f);
	assert_string_equal(j, "{}");
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sid),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_identity_safe),
		cmocka_unit_test(test_rfc2822),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("twparam", tests, NULL, NULL);
}
