/*
 * Unit tests for src/core/spool.c: the unverified quota (files and bytes,
 * apart from verified events, given back by the replay and counted again
 * at start), forged events set aside within a bound, and orphan .tmp
 * files removed at start.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "spool.h"

#define URL "https://ramal.example.test/twilio/status"
#define SIG "c2lnbmF0dXJlLW9mLXRoZS1jYWxsYmFjaw=="

static char dir[64];
static int replayed;

static enum outcome
replay_ok(const char *route, const char *received_at, const char *body,
    size_t len)
{
	(void)route;
	(void)received_at;
	(void)body;
	(void)len;
	replayed++;
	return OUTCOME_DONE;
}

static enum spool_check
all_forged(const char *url, const char *sig, const char *body, size_t len)
{
	(void)url;
	(void)sig;
	(void)body;
	(void)len;
	return SPOOL_FORGED;
}

static const struct http_route routes[] = {
	{ .method = "POST", .path = "/twilio/status", .replay = replay_ok },
};

/* Files in dir/sub whose name ends with suffix. */
static int
count(const char *sub, const char *suffix)
{
	char path[128];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "%s%s", dir, sub);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t a = strlen(e->d_name), b = strlen(suffix);

		n += a > b && strcmp(e->d_name + a - b, suffix) == 0;
	}
	closedir(d);
	return n;
}

static void
touch(const char *name)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("half an event", fp);
	fclose(fp);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ramal-spool-XXXXXX");
	assert_non_null(mkdtemp(dir));
	replayed = 0;
	spool_set_verifier(all_forged);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[96];

	(void)state;
	spool_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_orphan_tmp_files_are_removed_at_start(void **state)
{
	struct spool_quota q = { 10, 100000 };

	(void)state;
	touch(".0000001764000000-0123456789abcdef.tmp");
	touch("other.tmp");
	touch("notes.txt");
	assert_int_equal(spool_init(dir, &q), 0);
	assert_int_equal(count("", ".tmp"), 0);
	assert_int_equal(count("", ".txt"), 1);
	assert_int_equal(spool_pending(), 0);
}

static void
test_unverified_quota_counts_files(void **state)
{
	struct spool_quota q = { 3, 100000 };
	struct spool_stats st;

	(void)state;
	assert_int_equal(spool_init(dir, &q), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(spool_put_unverified("/twilio/status",
				     "2026-11-23T21:00:00.000Z", URL, SIG,
				     "AccountSid=AC1", 14),
		    0);
	assert_int_equal(spool_put_unverified("/twilio/status",
			     "2026-11-23T21:00:00.000Z", URL, SIG,
			     "AccountSid=AC1", 14),
	    -1);
	/* Checked events never meet that quota. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(spool_put("/twilio/status",
				     "2026-11-23T21:00:00.000Z", "CallSid=CA1",
				     11),
		    0);
	spool_stats(&st);
	assert_int_equal(st.pending, 8);
	assert_int_equal(st.unverified_files, 3);
	assert_true(st.unverified_bytes > 3 * 14);
	assert_int_equal(st.refused_unverified, 1);
	assert_int_equal(count("", "-u.ev"), 3);
	assert_int_equal(count("", ".ev"), 8);

	/* Counted again by a restart. */
	assert_int_equal(spool_init(dir, &q), 0);
	spool_stats(&st);
	assert_int_equal(st.pending, 8);
	assert_int_equal(st.unverified_files, 3);
	assert_int_equal(spool_put_unverified("/twilio/status",
			     "2026-11-23T21:00:00.000Z", URL, SIG,
			     "AccountSid=AC1", 14),
	    -1);

	/* The replay gives the room back: forged ones set aside, the rest
	 * stored. */
	assert_int_equal(spool_replay(routes, 1), 5);
	assert_int_equal(replayed, 5);
	spool_stats(&st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.unverified_files, 0);
	assert_int_equal(st.unverified_bytes, 0);
	assert_int_equal(count("/failed", ".ev"), 3);
	assert_int_equal(spool_put_unverified("/twilio/status",
			     "2026-11-23T21:00:00.000Z", URL, SIG,
			     "AccountSid=AC1", 14),
	    0);
	/* failed/ holds as many files as the quota: the next forged one
	 * is deleted, not kept. */
	assert_int_equal(spool_replay(routes, 1), 0);
	assert_int_equal(count("/failed", ".ev"), 3);
	assert_int_equal(count("", ".ev"), 0);
}

static void
test_unverified_quota_counts_bytes(void **state)
{
	struct spool_quota q = { 100, 20000 };
	struct spool_stats st;
	char body[9000];

	(void)state;
	memset(body, 'x', sizeof(body));
	assert_int_equal(spool_init(dir, &q), 0);
	assert_int_equal(spool_put_unverified("/twilio/status",
			     "2026-11-23T21:00:00.000Z", URL, SIG, body,
			     sizeof(body)),
	    0);
	assert_int_equal(spool_put_unverified("/twilio/status",
			     "2026-11-23T21:00:00.000Z", URL, SIG, body,
			     sizeof(body)),
	    0);
	assert_int_equal(spool_put_unverified("/twilio/status",
			     "2026-11-23T21:00:00.000Z", URL, SIG, body,
			     sizeof(body)),
	    -1);
	/* A small one still fits in what is left. */
	assert_int_equal(spool_put_unverified("/twilio/status",
			     "2026-11-23T21:00:00.000Z", URL, SIG, body, 100),
	    0);
	spool_stats(&st);
	assert_int_equal(st.unverified_files, 3);
	assert_true(st.unverified_bytes <= 20000);
	assert_true(st.unverified_bytes > 2 * 9000 + 100);
}

static void
test_zero_files_keeps_none(void **state)
{
	struct spool_quota q = { 0, 100000 };

	(void)state;
	assert_int_equal(spool_init(dir, &q), 0);
	assert_int_equal(spool_put_unverified("/twilio/status",
			     "2026-11-23T21:00:00.000Z", URL, SIG,
			     "AccountSid=AC1", 14),
	    -1);
	assert_int_equal(spool_put("/twilio/status", "2026-11-23T21:00:00.000Z",
			     "CallSid=CA1", 11),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_orphan_tmp_files_are_removed_at_start, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_unverified_quota_counts_files, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unverified_quota_counts_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_files_keeps_none,
		    setup, teardown),
	};

	log_init(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
