/*
 * Unit tests for src/core/job.c that need no database: backoff bounds, the
 * argument checks of job_enqueue_pg (made before any SQL is sent), the
 * handler table checks, and a runner that cannot reach its database:
 * it must neither spin nor delay stopping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "job.h"
#include "log.h"
#include "util.h"

static int
run_ok(const struct job *j, char *err, size_t errlen)
{
	(void)j;
	(void)err;
	(void)errlen;
	return JOB_DONE;
}

static void
test_backoff_bounds(void **state)
{
	long lo, hi;

	(void)state;
	for (int a = 1; a <= 40; a++) {
		long base = 2000L << (a < 20 ? a - 1 : 19);

		if (base > 600000L)
			base = 600000L;
		lo = job_backoff_ms(a, 0);
		hi = job_backoff_ms(a, 400);
		assert_int_equal(lo, base * 8 / 10);
		assert_int_equal(hi,
		    base * 12 / 10 > 600000L ? 600000L : base * 12 / 10);
		for (uint32_t r = 0; r < 100000; r += 997) {
			long d = job_backoff_ms(a, r);

			assert_true(d >= lo && d <= hi);
		}
	}
	assert_int_equal(job_backoff_ms(1, 200), 2000);
	assert_int_equal(job_backoff_ms(2, 200), 4000);
	assert_int_equal(job_backoff_ms(0, 200), 2000);
	assert_int_equal(job_backoff_ms(-5, 200), 2000);
	assert_int_equal(job_backoff_ms(100000, UINT32_MAX), 600000);
}

static void
test_time_left(void **state)
{
	struct job j;

	(void)state;
	memset(&j, 0, sizeof(j));
	j.deadline_ms = util_now_ms() + 5000;
	assert_true(job_time_left_ms(&j) > 4000);
	assert_true(job_time_left_ms(&j) <= 5000);
	j.deadline_ms = util_now_ms() - 1;
	assert_int_equal(job_time_left_ms(&j), 0);
}

/*
 * With a NULL connection, arguments that pass the checks reach libpq and
 * come back DB_UNAVAILABLE; arguments that fail them never get that far.
 */
static void
test_enqueue_checks(void **state)
{
	char big[JOB_DEDUPE_MAX + 2], kind65[JOB_KIND_MAX + 2];
	json_t *obj = json_pack("{ss}", "a", "b");
	json_t *arr = json_array();
	json_t *nul = json_pack("{s:s%}", "a", "x\0y", (size_t)3);
	json_t *huge = json_object();
	char *long_str = xcalloc(1, JOB_PAYLOAD_MAX + 1);
	int64_t id = 42;

	(void)state;
	memset(long_str, 'x', JOB_PAYLOAD_MAX);
	json_object_set_new(huge, "x", json_string(long_str));
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(kind65, 'a', sizeof(kind65) - 1);
	kind65[sizeof(kind65) - 1] = '\0';

	assert_int_equal(job_enqueue_pg(NULL, "recording.archive", obj, "RE1",
			     10, "AC0123456789abcdef0123456789ABCDEF", &id),
	    DB_UNAVAILABLE);
	assert_int_equal(id, 0);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, NULL, 0, NULL, NULL),
	    DB_UNAVAILABLE);
	kind65[JOB_KIND_MAX] = '\0';
	assert_int_equal(job_enqueue_pg(NULL, kind65, NULL, NULL, 0, NULL,
			     NULL),
	    DB_UNAVAILABLE);
	kind65[JOB_KIND_MAX] = 'a';

	assert_int_equal(job_enqueue_pg(NULL, kind65, NULL, NULL, 0, NULL,
			     NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, NULL, NULL, NULL, 0, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "", NULL, NULL, 0, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "Rec", NULL, NULL, 0, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "1rec", NULL, NULL, 0, NULL,
			     NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a b", NULL, NULL, 0, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", arr, NULL, 0, NULL, NULL),
	    DB_INVALID);
	assert_non_null(nul);
	assert_int_equal(job_enqueue_pg(NULL, "a", nul, NULL, 0, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", huge, NULL, 0, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, "", 0, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, big, 0, NULL, NULL),
	    DB_INVALID);
	big[JOB_DEDUPE_MAX] = '\0';
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, big, 0, NULL, NULL),
	    DB_UNAVAILABLE);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, "\xc3(", 0, NULL,
			     NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, NULL, -1, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, NULL,
			     JOB_DELAY_MAX_S + 1, NULL, NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, NULL, 0, "AC123",
			     NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, NULL, 0,
			     "XX0123456789abcdef0123456789abcdef", NULL),
	    DB_INVALID);
	assert_int_equal(job_enqueue_pg(NULL, "a", NULL, NULL, 0,
			     "AC0123456789abcdef0123456789abcdef0", NULL),
	    DB_INVALID);
	json_decref(obj);
	json_decref(arr);
	json_decref(nul);
	json_decref(huge);
	free(long_str);
}

static void
test_runner_rejects_bad_tables(void **state)
{
	const struct job_handler dup[] = { { "a", run_ok, 1 },
		{ "a", run_ok, 1 }, { NULL, NULL, 0 } };
	const struct job_handler norun[] = { { "a", NULL, 1 },
		{ NULL, NULL, 0 } };
	const struct job_handler badkind[] = { { "A", run_ok, 1 },
		{ NULL, NULL, 0 } };
	const struct job_handler badtime[] = { { "a", run_ok, -1 },
		{ NULL, NULL, 0 } };
	const struct job_handler good[] = { { "a", run_ok, 0 },
		{ "b", run_ok, 5 }, { NULL, NULL, 0 } };
	struct job_runner *r;

	(void)state;
	assert_null(job_runner_start("dbname=x", 0, dup, NULL));
	assert_null(job_runner_start("dbname=x", 0, norun, NULL));
	assert_null(job_runner_start("dbname=x", 0, badkind, NULL));
	assert_null(job_runner_start("dbname=x", 0, badtime, NULL));
	assert_null(job_runner_start("dbname=x", 0, NULL, NULL));
	assert_null(job_runner_start(NULL, 0, good, NULL));
	assert_null(job_runner_start("dbname=x", -1, good, NULL));
	assert_null(job_runner_start("dbname=x", JOB_THREADS_MAX + 1, good, NULL));
	r = job_runner_start("dbname=x", 0, good, NULL);
	assert_non_null(r);
	job_runner_stop(r, 1);
	job_runner_stop(NULL, 1);
}

static uint64_t
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void
test_unreachable_database_no_spin_prompt_stop(void **state)
{
	const struct job_handler good[] = { { "a", run_ok, 0 },
		{ NULL, NULL, 0 } };
	struct timespec ts = { 1, 500000000L };
	struct job_runner *r;
	uint64_t cpu0, t0;

	(void)state;
	cpu0 = cpu_ms();
	r = job_runner_start("host=/nonexistent-ramal-dir port=1 dbname=x", 4,
	    good, NULL);
	assert_non_null(r);
	nanosleep(&ts, NULL);
	/* four threads retrying with a backoff, not in a loop */
	assert_true(cpu_ms() - cpu0 < 300);
	t0 = util_now_ms();
	job_runner_stop(r, 5);
	assert_true(util_now_ms() - t0 < 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_time_left),
		cmocka_unit_test(test_enqueue_checks),
		cmocka_unit_test(test_runner_rejects_bad_tables),
		cmocka_unit_test(test_unreachable_database_no_spin_prompt_stop),
	};

	/* The rejections log errors by design; keep the output to cmocka's. */
	log_init((enum log_level)(LOG_ERROR + 1));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
