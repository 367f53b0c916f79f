#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"
#include "twsig.h"

/*
 * Unless said otherwise, every expected signature below was produced by
 * Twilio's own helper library (python3-twilio 7.7, Debian 12):
 *
 *	RequestValidator(token).compute_signature(url, params)
 *
 * so these tests check us against an independent implementation.
 */
#define DOCS_TOKEN "12345"
#define DOCS_URL "https://mycompany.com/myapp.php?foo=1&bar=2"
#define DOCS_SIG "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
#define DOCS_SIG_443 "EpDEmp1PyjDYp77YxYU3GILBWzE=" /* https://…:443/… */
#define DOCS_SIG_HTTP "FYMaGAU6nPbB9h2pncMl4aJ4vns=" /* http://… */
#define DOCS_SIG_HTTP_80 "boT12oXXJ0BuzO2U/6iCqFdh2Do=" /* http://…:80/… */
#define DOCS_SIG_NOPARAMS "zYQTYrRWXE7LtzbG4PfP7/bkkGo="
#define DOCS_SIG_8443 "SffuNP6bC3hHFCUbsco6GyaPyas=" /* https://…:8443/… */

/* Twilio's published documentation example. */
static void
docs_params(struct form *f)
{
	form_init(f);
	form_add(f, "CallSid", "CA1234567890ABCDE");
	form_add(f, "Caller", "+12349013030");
	form_add(f, "Digits", "1234");
	form_add(f, "From", "+12349013030");
	form_add(f, "To", "+18005551212");
}

/* The same pairs in another arrival order. */
static void
docs_params_shuffled(struct form *f)
{
	form_init(f);
	form_add(f, "To", "+18005551212");
	form_add(f, "Digits", "1234");
	form_add(f, "From", "+12349013030");
	form_add(f, "CallSid", "CA1234567890ABCDE");
	form_add(f, "Caller", "+12349013030");
}

static int
setup_key(void **state)
{
	*state = twsig_key_new(DOCS_TOKEN);
	return *state == NULL ? -1 : 0;
}

static int
teardown_key(void **state)
{
	twsig_key_free(*state);
	return 0;
}

static void
test_docs_example(void **state)
{
	struct twsig_key *k = *state;
	struct form f;
	char sig[29];

	docs_params(&f);
	assert_int_equal(twsig_sign(k, DOCS_URL, &f, sig), 0);
	assert_string_equal(sig, DOCS_SIG);
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, DOCS_SIG), 1);
	form_cleanup(&f);

	docs_params_shuffled(&f);
	assert_int_equal(twsig_sign(k, DOCS_URL, &f, sig), 0);
	assert_string_equal(sig, DOCS_SIG);
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, DOCS_SIG), 1);
	form_cleanup(&f);
}

static void
test_from_parsed_body(void **state)
{
	static const char body[] =
	    "To=%2B18005551212&From=%2B12349013030"
	    "&Digits=1234&Caller=%2B12349013030&CallSid=CA1234567890ABCDE";
	struct form f;

	form_init(&f);
	assert_int_equal(form_parse(&f, body, sizeof(body) - 1, 100), 0);
	assert_int_equal(twsig_check_form(*state, DOCS_URL, &f, DOCS_SIG), 1);
	form_cleanup(&f);
}

static void
test_no_params(void **state)
{
	struct twsig_key *k = *state;
	struct form f;
	char sig[29];

	form_init(&f);
	assert_int_equal(twsig_sign(k, DOCS_URL, NULL, sig), 0);
	assert_string_equal(sig, DOCS_SIG_NOPARAMS);
	assert_int_equal(twsig_check_form(k, DOCS_URL, NULL, DOCS_SIG_NOPARAMS),
	    1);
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, DOCS_SIG_NOPARAMS),
	    1);
	assert_int_equal(twsig_check_form(k, DOCS_URL, NULL, DOCS_SIG), 0);
	form_cleanup(&f);
}

static void
test_port_variants(void **state)
{
	struct twsig_key *k = *state;
	struct form f;

	docs_params(&f);
	/* Signed with :443, called without; and the other way round. */
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, DOCS_SIG_443), 1);
	assert_int_equal(twsig_check_form(k,
			     "https://mycompany.com:443/myapp.php?foo=1&bar=2",
			     &f, DOCS_SIG),
	    1);
	assert_int_equal(twsig_check_form(k,
			     "https://mycompany.com:443/myapp.php?foo=1&bar=2",
			     &f, DOCS_SIG_443),
	    1);

	assert_int_equal(twsig_check_form(k,
			     "http://mycompany.com/myapp.php?foo=1&bar=2", &f,
			     DOCS_SIG_HTTP_80),
	    1);
	assert_int_equal(twsig_check_form(k,
			     "http://mycompany.com:80/myapp.php?foo=1&bar=2",
			     &f, DOCS_SIG_HTTP),
	    1);

	/*
	 * A port that is there is only removed, never swapped for the
	 * scheme's default one: the default port belongs to the scheme.
	 */
	assert_int_equal(twsig_check_form(k,
			     "http://mycompany.com:443/myapp.php?foo=1&bar=2",
			     &f, DOCS_SIG_HTTP_80),
	    0);
	assert_int_equal(twsig_check_form(k,
			     "https://mycompany.com:80/myapp.php?foo=1&bar=2",
			     &f, DOCS_SIG_443),
	    0);
	/*
	 * Any other port is dropped too: Twilio signs HTTPS voice webhooks
	 * without it, and its helper libraries try the URL with and without
	 * whatever port it has (before issue #11 ramal kept a non-default
	 * port, so every webhook of a BASE_URL with :8443 failed).
	 */
	assert_int_equal(twsig_check_form(k,
			     "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
			     &f, DOCS_SIG),
	    1);
	assert_int_equal(twsig_check_form(k,
			     "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
			     &f, DOCS_SIG_8443),
	    1);
	assert_int_equal(twsig_check_form(k,
			     "http://mycompany.com:443/myapp.php?foo=1&bar=2",
			     &f, DOCS_SIG_HTTP),
	    1);
	/* Without a port in the URL, only the default one is tried. */
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, DOCS_SIG_8443), 0);
	/* The port goes after the host, not into the path or query. */
	assert_int_equal(twsig_check_form(k,
			     "https://mycompany.com/myapp.php?foo=1&bar=2:443",
			     &f, DOCS_SIG),
	    0);
	form_cleanup(&f);
}

static void
test_url_shapes(void **state)
{
	struct twsig_key *k = *state;
	struct form f;

	docs_params(&f);
	/* IPv6 literal: the colons inside [] are not a port. */
	assert_int_equal(twsig_check_form(k, "https://[::1]/x?y=1", &f,
			     "gwtlBOMVBOLNHRUQecw+krrGYgA="),
	    1);
	assert_int_equal(twsig_check_form(k, "https://[::1]/x?y=1", &f,
			     "+O6nKRW7pH6hONHg0O17AGY/+tw="),
	    1);
	assert_int_equal(twsig_check_form(k, "https://[::1]:443/x?y=1", &f,
			     "gwtlBOMVBOLNHRUQecw+krrGYgA="),
	    1);
	/* Twilio signed it without the port. */
	assert_int_equal(twsig_check_form(k, "https://[::1]:8443/x?y=1", &f,
			     "gwtlBOMVBOLNHRUQecw+krrGYgA="),
	    1);
	assert_int_equal(twsig_check_form(k, "https://[::1]:8443/x?y=1", &f,
			     "+O6nKRW7pH6hONHg0O17AGY/+tw="),
	    0);

	/* No path at all, with and without a query. */
	assert_int_equal(twsig_check_form(k, "https://example.com", &f,
			     "1j8EQqzZtIZmaYWB7jo9g3Z/dxc="),
	    1);
	assert_int_equal(twsig_check_form(k, "https://example.com", &f,
			     "cuPyAEJDhvLEXq6HUIDqnWrAKtM="),
	    1);
	assert_int_equal(twsig_check_form(k, "https://example.com:443", &f,
			     "1j8EQqzZtIZmaYWB7jo9g3Z/dxc="),
	    1);
	assert_int_equal(twsig_check_form(k, "https://example.com?a=b", &f,
			     "IWz8yqnpZaSuTTySArG0QMhNjAI="),
	    1);

	/* A non-default port: signed with it, or without it. */
	assert_int_equal(twsig_check_form(k, "https://example.com:8443/x", &f,
			     "5LavF+TMWdy4ADP5jJ9Akk0bwTQ="),
	    1);
	assert_int_equal(twsig_check_form(k, "https://example.com:8443/x", &f,
			     "0WPkKiG6LAnERQjhU+vQxSd3oz8="),
	    1);
	/* A port that is not a number is no port: the URL as given. */
	assert_int_equal(twsig_check_form(k, "https://example.com:84x3/x", &f,
			     "0WPkKiG6LAnERQjhU+vQxSd3oz8="),
	    0);
	assert_int_equal(twsig_check_form(k, "https://example.com/x", &f,
			     "5LavF+TMWdy4ADP5jJ9Akk0bwTQ="),
	    0);

	/* Odd URLs are checked as given and must not crash. */
	assert_int_equal(twsig_check_form(k, "", &f, DOCS_SIG), 0);
	assert_int_equal(twsig_check_form(k, "https://", &f, DOCS_SIG), 0);
	assert_int_equal(twsig_check_form(k, "https://[::1", &f, DOCS_SIG), 0);
	assert_int_equal(twsig_check_form(k, "https://h:", &f, DOCS_SIG), 0);
	assert_int_equal(twsig_check_form(k, "https://u:p@h/", &f, DOCS_SIG),
	    0);
	assert_int_equal(twsig_check_form(k, NULL, &f, DOCS_SIG), 0);
	form_cleanup(&f);
}

static void
test_tampered(void **state)
{
	struct twsig_key *k = *state, *other;
	struct form f;
	char sig[29];

	docs_params(&f);
	assert_int_equal(twsig_check_form(k,
			     "https://mycompany.com/myapp.php?foo=1&bar=3", &f,
			     DOCS_SIG),
	    0);
	assert_int_equal(twsig_check_form(k,
			     "https://mycompany.com/myapp.php?foo=1&bar=2/", &f,
			     DOCS_SIG),
	    0);
	assert_int_equal(twsig_check_form(k,
			     "https://Mycompany.com/myapp.php?foo=1&bar=2", &f,
			     DOCS_SIG),
	    0);

	/* One more pair, or one changed value. */
	form_add(&f, "Extra", "1");
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, DOCS_SIG), 0);
	form_cleanup(&f);
	docs_params(&f);
	free(f.v[2].value);
	f.v[2].value = strdup("1235");
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, DOCS_SIG), 0);
	form_cleanup(&f);

	/*
	 * Twilio's scheme has no separators: moving a byte from a value to
	 * its name signs the same string when the sort order is kept.  This
	 * pins that we concatenate exactly as Twilio does.
	 */
	form_init(&f);
	form_add(&f, "CallSidC", "A1234567890ABCDE");
	form_add(&f, "Caller", "+12349013030");
	form_add(&f, "Digits", "1234");
	form_add(&f, "From", "+12349013030");
	form_add(&f, "To", "+18005551212");
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, DOCS_SIG), 1);
	form_cleanup(&f);

	/* Another token. */
	docs_params(&f);
	other = twsig_key_new("54321");
	assert_non_null(other);
	assert_int_equal(twsig_check_form(other, DOCS_URL, &f, DOCS_SIG), 0);
	assert_int_equal(twsig_sign(other, DOCS_URL, &f, sig), 0);
	assert_string_not_equal(sig, DOCS_SIG);
	twsig_key_free(other);
	form_cleanup(&f);
}

static void
test_bad_signatures(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"0/KCTR6DLpKmkAf8muzZqo1nDgQ", /* truncated */
		"0/KCTR6DLpKmkAf8muzZqo1nDgQ==", /* one too many */
		"0/KCTR6DLpKmkAf8muzZqo1nDgQ= ",
		" 0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
		"0/kctr6dlpkmkaf8muzzqo1ndgq=", /* case matters */
		"1/KCTR6DLpKmkAf8muzZqo1nDgQ=",
		"0/KCTR6DLpKmkAf8muzZqo1nDgR=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
	};
	struct form f;
	size_t i;

	docs_params(&f);
	assert_int_equal(twsig_check_form(*state, DOCS_URL, &f, NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (twsig_check_form(*state, DOCS_URL, &f, bad[i]) != 0)
			fail_msg("accepted signature '%s'", bad[i]);
	assert_int_equal(twsig_check_form(NULL, DOCS_URL, &f, DOCS_SIG), 0);
	form_cleanup(&f);
}

static void
test_repeated_keys(void **state)
{
	struct twsig_key *k = *state;
	struct form f;
	char sig[29];
	/*
	 * python3-twilio 7.7 cannot sign repeated keys, so this value was
	 * computed by hand with Python's hmac over
	 *   DOCS_URL "Digits1234" "Digits5678" "SidCA123" "SidAccountAC123"
	 * It equals the vector in twilio-python's current test suite
	 * (test_compute_signature_duplicate_*), whose input also repeats
	 * Digits=1234: the newer helpers keep each distinct value once.
	 */
	static const char dup_sig[] = "IK+Dwps556ElfBT0I3Rgjkr1wJU=";

	form_init(&f);
	form_add(&f, "Sid", "CA123");
	form_add(&f, "SidAccount", "AC123");
	form_add(&f, "Digits", "5678");
	form_add(&f, "Digits", "1234");
	assert_int_equal(twsig_sign(k, DOCS_URL, &f, sig), 0);
	assert_string_equal(sig, dup_sig);
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, dup_sig), 1);

	/* An exact duplicate pair is counted once. */
	form_add(&f, "Digits", "1234");
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, dup_sig), 1);
	form_cleanup(&f);

	/* Values of one key in the other arrival order: same signature. */
	form_init(&f);
	form_add(&f, "Digits", "1234");
	form_add(&f, "SidAccount", "AC123");
	form_add(&f, "Digits", "5678");
	form_add(&f, "Sid", "CA123");
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, dup_sig), 1);
	form_cleanup(&f);

	/* Dropping one of the values breaks it. */
	form_init(&f);
	form_add(&f, "Sid", "CA123");
	form_add(&f, "SidAccount", "AC123");
	form_add(&f, "Digits", "5678");
	assert_int_equal(twsig_check_form(k, DOCS_URL, &f, dup_sig), 0);
	form_cleanup(&f);
}

static void
test_utf8_params(void **state)
{
	struct form f;

	form_init(&f);
	form_add(&f, "From", "client:agent_1");
	form_add(&f, "CalledCity", "S\xc3\xa3o Paulo");
	assert_int_equal(twsig_check_form(*state,
			     "https://ramal.example/twilio/voice/inbound", &f,
			     "JADWFUXf1rFd1d4eTa3HXnXT59c="),
	    1);
	form_cleanup(&f);
}

static void
test_long_token(void **state)
{
	struct twsig_key *k;
	struct form f;
	char tok[82];

	(void)state;
	/* Longer than the SHA-1 block: HMAC hashes the key first. */
	memset(tok, 'k', 70);
	strcpy(tok + 70, "-long-token");
	form_init(&f);
	form_add(&f, "SequenceNumber", "0");
	form_add(&f, "CallStatus", "ringing");

	k = twsig_key_new(tok);
	assert_non_null(k);
	assert_int_equal(twsig_check_form(k,
			     "https://ramal.example/twilio/status", &f,
			     "vyOFV/m5e5Oc73NMDZ8RMiF/iC0="),
	    1);
	twsig_key_free(k);

	/* Exactly one block long. */
	memset(tok, 'x', 64);
	tok[64] = '\0';
	k = twsig_key_new(tok);
	assert_non_null(k);
	assert_int_equal(twsig_check_form(k,
			     "https://ramal.example/twilio/status", &f,
			     "W6LvEGduNh7rM726efDPtqfrhbY="),
	    1);
	twsig_key_free(k);
	form_cleanup(&f);
	twsig_key_free(NULL);
}

#define BODY "{\"property\": \"value\", \"boolean\": true}"
#define BODY_HASH \
	"0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
#define BODY_URL DOCS_URL "&bodySHA256=" BODY_HASH
#define BODY_SIG "a9nBmqA0ju/hNViExpshrM61xv4=" /* over BODY_URL */
#define BODY_SIG_443 "uzN7O1319XdYoYMfTT2eUM1PJT0=" /* …com:443/… */

static void
test_body(void **state)
{
	struct twsig_key *k = *state;
	static const char other[] = "{\"property\": \"value\", \"boolean\": 1}";

	assert_int_equal(twsig_check_body(k, BODY_URL, BODY, strlen(BODY),
			     BODY_SIG),
	    1);
	assert_int_equal(twsig_check_body(k, BODY_URL, BODY, strlen(BODY),
			     BODY_SIG_443),
	    1);
	/* Upper-case hex names the same hash (signature over that URL). */
	assert_int_equal(
	    twsig_check_body(k,
		DOCS_URL
		"&bodySHA256="
		"0A1FF7634D9AB3B95DB5C9A2DFE9416E41502B283A80C7CF19632632F96E6620",
		BODY, strlen(BODY), "KF9uuYbODKamvlRt1B1bFONb+Q8="),
	    1);
	/* The first bodySHA256 counts, as in Twilio's helper. */
	assert_int_equal(
	    twsig_check_body(k,
		"https://mycompany.com/myapp.php?bodySHA256=" BODY_HASH
		"&bodySHA256=00",
		BODY, strlen(BODY), "fS1P4q46ndzrtY2xmF4pGkLvt10="),
	    1);

	/* The body is not the one hashed. */
	assert_int_equal(twsig_check_body(k, BODY_URL, other, strlen(other),
			     BODY_SIG),
	    0);
	assert_int_equal(twsig_check_body(k, BODY_URL, BODY, strlen(BODY) - 1,
			     BODY_SIG),
	    0);
	assert_int_equal(twsig_check_body(k, BODY_URL, NULL, 0, BODY_SIG), 0);
	/* Right body, wrong signature. */
	assert_int_equal(twsig_check_body(k, BODY_URL, BODY, strlen(BODY),
			     DOCS_SIG),
	    0);
	assert_int_equal(twsig_check_body(k, BODY_URL, BODY, strlen(BODY),
			     NULL),
	    0);
	/* No bodySHA256, or a malformed one. */
	assert_int_equal(twsig_check_body(k, DOCS_URL, BODY, strlen(BODY),
			     DOCS_SIG_NOPARAMS),
	    0);
	assert_int_equal(twsig_check_body(k, DOCS_URL "&bodySHA256=", BODY,
			     strlen(BODY), DOCS_SIG_NOPARAMS),
	    0);
	assert_int_equal(twsig_check_body(k, DOCS_URL "&bodySHA256=0a1f", BODY,
			     strlen(BODY), DOCS_SIG_NOPARAMS),
	    0);
	assert_int_equal(twsig_check_body(k, DOCS_URL "&xbodySHA256=" BODY_HASH,
			     BODY, strlen(BODY), DOCS_SIG_NOPARAMS),
	    0);
	assert_int_equal(twsig_check_body(k,
			     "https://h/p#bodySHA256=" BODY_HASH, BODY,
			     strlen(BODY), DOCS_SIG_NOPARAMS),
	    0);
}

struct thread_arg {
	struct twsig_key *k;
	int ok;
};

static void *
thread_main(void *p)
{
	struct thread_arg *a = p;
	struct form f;
	int i;

	docs_params(&f);
	for (i = 0; i < 500; i++) {
		if (twsig_check_form(a->k, DOCS_URL, &f, DOCS_SIG) != 1 ||
		    twsig_check_form(a->k, DOCS_URL, &f, DOCS_SIG_443) != 1 ||
		    twsig_check_form(a->k, DOCS_URL, &f, DOCS_SIG_HTTP) != 0)
			a->ok = 0;
	}
	form_cleanup(&f);
	return NULL;
}

static void
test_shared_key_threads(void **state)
{
	pthread_t th[4];
	struct thread_arg a[4];
	int i;

	for (i = 0; i < 4; i++) {
		a[i].k = *state;
		a[i].ok = 1;
		assert_int_equal(pthread_create(&th[i], NULL, thread_main,
				     &a[i]),
		    0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_true(a[i].ok);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_example),
		cmocka_unit_test(test_from_parsed_body),
		cmocka_unit_test(test_no_params),
		cmocka_unit_test(test_port_variants),
		cmocka_unit_test(test_url_shapes),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_bad_signatures),
		cmocka_unit_test(test_repeated_keys),
		cmocka_unit_test(test_utf8_params),
		cmocka_unit_test(test_long_token),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_shared_key_threads),
	};

	return cmocka_run_group_tests(tests, setup_key, teardown_key);
}
