#ifndef RAMAL_DB_GROUP_H
#define RAMAL_DB_GROUP_H

#include "db.h"

/*
 * Group commit for the hot one-statement writes (the inbound webhook, the
 * status callback).
 *
 * A thread that calls db_group_exec() queues its statement.  While fewer
 * than the configured number of batches are in flight, it takes the queue
 * (its own statement and whatever other threads queued meanwhile, up to
 * DB_GROUP_MAX) and runs it as one transaction in one round trip
 * (db_exec_batch); otherwise it sleeps until a batch that carries its
 * statement has committed, or until it may take the queue itself.  Under
 * light load a statement runs at once, alone; under heavy load each commit
 * and round trip is shared by many requests.  Nothing is answered before
 * its transaction has committed.
 *
 * Each statement names a key (the CallSid): a batch runs its statements
 * in key order (ties in arrival order), so two batches always lock rows in
 * the same order and cannot deadlock each other.
 */

/* Most statements in one batch. */
#define DB_GROUP_MAX 32

/*
 * Set up grouping with at most `batches` batches in flight (each holds one
 * pooled connection while it runs).  Call after db_init.
 */
void db_group_init(int batches);

/* Free what db_group_init made; no call may be in progress. */
void db_group_shutdown(void);

/*
 * Run one prepared statement, committed on its own or as part of a batch;
 * the result is what db_exec would give (PQclear it), *res likewise.
 * key orders statements within a batch (NULL sorts first).  Blocks until
 * the statement's transaction ended.  DB_UNAVAILABLE when no connection
 * could be had.
 */
PGresult *db_group_exec(const char *key, const char *stmt, int nparams,
    const char *const *params, enum db_result *res);

struct db_group_stats {
	unsigned long batches; /* transactions run */
	unsigned long statements; /* statements in them */
	unsigned long largest; /* most statements in one */
	unsigned long queued; /* statements waiting for a batch now */
};

/* Counters for /metrics. */
void db_group_stats(struct db_group_stats *out);

#endif
