/*
 * Unit tests of the HTTP core's pure helpers (cmocka).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

static void
test_forwarded(void **state)
{
	char a[HTTP_ADDR_MAX];

	(void)state;
	assert_int_equal(http_forwarded_addr("203.0.113.9", 1, a, sizeof(a)),
	    0);
	assert_string_equal(a, "203.0.113.9");
	/* a client-sent entry on the left is not believed */
	assert_int_equal(http_forwarded_addr("1.1.1.1, 203.0.113.9", 1, a,
			     sizeof(a)),
	    0);
	assert_string_equal(a, "203.0.113.9");
	assert_int_equal(http_forwarded_addr("1.1.1.1, 203.0.113.9,10.0.0.2", 2,
			     a, sizeof(a)),
	    0);
	assert_string_equal(a, "203.0.113.9");
	assert_int_equal(http_forwarded_addr("203.0.113.9", 3, a, sizeof(a)),
	    0);
	assert_string_equal(a, "203.0.113.9");
	assert_int_equal(http_forwarded_addr(" 2001:DB8::1 ", 1, a, sizeof(a)),
	    0);
	assert_string_equal(a, "2001:db8::1");
	assert_int_equal(http_forwarded_addr("[2001:db8::2]", 1, a, sizeof(a)),
	    0);
	assert_string_equal(a, "2001:db8::2");
	assert_int_equal(http_forwarded_addr("1.1.1.1, evil", 1, a, sizeof(a)),
	    -1);
	assert_int_equal(http_forwarded_addr("", 1, a, sizeof(a)), -1);
	assert_int_equal(http_forwarded_addr(NULL, 1, a, sizeof(a)), -1);
	assert_int_equal(http_forwarded_addr("1.1.1.1", 0, a, sizeof(a)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forwarded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
