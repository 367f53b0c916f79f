/*
 * Store helpers of tenants.  See include/store/store_tenant.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_tenant.h"
#include "util.h"

const struct db_stmt store_tenant_statements[] = {
	{ "tenant_demote_primary",
	    "UPDATE tenants SET is_primary = false, updated_at = now()"
	    " WHERE is_primary AND account_sid <> $1",
	    1 },
	{ "tenant_put",
	    "INSERT INTO tenants (account_sid, friendly_name, auth_token_enc,"
	    " is_primary, environment) VALUES ($1, coalesce($2, ''), $3,"
	    " $4::boolean, coalesce($5, 'production'))"
	    " ON CONFLICT (account_sid) DO UPDATE SET"
	    " friendly_name = coalesce($2, tenants.friendly_name),"
	    " auth_token_enc = excluded.auth_token_enc,"
	    " is_primary = excluded.is_primary OR tenants.is_primary,"
	    " updated_at = now()",
	    5 },
	{ "tenant_get",
	    "SELECT friendly_name, environment, status, is_primary FROM tenants"
	    " WHERE account_sid = $1",
	    1 },
	{ "tenant_token",
	    "SELECT auth_token_enc FROM tenants"
	    " WHERE account_sid = $1 AND status = 'active'",
	    1 },
	{ "tenant_list",
	    "SELECT account_sid, friendly_name, is_primary FROM tenants"
	    " WHERE status = 'active' ORDER BY is_primary DESC, id",
	    0 },
	{ NULL, NULL, 0 },
};

enum db_result
store_tenant_put(struct db_conn *c, const uint8_t key[SECRET_KEY_LEN],
    const char *account_sid, const char *friendly_name, const char *auth_token,
    int primary, const char *environment)
{
	char *sealed = NULL;
	const char *params[5];
	PGresult *r = NULL;
	enum db_result res = DB_ERR;

	sealed = secret_seal(key, auth_token, account_sid);
	if (sealed == NULL)
		goto out;
	if ((res = db_simple(c, "BEGIN")) != DB_OK)
		goto out;
	if (primary) {
		params[0] = account_sid;
		r = db_exec(c, "tenant_demote_primary", 1, params, &res);
		PQclear(r);
		if (res != DB_OK && res != DB_NOTFOUND)
			goto rollback;
	}
	params[0] = account_sid;
	params[1] = friendly_name;
	params[2] = sealed;
	params[3] = primary ? "true" : "false";
	params[4] = environment;
	r = db_exec(c, "tenant_put", 5, params, &res);
	PQclear(r);
	if (res != DB_OK && res != DB_NOTFOUND)
		goto rollback;
	res = db_simple(c, "COMMIT");
	goto out;
rollback:
	db_simple(c, "ROLLBACK");
out:
	free(sealed);
	return res;
}

enum db_result
store_tenant_get(struct db_conn *c, const char *account_sid,
    struct store_tenant_info *t)
{
	const char *params[1] = { account_sid };
	enum db_result res;
	PGresult *r;

	memset(t, 0, sizeof(*t));
	r = db_exec(c, "tenant_get", 1, params, &res);
	if (res == DB_OK) {
		snprintf(t->friendly_name, sizeof(t->friendly_name), "%s",
		    PQgetvalue(r, 0, 0));
		snprintf(t->environment, sizeof(t->environment), "%s",
		    PQgetvalue(r, 0, 1));
		snprintf(t->status, sizeof(t->status), "%s",
		    PQgetvalue(r, 0, 2));
		t->primary = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
	}
	PQclear(r);
	return res;
}

enum db_result
store_tenant_token(struct db_conn *c, const uint8_t key[SECRET_KEY_LEN],
    const char *account_sid, char **token)
{
	const char *params[1] = { account_sid };
	PGresult *r;
	enum db_result res;

	*token = NULL;
	r = db_exec(c, "tenant_token", 1, params, &res);
	if (res != DB_OK)
		goto out;
	*token = secret_open(key, PQgetvalue(r, 0, 0), account_sid);
	if (*token == NULL) {
		log_kv(LOG_ERROR,
		    "tenant auth token does not open: was RAMAL_SECRET_KEY "
		    "changed?",
		    "account", account_sid, NULL);
		res = DB_ERR;
	}
out:
	PQclear(r);
	return res;
}

enum db_result
store_tenant_list(struct db_conn *c, struct store_tenant_row **out, size_t *n)
{
	enum db_result res;
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	r = db_exec(c, "tenant_list", 0, NULL, &res);
	if (res == DB_NOTFOUND) {
		PQclear(r);
		return DB_OK;
	}
	if (res != DB_OK)
		goto out;
	rows = PQntuples(r);
	*out = xcalloc((size_t)rows, sizeof(**out));
	for (int i = 0; i < rows; i++) {
		struct store_tenant_row *t = &(*out)[i];

		t->account_sid = xstrdup(PQgetvalue(r, i, 0));
		t->friendly_name = xstrdup(PQgetvalue(r, i, 1));
		t->primary = strcmp(PQgetvalue(r, i, 2), "t") == 0;
	}
	*n = (size_t)rows;
out:
	PQclear(r);
	return res;
}

void
store_tenant_list_free(struct store_tenant_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].account_sid);
		free(v[i].friendly_name);
	}
	free(v);
}
