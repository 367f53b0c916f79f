/*
 * The bundles the numbers use and their status.  See
 * include/store/store_bundle.h.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_bundle.h"

static const char used_sql[] =
    "SELECT DISTINCT t.account_sid, p.bundle_sid, coalesce(b.status, ''),"
    " coalesce(to_char(b.checked_at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(b.error, '')"
    " FROM phone_numbers p JOIN tenants t ON t.id = p.tenant_id"
    " LEFT JOIN number_bundles b ON b.sid = p.bundle_sid"
    " WHERE p.bundle_sid IS NOT NULL AND t.status = 'active'"
    " AND ($1::text IS NULL OR t.account_sid = $1)"
    " ORDER BY 1, 2";

/* The earlier status is read under the row lock the upsert takes next. */
static const char put_sql[] =
    "WITH old AS (SELECT status FROM number_bundles WHERE sid = $2"
    "  FOR UPDATE),"
    " up AS (INSERT INTO number_bundles AS b (sid, tenant_id, status,"
    "  status_since, checked_at, error)"
    "  SELECT $2, t.id, $3::text,"
    "  CASE WHEN $3::text IS NULL THEN NULL ELSE now() END,"
    "  now(), $4::text FROM tenants t WHERE t.account_sid = $1"
    "  ON CONFLICT (sid) DO UPDATE SET"
    "  status = coalesce(excluded.status, b.status),"
    "  status_since = CASE WHEN excluded.status IS NOT NULL AND"
    "   excluded.status IS DISTINCT FROM b.status THEN now()"
    "   ELSE b.status_since END,"
    "  checked_at = now(), error = excluded.error, updated_at = now()"
    "  RETURNING b.sid)"
    " SELECT coalesce((SELECT status FROM old), '') FROM up";

/* Log a failed statement once, here where its cause is known. */
static void
log_failure(const char *what, const PGresult *r, enum db_result res)
{
	if (res == DB_OK || res == DB_NOTFOUND)
		return;
	log_kv(LOG_ERROR, "bundle query failed", "query", what, "sqlstate",
	    r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL, "detail",
	    r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL, NULL);
}

enum db_result
store_bundle_used(PGconn *pg, const char *account_sid, store_bundle_fn fn,
    void *arg)
{
	const char *params[1] = { account_sid };
	struct store_bundle_row b;
	enum db_result res;
	PGresult *r;

	r = PQexecParams(pg, used_sql, 1, NULL, params, NULL, NULL, 0);
	res = db_classify(r);
	log_failure("used", r, res);
	if (res == DB_NOTFOUND)
		res = DB_OK;
	else if (res == DB_OK)
		for (int i = 0; i < PQntuples(r); i++) {
			b.account_sid = PQgetvalue(r, i, 0);
			b.sid = PQgetvalue(r, i, 1);
			b.status = PQgetvalue(r, i, 2);
			b.checked_at = PQgetvalue(r, i, 3);
			b.error = PQgetvalue(r, i, 4);
			fn(arg, &b);
		}
	PQclear(r);
	return res;
}

enum db_result
store_bundle_put(PGconn *pg, const char *account_sid, const char *sid,
    const char *status, const char *error, char *prev, size_t prevlen)
{
	const char *params[4] = { account_sid, sid, status, error };
	enum db_result res;
	PGresult *r;

	if (prevlen > 0)
		prev[0] = '\0';
	r = PQexecParams(pg, put_sql, 4, NULL, params, NULL, NULL, 0);
	res = db_classify(r);
	log_failure("put", r, res);
	if (res == DB_OK && prevlen > 0)
		snprintf(prev, prevlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return res;
}
