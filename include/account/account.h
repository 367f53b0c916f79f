#ifndef RAMAL_ACCOUNT_H
#define RAMAL_ACCOUNT_H

#include <stdarg.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "store_tenant.h"
#include "twapi_account.h"

/*
 * What ramal sets up on the Twilio accounts it serves: the layer of
 * numbers.h (DIDs), hooks.h (webhook sync) and bundles.h (regulatory
 * bundles), shared by `ramal` commands and the admin API.  This file is
 * their common ground: one tenant being worked on (struct account_ctx),
 * the environment guard, the tenant's REST client, and failures in one
 * line (struct account_err).
 *
 * A context holds the caller's database connection and blocks on Twilio
 * (up to TWAPI_TIMEOUT_MS per request): use it from a command, a job or
 * an admin route on a worker thread, never from a webhook.  Thread-safe
 * as far as each thread has its own context.
 */

/* What went wrong, for an exit status (2 / 1) or an HTTP status. */
enum account_status {
	ACCOUNT_OK,
	ACCOUNT_BAD_INPUT, /* malformed input, nothing sent: 400, exit 2 */
	ACCOUNT_INVALID, /* well formed, names nothing (DDD 20, an unknown
			    agent), nothing sent: 400, exit 1 */
	ACCOUNT_NOT_FOUND, /* no such tenant or number: 404 */
	ACCOUNT_REFUSED, /* a rule says no (owner, environment): 409 */
	ACCOUNT_TWILIO, /* Twilio refused, failed or did not answer: 502 */
	ACCOUNT_UNAVAILABLE, /* the database: 503 */
};

struct account_err {
	enum account_status status;
	int twilio_code; /* Twilio's error code (21649...), 0 when none */
	char msg[768]; /* one line, no secret */
};

#define ACCOUNT_URL_MAX 1024

/* One tenant being worked on (account_open / account_close). */
struct account_ctx {
	const struct config *cfg; /* borrowed */
	struct db_conn *db; /* borrowed; held by the caller */
	char account_sid[35];
	struct store_tenant_info tenant;
	/*
	 * Lift the environment guard: act on a tenant whose environment
	 * differs from RAMAL_ENVIRONMENT (`--force`).
	 */
	int force;
	struct twapi_account tw; /* opened on the first Twilio request */
	int tw_open;
	/* The URLs Twilio should call here: BASE_URL + path. */
	char url_inbound[ACCOUNT_URL_MAX];
	char url_fallback[ACCOUNT_URL_MAX];
	char url_status[ACCOUNT_URL_MAX];
	char url_outbound[ACCOUNT_URL_MAX];
	char url_events[ACCOUNT_URL_MAX];
	char url_assignment[ACCOUNT_URL_MAX];
};

/*
 * Work on the tenant of account_sid with connection db (both borrowed).
 * ACCOUNT_NOT_FOUND when the tenant does not exist, UNAVAILABLE when the
 * database fails.  account_close() in every case.
 */
enum account_status account_open(struct account_ctx *x,
    const struct config *cfg, struct db_conn *db, const char *account_sid,
    struct account_err *e);
void account_close(struct account_ctx *x);

/*
 * The environment guard: ACCOUNT_OK when the tenant's environment is
 * RAMAL_ENVIRONMENT or x->force is set, else ACCOUNT_REFUSED saying so.
 * Every function that changes something at Twilio calls it first.
 */
enum account_status account_guard(struct account_ctx *x, struct account_err *e);

/* The REST client of the tenant (opened once).  NULL with e filled. */
const struct twapi_client *account_twilio(struct account_ctx *x,
    struct account_err *e);

/* Fill e (status, message) and return status. */
enum account_status account_fail(struct account_err *e,
    enum account_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A failed Twilio request into e: ACCOUNT_TWILIO, Twilio's code, and
 * "<what>: HTTP 400, Twilio error 21649: ..." with what to do for the
 * codes an operator meets here.
 */
enum account_status account_fail_twilio(struct account_err *e, const char *what,
    const struct twapi_resp *r);

/* A db_result that is not DB_OK/DB_NOTFOUND into e. */
enum account_status account_fail_db(struct account_err *e, const char *what,
    enum db_result res);

/*
 * "+55 (11) 3000-0000" to "+551130000000" in out[outlen] (spaces, '-',
 * '(', ')' and '.' dropped): 0, or -1 when it is not E.164 ('+', a
 * first digit 1-9, 8 to 15 digits in all).
 */
int account_e164(const char *in, char *out, size_t outlen);

/*
 * Every IncomingPhoneNumber of the tenant's account (all pages): a new
 * array in *out.
 */
enum account_status account_numbers_at_twilio(struct account_ctx *x,
    json_t **out, struct account_err *e);

/* The first item of items whose member key is value (borrowed), or NULL. */
json_t *account_find(json_t *items, const char *key, const char *value);

/* A string member of obj, "" when absent or null (borrowed). */
const char *account_str(const json_t *obj, const char *key);

#endif
