/*
 * voicejob — run the recording.archive job handler of
 * src/calls/voice_recording.c through the real job runner, for
 * tests/py/calls/test_voice_recording.py.
 *
 *	voicejob <dsn> <seconds>
 *	    work until no recording.archive job is queued or running (or
 *	    <seconds> passed: exit 1), then stop the runner
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "job.h"
#include "log.h"
#include "util.h"
#include "voice.h"

static const struct job_handler handlers[] = {
	{ "recording.archive", voice_job_recording_archive, 0 },
	{ NULL, NULL, 0 },
};

/* Jobs of the kind still pending, or -1 when the query fails. */
static long
pending(PGconn *pg)
{
	PGresult *r;
	long n = -1;

	r = PQexec(pg,
	    "SELECT count(*) FROM jobs WHERE kind = 'recording.archive'"
	    " AND state IN ('queued', 'running')");
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

int
main(int argc, char **argv)
{
	struct job_runner *runner;
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	uint64_t deadline;
	PGconn *pg;
	long left = -1;
	int status = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: voicejob <dsn> <seconds>\n");
		return 2;
	}
	log_init(LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	pg = PQconnectdb(argv[1]);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "voicejob: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return 1;
	}
	runner = job_runner_start(argv[1], 1, handlers, NULL);
	if (runner == NULL) {
		PQfinish(pg);
		return 1;
	}
	deadline = util_now_ms() + (uint64_t)atoi(argv[2]) * 1000;
	while (util_now_ms() < deadline) {
		left = pending(pg);
		if (left == 0) {
			status = 0;
			break;
		}
		nanosleep(&tick, NULL);
	}
	job_runner_stop(runner, 10);
	PQfinish(pg);
	if (status != 0)
		fprintf(stderr, "voicejob: %ld job(s) still pending\n", left);
	return status;
}
