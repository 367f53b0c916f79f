#ifndef RAMAL_DB_H
#define RAMAL_DB_H

#include <libpq-fe.h>

/*
 * A bounded pool of PostgreSQL connections shared by the request threads.
 *
 * Connections are opened on demand up to the pool size, each with
 * statement_timeout set and every statement of the caller's table prepared
 * by name.  A connection found broken (server restarted, network cut) is
 * reset and its statements prepared again; the process never needs a
 * restart to recover from a database outage.  All functions are
 * thread-safe once db_init() returned.
 */
enum db_result {
	DB_OK,
	DB_NOTFOUND, /* the statement returned no row */
	DB_CONFLICT, /* unique or exclusion violation (SQLSTATE 23505/23P01) */
	DB_INVALID, /* other integrity / data errors (class 22, 23) */
	DB_UNAVAILABLE, /* no connection, or it broke */
	DB_ERR, /* anything else */
	/*
	 * Never from db_exec: a store helper's tenant-scoped write found the
	 * row (a SID of the request) to be another tenant's and changed
	 * nothing (store_scope.h).
	 */
	DB_FOREIGN,
};

/* A named statement: prepared on every connection of the pool. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

struct db_conn; /* a pooled connection; see db_pg() */

struct db_stats {
	int size;
	int in_use;
	int idle;
	unsigned long waits_timed_out;
	unsigned long connects_failed;
};

/*
 * Set up the pool (no connection is made yet).  stmts ends with a NULL name
 * and must outlive the pool.  0 / -1.
 */
int db_init(const char *conninfo, int size, int acquire_timeout_ms,
    int statement_timeout_ms, const struct db_stmt *stmts);

/* Close every connection and free the pool.  No db_* call may follow. */
void db_shutdown(void);

/*
 * A connection for this thread's exclusive use until db_release(), or NULL
 * when none became free within the acquire timeout or the database cannot
 * be reached (logged once per outage, not per call).
 */
struct db_conn *db_acquire(void);

/* Give a connection back (NULL is fine). */
void db_release(struct db_conn *c);

/* The libpq handle, for PQ* calls the helpers below do not cover. */
PGconn *db_pg(struct db_conn *c);

/*
 * Run a prepared statement by name with text parameters (NULL = SQL NULL).
 * Returns the result (PQclear it) or NULL; *res says which.  A statement
 * that fails because the connection broke is retried once on a reset
 * connection when the connection was not inside a transaction.
 * DB_NOTFOUND is set for a tuples result with no rows (the result is still
 * returned).
 */
PGresult *db_exec(struct db_conn *c, const char *stmt, int nparams,
    const char *const *params, enum db_result *res);

/* One statement of a batch: what to run, and (filled in) what it gave. */
struct db_batch_item {
	const char *stmt;
	int nparams;
	const char *const *params;
	PGresult *result; /* as db_exec returns it (PQclear it) */
	enum db_result res;
};

/*
 * Run n prepared statements as one transaction in one round trip (libpq's
 * pipeline mode, one Sync): every result is known once the commit is.
 * When one of them fails the server rolls the transaction back, and each
 * statement is then run again on its own, so every item ends with the
 * result db_exec would have given it alone.  A connection that breaks is
 * retried once, as db_exec does; otherwise every item gets DB_UNAVAILABLE.
 * Statements that lock rows should come in one agreed order (see
 * db_group.h), or two batches can deadlock.
 */
void db_exec_batch(struct db_conn *c, size_t n, struct db_batch_item *items);

/*
 * 1 when c is not idle: inside a transaction (a failed one too), or in a
 * state libpq cannot tell; 0 when idle.  A caller that stopped half way
 * uses it to decide whether a ROLLBACK is owed.
 */
int db_in_transaction(struct db_conn *c);

/* Run plain SQL with no parameters (BEGIN, COMMIT...).  A db_result. */
enum db_result db_simple(struct db_conn *c, const char *sql);

/* 1 when the database answers a trivial query within the timeout. */
int db_ping(void);

/* Counters for /metrics. */
void db_stats(struct db_stats *out);

/* Map a failed result's SQLSTATE to a db_result. */
enum db_result db_classify(const PGresult *r);

#endif
