/*
 * The REST client of the primary account or a subaccount, for jobs.  See
 * include/store/twapi_account.h.
 */
#include <stdio.h>
#include <string.h>

#include "secret.h"
#include "twapi_account.h"
#include "util.h"

enum twapi_account_result
twapi_account_open(struct twapi_account *a, const struct config *cfg,
    PGconn *pg, const char *account_sid, char *err, size_t errlen)
{
	const char *params[1] = { account_sid };
	enum twapi_account_result rc;
	PGresult *r;

	memset(a, 0, sizeof(*a));
	if (account_sid == NULL || account_sid[0] == '\0') {
		snprintf(err, errlen, "no account");
		return TWAPI_ACCOUNT_UNKNOWN;
	}
	if (cfg->twilio_account_sid != NULL &&
	    strcmp(account_sid, cfg->twilio_account_sid) == 0) {
		if (twapi_client_init(&a->client, cfg) != 0) {
			snprintf(err, errlen,
			    "no credentials for the primary account");
			return TWAPI_ACCOUNT_UNKNOWN;
		}
		return TWAPI_ACCOUNT_OK;
	}
	if (!cfg->have_secret_key) {
		snprintf(err, errlen,
		    "RAMAL_SECRET_KEY unset: subaccount tokens cannot be read");
		return TWAPI_ACCOUNT_UNKNOWN;
	}
	r = PQexecParams(pg,
	    "SELECT auth_token_enc FROM tenants"
	    " WHERE account_sid = $1 AND status = 'active'",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "tenant query failed");
		rc = TWAPI_ACCOUNT_UNAVAILABLE;
	} else if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		snprintf(err, errlen, "no active tenant %s", account_sid);
		rc = TWAPI_ACCOUNT_UNKNOWN;
	} else if ((a->token = secret_open(cfg->secret_key, PQgetvalue(r, 0, 0),
			account_sid)) == NULL) {
		snprintf(err, errlen,
		    "the tenant's auth token does not open (RAMAL_SECRET_KEY "
		    "changed?)");
		rc = TWAPI_ACCOUNT_UNKNOWN;
	} else {
		twapi_client_init_account(&a->client, cfg, account_sid,
		    a->token);
		rc = TWAPI_ACCOUNT_OK;
	}
	PQclear(r);
	return rc;
}

void
twapi_account_close(struct twapi_account *a)
{
	util_free_secret(a->token);
	memset(a, 0, sizeof(*a));
}
