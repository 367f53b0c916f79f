#ifndef RAMAL_JOB_H
#define RAMAL_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "buf.h"
#include "config.h"
#include "db.h"

/*
 * A durable job queue in PostgreSQL (table `jobs`, sql/002_jobs.sql).
 *
 * Producers call job_enqueue() inside their own transaction; the insert
 * and a NOTIFY on channel "ramal_jobs" commit together.  Worker threads
 * (job_runner_start) each own one connection outside the pool, LISTEN on
 * the channel and claim jobs with SELECT ... FOR NO KEY UPDATE SKIP LOCKED.
 *
 * An attempt goes in two transactions on the worker's connection:
 *
 *  1. claim (committed at once): state 'running', attempts + 1, and run_at
 *     moved to now + lease, the lease being the kind's timeout plus a
 *     grace (or the retry backoff, when longer);
 *  2. run: the row is locked again (fenced by the attempt number)
 *     and stays locked while the handler runs; the outcome (done, queued
 *     again with a backoff, dead) is written and committed in that same
 *     transaction.
 *
 * No two workers, threads or processes, run a job at the same time: a
 * running job is locked, and SKIP LOCKED passes over it.  A worker that
 * dies mid-job (crash, SIGKILL, lost connection) loses its transaction;
 * the committed attempt count stays, and the row is claimed again once
 * its lease has passed.  A job that keeps killing its worker is thus
 * still bounded by max_attempts.  Because a handler's outside effects can
 * happen before a crash, handlers must be idempotent: the queue promises
 * one recorded completion and no overlapping runs, not that a crashed
 * attempt did nothing.
 *
 * Outcomes: JOB_DONE; JOB_RETRY (transient: queued again after an
 * exponential backoff of 2 s doubling up to 10 min, +-20% jitter; dead
 * once attempts reach max_attempts); JOB_FAIL (permanent: dead at once).
 * A kind with no handler in this process is postponed with the same
 * backoff (a newer instance of a rolling deploy may know it) and dead
 * once its attempts run out.  A dead job is logged at error
 * level with its kind, id and last error.
 *
 * Idle workers wait on their connection's socket for a notification, at
 * most until the next delayed job is due and at most the poll interval
 * (5 s; environment variable RAMAL_JOB_POLL_MS, 10..600000, overrides it
 * for tests), so a lost notification only delays a job.
 */

enum job_result {
	JOB_DONE, /* finished: state done */
	JOB_RETRY, /* transient failure (say why in err): try again later */
	JOB_FAIL, /* permanent failure (say why in err): state dead */
};

#define JOB_CHANNEL "ramal_jobs"
#define JOB_KIND_MAX 64 /* ^[a-z][a-z0-9_.-]{0,63}$ */
#define JOB_DEDUPE_MAX 200 /* bytes */
#define JOB_PAYLOAD_MAX 65536 /* bytes of compact JSON at enqueue */
#define JOB_ERR_MAX 1024 /* bytes of err given to a handler */
#define JOB_DELAY_MAX_S 2592000 /* 30 days */
#define JOB_TIMEOUT_DEFAULT_S 60
#define JOB_TIMEOUT_MAX_S 86400
#define JOB_THREADS_MAX 64

/*
 * One attempt of a job, as a handler sees it.  Everything is borrowed and
 * valid only during the handler call.
 */
struct job {
	int64_t id;
	const char *kind;
	const json_t *payload; /* a JSON object */
	const char *dedupe_key; /* NULL when none */
	const char *account_sid; /* NULL when not scoped to an account */
	int attempt; /* 1 on the first run */
	int max_attempts;
	uint64_t deadline_ms; /* util_now_ms() by which run() must return */
	/*
	 * The worker's connection, inside the attempt's transaction, behind a
	 * savepoint: what the handler writes here (including job_enqueue_pg)
	 * commits only when it returns JOB_DONE and is rolled back otherwise.
	 * The handler must not end the transaction (COMMIT, ROLLBACK) nor
	 * touch this job's row through another connection (it is locked).
	 * statement_timeout on it is 10 s (SET LOCAL to change).
	 */
	PGconn *pg;
	/* The process's configuration (job_runner_start's cfg). */
	const struct config *cfg;
};

/*
 * A handler table entry; a table ends with a NULL kind.  run() returns a
 * job_result and, for JOB_RETRY / JOB_FAIL, writes a reason (one line,
 * no secrets: it is stored and logged) into err[errlen].  run() is called
 * from worker threads, one job per thread at a time: it must be
 * thread-safe.  timeout_s (0: JOB_TIMEOUT_DEFAULT_S) bounds an attempt;
 * the handler gets the deadline in j->deadline_ms and must pass what is
 * left (job_time_left_ms) to whatever it waits on.  A handler is not
 * killed at its deadline (threads cannot be): an overrun is logged, the
 * row stays locked meanwhile, and stopping the runner waits for it.
 */
struct job_handler {
	const char *kind;
	int (*run)(const struct job *j, char *err, size_t errlen);
	int timeout_s;
};

struct job_runner;

/*
 * Queue a job in the caller's connection and transaction (or on its own
 * when the connection is not in one); the wake-up NOTIFY commits with it.
 * kind must match ^[a-z][a-z0-9_.-]{0,63}$; payload is a JSON object
 * (NULL: {}) of at most JOB_PAYLOAD_MAX bytes; dedupe_key (NULL: none, at
 * most JOB_DEDUPE_MAX bytes): while a job with the same key is queued or
 * running, enqueuing again does nothing; delay_s (0..JOB_DELAY_MAX_S):
 * not run before that many seconds from now; account_sid (NULL: none) is
 * "AC" + 32 hex digits.  DB_OK when queued or deduplicated; DB_INVALID
 * for bad arguments (checked before anything reaches the database, so the
 * caller's transaction is unharmed); otherwise the database's db_result
 * (logged).  Thread-safe as far as the connection is the caller's own.
 */
enum db_result job_enqueue(struct db_conn *c, const char *kind,
    const json_t *payload, const char *dedupe_key, int delay_s,
    const char *account_sid);

/*
 * Make the queued jobs of kind whose payload's key is value due now (and
 * wake the workers), in the caller's connection and transaction.
 * DB_OK when at least one was, DB_NOTFOUND when none is queued.
 */
enum db_result job_run_now(struct db_conn *c, const char *kind, const char *key,
    const char *value);

/*
 * job_enqueue() on a plain libpq connection: a handler's j->pg (so that a
 * follow-up job is queued only if this attempt succeeds) or db_pg(c).
 * When id is not NULL, *id is the new job's id, or 0 when a job with the
 * same dedupe_key was already pending.
 */
enum db_result job_enqueue_pg(PGconn *pg, const char *kind,
    const json_t *payload, const char *dedupe_key, int delay_s,
    const char *account_sid, int64_t *id);

/*
 * Start nthreads (0..JOB_THREADS_MAX) worker threads, each with its own
 * connection to conninfo (not the pool), running the handlers (a table
 * ending with a NULL kind; borrowed, must outlive the runner), each
 * given cfg (borrowed likewise; NULL for none) as j->cfg.  Returns
 * at once: threads connect by themselves and, while the database is
 * unreachable, retry with a backoff (250 ms doubling to 5 s) and never
 * exit.  Worker threads block every asynchronous signal.  nthreads 0
 * gives a runner that runs nothing (job_runner_stop it all the same).
 * NULL when the table is invalid (no run function, duplicate or bad kind,
 * timeout out of range) or threads cannot be made (logged).  Call from
 * one thread; the runner is owned by the caller until job_runner_stop.
 */
struct job_runner *job_runner_start(const char *conninfo, int nthreads,
    const struct job_handler *handlers, const struct config *cfg);

/*
 * Stop claiming, let running handlers finish, close the connections and
 * join the threads, waiting at most timeout_s seconds; idle threads leave
 * at once.  A thread still inside a handler after that is logged and left
 * behind (its transaction ends with the process, and its job is retried
 * elsewhere after the lease); the runner is then not freed.  NULL is
 * fine.  Not thread-safe with itself.
 */
void job_runner_stop(struct job_runner *r, int timeout_s);

/*
 * Append Prometheus gauges for the queue, from one query on c:
 * ramal_jobs{state="queued|running|done|dead"} and
 * ramal_jobs_oldest_ready_seconds (how long the oldest due job has been
 * waiting for a worker; 0 when none).  0, or -1 (query failed, logged;
 * or out's cap) with out unchanged.
 */
int job_metrics_render(struct buf *out, struct db_conn *c);

/* Milliseconds left before j's deadline (0 once passed). */
long job_time_left_ms(const struct job *j);

/*
 * The retry delay after attempt number `attempt` (1 = first) failed:
 * 2 s * 2^(attempt-1), times a factor in [0.8, 1.2] taken from rnd, never
 * more than 10 min.  Pure; exposed for tests.
 */
long job_backoff_ms(int attempt, uint32_t rnd);

#endif
