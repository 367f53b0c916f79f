/*
 * phone: dialled strings to E.164 for Brazil.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phone.h"

struct ok_case {
	const char *in;
	const char *out;
	enum phone_kind kind;
};

static const struct ok_case ok_cases[] = {
	{ "+55 11 98765-4321", "+5511987654321", PHONE_BR_MOBILE },
	{ "+5511987654321", "+5511987654321", PHONE_BR_MOBILE },
	{ "55 11 987654321", "+5511987654321", PHONE_BR_MOBILE },
	{ "5511987654321", "+5511987654321", PHONE_BR_MOBILE },
	{ "011987654321", "+5511987654321", PHONE_BR_MOBILE },
	{ "0 11 98765-4321", "+5511987654321", PHONE_BR_MOBILE },
	{ "(11) 98765-4321", "+5511987654321", PHONE_BR_MOBILE },
	{ "11987654321", "+5511987654321", PHONE_BR_MOBILE },
	{ "11 9 8765 4321", "+5511987654321", PHONE_BR_MOBILE },
	{ "  11.98765.4321  ", "+5511987654321", PHONE_BR_MOBILE },
	{ "1133334444", "+551133334444", PHONE_BR_LANDLINE },
	{ "(11) 3333-4444", "+551133334444", PHONE_BR_LANDLINE },
	{ "+55 (21) 2555-1234", "+552125551234", PHONE_BR_LANDLINE },
	{ "5521 2555 1234", "+552125551234", PHONE_BR_LANDLINE },
	{ "021 2555 1234", "+552125551234", PHONE_BR_LANDLINE },
	{ "(61) 4000-1234", "+556140001234", PHONE_BR_LANDLINE },
	{ "(51) 5123-4567", "+555151234567", PHONE_BR_LANDLINE },
	/* the ninth digit put back */
	{ "11 8765-4321", "+5511987654321", PHONE_BR_MOBILE },
	{ "(21) 7123-4567", "+5521971234567", PHONE_BR_MOBILE },
	{ "+55 11 6123 4567", "+5511961234567", PHONE_BR_MOBILE },
	{ "0 11 9876 5432", "+5511998765432", PHONE_BR_MOBILE },
	/* carrier selection: 0 + CSP + DDD + number */
	{ "0 21 11 98765 4321", "+5511987654321", PHONE_BR_MOBILE },
	{ "0 15 21 2555 1234", "+552125551234", PHONE_BR_LANDLINE },
	{ "0 41 11 8765 4321", "+5511987654321", PHONE_BR_MOBILE },
	{ "02111987654321", "+5511987654321", PHONE_BR_MOBILE },
	/* DDD 55 without the country code */
	{ "55 99876 5432", "+5555998765432", PHONE_BR_MOBILE },
	{ "(55) 3222-1111", "+555532221111", PHONE_BR_LANDLINE },
	{ "(99) 99999-9999", "+5599999999999", PHONE_BR_MOBILE },
	{ "(12) 91234-5678", "+5512912345678", PHONE_BR_MOBILE },
	/* other countries */
	{ "+1 415 555 0100", "+14155550100", PHONE_INTERNATIONAL },
	{ "+351 21 123 4567", "+351211234567", PHONE_INTERNATIONAL },
	{ "+44 20 7946 0958", "+442079460958", PHONE_INTERNATIONAL },
	{ "+49 30 12345678", "+493012345678", PHONE_INTERNATIONAL },
	{ "+12345678", "+12345678", PHONE_INTERNATIONAL },
	{ "+123456789012345", "+123456789012345", PHONE_INTERNATIONAL },
};

static void
test_accepted(void **state)
{
	char out[PHONE_E164_MAX];
	const char *why;
	enum phone_kind kind;

	(void)state;
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		why = NULL;
		kind = (enum phone_kind) - 1;
		if (phone_normalize(ok_cases[i].in, out, sizeof(out), &kind,
			&why) != 0)
			fail_msg("refused %s: %s", ok_cases[i].in, why);
		if (strcmp(out, ok_cases[i].out) != 0)
			fail_msg("%s gave %s, not %s", ok_cases[i].in, out,
			    ok_cases[i].out);
		assert_int_equal(kind, ok_cases[i].kind);
		assert_null(why);
	}
}

struct bad_case {
	const char *in;
	const char *reason_has; /* a word of the reason */
};

static const struct bad_case bad_cases[] = {
	{ "", "vazio" },
	{ "   ", "vazio" },
	{ "()-", "vazio" },
	{ "98765-4321", "DDD" },
	{ "3333-4444", "DDD" },
	{ "(10) 98765-4321", "DDD" },
	{ "(20) 3333-4444", "DDD" },
	{ "(23) 3333-4444", "DDD" },
	{ "(25) 3333-4444", "DDD" },
	{ "(26) 3333-4444", "DDD" },
	{ "(29) 3333-4444", "DDD" },
	{ "(30) 3333-4444", "DDD" },
	{ "(36) 3333-4444", "DDD" },
	{ "(39) 3333-4444", "DDD" },
	{ "(40) 3333-4444", "DDD" },
	{ "(50) 3333-4444", "DDD" },
	{ "(52) 3333-4444", "DDD" },
	{ "(56) 3333-4444", "DDD" },
	{ "(60) 3333-4444", "DDD" },
	{ "(70) 3333-4444", "DDD" },
	{ "(72) 3333-4444", "DDD" },
	{ "(76) 3333-4444", "DDD" },
	{ "(78) 3333-4444", "DDD" },
	{ "(80) 3333-4444", "DDD" },
	{ "(90) 3333-4444", "DDD" },
	{ "(01) 3333-4444", "" },
	{ "+55 10 98765 4321", "DDD" },
	{ "(11) 1333-4444", "começar" },
	{ "(11) 0333-4444", "começar" },
	{ "(11) 90765-4321", "celular" },
	{ "(11) 88765-4321", "celular" },
	{ "(11) 38765-4321", "celular" },
	{ "+55 11 88765 4321", "celular" },
	{ "0800 123 4567", "0800" },
	{ "0300 123 4567", "0800" },
	{ "0303 123 4567", "0800" },
	{ "0500 123 4567", "0800" },
	{ "0900 123 4567", "0800" },
	{ "190", "curtos" },
	{ "192", "curtos" },
	{ "10315", "curtos" },
	{ "1234567", "dígitos" },
	{ "119876543210", "dígitos" },
	{ "55119876543210", "dígitos" },
	{ "+55 11 9876", "dígitos" },
	{ "+55", "dígitos" },
	{ "00 21 1 415 555 0100", "mais" },
	{ "0011987654321", "mais" },
	{ "01198765", "dígitos" },
	{ "0 21 11 98765 4321 1", "dígitos" },
	{ "+1234567", "internacional" },
	{ "+1234567890123456", "internacional" },
	{ "+0 11 98765 4321", "internacional" },
	{ "11 98765-4321+", "mais" },
	{ "++5511987654321", "mais" },
	{ "1+1987654321", "mais" },
	{ "(11) 98765-432l", "caracteres" },
	{ "tel:+5511987654321", "caracteres" },
	{ "client:ana", "caracteres" },
	{ "11987654321#", "caracteres" },
	{ "11987654321;ext=2", "caracteres" },
	{ "1198765\n4321", "caracteres" },
	{ "123456789012345678901", "longo" },
};

static void
test_refused(void **state)
{
	char out[PHONE_E164_MAX];
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		why = NULL;
		strcpy(out, "x");
		if (phone_normalize(bad_cases[i].in, out, sizeof(out), NULL,
			&why) == 0)
			fail_msg("accepted %s as %s", bad_cases[i].in, out);
		assert_string_equal(out, "");
		assert_non_null(why);
		if (strstr(why, bad_cases[i].reason_has) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"",
			    bad_cases[i].in, why, bad_cases[i].reason_has);
	}
}

static void
test_bounds(void **state)
{
	char big[PHONE_INPUT_MAX + 10], out[PHONE_E164_MAX], small[8];
	const char *why = NULL;

	(void)state;
	/* input over the cap, even of spaces around a good number */
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + 40, "11987654321", 11);
	assert_int_equal(phone_normalize(big, out, sizeof(out), NULL, &why),
	    -1);
	assert_non_null(strstr(why, "longo"));
	/* exactly at the cap is read */
	big[PHONE_INPUT_MAX] = '\0';
	assert_int_equal(phone_normalize(big, out, sizeof(out), NULL, NULL), 0);
	assert_string_equal(out, "+5511987654321");
	/* an output buffer too small is refused, never overrun */
	memset(small, 'x', sizeof(small));
	assert_int_equal(phone_normalize("11987654321", small, sizeof(small),
			     NULL, &why),
	    -1);
	assert_string_equal(small, "");
	assert_int_equal(phone_normalize("+14155550100", small, sizeof(small),
			     NULL, &why),
	    -1);
	assert_int_equal(phone_normalize(NULL, out, sizeof(out), NULL, &why),
	    -1);
	assert_int_equal(phone_normalize("11987654321", NULL, 0, NULL, NULL),
	    -1);
}

static void
test_ddd(void **state)
{
	static const char *const valid[] = { "11", "19", "21", "22", "24", "27",
		"28", "31", "38", "41", "49", "51", "53", "54", "55", "61",
		"69", "71", "73", "74", "75", "77", "79", "81", "89", "91",
		"99", NULL };
	int count = 0;
	char d[3];

	(void)state;
	for (int i = 0; valid[i] != NULL; i++)
		assert_true(phone_ddd_valid(valid[i]));
	for (int i = 0; i < 100; i++) {
		d[0] = (char)('0' + i / 10);
		d[1] = (char)('0' + i % 10);
		d[2] = '\0';
		count += phone_ddd_valid(d);
	}
	assert_int_equal(count, 67); /* Brazil's DDDs in use */
	assert_false(phone_ddd_valid("1"));
	assert_false(phone_ddd_valid("a1"));
	assert_false(phone_ddd_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_ddd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
