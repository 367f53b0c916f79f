/*
 * Unit tests of the connection watch's rule (cmocka).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "connwatch.h"

static void
test_head_deadline(void **state)
{
	(void)state;
	/* 10 s for a head: 9.9 s is fine, 10.1 s is not */
	assert_false(connwatch_expired(CONNWATCH_HEAD, 1000, 0, 10900, 10, 0));
	assert_true(connwatch_expired(CONNWATCH_HEAD, 1000, 0, 11100, 10, 0));
	/* a clock that seems to go back never expires anything */
	assert_false(connwatch_expired(CONNWATCH_HEAD, 5000, 0, 1000, 10, 0));
}

static void
test_body_rate(void **state)
{
	(void)state;
	/* the rate is judged only after the deadline */
	assert_false(connwatch_expired(CONNWATCH_BODY, 0, 0, 9000, 10, 1024));
	/* 11 s for 11,000 bytes: 1,000 B/s < 1,024 */
	assert_true(
	    connwatch_expired(CONNWATCH_BODY, 0, 11000, 11000, 10, 1024));
	/* 11 s for 11,264 bytes: exactly 1,024 B/s */
	assert_false(
	    connwatch_expired(CONNWATCH_BODY, 0, 11264, 11000, 10, 1024));
	/* no minimum: never */
	assert_false(connwatch_expired(CONNWATCH_BODY, 0, 0, 99000, 10, 0));
}

static void
test_busy_never(void **state)
{
	(void)state;
	assert_false(connwatch_expired(CONNWATCH_BUSY, 0, 0, 1000000, 1, 1024));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_deadline),
		cmocka_unit_test(test_body_rate),
		cmocka_unit_test(test_busy_never),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
