#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"

static int
parse(struct form *f, const char *body, size_t max_pairs)
{
	return form_parse(f, body, strlen(body), max_pairs);
}

static void
test_basic(void **state)
{
	struct form f;

	(void)state;
	form_init(&f);
	assert_int_equal(parse(&f,
			     "CallSid=CA123&From=%2B5511999990000"
			     "&To=+5511&Caller=a+b%20c",
			     100),
	    0);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.v[0].name, "CallSid");
	assert_string_equal(f.v[0].value, "CA123");
	assert_string_equal(form_get(&f, "From"), "+5511999990000");
	assert_string_equal(form_get(&f, "To"), " 5511");
	assert_string_equal(form_get(&f, "Caller"), "a b c");
	assert_null(form_get(&f, "callsid"));
	assert_null(form_get(&f, "Missing"));
	form_cleanup(&f);
	assert_int_equal(f.n, 0);
	assert_null(f.v);
}

static void
test_escaped_separators(void **state)
{
	struct form f;

	(void)state;
	form_init(&f);
	assert_int_equal(parse(&f, "a%26b=c%3Dd&e%3d=%25&x=1=2", 100), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.v[0].name, "a&b");
	assert_string_equal(f.v[0].value, "c=d");
	assert_string_equal(f.v[1].name, "e=");
	assert_string_equal(f.v[1].value, "%");
	/* Only the first '=' splits. */
	assert_string_equal(f.v[2].name, "x");
	assert_string_equal(f.v[2].value, "1=2");
	form_cleanup(&f);
}

static void
test_repeated_and_empty(void **state)
{
	struct form f;

	(void)state;
	form_init(&f);
	assert_int_equal(parse(&f, "a=1&&b=&c&a=2&=v&", 100), 0);
	assert_int_equal(f.n, 5);
	assert_string_equal(f.v[0].name, "a");
	assert_string_equal(f.v[0].value, "1");
	assert_string_equal(f.v[1].name, "b");
	assert_string_equal(f.v[1].value, "");
	assert_string_equal(f.v[2].name, "c");
	assert_string_equal(f.v[2].value, "");
	assert_string_equal(f.v[3].name, "a");
	assert_string_equal(f.v[3].value, "2");
	assert_string_equal(f.v[4].name, "");
	assert_string_equal(f.v[4].value, "v");
	/* form_get returns the first. */
	assert_string_equal(form_get(&f, "a"), "1");
	form_cleanup(&f);

	form_init(&f);
	assert_int_equal(parse(&f, "a=&b", 100), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(form_get(&f, "a"), "");
	assert_string_equal(form_get(&f, "b"), "");
	form_cleanup(&f);

	form_init(&f);
	assert_int_equal(parse(&f, "a", 100), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(form_get(&f, "a"), "");
	assert_int_equal(parse(&f, "", 100), 0);
	assert_int_equal(parse(&f, "&&&", 100), 0);
	assert_int_equal(form_parse(&f, NULL, 0, 100), 0);
	assert_int_equal(f.n, 1);
	form_cleanup(&f);
}

static void
test_utf8(void **state)
{
	struct form f;

	(void)state;
	form_init(&f);
	assert_int_equal(parse(&f,
			     "CalledCity=S%C3%A3o+Paulo"
			     "&Raw=S\xc3\xa3o&Emoji=%F0%9F%93%9E",
			     100),
	    0);
	assert_string_equal(form_get(&f, "CalledCity"), "S\xc3\xa3o Paulo");
	assert_string_equal(form_get(&f, "Raw"), "S\xc3\xa3o");
	assert_string_equal(form_get(&f, "Emoji"), "\xf0\x9f\x93\x9e");
	form_cleanup(&f);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"a=%",
		"a=%4",
		"a=%zz",
		"a=%4g",
		"a=%00",
		"%=1",
		"a%0=1",
		"a=b&c=%",
		"a=%C3%28",
		"a=%C0%AF",
		"a=%ED%A0%80",
		"a=%F4%90%80%80",
		"a=%C3",
		"a=%FF",
		"a=\xc3\x28",
		"%C3=x",
		"a=%E2%82",
	};
	struct form f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		form_init(&f);
		assert_int_equal(parse(&f, "keep=1", 100), 0);
		if (parse(&f, bad[i], 100) != -1)
			fail_msg("accepted %s", bad[i]);
		/* The failed call added nothing; earlier pairs stay. */
		assert_int_equal(f.n, 1);
		assert_string_equal(form_get(&f, "keep"), "1");
		form_cleanup(&f);
	}

	/* A raw NUL byte inside the body is refused too. */
	form_init(&f);
	assert_int_equal(form_parse(&f, "a=b\0c", 5, 100), -1);
	assert_int_equal(f.n, 0);
	form_cleanup(&f);
}

static void
test_max_pairs(void **state)
{
	struct form f;

	(void)state;
	form_init(&f);
	assert_int_equal(parse(&f, "a=1&b=2&c=3", 3), 0);
	assert_int_equal(f.n, 3);
	form_cleanup(&f);

	form_init(&f);
	assert_int_equal(parse(&f, "a=1&b=2&c=3&d=4", 3), -1);
	assert_int_equal(f.n, 0);
	/* Empty segments are not pairs. */
	assert_int_equal(parse(&f, "a=1&&&b=2&", 2), 0);
	assert_int_equal(f.n, 2);
	assert_int_equal(parse(&f, "x", 0), -1);
	assert_int_equal(f.n, 2);
	form_cleanup(&f);
}

static void
test_many_pairs(void **state)
{
	struct form f;
	char body[64 * 8];
	size_t i, o = 0;

	(void)state;
	for (i = 0; i < 60; i++)
		o += (size_t)sprintf(body + o, "k%zu=%zu&", i, i);
	form_init(&f);
	assert_int_equal(form_parse(&f, body, o, 100), 0);
	assert_int_equal(f.n, 60);
	assert_string_equal(form_get(&f, "k59"), "59");
	form_add(&f, "added", "v");
	assert_string_equal(form_get(&f, "added"), "v");
	assert_int_equal(f.n, 61);
	form_cleanup(&f);
}

static void
test_decode(void **state)
{
	char *s;
	size_t len = 0;

	(void)state;
	s = form_decode("a+b%2B", 6, 1, &len);
	assert_string_equal(s, "a b+");
	assert_int_equal(len, 4);
	free(s);
	s = form_decode("a+b%2B", 6, 0, &len);
	assert_string_equal(s, "a+b+");
	free(s);
	/* The length bounds the input. */
	s = form_decode("abc%41", 4, 1, NULL);
	assert_null(s);
	s = form_decode("abc%41", 3, 1, &len);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	free(s);
	assert_null(form_decode("%00", 3, 1, NULL));
	assert_null(form_decode("%ED%A0%80", 9, 1, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_escaped_separators),
		cmocka_unit_test(test_repeated_and_empty),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_max_pairs),
		cmocka_unit_test(test_many_pairs),
		cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
