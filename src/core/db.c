/*
 * PostgreSQL connection pool.  See include/core/db.h.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "util.h"

struct db_conn {
	PGconn *pg;
	int in_use;
	int slot;
};

struct db_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	char *conninfo;
	int size;
	int acquire_timeout_ms;
	int statement_timeout_ms;
	const struct db_stmt *stmts;
	struct db_conn *conns; /* size slots; pg NULL = not connected */
	int opening; /* connects in progress (slots reserved) */
	unsigned long waits_timed_out;
	unsigned long connects_failed;
	atomic_int down; /* 1 after a failed connect, until one succeeds */
};

/* The one pool: created by db_init, read-only pointer afterwards. */
static struct db_pool *pool;

/* /readyz gives up on a database that does not answer after this long. */
#define DB_PING_TIMEOUT_MS 2000
/* Client-side margin over statement_timeout: the server's own timeout
 * cannot fire when the server is frozen or the network silently drops. */
#define DB_DEADLINE_MARGIN_MS 1000

/*
 * Collect the result of a query already sent, waiting at most timeout_ms.
 * Returns the last result (PQclear it), or NULL on a connection failure or
 * when the deadline passed; then the connection is mid-query and must not
 * be reused (db_release drops any connection that is not idle).
 */
/*
 * Wait until the next result (or the NULL that ends one query's results)
 * can be read without blocking, then read it.  0, or -1 when the deadline
 * (util_now_ms) passed or the connection failed; *out is then NULL.
 */
static int
next_result(PGconn *pg, uint64_t deadline, PGresult **out)
{
	struct pollfd pfd;

	*out = NULL;
	pfd.fd = PQsocket(pg);
	pfd.events = POLLIN;
	while (PQisBusy(pg)) {
		uint64_t now = util_now_ms();
		int n;

		if (now >= deadline) {
			log_warnx("database did not answer in time");
			return -1;
		}
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && PQconsumeInput(pg) == 0)
			return -1;
	}
	*out = PQgetResult(pg);
	return 0;
}

static PGresult *
wait_result(PGconn *pg, int timeout_ms)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	PGresult *last = NULL, *r;

	for (;;) {
		if (next_result(pg, deadline, &r) != 0)
			goto fail;
		if (r == NULL)
			break;
		PQclear(last);
		last = r;
	}
	return last;
fail:
	PQclear(last);
	return NULL;
}

/* PQexec with a deadline. */
static PGresult *
exec_sql(PGconn *pg, const char *sql, int timeout_ms)
{
	if (PQsendQuery(pg, sql) == 0)
		return NULL;
	return wait_result(pg, timeout_ms);
}

static int
stmt_deadline_ms(void)
{
	return pool->statement_timeout_ms + DB_DEADLINE_MARGIN_MS;
}

static int
conn_prepare(PGconn *pg)
{
	char sql[96];
	PGresult *r;
	int ok;

	snprintf(sql, sizeof(sql),
	    "SET statement_timeout = %d; SET lock_timeout = %d",
	    pool->statement_timeout_ms, pool->statement_timeout_ms);
	r = exec_sql(pg, sql, stmt_deadline_ms());
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok)
		goto fail;
	for (const struct db_stmt *s = pool->stmts; s && s->name; s++) {
		r = NULL;
		if (PQsendPrepare(pg, s->name, s->sql, s->nparams, NULL))
			r = wait_result(pg, stmt_deadline_ms());
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			log_errorx("cannot prepare statement %s: %s", s->name,
			    PQresultErrorMessage(r));
		PQclear(r);
		if (!ok)
			goto fail;
	}
	return 0;
fail:
	return -1;
}

static void
note_up(void)
{
	if (atomic_exchange(&pool->down, 0))
		log_info("database reachable again");
}

static void
note_down(const char *why)
{
	if (!atomic_exchange(&pool->down, 1))
		log_kv(LOG_ERROR, "database unreachable", "why", why, NULL);
}

/* Open a connection, statements prepared.  NULL on failure. */
static PGconn *
conn_open(void)
{
	const char *keys[] = { "dbname", "connect_timeout", "application_name",
		NULL };
	const char *vals[] = { pool->conninfo, "2", "ramal", NULL };
	PGconn *pg;
	char why[256];

	pg = PQconnectdbParams(keys, vals, 1);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		/* libpq's message names host and user, never the password. */
		snprintf(why, sizeof(why), "%s",
		    pg ? PQerrorMessage(pg) : "out of memory");
		why[strcspn(why, "\n")] = '\0';
		note_down(why);
		goto fail;
	}
	if (conn_prepare(pg) != 0) {
		note_down("preparing statements failed");
		goto fail;
	}
	note_up();
	return pg;
fail:
	PQfinish(pg);
	return NULL;
}

int
db_init(const char *conninfo, int size, int acquire_timeout_ms,
    int statement_timeout_ms, const struct db_stmt *stmts)
{
	struct db_pool *p;

	if (size < 1)
		return -1;
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&p->freed, &ca);
		pthread_condattr_destroy(&ca);
	}
	p->conninfo = xstrdup(conninfo);
	p->size = size;
	p->acquire_timeout_ms = acquire_timeout_ms;
	p->statement_timeout_ms = statement_timeout_ms;
	p->stmts = stmts;
	p->conns = xcalloc((size_t)size, sizeof(*p->conns));
	for (int i = 0; i < size; i++)
		p->conns[i].slot = i;
	pool = p;
	return 0;
}

void
db_shutdown(void)
{
	if (pool == NULL)
		return;
	for (int i = 0; i < pool->size; i++)
		PQfinish(pool->conns[i].pg);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->freed);
	util_free_secret(pool->conninfo); /* may hold a password */
	free(pool->conns);
	free(pool);
	pool = NULL;
}

struct db_conn *
db_acquire(void)
{
	struct timespec deadline;
	struct db_conn *c = NULL, *slot = NULL;
	PGconn *pg;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += pool->acquire_timeout_ms / 1000;
	deadline.tv_nsec += (long)(pool->acquire_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		for (int i = 0; i < pool->size; i++) {
			struct db_conn *k = &pool->conns[i];

			if (k->in_use)
				continue;
			if (k->pg != NULL) {
				c = k;
				break;
			}
			if (slot == NULL)
				slot = k;
		}
		if (c != NULL) {
			c->in_use = 1;
			break;
		}
		if (slot != NULL) {
			/* Reserve the empty slot and connect outside the lock. */
			slot->in_use = 1;
			pool->opening++;
			pthread_mutex_unlock(&pool->lock);
			pg = conn_open();
			pthread_mutex_lock(&pool->lock);
			pool->opening--;
			if (pg == NULL) {
				slot->in_use = 0;
				pool->connects_failed++;
				pthread_cond_signal(&pool->freed);
				break; /* the database is down: fail fast */
			}
			slot->pg = pg;
			c = slot;
			break;
		}
		if (pthread_cond_timedwait(&pool->freed, &pool->lock,
			&deadline) == ETIMEDOUT) {
			pool->waits_timed_out++;
			break;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	if (c == NULL)
		return NULL;
	if (PQstatus(c->pg) != CONNECTION_OK) {
		PQreset(c->pg);
		if (PQstatus(c->pg) != CONNECTION_OK ||
		    conn_prepare(c->pg) != 0) {
			note_down("connection lost");
			db_release(c);
			return NULL;
		}
		note_up();
	}
	return c;
}

void
db_release(struct db_conn *c)
{
	if (c == NULL)
		return;
	/* A connection left inside a transaction must not be reused. */
	if (c->pg != NULL &&
	    (PQstatus(c->pg) != CONNECTION_OK ||
		PQtransactionStatus(c->pg) != PQTRANS_IDLE)) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	pthread_mutex_lock(&pool->lock);
	c->in_use = 0;
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

PGconn *
db_pg(struct db_conn *c)
{
	return c->pg;
}

int
db_in_transaction(struct db_conn *c)
{
	return PQtransactionStatus(c->pg) != PQTRANS_IDLE;
}

enum db_result
db_classify(const PGresult *r)
{
	const char *state;

	if (r == NULL)
		return DB_UNAVAILABLE;
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
		return DB_OK;
	case PGRES_TUPLES_OK:
		return PQntuples(r) > 0 ? DB_OK : DB_NOTFOUND;
	default:
		break;
	}
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (state == NULL)
		return DB_UNAVAILABLE; /* client-side: connection trouble */
	if (strcmp(state, "23505") == 0 || strcmp(state, "23P01") == 0)
		return DB_CONFLICT;
	if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
		return DB_INVALID;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return DB_UNAVAILABLE;
	return DB_ERR;
}

static int
conn_broken(PGconn *pg)
{
	return PQstatus(pg) != CONNECTION_OK;
}

static PGresult *
exec_prepared(PGconn *pg, const char *stmt, int nparams,
    const char *const *params)
{
	if (PQsendQueryPrepared(pg, stmt, nparams, params, NULL, NULL, 0) == 0)
		return NULL;
	return wait_result(pg, stmt_deadline_ms());
}

PGresult *
db_exec(struct db_conn *c, const char *stmt, int nparams,
    const char *const *params, enum db_result *res)
{
	PGresult *r;
	int was_idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;

	r = exec_prepared(c->pg, stmt, nparams, params);
	if (was_idle && conn_broken(c->pg)) {
		/* Server restarted under an idle connection: retry once. */
		PQclear(r);
		r = NULL;
		PQreset(c->pg);
		if (!conn_broken(c->pg) && conn_prepare(c->pg) == 0)
			r = exec_prepared(c->pg, stmt, nparams, params);
	}
	*res = db_classify(r);
	if (*res == DB_UNAVAILABLE)
		note_down("query failed: connection lost");
	else if (*res == DB_ERR || *res == DB_INVALID)
		log_kv(LOG_ERROR, "query failed", "stmt", stmt, "sqlstate",
		    PQresultErrorField(r, PG_DIAG_SQLSTATE), "detail",
		    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), NULL);
	if (r != NULL && *res != DB_OK && *res != DB_NOTFOUND &&
	    *res != DB_CONFLICT && *res != DB_INVALID) {
		PQclear(r);
		r = NULL;
	}
	return r;
}

/*
 * Send the batch as one pipeline: each statement's Bind/Execute, then one
 * Sync, so the server runs them all in one implicit transaction, committed
 * at the Sync (or rolled back there if one failed).  Fills each item's
 * result.  0 when every statement succeeded and the commit was
 * acknowledged; 1 when a statement failed (the server rolled everything
 * back; the connection is idle again); -1 when the connection failed or
 * timed out (nothing can be said of the commit).
 */
static int
pipeline_batch(PGconn *pg, size_t n, struct db_batch_item *items)
{
	uint64_t deadline = util_now_ms() + (uint64_t)stmt_deadline_ms();
	PGresult *r;
	int failed = 0;

	if (PQenterPipelineMode(pg) == 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (PQsendQueryPrepared(pg, items[i].stmt, items[i].nparams,
			items[i].params, NULL, NULL, 0) == 0)
			return -1;
	if (PQpipelineSync(pg) == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* One result per statement, then the NULL that ends it. */
		if (next_result(pg, deadline, &r) != 0 || r == NULL)
			return -1;
		items[i].result = r;
		if (PQresultStatus(r) != PGRES_COMMAND_OK &&
		    PQresultStatus(r) != PGRES_TUPLES_OK)
			failed = 1;
		if (next_result(pg, deadline, &r) != 0)
			return -1;
		if (r != NULL) {
			PQclear(r); /* a second result: not ours to send */
			return -1;
		}
	}
	if (next_result(pg, deadline, &r) != 0 || r == NULL)
		return -1;
	if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (PQexitPipelineMode(pg) == 0)
		return -1;
	return failed;
}

static void
batch_clear(size_t n, struct db_batch_item *items)
{
	for (size_t i = 0; i < n; i++) {
		PQclear(items[i].result);
		items[i].result = NULL;
		items[i].res = DB_UNAVAILABLE;
	}
}

void
db_exec_batch(struct db_conn *c, size_t n, struct db_batch_item *items)
{
	int was_idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	int rc;

	for (size_t i = 0; i < n; i++)
		items[i].result = NULL;
	rc = was_idle ? pipeline_batch(c->pg, n, items) : -1;
	if (rc < 0 && was_idle && conn_broken(c->pg)) {
		/* Server restarted under an idle connection: retry once. */
		batch_clear(n, items);
		PQreset(c->pg);
		if (!conn_broken(c->pg) && conn_prepare(c->pg) == 0)
			rc = pipeline_batch(c->pg, n, items);
	}
	if (rc == 0) {
		for (size_t i = 0; i < n; i++)
			items[i].res = db_classify(items[i].result);
		return;
	}
	batch_clear(n, items);
	if (rc < 0) {
		note_down("batch failed: connection lost");
		return;
	}
	/*
	 * A statement failed, so none was committed: run each on its own,
	 * and each gets the answer (and the log line) it would have had
	 * alone.
	 */
	log_kv(LOG_DEBUG, "batch rolled back; its statements run one by one",
	    NULL);
	for (size_t i = 0; i < n; i++)
		items[i].result = db_exec(c, items[i].stmt, items[i].nparams,
		    items[i].params, &items[i].res);
}

enum db_result
db_simple(struct db_conn *c, const char *sql)
{
	PGresult *r = exec_sql(c->pg, sql, stmt_deadline_ms());
	enum db_result res = db_classify(r);

	if (res != DB_OK && res != DB_NOTFOUND)
		log_kv(LOG_ERROR, "statement failed", "sql", sql, "detail",
		    r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL,
		    NULL);
	PQclear(r);
	return res == DB_NOTFOUND ? DB_OK : res;
}

int
db_ping(void)
{
	struct db_conn *c;
	PGresult *r;
	int ok = 0;

	c = db_acquire();
	if (c == NULL)
		return 0;
	r = exec_sql(c->pg, "SELECT 1", DB_PING_TIMEOUT_MS);
	if (r == NULL && conn_broken(c->pg)) {
		PQreset(c->pg);
		if (!conn_broken(c->pg) && conn_prepare(c->pg) == 0)
			r = exec_sql(c->pg, "SELECT 1", DB_PING_TIMEOUT_MS);
	}
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (ok)
		note_up();
	else
		note_down("ping failed");
	PQclear(r);
	db_release(c);
	return ok;
}

void
db_stats(struct db_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	out->size = pool->size;
	for (int i = 0; i < pool->size; i++) {
		if (pool->conns[i].pg == NULL)
			continue;
		if (pool->conns[i].in_use)
			out->in_use++;
		else
			out->idle++;
	}
	out->waits_timed_out = pool->waits_timed_out;
	out->connects_failed = pool->connects_failed;
	pthread_mutex_unlock(&pool->lock);
}
