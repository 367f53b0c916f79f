#ifndef RAMAL_STORE_BUNDLE_H
#define RAMAL_STORE_BUNDLE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "db.h"

/*
 * The regulatory bundles the tenants' numbers use, and the status each
 * last had at Twilio (table number_bundles, sql/018_numbers.sql).  These
 * run one plain statement on the connection they are given: a job's own
 * (j->pg) or a pooled one (db_pg); thread-safe as far as each thread uses
 * its own connection.  Strings are borrowed.
 */

/* A bundle in use (strings borrowed for the callback). */
struct store_bundle_row {
	const char *account_sid; /* the tenant whose numbers use it */
	const char *sid; /* BU... */
	const char *status; /* as last read; "" when never read */
	const char *checked_at; /* RFC 3339 UTC; "" when never */
	const char *error; /* why the last read failed; "" when it worked */
};

typedef void (*store_bundle_fn)(void *arg, const struct store_bundle_row *b);

/*
 * Call fn for every bundle a number of an active tenant uses (only those
 * of account_sid unless NULL), by account and SID.  DB_OK (also when
 * there is none) or the failure.
 */
enum db_result store_bundle_used(PGconn *pg, const char *account_sid,
    store_bundle_fn fn, void *arg);

/*
 * Record a read of bundle sid of the tenant of account_sid: its status
 * (NULL when the read failed: the status is kept and error says why;
 * error NULL when it worked).  The status it had before goes to
 * prev[prevlen] ("" when none).  DB_NOTFOUND for an unknown account.
 */
enum db_result store_bundle_put(PGconn *pg, const char *account_sid,
    const char *sid, const char *status, const char *error, char *prev,
    size_t prevlen);

#endif
