#ifndef RAMAL_TENANT_H
#define RAMAL_TENANT_H

#include "config.h"
#include "twsig.h"

/*
 * Signature keys of the Twilio accounts ramal serves.
 *
 * The primary account (TWILIO_ACCOUNT_SID) is keyed from the configuration
 * and never needs the database, so its webhooks are checked even during a
 * database outage.  Subaccounts are read from the tenants table and kept
 * in a small per-thread cache (no lock on the hot path) for
 * TENANT_CACHE_TTL_S seconds; an unknown account is remembered for a short
 * time too, so a flood of bad requests does not reach the database.
 */
#define TENANT_CACHE_TTL_S 60
#define TENANT_NEGATIVE_TTL_S 2
/* A cached key younger than this is not re-read after a mismatch. */
#define TENANT_RELOAD_MIN_S 2

enum tenant_lookup {
	TENANT_FOUND,
	TENANT_UNKNOWN,
	TENANT_UNAVAILABLE, /* database unreachable and nothing cached */
};

/* Keep cfg (borrowed for the process lifetime); key the primary. 0 / -1. */
int tenant_init(const struct config *cfg);

/* Free the primary key.  Per-thread caches go with their threads. */
void tenant_cleanup(void);

/*
 * The signature key of account_sid (borrowed: valid on this thread until
 * its next tenant_sigkey call).
 */
enum tenant_lookup tenant_sigkey(const char *account_sid,
    const struct twsig_key **key);

/*
 * After a signature mismatch with a cached subaccount key: read the key
 * again from the database (the token may have been rotated with `ramal
 * tenant add`), unless the cached one is younger than TENANT_RELOAD_MIN_S
 * or is the primary's.  TENANT_FOUND only when a different, fresh key was
 * loaded; the caller then checks the signature once more.
 */
enum tenant_lookup tenant_sigkey_reload(const char *account_sid,
    const struct twsig_key **key);

#endif
