#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agents.h"
#include "events.h"

static void
test_format(void **state)
{
	char out[128];
	long n;

	(void)state;
	n = events_format(out, sizeof(out), 42, "status",
	    "{\"user_id\": 7, \"status\": \"busy\"}");
	assert_string_equal(out,
	    "id: 42\nevent: status\ndata: {\"user_id\": 7, \"status\": "
	    "\"busy\"}\n\n");
	assert_int_equal(n, (long)strlen(out));
	n = events_format(out, sizeof(out), 1, "call.ended", "{}");
	assert_string_equal(out, "id: 1\nevent: call.ended\ndata: {}\n\n");

	/* a newline in data or type would forge another field */
	assert_int_equal(events_format(out, sizeof(out), 1, "status",
			     "{}\nevent: x"),
	    -1);
	assert_int_equal(events_format(out, sizeof(out), 1, "status", "{}\r"),
	    -1);
	assert_int_equal(events_format(out, sizeof(out), 1, "sta\ntus", "{}"),
	    -1);
	assert_int_equal(events_format(out, sizeof(out), 1, "Status", "{}"),
	    -1);
	assert_int_equal(events_format(out, sizeof(out), 1, ".x", "{}"), -1);
	assert_int_equal(events_format(out, sizeof(out), 1, "", "{}"), -1);
	assert_int_equal(events_format(out, sizeof(out), 1, NULL, "{}"), -1);
	assert_int_equal(events_format(out, sizeof(out), 1, "x", NULL), -1);
	assert_int_equal(events_format(out, sizeof(out), -1, "x", "{}"), -1);
	assert_int_equal(events_format(out, sizeof(out), 1,
			     "abcdefghijklmnopqrstuvwxyzabcdefg", "{}"),
	    -1);
	/* does not fit: never truncated */
	assert_int_equal(events_format(out, 20, 1, "status", "{}"), -1);
	assert_int_equal(events_format(out, 31, 1, "status", "{}"), 30);
	assert_int_equal(events_format(out, 30, 1, "status", "{}"), -1);
}

static void
test_last_id(void **state)
{
	long long id = 99;

	(void)state;
	assert_int_equal(events_parse_last_id(NULL, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(events_parse_last_id("", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(events_parse_last_id("12345", &id), 0);
	assert_int_equal(id, 12345);
	assert_int_equal(events_parse_last_id("999999999999999999", &id), 0);
	assert_int_equal(id, 999999999999999999LL);
	assert_int_equal(events_parse_last_id("9999999999999999999", &id), -1);
	assert_int_equal(events_parse_last_id("-1", &id), -1);
	assert_int_equal(events_parse_last_id("12a", &id), -1);
	assert_int_equal(events_parse_last_id(" 12", &id), -1);
	assert_int_equal(events_parse_last_id("+12", &id), -1);
}

static void
test_match(void **state)
{
	(void)state;
	/* a user's event: that user only, in its tenant */
	assert_true(events_match(1, 7, "user", 1, 7, 0));
	assert_true(events_match(1, 7, "user", 1, 7, 1));
	assert_false(events_match(1, 7, "user", 1, 8, 1));
	assert_false(events_match(1, 7, "user", 2, 7, 0));
	assert_false(events_match(1, 0, "user", 1, 0, 1));
	/* the supervisors' events: supervisors and admins of the tenant */
	assert_true(events_match(1, 0, "supervisors", 1, 9, 1));
	assert_false(events_match(1, 0, "supervisors", 1, 9, 0));
	assert_false(events_match(1, 0, "supervisors", 2, 9, 1));
	assert_false(events_match(1, 0, "everyone", 1, 9, 1));
	assert_false(events_match(1, 0, NULL, 1, 9, 1));
}

static void
test_status_valid(void **state)
{
	(void)state;
	assert_string_equal(agents_status_valid("available"), "available");
	assert_string_equal(agents_status_valid("busy"), "busy");
	assert_string_equal(agents_status_valid("offline"), "offline");
	assert_null(agents_status_valid("wrapup"));
	assert_null(agents_status_valid("Available"));
	assert_null(agents_status_valid(""));
	assert_null(agents_status_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_last_id),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_status_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
