#ifndef RAMAL_TWAPI_ACCOUNT_H
#define RAMAL_TWAPI_ACCOUNT_H

#include <stddef.h>

#include <libpq-fe.h>

#include "config.h"
#include "twapi.h"

/*
 * The REST client of any account ramal serves, for jobs.
 *
 * The primary account (TWILIO_ACCOUNT_SID) uses the configured credentials
 * (API key or auth token, see twapi_client_init); a subaccount uses the
 * auth token stored sealed in its tenants row (`ramal tenant add`),
 * opened with RAMAL_SECRET_KEY.  Requests then go to the subaccount's own
 * /Accounts/{sid}/ paths under its own credentials.
 */
struct twapi_account {
	struct twapi_client client; /* ready after a 0 from open */
	char *token; /* the opened subaccount token (owned), or NULL */
};

enum twapi_account_result {
	TWAPI_ACCOUNT_OK = 0,
	TWAPI_ACCOUNT_UNKNOWN, /* no active tenant, or no credentials */
	TWAPI_ACCOUNT_UNAVAILABLE, /* the database query failed: retry */
};

/*
 * Fill a for account_sid, reading a subaccount's token through pg (a
 * job's connection; one SELECT, no transaction control).  cfg is
 * borrowed and must outlive a.  On failure a one-line reason (no secret)
 * goes to err[errlen].  Release with twapi_account_close in every case.
 */
enum twapi_account_result twapi_account_open(struct twapi_account *a,
    const struct config *cfg, PGconn *pg, const char *account_sid, char *err,
    size_t errlen);

/* Wipe and free the token; a may be opened again. */
void twapi_account_close(struct twapi_account *a);

#endif
