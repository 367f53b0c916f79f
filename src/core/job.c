/*
 * The job queue and its worker threads.  See include/core/job.h for the
 * protocol and sql/002_jobs.sql for the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "log.h"
#include "util.h"

#define BACKOFF_BASE_MS 2000L
#define BACKOFF_CAP_MS 600000L
/* Added to a kind's timeout for the lease: claim-to-start and the writes. */
#define LEASE_GRACE_MS 2000L
#define POLL_MS_DEFAULT 5000
#define POLL_MS_MIN 10
#define POLL_MS_MAX 600000
/* Client-side bound on the worker's own statements (the server's is 10 s). */
#define QUERY_TIMEOUT_MS 15000
#define CONNECT_TIMEOUT_MS 10000
#define RECONNECT_MIN_MS 250L
#define RECONNECT_MAX_MS 5000L
#define PAYLOAD_READ_MAX (1024 * 1024)

static const char kind_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_.-";

/* ------------------------------------------------------------------ */
/* Small pure helpers */

static int
kind_valid(const char *k)
{
	size_t n;

	if (k == NULL || k[0] < 'a' || k[0] > 'z')
		return 0;
	n = strspn(k, kind_chars);
	return k[n] == '\0' && n <= JOB_KIND_MAX;
}

static int
account_valid(const char *s)
{
	return strnlen(s, 35) == 34 && strncmp(s, "AC", 2) == 0 &&
	    strspn(s + 2, "0123456789abcdefABCDEF") == 32;
}

/* 1 when compact JSON text holds a \u0000 escape, which jsonb refuses. */
static int
json_has_nul_escape(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s != '\\')
			continue;
		if (s[1] == 'u' && strncmp(s + 2, "0000", 4) == 0)
			return 1;
		if (s[1] != '\0')
			s++; /* skip the escaped character */
	}
	return 0;
}

static uint32_t
random32(void)
{
	uint32_t v;

	if (util_random(&v, sizeof(v)) != 0)
		v = (uint32_t)util_now_us();
	return v;
}

long
job_backoff_ms(int attempt, uint32_t rnd)
{
	long ms = BACKOFF_BASE_MS;

	for (int i = 1; i < attempt && ms < BACKOFF_CAP_MS; i++)
		ms *= 2;
	if (ms > BACKOFF_CAP_MS)
		ms = BACKOFF_CAP_MS;
	ms = ms * (800 + (long)(rnd % 401)) / 1000;
	return ms > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : ms;
}

long
job_time_left_ms(const struct job *j)
{
	uint64_t now = util_now_ms();

	if (now >= j->deadline_ms)
		return 0;
	if (j->deadline_ms - now > (uint64_t)LONG_MAX)
		return LONG_MAX;
	return (long)(j->deadline_ms - now);
}

/* Replace the bytes of an invalid UTF-8 message so it can be stored. */
static void
error_clean(char *s)
{
	size_t n = strlen(s);

	if (util_utf8_valid(s, n))
		return;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			s[i] = '?';
}

/* The first line of a libpq message, for a log value. */
static void
first_line(char *out, size_t outlen, const char *msg)
{
	snprintf(out, outlen, "%s", msg ? msg : "");
	out[strcspn(out, "\n")] = '\0';
}

/* ------------------------------------------------------------------ */
/* Enqueue */

static const char enqueue_sql[] =
    "WITH ins AS ("
    " INSERT INTO jobs (kind, payload, dedupe_key, account_sid, run_at)"
    " VALUES ($1, $2::jsonb, $3, $4,"
    "  clock_timestamp() + $5::integer * interval '1 second')"
    " ON CONFLICT (dedupe_key)"
    "  WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running')"
    " DO NOTHING RETURNING id)"
    " SELECT id, pg_notify('" JOB_CHANNEL "', '') FROM ins";

static const char *
enqueue_check(const char *kind, const json_t *payload, const char *dedupe_key,
    int delay_s, const char *account_sid)
{
	if (!kind_valid(kind))
		return "kind must match ^[a-z][a-z0-9_.-]{0,63}$";
	if (payload != NULL && !json_is_object(payload))
		return "payload is not a JSON object";
	if (dedupe_key != NULL &&
	    (dedupe_key[0] == '\0' ||
		strnlen(dedupe_key, JOB_DEDUPE_MAX + 1) > JOB_DEDUPE_MAX ||
		!util_utf8_valid(dedupe_key, strlen(dedupe_key))))
		return "dedupe_key must be 1..200 bytes of UTF-8";
	if (delay_s < 0 || delay_s > JOB_DELAY_MAX_S)
		return "delay out of range";
	if (account_sid != NULL && !account_valid(account_sid))
		return "account_sid is not AC + 32 hex digits";
	return NULL;
}

enum db_result
job_enqueue_pg(PGconn *pg, const char *kind, const json_t *payload,
    const char *dedupe_key, int delay_s, const char *account_sid, int64_t *id)
{
	const char *params[5], *why;
	char delay[16];
	char *text = NULL;
	PGresult *r = NULL;
	enum db_result res = DB_INVALID;
	size_t need;

	if (id != NULL)
		*id = 0;
	why = enqueue_check(kind, payload, dedupe_key, delay_s, account_sid);
	if (why != NULL) {
		log_kv(LOG_ERROR, "job not queued", "why", why, "kind",
		    kind_valid(kind) ? kind : NULL, NULL);
		goto out;
	}
	if (payload == NULL) {
		text = xstrdup("{}");
	} else {
		need = json_dumpb(payload, NULL, 0, JSON_COMPACT);
		if (need == 0 || need > JOB_PAYLOAD_MAX) {
			log_kv(LOG_ERROR, "job not queued", "why",
			    "payload too large or not serialisable", "kind",
			    kind, NULL);
			goto out;
		}
		text = xmalloc(need + 1);
		if (json_dumpb(payload, text, need, JSON_COMPACT) != need)
			goto out;
		text[need] = '\0';
		if (json_has_nul_escape(text)) {
			log_kv(LOG_ERROR, "job not queued", "why",
			    "payload holds a \\u0000 escape", "kind", kind,
			    NULL);
			goto out;
		}
	}
	snprintf(delay, sizeof(delay), "%d", delay_s);
	params[0] = kind;
	params[1] = text;
	params[2] = dedupe_key;
	params[3] = account_sid;
	params[4] = delay;
	r = PQexecParams(pg, enqueue_sql, 5, NULL, params, NULL, NULL, 0);
	res = db_classify(r);
	if (res == DB_OK) {
		if (id != NULL)
			*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	} else if (res == DB_NOTFOUND) {
		log_kv(LOG_DEBUG, "job already pending", "kind", kind,
		    "dedupe_key", dedupe_key, NULL);
		res = DB_OK;
	} else {
		log_kv(LOG_ERROR, "cannot queue job", "kind", kind, "sqlstate",
		    r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
		    "detail",
		    r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL,
		    NULL);
	}
out:
	PQclear(r);
	free(text);
	return res;
}

static const char run_now_sql[] =
    "WITH due AS (UPDATE jobs SET run_at = clock_timestamp(),"
    " updated_at = now() WHERE kind = $1 AND state = 'queued'"
    " AND payload->>$2 = $3 RETURNING id)"
    " SELECT id, pg_notify('" JOB_CHANNEL "', '') FROM due";

enum db_result
job_run_now(struct db_conn *c, const char *kind, const char *key,
    const char *value)
{
	const char *params[3] = { kind, key, value };
	PGresult *r;
	enum db_result res;

	r = PQexecParams(db_pg(c), run_now_sql, 3, NULL, params, NULL, NULL, 0);
	res = db_classify(r);
	PQclear(r);
	return res;
}

enum db_result
job_enqueue(struct db_conn *c, const char *kind, const json_t *payload,
    const char *dedupe_key, int delay_s, const char *account_sid)
{
	return job_enqueue_pg(db_pg(c), kind, payload, dedupe_key, delay_s,
	    account_sid, NULL);
}

/* ------------------------------------------------------------------ */
/* Metrics */

static const char metrics_sql[] =
    "SELECT count(*) FILTER (WHERE state = 'queued'),"
    " count(*) FILTER (WHERE state = 'running'),"
    " count(*) FILTER (WHERE state = 'done'),"
    " count(*) FILTER (WHERE state = 'dead'),"
    " coalesce(extract(epoch FROM now() - min(run_at)"
    "  FILTER (WHERE state = 'queued' AND run_at <= now())), 0)::float8"
    " FROM jobs";

int
job_metrics_render(struct buf *out, struct db_conn *c)
{
	static const char *const states[] = { "queued", "running", "done",
		"dead" };
	struct buf b;
	PGresult *r;
	int rc = -1;

	buf_init(&b, 2048);
	r = PQexec(db_pg(c), metrics_sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		log_kv(LOG_ERROR, "cannot count jobs", "detail",
		    r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL,
		    NULL);
		goto out;
	}
	rc = buf_addstr(&b,
	    "# HELP ramal_jobs Jobs in the queue by state.\n"
	    "# TYPE ramal_jobs gauge\n");
	for (int i = 0; i < 4; i++)
		rc |= buf_printf(&b, "ramal_jobs{state=\"%s\"} %s\n", states[i],
		    PQgetvalue(r, 0, i));
	rc |= buf_printf(&b,
	    "# HELP ramal_jobs_oldest_ready_seconds How long the oldest due "
	    "job has waited for a worker.\n"
	    "# TYPE ramal_jobs_oldest_ready_seconds gauge\n"
	    "ramal_jobs_oldest_ready_seconds %s\n",
	    PQgetvalue(r, 0, 4));
	if (rc == 0)
		rc = buf_add(out, b.ptr, b.len);
out:
	PQclear(r);
	buf_cleanup(&b);
	return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Runner */

struct worker {
	struct job_runner *r;
	int index;
	int created; /* pthread_create succeeded */
	int exited; /* left worker_main (under r->lock) */
	pthread_t tid;
	PGconn *pg;
	int failures; /* consecutive connect / claim failures */
	char name[128]; /* host:pid:tN, stored as jobs.claimed_by */
};

struct job_runner {
	char *conninfo;
	const struct job_handler *handlers;
	const struct config *cfg; /* handed to every handler */
	int nthreads;
	int poll_ms;
	int stop_pipe[2]; /* written once by stop; never read */
	atomic_int stopping;
	atomic_int down; /* an outage was logged; cleared on reconnect */
	pthread_mutex_t lock;
	pthread_cond_t exit_cond;
	int exited;
	struct worker *workers;
};

/* A claimed attempt, between the two transactions. */
struct claim {
	int64_t id;
	char id_s[24];
	char attempt_s[16];
	char kind[JOB_KIND_MAX + 1];
	int attempt;
	int max_attempts;
	uint64_t claimed_ms; /* util_now_ms() just before the lease was set */
	const struct job_handler *h;
	char *payload;
	char *dedupe_key;
	char *account_sid;
};

static void
claim_cleanup(struct claim *c)
{
	free(c->payload);
	free(c->dedupe_key);
	free(c->account_sid);
	memset(c, 0, sizeof(*c));
}

static const struct job_handler *
handler_find(const struct job_runner *r, const char *kind)
{
	for (const struct job_handler *h = r->handlers; h->kind; h++)
		if (strcmp(h->kind, kind) == 0)
			return h;
	return NULL;
}

static long
handler_timeout_ms(const struct job_handler *h)
{
	return 1000L *
	    (h->timeout_s > 0 ? h->timeout_s : JOB_TIMEOUT_DEFAULT_S);
}

enum wait_result { WAIT_READY, WAIT_TIMEOUT, WAIT_STOP, WAIT_ERR };

/*
 * Wait until fd (when >= 0) has events, the deadline (util_now_ms) passes
 * or, when stoppable, the runner stops.
 */
static enum wait_result
wait_until(struct job_runner *r, int fd, short events, uint64_t deadline,
    int stoppable)
{
	struct pollfd p[2];
	int n, nfds = 0, fi = -1, si = -1;
	uint64_t now, left;

	if (fd >= 0) {
		p[nfds].fd = fd;
		p[nfds].events = events;
		fi = nfds++;
	}
	if (stoppable) {
		p[nfds].fd = r->stop_pipe[0];
		p[nfds].events = POLLIN;
		si = nfds++;
	}
	for (;;) {
		if (stoppable && atomic_load(&r->stopping))
			return WAIT_STOP;
		now = util_now_ms();
		if (now >= deadline)
			return WAIT_TIMEOUT;
		left = deadline - now;
		n = poll(p, (nfds_t)nfds, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("job worker: poll");
			return WAIT_ERR;
		}
		if (si >= 0 && p[si].revents != 0)
			return WAIT_STOP;
		if (fi >= 0 && p[fi].revents != 0)
			return WAIT_READY;
	}
}

/* Sleep ms, or less when the runner stops. */
static enum wait_result
nap(struct job_runner *r, long ms)
{
	return wait_until(r, -1, 0, util_now_ms() + (uint64_t)ms, 1);
}

static long
reconnect_delay_ms(int failures)
{
	long ms = RECONNECT_MIN_MS;

	for (int i = 1; i < failures && ms < RECONNECT_MAX_MS; i++)
		ms *= 2;
	if (ms > RECONNECT_MAX_MS)
		ms = RECONNECT_MAX_MS;
	return ms * (800 + (long)(random32() % 401)) / 1000;
}

static void
w_drop(struct worker *w)
{
	PQfinish(w->pg);
	w->pg = NULL;
}

static int
result_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/*
 * Run sql on w's connection: with params when nparams > 0, otherwise as a
 * simple query that may hold several statements.  Waits at most
 * QUERY_TIMEOUT_MS and, when stoppable, no longer than the runner runs.
 * Returns the result of the last statement or of the first that failed
 * (PQclear it), or NULL when the connection broke or was given up; it is
 * then closed (w->pg NULL).
 */
static PGresult *
w_exec(struct worker *w, const char *sql, int nparams,
    const char *const *params, int stoppable)
{
	uint64_t deadline = util_now_ms() + QUERY_TIMEOUT_MS;
	PGresult *res = NULL, *r;
	enum wait_result wr;
	int sent;

	if (nparams > 0)
		sent = PQsendQueryParams(w->pg, sql, nparams, NULL, params,
		    NULL, NULL, 0);
	else
		sent = PQsendQuery(w->pg, sql);
	if (!sent)
		goto lost;
	for (;;) {
		while (PQisBusy(w->pg)) {
			wr = wait_until(w->r, PQsocket(w->pg), POLLIN, deadline,
			    stoppable);
			if (wr == WAIT_TIMEOUT)
				log_warnx("job worker %d: the database did not "
					  "answer within %d ms; reconnecting",
				    w->index, QUERY_TIMEOUT_MS);
			if (wr != WAIT_READY || !PQconsumeInput(w->pg))
				goto lost;
		}
		r = PQgetResult(w->pg);
		if (r == NULL)
			break;
		if (res == NULL) {
			res = r;
		} else if (!result_ok(res)) {
			PQclear(r); /* keep the first failure */
		} else {
			PQclear(res);
			res = r;
		}
	}
	if (PQstatus(w->pg) != CONNECTION_OK)
		goto lost;
	return res;
lost:
	PQclear(res);
	w_drop(w);
	return NULL;
}

/* A statement whose result is only checked: 0, -1 (failed, logged), -2. */
static int
w_ok(struct worker *w, const char *what, const char *sql, int nparams,
    const char *const *params, int stoppable)
{
	PGresult *r = w_exec(w, sql, nparams, params, stoppable);
	int ok;

	if (r == NULL)
		return -2;
	ok = result_ok(r);
	if (!ok)
		log_kv(LOG_ERROR, "job worker: statement failed", "step", what,
		    "sqlstate", PQresultErrorField(r, PG_DIAG_SQLSTATE),
		    "detail", PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
		    NULL);
	PQclear(r);
	return ok ? 0 : -1;
}

/* Abandon the open transaction (the connection may be gone already). */
static void
w_rollback(struct worker *w)
{
	if (w->pg != NULL && PQtransactionStatus(w->pg) != PQTRANS_IDLE)
		w_ok(w, "rollback", "ROLLBACK", 0, NULL, 0);
}

static int
drain_notifies(PGconn *pg)
{
	PGnotify *n;
	int count = 0;

	while ((n = PQnotifies(pg)) != NULL) {
		count++;
		PQfreemem(n);
	}
	return count;
}

static void
notice_log(void *arg, const char *message)
{
	char line[256];

	(void)arg;
	first_line(line, sizeof(line), message);
	log_kv(LOG_DEBUG, "postgres notice", "detail", line, NULL);
}

static void
note_down(struct job_runner *r, const char *why)
{
	if (!atomic_exchange(&r->down, 1))
		log_kv(LOG_ERROR, "job workers cannot reach the database",
		    "why", why, NULL);
	else
		log_kv(LOG_DEBUG, "job worker: still no database", "why", why,
		    NULL);
}

/*
 * idle_in_transaction_session_timeout must stay off: a server that ends
 * an attempt's transaction while its handler still runs would let
 * another worker start the job too.
 */
static const char session_sql[] =
    "SET statement_timeout = 10000; SET lock_timeout = 5000;"
    " SET idle_in_transaction_session_timeout = 0;"
    " SET client_min_messages = warning; LISTEN " JOB_CHANNEL;

/* Open w's connection and LISTEN.  0, or -1 (to be retried later). */
static int
w_connect(struct worker *w)
{
	/* Before dbname, so settings in the caller's conninfo win. */
	const char *keys[] = { "application_name", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "dbname", NULL };
	const char *vals[] = { "ramal-worker", "30", "10", "3", w->r->conninfo,
		NULL };
	uint64_t deadline = util_now_ms() + CONNECT_TIMEOUT_MS;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	enum wait_result wr;
	char why[256] = "";
	char idx[16];

	w->pg = PQconnectStartParams(keys, vals, 1);
	if (w->pg == NULL) {
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	if (PQstatus(w->pg) == CONNECTION_BAD)
		st = PGRES_POLLING_FAILED;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			/* libpq names host and user, never the password. */
			first_line(why, sizeof(why), PQerrorMessage(w->pg));
			goto fail;
		}
		wr = wait_until(w->r, PQsocket(w->pg),
		    st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline,
		    1);
		if (wr == WAIT_STOP)
			goto stopped;
		if (wr != WAIT_READY) {
			snprintf(why, sizeof(why), "connecting timed out");
			goto fail;
		}
		st = PQconnectPoll(w->pg);
	}
	PQsetNoticeProcessor(w->pg, notice_log, NULL);
	if (w_ok(w, "session", session_sql, 0, NULL, 1) != 0) {
		snprintf(why, sizeof(why), "session set-up failed");
		goto fail;
	}
	if (atomic_exchange(&w->r->down, 0))
		log_info("job workers: database reachable again");
	snprintf(idx, sizeof(idx), "%d", w->index);
	log_kv(LOG_INFO, "job worker ready", "worker", idx, NULL);
	return 0;
fail:
	note_down(w->r, why);
stopped:
	if (w->pg != NULL)
		w_drop(w);
	return -1;
}

/*
 * A job went dead.  Called inside the transaction that marks it so,
 * before COMMIT, with w->pg.  The alert (dead-job:<id>) needs nothing
 * here: the trigger jobs_dead_alerts (sql/025_alerts.sql) writes it in
 * this same transaction, except for the alerts' own jobs, whose death is
 * only this line.
 */
static void
job_dead_alert(struct worker *w, const struct claim *c, const char *err)
{
	(void)w;
	log_kv(LOG_ERROR, "job dead", "kind", c->kind, "job", c->id_s,
	    "attempts", c->attempt_s, "error", err, NULL);
}

static const char bury_sql[] =
    "UPDATE jobs SET state = 'dead', last_error = $2, claimed_by = $3,"
    " finished_at = clock_timestamp(), updated_at = clock_timestamp()"
    " WHERE id = $1";

/*
 * The attempt cannot start (no handler, or no attempts left): mark the job
 * dead in the open transaction.  0, -1, -2 as w_ok.
 */
static int
bury(struct worker *w, const struct claim *c, const char *err)
{
	const char *p[3] = { c->id_s, err, w->name };

	return w_ok(w, "bury", bury_sql, 3, p, 0);
}

enum claim_result {
	CLAIM_NONE, /* nothing due */
	CLAIM_GOT, /* c holds an attempt to run */
	CLAIM_FINISHED, /* a job was settled without running (dead) */
	CLAIM_ERR, /* the database refused (logged) */
	CLAIM_LOST, /* the connection went away */
};

static const char pick_sql[] =
    "BEGIN; SELECT id, kind, attempts, max_attempts, state = 'running'"
    " FROM jobs WHERE state IN ('queued', 'running') AND run_at <= now()"
    " ORDER BY run_at, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED";

static const char postpone_sql[] =
    "UPDATE jobs SET state = 'queued', attempts = attempts + 1,"
    " run_at = clock_timestamp() + $2::bigint * interval '1 millisecond',"
    " last_error = $3, updated_at = clock_timestamp()"
    " WHERE id = $1";

static const char start_sql[] =
    "UPDATE jobs SET state = 'running', attempts = attempts + 1,"
    " run_at = clock_timestamp() + $2::bigint * interval '1 millisecond',"
    " claimed_by = $3, last_error = coalesce($4, last_error),"
    " updated_at = clock_timestamp()"
    " WHERE id = $1"
    " RETURNING attempts, payload::text, dedupe_key, account_sid";

static char *
dup_or_null(const PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : xstrdup(PQgetvalue(r, 0, col));
}

/*
 * Phase 1: pick the next due job and, in a committed transaction, count
 * the attempt and give it its lease.
 */
static enum claim_result
claim(struct worker *w, struct claim *c)
{
	PGresult *r;
	const char *p[4];
	char err[256] = "", lease[24];
	int attempts, orphan, rc;
	long lease_ms;

	r = w_exec(w, pick_sql, 0, NULL, 1);
	if (r == NULL)
		return CLAIM_LOST;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_kv(LOG_ERROR, "job worker: cannot look for jobs", "detail",
		    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), NULL);
		PQclear(r);
		w_rollback(w);
		return w->pg ? CLAIM_ERR : CLAIM_LOST;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		w_rollback(w);
		return w->pg ? CLAIM_NONE : CLAIM_LOST;
	}
	c->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(c->id_s, sizeof(c->id_s), "%lld", (long long)c->id);
	snprintf(c->kind, sizeof(c->kind), "%s", PQgetvalue(r, 0, 1));
	attempts = atoi(PQgetvalue(r, 0, 2));
	c->max_attempts = atoi(PQgetvalue(r, 0, 3));
	orphan = PQgetvalue(r, 0, 4)[0] == 't';
	PQclear(r);
	c->attempt = attempts;
	snprintf(c->attempt_s, sizeof(c->attempt_s), "%d", attempts);
	c->h = handler_find(w->r, c->kind);

	if (orphan)
		snprintf(err, sizeof(err),
		    "attempt %d was interrupted: its worker stopped (crash, "
		    "kill or lost connection)",
		    attempts);
	if (c->h == NULL && attempts + 1 < c->max_attempts) {
		/*
		 * During a rolling deploy an older instance meets kinds only
		 * the newer one knows: count the attempt and leave the job,
		 * backed off, for an instance that has the handler.
		 */
		snprintf(err, sizeof(err), "no handler for kind %s here",
		    c->kind);
		snprintf(lease, sizeof(lease), "%ld",
		    job_backoff_ms(attempts + 1, random32()));
		p[0] = c->id_s;
		p[1] = lease;
		p[2] = err;
		if ((rc = w_ok(w, "postpone", postpone_sql, 3, p, 0)) != 0 ||
		    (rc = w_ok(w, "commit", "COMMIT", 0, NULL, 0)) != 0)
			goto fail;
		log_kv(LOG_WARN, "job postponed: no handler in this instance",
		    "kind", c->kind, "job", c->id_s, NULL);
		return CLAIM_FINISHED;
	}
	if (c->h == NULL || attempts >= c->max_attempts) {
		if (c->h == NULL)
			snprintf(err, sizeof(err), "no handler for kind %s",
			    c->kind);
		else if (!orphan)
			snprintf(err, sizeof(err), "no attempts left");
		else
			snprintf(err + strlen(err), sizeof(err) - strlen(err),
			    "; no attempts left");
		if ((rc = bury(w, c, err)) != 0)
			goto fail;
		job_dead_alert(w, c, err);
		if ((rc = w_ok(w, "commit", "COMMIT", 0, NULL, 0)) != 0)
			goto fail;
		return CLAIM_FINISHED;
	}

	/* A job that kills its worker each time still backs off. */
	lease_ms = job_backoff_ms(attempts + 1, random32());
	if (lease_ms < handler_timeout_ms(c->h) + LEASE_GRACE_MS)
		lease_ms = handler_timeout_ms(c->h) + LEASE_GRACE_MS;
	snprintf(lease, sizeof(lease), "%ld", lease_ms);
	c->claimed_ms = util_now_ms();
	p[0] = c->id_s;
	p[1] = lease;
	p[2] = w->name;
	p[3] = err[0] ? err : NULL;
	r = w_exec(w, start_sql, 4, p, 0);
	if (r == NULL)
		return CLAIM_LOST;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		log_kv(LOG_ERROR, "job worker: cannot start job", "job",
		    c->id_s, "detail",
		    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), NULL);
		PQclear(r);
		rc = -1;
		goto fail;
	}
	c->attempt = atoi(PQgetvalue(r, 0, 0));
	snprintf(c->attempt_s, sizeof(c->attempt_s), "%d", c->attempt);
	c->payload = xstrdup(PQgetvalue(r, 0, 1));
	c->dedupe_key = dup_or_null(r, 2);
	c->account_sid = dup_or_null(r, 3);
	PQclear(r);
	if ((rc = w_ok(w, "commit", "COMMIT", 0, NULL, 0)) != 0)
		goto fail;
	if (orphan)
		log_kv(LOG_WARN, "job retried after its worker was lost",
		    "kind", c->kind, "job", c->id_s, "attempt", c->attempt_s,
		    NULL);
	return CLAIM_GOT;
fail:
	w_rollback(w);
	return rc == -2 || w->pg == NULL ? CLAIM_LOST : CLAIM_ERR;
}

/*
 * Waits (up to lock_timeout) rather than NOWAIT: another worker's claim
 * query that read the row before our claim committed locks it while it
 * rechecks the row, and holds that lock until its own transaction ends.
 * The attempt number fences off a worker that took the job over.
 */
static const char lock_sql[] =
    "SELECT 1 FROM jobs WHERE id = $1 AND attempts = $2"
    " AND state = 'running' FOR NO KEY UPDATE";

static const char done_sql[] =
    "UPDATE jobs SET state = 'done', finished_at = clock_timestamp(),"
    " updated_at = clock_timestamp()"
    " WHERE id = $1 AND attempts = $2 AND state = 'running'";

static const char retry_sql[] =
    "UPDATE jobs SET state = 'queued', last_error = $3,"
    " run_at = clock_timestamp() + $4::bigint * interval '1 millisecond',"
    " updated_at = clock_timestamp()"
    " WHERE id = $1 AND attempts = $2 AND state = 'running'";

static const char dead_sql[] =
    "UPDATE jobs SET state = 'dead', last_error = $3,"
    " finished_at = clock_timestamp(), updated_at = clock_timestamp()"
    " WHERE id = $1 AND attempts = $2 AND state = 'running'";

/* Call the handler; its result, with err filled for anything but DONE. */
static int
call_handler(struct worker *w, const struct claim *c, char *err, size_t errlen)
{
	struct job j;
	json_t *payload = NULL;
	json_error_t jerr;
	uint64_t start, took;
	char ctx[40], ms[24];
	int res;

	if (strlen(c->payload) > PAYLOAD_READ_MAX) {
		snprintf(err, errlen, "payload larger than %d bytes",
		    PAYLOAD_READ_MAX);
		return JOB_FAIL;
	}
	payload = json_loads(c->payload, 0, &jerr);
	if (payload == NULL || !json_is_object(payload)) {
		json_decref(payload);
		snprintf(err, errlen, "payload is not a JSON object");
		return JOB_FAIL;
	}
	memset(&j, 0, sizeof(j));
	j.id = c->id;
	j.kind = c->kind;
	j.payload = payload;
	j.dedupe_key = c->dedupe_key;
	j.account_sid = c->account_sid;
	j.attempt = c->attempt;
	j.max_attempts = c->max_attempts;
	j.pg = w->pg;
	j.cfg = w->r->cfg;
	/* From the claim, so the deadline falls inside the lease. */
	start = util_now_ms();
	j.deadline_ms = c->claimed_ms + (uint64_t)handler_timeout_ms(c->h);
	snprintf(ctx, sizeof(ctx), "job-%s", c->id_s);
	log_ctx_set(ctx, NULL);
	res = c->h->run(&j, err, errlen);
	log_ctx_clear();
	took = util_now_ms() - start;
	if (util_now_ms() > j.deadline_ms) {
		snprintf(ms, sizeof(ms), "%llu", (unsigned long long)took);
		log_kv(LOG_ERROR, "job handler overran its deadline", "kind",
		    c->kind, "job", c->id_s, "ms", ms, NULL);
	}
	json_decref(payload);
	if (res != JOB_DONE && res != JOB_RETRY && res != JOB_FAIL) {
		snprintf(err, errlen, "handler returned %d", res);
		res = JOB_RETRY;
	}
	return res;
}

/*
 * Phase 2: lock the claimed row again, run the handler behind a savepoint
 * and write its outcome in the same transaction.  Whatever goes wrong
 * here leaves the job to its lease.
 */
static void
run_claimed(struct worker *w, const struct claim *c)
{
	const char *p[4] = { c->id_s, c->attempt_s, NULL, NULL };
	char err[JOB_ERR_MAX], delay[24];
	PGresult *r;
	PGTransactionStatusType ts;
	long delay_ms = 0;
	int res, rc, dead = 0;

	if (w_ok(w, "begin", "BEGIN", 0, NULL, 0) != 0)
		goto fail;
	r = w_exec(w, lock_sql, 2, p, 0);
	if (r == NULL)
		return;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		/* Only if the lease ran out before we got here. */
		log_kv(LOG_WARN, "job taken over before it started; skipped",
		    "kind", c->kind, "job", c->id_s, "detail",
		    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), NULL);
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (w_ok(w, "savepoint", "SAVEPOINT job_handler", 0, NULL, 0) != 0)
		goto fail;

	memset(err, 0, sizeof(err));
	res = call_handler(w, c, err, sizeof(err));
	err[sizeof(err) - 1] = '\0';
	error_clean(err);
	if (res != JOB_DONE && err[0] == '\0')
		snprintf(err, sizeof(err), "handler gave no reason");

	ts = PQtransactionStatus(w->pg);
	if (ts == PQTRANS_INERROR && res == JOB_DONE) {
		res = JOB_RETRY;
		snprintf(err, sizeof(err),
		    "a statement of the handler failed and aborted the "
		    "attempt's transaction");
	}
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		rc = w_ok(w, "savepoint",
		    res == JOB_DONE ? "RELEASE SAVEPOINT job_handler"
				    : "ROLLBACK TO SAVEPOINT job_handler",
		    0, NULL, 0);
	} else if (PQstatus(w->pg) != CONNECTION_OK) {
		log_kv(LOG_WARN,
		    "database connection lost during a job; it runs again "
		    "after its lease",
		    "kind", c->kind, "job", c->id_s, NULL);
		rc = -1;
	} else {
		log_kv(LOG_ERROR,
		    "job handler ended its transaction or left a query "
		    "running; the job runs again after its lease",
		    "kind", c->kind, "job", c->id_s, NULL);
		rc = -1;
	}
	if (rc != 0)
		goto fail;

	if (res == JOB_RETRY && c->attempt < c->max_attempts) {
		delay_ms = job_backoff_ms(c->attempt, random32());
		snprintf(delay, sizeof(delay), "%ld", delay_ms);
		p[2] = err;
		p[3] = delay;
		r = w_exec(w, retry_sql, 4, p, 0);
	} else if (res == JOB_DONE) {
		r = w_exec(w, done_sql, 2, p, 0);
	} else {
		dead = 1;
		p[2] = err;
		r = w_exec(w, dead_sql, 3, p, 0);
	}
	if (r == NULL)
		goto fail;
	if (PQresultStatus(r) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdTuples(r), "1") != 0) {
		log_kv(LOG_ERROR, "job worker: cannot record job outcome",
		    "kind", c->kind, "job", c->id_s, "detail",
		    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), NULL);
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (dead)
		job_dead_alert(w, c, err);
	if (w_ok(w, "commit", "COMMIT", 0, NULL, 0) != 0) {
		log_kv(LOG_WARN,
		    "job outcome not recorded; the job runs again after its "
		    "lease",
		    "kind", c->kind, "job", c->id_s, NULL);
		goto fail;
	}
	if (res == JOB_DONE)
		log_kv(LOG_INFO, "job done", "kind", c->kind, "job", c->id_s,
		    "attempt", c->attempt_s, NULL);
	else if (!dead)
		log_kv(LOG_WARN, "job failed; retrying", "kind", c->kind, "job",
		    c->id_s, "attempt", c->attempt_s, "retry_ms", delay,
		    "error", err, NULL);
	return;
fail:
	w_rollback(w);
}

static const char due_sql[] =
    "SELECT ceil(extract(epoch FROM min(run_at) - clock_timestamp())"
    " * 1000)::bigint"
    " FROM jobs WHERE state IN ('queued', 'running') AND run_at > now()";

/*
 * Nothing is due: sleep until a notification, the next delayed job, the
 * poll interval or stop, whichever comes first.
 */
static void
idle(struct worker *w)
{
	struct job_runner *r = w->r;
	PGresult *res;
	long long wait = r->poll_ms, due;

	res = w_exec(w, due_sql, 0, NULL, 1);
	if (res == NULL)
		return;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0)) {
		due = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (due < 1)
			due = 1;
		if (due + 2 < wait)
			wait = due + 2;
	}
	PQclear(res);
	/* A notification read with the last results: look again now. */
	if (drain_notifies(w->pg) > 0)
		return;
	if (wait_until(r, PQsocket(w->pg), POLLIN,
		util_now_ms() + (uint64_t)wait, 1) != WAIT_READY)
		return;
	if (!PQconsumeInput(w->pg) || PQstatus(w->pg) != CONNECTION_OK) {
		w_drop(w);
		return;
	}
	drain_notifies(w->pg);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct job_runner *r = w->r;
	struct claim c;

	memset(&c, 0, sizeof(c));
	while (!atomic_load(&r->stopping)) {
		if (w->pg == NULL) {
			if (w->failures > 0 &&
			    nap(r, reconnect_delay_ms(w->failures)) ==
				WAIT_STOP)
				break;
			if (w_connect(w) != 0) {
				w->failures++;
				continue;
			}
		}
		switch (claim(w, &c)) {
		case CLAIM_GOT:
			w->failures = 0;
			run_claimed(w, &c);
			break;
		case CLAIM_FINISHED:
			w->failures = 0;
			break;
		case CLAIM_NONE:
			w->failures = 0;
			idle(w);
			break;
		case CLAIM_ERR:
			w->failures++;
			nap(r, reconnect_delay_ms(w->failures));
			break;
		case CLAIM_LOST:
			w->failures++;
			break;
		}
		claim_cleanup(&c);
	}
	if (w->pg != NULL)
		w_drop(w);
	pthread_mutex_lock(&r->lock);
	w->exited = 1;
	r->exited++;
	pthread_cond_broadcast(&r->exit_cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static int
handlers_check(const struct job_handler *h)
{
	if (h == NULL)
		return -1;
	for (int i = 0; h[i].kind != NULL; i++) {
		if (!kind_valid(h[i].kind) || h[i].run == NULL ||
		    h[i].timeout_s < 0 || h[i].timeout_s > JOB_TIMEOUT_MAX_S) {
			log_kv(LOG_ERROR, "bad job handler", "kind", h[i].kind,
			    NULL);
			return -1;
		}
		for (int k = 0; k < i; k++)
			if (strcmp(h[k].kind, h[i].kind) == 0) {
				log_kv(LOG_ERROR, "job handler listed twice",
				    "kind", h[i].kind, NULL);
				return -1;
			}
	}
	return 0;
}

static int
poll_ms_from_env(void)
{
	const char *s = getenv("RAMAL_JOB_POLL_MS");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return POLL_MS_DEFAULT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < POLL_MS_MIN || v > POLL_MS_MAX) {
		log_kv(LOG_WARN, "RAMAL_JOB_POLL_MS ignored (10..600000)",
		    "value", s, NULL);
		return POLL_MS_DEFAULT;
	}
	return (int)v;
}

static void
runner_free(struct job_runner *r)
{
	close(r->stop_pipe[0]);
	close(r->stop_pipe[1]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->exit_cond);
	util_free_secret(r->conninfo); /* may hold a password */
	free(r->workers);
	free(r);
}

/* Set stopping and wake every thread out of poll. */
static void
runner_signal_stop(struct job_runner *r)
{
	ssize_t n;

	atomic_store(&r->stopping, 1);
	do
		n = write(r->stop_pipe[1], "x", 1);
	while (n < 0 && errno == EINTR);
}

struct job_runner *
job_runner_start(const char *conninfo, int nthreads,
    const struct job_handler *handlers, const struct config *cfg)
{
	struct job_runner *r;
	pthread_condattr_t ca;
	sigset_t all, old;
	char host[64] = "localhost", n_s[16], poll_s[16];
	int err = 0;

	if (conninfo == NULL || nthreads < 0 || nthreads > JOB_THREADS_MAX ||
	    handlers_check(handlers) != 0) {
		log_errorx("job runner: bad arguments");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	if (pipe2(r->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_error("job runner: pipe");
		free(r);
		return NULL;
	}
	r->conninfo = xstrdup(conninfo);
	r->handlers = handlers;
	r->cfg = cfg;
	r->nthreads = nthreads;
	r->poll_ms = poll_ms_from_env();
	atomic_init(&r->stopping, 0);
	atomic_init(&r->down, 0);
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->exit_cond, &ca);
	pthread_condattr_destroy(&ca);
	r->workers =
	    xcalloc((size_t)(nthreads > 0 ? nthreads : 1), sizeof(*r->workers));
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';

	/* Workers inherit a mask that leaves signals to the main thread. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < nthreads; i++) {
		struct worker *w = &r->workers[i];

		w->r = r;
		w->index = i;
		snprintf(w->name, sizeof(w->name), "%s:%ld:t%d", host,
		    (long)getpid(), i);
		err = pthread_create(&w->tid, NULL, worker_main, w);
		if (err != 0)
			break;
		w->created = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		errno = err;
		log_error("job runner: pthread_create");
		runner_signal_stop(r);
		for (int i = 0; i < nthreads; i++)
			if (r->workers[i].created)
				pthread_join(r->workers[i].tid, NULL);
		runner_free(r);
		return NULL;
	}
	snprintf(n_s, sizeof(n_s), "%d", nthreads);
	snprintf(poll_s, sizeof(poll_s), "%d", r->poll_ms);
	log_kv(LOG_INFO, "job workers started", "threads", n_s, "poll_ms",
	    poll_s, NULL);
	return r;
}

void
job_runner_stop(struct job_runner *r, int timeout_s)
{
	struct timespec deadline;
	int left;
	char n_s[16];

	if (r == NULL)
		return;
	runner_signal_stop(r);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s > 0 ? timeout_s : 0;
	pthread_mutex_lock(&r->lock);
	while (r->exited < r->nthreads)
		if (pthread_cond_timedwait(&r->exit_cond, &r->lock,
			&deadline) == ETIMEDOUT)
			break;
	left = r->nthreads - r->exited;
	pthread_mutex_unlock(&r->lock);
	if (left > 0) {
		snprintf(n_s, sizeof(n_s), "%d", left);
		log_kv(LOG_ERROR,
		    "job workers still inside a handler at shutdown; "
		    "leaving them (their jobs run again after the lease)",
		    "threads", n_s, NULL);
		pthread_mutex_lock(&r->lock);
		for (int i = 0; i < r->nthreads; i++)
			if (r->workers[i].exited)
				pthread_join(r->workers[i].tid, NULL);
			else
				pthread_detach(r->workers[i].tid);
		pthread_mutex_unlock(&r->lock);
		return; /* the stragglers still use r */
	}
	for (int i = 0; i < r->nthreads; i++)
		pthread_join(r->workers[i].tid, NULL);
	log_info("job workers stopped");
	runner_free(r);
}
