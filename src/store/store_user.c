/*
 * Statements of users.  See include/store/store_user.h.
 */
#include <stddef.h>

#include "store_user.h"

const struct db_stmt store_user_statements[] = {
	{ "user_create",
	    "INSERT INTO users (tenant_id, email, name, role, identity)"
	    " SELECT t.id, lower($2), $3, $4, $5 FROM tenants t"
	    " WHERE t.account_sid = $1 RETURNING id",
	    5 },
	{ "user_list",
	    "SELECT u.identity, u.email, u.name, u.role, u.status,"
	    " coalesce(u.worker_sid, ''),"
	    " CASE WHEN u.disabled THEN 'yes' ELSE 'no' END"
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
