/*
 * Unit tests for src/lib/log.c: the throttle of lines an attacker could
 * repeat at will.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "util.h"

static void
test_throttle_passes_once_a_second(void **state)
{
	struct log_throttle t;
	unsigned long long first, later, s0;
	int a, b, c, d, e;

	(void)state;
	/* Again when the calls straddle a second (then more may pass). */
	do {
		memset(&t, 0, sizeof(t));
		first = later = 99;
		s0 = util_now_ms() / 1000;
		a = log_throttle_pass(&t, &first);
		b = log_throttle_pass(&t, NULL);
		c = log_throttle_pass(&t, NULL);
		t.last_s -= 1; /* as if a second went by */
		d = log_throttle_pass(&t, &later);
		e = log_throttle_pass(&t, NULL);
	} while (util_now_ms() / 1000 != s0);
	assert_int_equal(a, 1);
	assert_int_equal(first, 0);
	assert_int_equal(b, 0);
	assert_int_equal(c, 0);
	assert_int_equal(d, 1);
	assert_int_equal(later, 2);
	assert_int_equal(e, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttle_passes_once_a_second),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
