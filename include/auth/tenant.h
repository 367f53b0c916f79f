#ifndef RAMAL_TENANT_H
#define RAMAL_TENANT_H

#include "config.h"
#include "twsig.h"

/*
 * Signature keys of the Twilio accounts ramal serves.
 *
 * The primary account (TWILIO_ACCOUNT_SID) is keyed from the configuration
 * and never needs the database, so its webhooks are checked even during a
 * database outage.  Subaccounts are read from the tenants table into one
 * cache per process, shared by every thread (one mutex, held for a table
 * scan, never across a database read), and used for TENANT_CACHE_S
 * seconds; while the database cannot be read a key past that is still
 * used (logged), so a subaccount this process has seen stays verifiable
 * in an outage.
 *
 * Accounts the database does not know are remembered apart, for
 * TENANT_NEGATIVE_TTL_S, in a table of their own: no number of unknown
 * AccountSids can evict a known key.  A look-up of an account in neither
 * table costs one of a per-process bucket of TENANT_LOOKUP_BURST,
 * refilled at TENANT_LOOKUP_PER_S; when it is empty the account is
 * refused without a look-up (TENANT_REFUSED, logged at most once a
 * second).  Known keys, expired or not, never wait for the bucket.
 */
#define TENANT_NEGATIVE_TTL_S 2
/* A cached key younger than this is not re-read after a mismatch. */
#define TENANT_RELOAD_MIN_S 2
/* Known subaccounts kept at most (least recently used evicted). */
#define TENANT_KNOWN_SLOTS 256
/* Unknown accounts remembered at most (oldest replaced). */
#define TENANT_UNKNOWN_SLOTS 256

enum tenant_lookup {
	TENANT_FOUND,
	TENANT_UNKNOWN,
	TENANT_UNAVAILABLE, /* database unreachable and nothing cached */
	TENANT_REFUSED, /* not cached, and the look-up budget is spent */
};

/* Keep cfg (borrowed for the process lifetime); key the primary. 0 / -1. */
int tenant_init(const struct config *cfg);

/*
 * Free the primary key and the cache.  Every other thread that looked a
 * key up must have ended.
 */
void tenant_cleanup(void);

/*
 * The signature key of account_sid (borrowed: valid on this thread until
 * its next tenant_sigkey or tenant_sigkey_reload call, or its end).
 * budgeted: a look-up of an account in neither table takes from the
 * bucket, and TENANT_REFUSED when it is empty (webhooks); 0 never refuses
 * (the spool's check of events it holds, which are few and bounded).
 * Thread-safe.
 */
enum tenant_lookup tenant_sigkey(const char *account_sid, int budgeted,
    const struct twsig_key **key);

/*
 * After a signature mismatch with a cached subaccount key: read the key
 * again from the database (the token may have been rotated with `ramal
 * tenant add`), unless the cached one is younger than TENANT_RELOAD_MIN_S
 * or is the primary's.  TENANT_FOUND when a key was read; the caller then
 * checks the signature once more.  TENANT_UNAVAILABLE when the database
 * could not be read.  Thread-safe.
 */
enum tenant_lookup tenant_sigkey_reload(const char *account_sid,
    const struct twsig_key **key);

/* What tenant_sigkey answered for subaccounts, since the start. */
struct tenant_stats {
	unsigned long long hit; /* a cached key */
	unsigned long long stale; /* a key past TENANT_CACHE_S: db down */
	unsigned long long miss; /* read from the database: found */
	unsigned long long unknown; /* read from the database: not found */
	unsigned long long negative; /* remembered unknown: no read */
	unsigned long long refused; /* bucket empty: refused, no read */
	unsigned long long unavailable; /* not cached and db down */
	unsigned long long reload; /* re-reads after a mismatch */
	int known; /* keys cached now */
};

/* A snapshot of the counters (thread-safe). */
void tenant_stats(struct tenant_stats *out);

#endif
