/*
 * Users as the operator commands keep them.  See include/store_user.h.
 */
#include <stdlib.h>
#include <string.h>

#include "store_user.h"

const struct db_stmt store_user_statements[] = {
	{ "user_create",
	    "INSERT INTO users (tenant_id, email, name, role, identity)"
	    " SELECT t.id, lower($2), $3, $4, $5 FROM tenants t"
	    " WHERE t.account_sid = $1 RETURNING id",
	    5 },
	{ "user_list",
	    "SELECT u.identity, u.email, u.name, u.role, u.status,"
	    " coalesce(u.worker_sid, ''), u.disabled"
	    " FROM users u JOIN tenants t ON t.id = u.tenant_id"
	    " WHERE t.account_sid = $1 ORDER BY u.identity",
	    1 },
	{ "user_set_status",
	    "UPDATE users u SET status = $3,"
	    " status_since = CASE WHEN u.status = $3 THEN u.status_since"
	    "  ELSE now() END, updated_at = now()"
	    " FROM tenants t WHERE t.account_sid = $1 AND u.tenant_id = t.id"
	    " AND u.identity = $2 RETURNING u.id",
	    3 },
	{ NULL, NULL, 0 },
};

enum db_result
store_user_create(struct db_conn *c, const char *account_sid, const char *email,
    const char *name, const char *role, const char *identity, long long *id)
{
	const char *params[5] = { account_sid, email, name, role, identity };
	enum db_result res;
	PGresult *r;

	*id = 0;
	r = db_exec(c, "user_create", 5, params, &res);
	if (res == DB_OK)
		*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return res;
}

enum db_result
store_user_list(struct db_conn *c, const char *account_sid, store_user_fn fn,
    void *arg)
{
	const char *params[1] = { account_sid };
	struct store_user_row row;
	enum db_result res;
	PGresult *r;

	r = db_exec(c, "user_list", 1, params, &res);
	if (res == DB_NOTFOUND)
		res = DB_OK;
	for (int i = 0; res == DB_OK && i < PQntuples(r); i++) {
		row.identity = PQgetvalue(r, i, 0);
		row.email = PQgetvalue(r, i, 1);
		row.name = PQgetvalue(r, i, 2);
		row.role = PQgetvalue(r, i, 3);
		row.status = PQgetvalue(r, i, 4);
		row.worker_sid = PQgetvalue(r, i, 5);
		row.disabled = strcmp(PQgetvalue(r, i, 6), "t") == 0;
		fn(arg, &row);
	}
	PQclear(r);
	return res;
}

enum db_result
store_user_set_status(struct db_conn *c, const char *account_sid,
    const char *identity, const char *status)
{
	const char *params[3] = { account_sid, identity, status };
	enum db_result res;

	PQclear(db_exec(c, "user_set_status", 3, params, &res));
	return res;
}
