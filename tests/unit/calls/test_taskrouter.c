/*
 * The pure parts of the TaskRouter slice: callback timestamps, activity
 * names, state ranks, and the REST client's form encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "form.h"
#include "store_tr.h"
#include "taskrouter.h"
#include "twapi.h"

static const char *
when(const char *ms, const char *ts)
{
	static char out[32];

	if (taskrouter_parse_time(ms, ts, out, sizeof(out)) != 0)
		return "error";
	return out;
}

static void
test_parse_time(void **state)
{
	(void)state;
	/* Unix seconds, as TaskRouter sends Timestamp */
	assert_string_equal(when(NULL, "1795467600"),
	    "2026-11-23T21:00:00.000Z");
	assert_string_equal(when(NULL, "1795467600.25"),
	    "2026-11-23T21:00:00.250Z");
	/* TimestampMs wins over Timestamp */
	assert_string_equal(when("1795467600123", "1"),
	    "2026-11-23T21:00:00.123Z");
	assert_string_equal(when(NULL, "Mon, 23 Nov 2026 21:00:00 +0000"),
	    "2026-11-23T21:00:00.000Z");
	assert_string_equal(when(NULL, "Mon, 23 Nov 2026 18:00:00 -0300"),
	    "2026-11-23T21:00:00.000Z");
	assert_string_equal(when(NULL, "2026-11-23T21:00:00.5Z"),
	    "2026-11-23T21:00:00.500Z");
	assert_string_equal(when(NULL, NULL), "error");
	assert_string_equal(when(NULL, ""), "error");
	assert_string_equal(when(NULL, "12"), "error"); /* 1970 */
	assert_string_equal(when(NULL, "99999999999"), "error"); /* 5138 */
	assert_string_equal(when(NULL, "1795467600x"), "error");
	assert_string_equal(when(NULL, "1795467600.2x"), "error");
	assert_string_equal(when("abc", "nonsense"), "error");
	assert_string_equal(when(NULL, "2026-11-23T21:00:00+02:00"), "error");
}

static void
test_activity_status(void **state)
{
	(void)state;
	assert_string_equal(taskrouter_activity_status("Available"),
	    "available");
	assert_string_equal(taskrouter_activity_status("busy"), "busy");
	assert_string_equal(taskrouter_activity_status("Wrap-up"), "wrapup");
	assert_string_equal(taskrouter_activity_status("WrapUp"), "wrapup");
	assert_string_equal(taskrouter_activity_status("OFFLINE"), "offline");
	assert_null(taskrouter_activity_status("Unavailable"));
	assert_null(taskrouter_activity_status(""));
	assert_null(taskrouter_activity_status(NULL));
}

static void
test_ranks(void **state)
{
	(void)state;
	assert_true(
	    store_tr_task_rank("pending") < store_tr_task_rank("reserved"));
	assert_true(
	    store_tr_task_rank("reserved") < store_tr_task_rank("assigned"));
	assert_true(
	    store_tr_task_rank("assigned") < store_tr_task_rank("wrapping"));
	assert_int_equal(store_tr_task_rank("completed"), 10);
	assert_int_equal(store_tr_task_rank("canceled"), 10);
	assert_int_equal(store_tr_task_rank("bogus"), -1);
	assert_int_equal(store_tr_task_rank(NULL), -1);
	assert_int_equal(store_tr_reservation_rank("pending"), 0);
	assert_int_equal(store_tr_reservation_rank("accepted"), 1);
	assert_int_equal(store_tr_reservation_rank("wrapping"), 2);
	assert_int_equal(store_tr_reservation_rank("rescinded"), 3);
	assert_int_equal(store_tr_reservation_rank("timeout"), 3);
	assert_int_equal(store_tr_reservation_rank("wrapup"), -1);
}

static void
test_encode_form(void **state)
{
	struct form f;
	struct buf b;

	(void)state;
	form_init(&f);
	buf_init(&b, 1024);
	form_add(&f, "StatusCallbackEvent", "ringing");
	form_add(&f, "StatusCallbackEvent", "answered");
	form_add(&f, "Record", twapi_bool(1));
	form_add(&f, "To", "+55 11 é&=/");
	form_add(&f, "Empty", "");
	assert_int_equal(twapi_encode_form(&b, &f), 0);
	assert_string_equal(buf_cstr(&b),
	    "StatusCallbackEvent=ringing&StatusCallbackEvent=answered"
	    "&Record=true&To=%2B55%2011%20%C3%A9%26%3D%2F&Empty=");
	buf_cleanup(&b);

	/* the cap is respected and reported */
	buf_init(&b, 10);
	assert_int_equal(twapi_encode_form(&b, &f), -1);
	buf_cleanup(&b);
	buf_init(&b, 10);
	assert_int_equal(twapi_encode_form(&b, NULL), 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_cleanup(&b);
	form_cleanup(&f);
	assert_string_equal(twapi_bool(0), "false");
}

static void
test_describe(void **state)
{
	struct twapi_resp r;
	char buf[256];

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(r.transport, sizeof(r.transport), "Connection refused");
	assert_string_equal(twapi_describe(&r, buf, sizeof(buf)),
	    "Connection refused");
	memset(&r, 0, sizeof(r));
	r.status = 401;
	r.err.code = 20003;
	snprintf(r.err.message, sizeof(r.err.message), "Authenticate");
	snprintf(r.err.more_info, sizeof(r.err.more_info),
	    "https://www.twilio.com/docs/errors/20003");
	assert_string_equal(twapi_describe(&r, buf, sizeof(buf)),
	    "HTTP 401, Twilio error 20003: Authenticate "
	    "(https://www.twilio.com/docs/errors/20003)");
	memset(&r, 0, sizeof(r));
	r.status = 502;
	assert_string_equal(twapi_describe(&r, buf, sizeof(buf)), "HTTP 502");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_activity_status),
		cmocka_unit_test(test_ranks),
		cmocka_unit_test(test_encode_form),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
