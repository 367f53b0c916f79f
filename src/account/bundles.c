/*
 * The daily read of the regulatory bundles.  See include/account/bundles.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundles.h"
#include "log.h"
#include "store_bundle.h"
#include "twapi_account.h"
#include "util.h"

#define APPROVED "twilio-approved"

/* A bundle to read (copied from store_bundle_used). */
struct bundle {
	char account[35];
	char sid[35];
};

struct bundles {
	struct bundle *v;
	size_t n, cap;
};

static void
collect(void *arg, const struct store_bundle_row *b)
{
	struct bundles *all = arg;

	if (all->n == all->cap) {
		all->cap = all->cap ? all->cap * 2 : 8;
		all->v = xrealloc(all->v, all->cap * sizeof(*all->v));
	}
	snprintf(all->v[all->n].account, sizeof(all->v[all->n].account), "%s",
	    b->account_sid);
	snprintf(all->v[all->n].sid, sizeof(all->v[all->n].sid), "%s", b->sid);
	all->n++;
}

/* "numbers.bundles:YYYY-MM-DD" of now + ahead_s (UTC). */
static void
day_key(char *out, size_t len, long ahead_s)
{
	time_t t = time(NULL) + ahead_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%s:%04d-%02d-%02d", BUNDLES_JOB_KIND,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

enum db_result
bundles_schedule(struct db_conn *c)
{
	struct bundles all = { NULL, 0, 0 };
	enum db_result res;
	char key[64];

	res = store_bundle_used(db_pg(c), NULL, collect, &all);
	free(all.v);
	if (res != DB_OK || all.n == 0)
		return res;
	day_key(key, sizeof(key), 0);
	return job_enqueue(c, BUNDLES_JOB_KIND, NULL, key, 0, NULL);
}

/* Record a failed read of b: kept status, the reason, a warning. */
static enum db_result
read_failed(const struct job *j, const struct bundle *b, const char *why)
{
	char prev[32];

	log_kv(LOG_WARN, "cannot read regulatory bundle", "account", b->account,
	    "bundle", b->sid, "error", why, NULL);
	return store_bundle_put(j->pg, b->account, b->sid, NULL, why, prev,
	    sizeof(prev));
}

/* Read and store one bundle.  DB_OK, or a database failure. */
static enum db_result
check_one(const struct job *j, const struct twapi_client *tw,
    const struct bundle *b)
{
	struct twapi_client cl = *tw;
	struct twapi_resp resp;
	enum db_result res;
	char path[128], why[512], prev[32];
	const char *status;
	long left = job_time_left_ms(j);

	if (left < 1000)
		return read_failed(j, b, "no time left in this run");
	if (left < cl.timeout_ms)
		cl.timeout_ms = left;
	snprintf(path, sizeof(path), "/v2/RegulatoryCompliance/Bundles/%s",
	    b->sid);
	if (twapi_get(&cl, TWAPI_NUMBERS, path, NULL, &resp) != TWAPI_OK) {
		twapi_describe(&resp, why, sizeof(why));
		twapi_resp_cleanup(&resp);
		return read_failed(j, b, why);
	}
	status = twapi_json_str(resp.body, "status");
	if (status == NULL || *status == '\0') {
		twapi_resp_cleanup(&resp);
		return read_failed(j, b, "the answer has no status");
	}
	res = store_bundle_put(j->pg, b->account, b->sid, status, NULL, prev,
	    sizeof(prev));
	if (res == DB_OK && strcmp(status, APPROVED) != 0)
		log_kv(LOG_WARN,
		    "regulatory bundle is not approved: its numbers are at risk",
		    "account", b->account, "bundle", b->sid, "status", status,
		    "was", prev[0] ? prev : NULL, NULL);
	else if (res == DB_OK && prev[0] != '\0' && strcmp(prev, APPROVED) != 0)
		log_kv(LOG_INFO, "regulatory bundle approved again", "account",
		    b->account, "bundle", b->sid, "was", prev, NULL);
	twapi_resp_cleanup(&resp);
	return res;
}

int
bundles_job(const struct job *j, char *err, size_t errlen)
{
	struct bundles all = { NULL, 0, 0 };
	struct twapi_account a;
	enum db_result res;
	char key[64], why[256];
	int rc = JOB_RETRY, open = 0;

	memset(&a, 0, sizeof(a));
	if (j->cfg == NULL) {
		snprintf(err, errlen, "no configuration");
		return JOB_FAIL;
	}
	if ((res = store_bundle_used(j->pg, NULL, collect, &all)) != DB_OK) {
		snprintf(err, errlen, "cannot read the bundles in use");
		goto out;
	}
	for (size_t i = 0; i < all.n; i++) {
		const struct bundle *b = &all.v[i];

		/* Sorted by account: one client per account. */
		if (!open || strcmp(a.client.account_sid, b->account) != 0) {
			if (open)
				twapi_account_close(&a);
			open = twapi_account_open(&a, j->cfg, j->pg, b->account,
				   why, sizeof(why)) == TWAPI_ACCOUNT_OK;
			if (!open)
				twapi_account_close(&a);
		}
		res =
		    open ? check_one(j, &a.client, b) : read_failed(j, b, why);
		if (res != DB_OK && res != DB_NOTFOUND) {
			snprintf(err, errlen, "cannot store bundle %s", b->sid);
			goto out;
		}
	}
	if (all.n > 0) {
		day_key(key, sizeof(key), BUNDLES_PERIOD_S);
		if (job_enqueue_pg(j->pg, BUNDLES_JOB_KIND, NULL, key,
			BUNDLES_PERIOD_S, NULL, NULL) != DB_OK) {
			snprintf(err, errlen, "cannot queue the next run");
			goto out;
		}
	}
	snprintf(why, sizeof(why), "%zu", all.n);
	log_kv(LOG_INFO, "regulatory bundles read", "bundles", why, NULL);
	rc = JOB_DONE;
out:
	if (open)
		twapi_account_close(&a);
	free(all.v);
	return rc;
}
