/*
 * jobctl — drive src/core/job.c from tests/py/server/test_jobs.py.
 *
 *	jobctl migrate <dsn>
 *	    apply the migrations and create the test tables
 *	jobctl enqueue <dsn> <kind> <json> [dedupe|-] [delay_s] [account|-]
 *	    queue one job with job_enqueue_pg; prints its id (0: deduplicated)
 *	jobctl enqueue-many <dsn> <kind> <count> [json]
 *	    queue count jobs with job_enqueue, 100 per transaction
 *	jobctl work <dsn> <nthreads> <seconds>
 *	    run the test handlers until SIGTERM/SIGINT or <seconds>
 *	jobctl metrics <dsn>
 *	    print job_metrics_render
 *
 * Test handlers (every one first records its call in job_test_runs on a
 * pool connection, committed at once, so a call is counted even when its
 * attempt is later lost; what a handler writes in job_test_effects goes
 * through j->pg and so commits only with a successful attempt):
 *
 *	test.record  done
 *	test.flaky   {"fail": N}: JOB_RETRY on attempts 1..N, then done
 *	test.fail    JOB_FAIL
 *	test.slow    {"ms": N}: sleeps N ms (no further than its 2 s deadline)
 *	test.chain   {"fail": N}: queues a test.record {"parent": id} in its own
 *	             transaction, then behaves as test.flaky
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "migrate.h"
#include "util.h"

static const char test_tables[] =
    "CREATE TABLE IF NOT EXISTS job_test_runs ("
    " job_id bigint NOT NULL, attempt integer NOT NULL,"
    " worker_pid integer NOT NULL,"
    " ran_at timestamptz NOT NULL DEFAULT clock_timestamp());"
    "CREATE TABLE IF NOT EXISTS job_test_effects ("
    " job_id bigint NOT NULL, attempt integer NOT NULL,"
    " worker_pid integer NOT NULL,"
    " at timestamptz NOT NULL DEFAULT clock_timestamp())";

static int
usage(void)
{
	fprintf(stderr,
	    "usage: jobctl migrate <dsn>\n"
	    "       jobctl enqueue <dsn> <kind> <json> [dedupe|-] [delay_s] "
	    "[account|-]\n"
	    "       jobctl enqueue-many <dsn> <kind> <count> [json]\n"
	    "       jobctl work <dsn> <nthreads> <seconds>\n"
	    "       jobctl metrics <dsn>\n");
	return 2;
}

static int
to_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static void
ids(const struct job *j, char id[24], char att[16], char pid[16])
{
	snprintf(id, 24, "%lld", (long long)j->id);
	snprintf(att, 16, "%d", j->attempt);
	snprintf(pid, 16, "%ld", (long)getpid());
}

/* One row in table (job_test_runs or job_test_effects) on pg.  0 / -1. */
static int
insert_row(PGconn *pg, const char *table, const struct job *j, char *err,
    size_t errlen)
{
	char id[24], att[16], pid[16], sql[128];
	const char *p[3] = { id, att, pid };
	PGresult *r;
	int ok;

	ids(j, id, att, pid);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO %s (job_id, attempt, worker_pid) VALUES ($1, $2, $3)",
	    table);
	r = PQexecParams(pg, sql, 3, NULL, p, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errlen, "insert into %s failed: %.200s", table,
		    PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

static int
record_call(const struct job *j, char *err, size_t errlen)
{
	struct db_conn *c = db_acquire();
	int rc;

	if (c == NULL) {
		snprintf(err, errlen, "no pool connection");
		return -1;
	}
	rc = insert_row(db_pg(c), "job_test_runs", j, err, errlen);
	db_release(c);
	return rc;
}

static int
payload_int(const struct job *j, const char *key)
{
	json_t *v = json_object_get(j->payload, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : 0;
}

static int
run_record(const struct job *j, char *err, size_t errlen)
{
	if (record_call(j, err, errlen) != 0 ||
	    insert_row(j->pg, "job_test_effects", j, err, errlen) != 0)
		return JOB_RETRY;
	return JOB_DONE;
}

static int
run_flaky(const struct job *j, char *err, size_t errlen)
{
	int fail = payload_int(j, "fail");

	if (record_call(j, err, errlen) != 0)
		return JOB_RETRY;
	if (j->attempt <= fail) {
		snprintf(err, errlen, "flaky attempt %d of %d", j->attempt,
		    fail);
		return JOB_RETRY;
	}
	if (insert_row(j->pg, "job_test_effects", j, err, errlen) != 0)
		return JOB_RETRY;
	return JOB_DONE;
}

static int
run_fail(const struct job *j, char *err, size_t errlen)
{
	if (record_call(j, err, errlen) != 0)
		return JOB_RETRY;
	snprintf(err, errlen, "permanent failure requested");
	return JOB_FAIL;
}

static int
run_slow(const struct job *j, char *err, size_t errlen)
{
	uint64_t until = util_now_ms() + (uint64_t)payload_int(j, "ms");
	struct timespec ts = { 0, 10 * 1000000L };

	if (record_call(j, err, errlen) != 0)
		return JOB_RETRY;
	while (util_now_ms() < until) {
		if (job_time_left_ms(j) == 0) {
			snprintf(err, errlen, "deadline reached");
			return JOB_RETRY;
		}
		nanosleep(&ts, NULL);
	}
	if (insert_row(j->pg, "job_test_effects", j, err, errlen) != 0)
		return JOB_RETRY;
	return JOB_DONE;
}

static int
run_chain(const struct job *j, char *err, size_t errlen)
{
	json_t *child = json_pack("{sI}", "parent", (json_int_t)j->id);
	enum db_result res;

	res = job_enqueue_pg(j->pg, "test.record", child, NULL, 0, NULL, NULL);
	json_decref(child);
	if (res != DB_OK) {
		snprintf(err, errlen, "cannot queue the follow-up job");
		return JOB_RETRY;
	}
	return run_flaky(j, err, errlen);
}

static const struct job_handler handlers[] = {
	{ "test.record", run_record, 10 },
	{ "test.flaky", run_flaky, 10 },
	{ "test.fail", run_fail, 10 },
	{ "test.slow", run_slow, 2 },
	{ "test.chain", run_chain, 10 },
	{ NULL, NULL, 0 },
};

static int
cmd_migrate(const char *dsn)
{
	PGconn *pg;
	PGresult *r;
	int ok;

	if (migrate_run(dsn) < 0)
		return 1;
	pg = PQconnectdb(dsn);
	r = PQexec(pg, test_tables);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "jobctl: %s", PQerrorMessage(pg));
	PQclear(r);
	PQfinish(pg);
	return ok ? 0 : 1;
}

static json_t *
parse_object(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (v == NULL || !json_is_object(v)) {
		fprintf(stderr, "jobctl: payload is not a JSON object\n");
		json_decref(v);
		return NULL;
	}
	return v;
}

static const char *
opt(int argc, char **argv, int i)
{
	return i < argc && strcmp(argv[i], "-") != 0 ? argv[i] : NULL;
}

static int
cmd_enqueue(int argc, char **argv)
{
	struct db_conn *c = NULL;
	json_t *payload = NULL;
	int64_t id = 0;
	int delay = 0, status = 1;

	if (argc < 5 ||
	    (argc > 6 && to_int(argv[6], 0, JOB_DELAY_MAX_S, &delay) != 0))
		return usage();
	if ((payload = parse_object(argv[4])) == NULL)
		return 1;
	if (db_init(argv[2], 1, 5000, 10000, NULL) != 0)
		goto out;
	if ((c = db_acquire()) == NULL)
		goto out_db;
	if (job_enqueue_pg(db_pg(c), argv[3], payload, opt(argc, argv, 5),
		delay, opt(argc, argv, 7), &id) == DB_OK) {
		printf("%lld\n", (long long)id);
		status = 0;
	}
	db_release(c);
out_db:
	db_shutdown();
out:
	json_decref(payload);
	return status;
}

static int
cmd_enqueue_many(int argc, char **argv)
{
	struct db_conn *c = NULL;
	json_t *payload = NULL;
	int count, status = 1, i;

	if (argc < 5 || to_int(argv[4], 0, 1000000, &count) != 0)
		return usage();
	if ((payload = parse_object(argc > 5 ? argv[5] : "{}")) == NULL)
		return 1;
	if (db_init(argv[2], 1, 5000, 10000, NULL) != 0)
		goto out;
	if ((c = db_acquire()) == NULL)
		goto out_db;
	for (i = 0; i < count; i++) {
		if (i % 100 == 0 && db_simple(c, "BEGIN") != DB_OK)
			break;
		if (job_enqueue(c, argv[3], payload, NULL, 0, NULL) != DB_OK)
			break;
		if ((i % 100 == 99 || i == count - 1) &&
		    db_simple(c, "COMMIT") != DB_OK)
			break;
	}
	if (i == count) {
		printf("%d\n", count);
		status = 0;
	}
	db_release(c);
out_db:
	db_shutdown();
out:
	json_decref(payload);
	return status;
}

static int
cmd_work(int argc, char **argv)
{
	struct job_runner *r;
	struct timespec ts = { 0, 0 };
	sigset_t set;
	int nthreads, seconds, sig;

	if (argc != 5 || to_int(argv[3], 0, JOB_THREADS_MAX, &nthreads) != 0 ||
	    to_int(argv[4], 1, 86400, &seconds) != 0)
		return usage();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (db_init(argv[2], nthreads + 1, 5000, 10000, NULL) != 0)
		return 1;
	r = job_runner_start(argv[2], nthreads, handlers, NULL);
	if (r == NULL) {
		db_shutdown();
		return 1;
	}
	ts.tv_sec = seconds;
	do
		sig = sigtimedwait(&set, NULL, &ts);
	while (sig < 0 && errno == EINTR);
	log_kv(LOG_INFO, "jobctl stopping", "why",
	    sig < 0 ? "time is up" : "signal", NULL);
	job_runner_stop(r, 10);
	db_shutdown();
	return 0;
}

static int
cmd_metrics(const char *dsn)
{
	struct db_conn *c;
	struct buf b;
	int status = 1;

	buf_init(&b, 65536);
	if (db_init(dsn, 1, 5000, 10000, NULL) != 0)
		goto out;
	if ((c = db_acquire()) != NULL) {
		if (job_metrics_render(&b, c) == 0) {
			fputs(buf_cstr(&b), stdout);
			status = 0;
		}
		db_release(c);
	}
	db_shutdown();
out:
	buf_cleanup(&b);
	return status;
}

int
main(int argc, char **argv)
{
	const char *lvl = getenv("LOG_LEVEL");
	int level = lvl ? log_level_parse(lvl) : LOG_INFO;

	log_init(level < 0 ? LOG_INFO : (enum log_level)level);
	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "migrate") == 0 && argc == 3)
		return cmd_migrate(argv[2]);
	if (strcmp(argv[1], "enqueue") == 0)
		return cmd_enqueue(argc, argv);
	if (strcmp(argv[1], "enqueue-many") == 0)
		return cmd_enqueue_many(argc, argv);
	if (strcmp(argv[1], "work") == 0)
		return cmd_work(argc, argv);
	if (strcmp(argv[1], "metrics") == 0 && argc == 3)
		return cmd_metrics(argv[2]);
	return usage();
}
