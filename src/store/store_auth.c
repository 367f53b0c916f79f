/*
 * Store helpers of sign-in.  See include/store/store_auth.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_auth.h"
#include "util.h"

/* The age at which ended sessions are deleted. */
#define SESSION_KEEP "interval '7 days'"

const struct db_stmt store_auth_statements[] = {
	{ "auth_candidates",
	    "SELECT u.id, u.password_hash FROM users u"
	    " JOIN tenants t ON t.id = u.tenant_id"
	    " WHERE u.email = lower($1)"
	    " AND ($2::text IS NULL OR t.account_sid = $2)"
	    " AND NOT u.disabled AND t.status = 'active'"
	    " AND u.password_hash IS NOT NULL"
	    " ORDER BY u.id LIMIT $3::integer",
	    3 },
	/* sql/013: the count and the record of an attempt, atomically. */
	{ "auth_attempt_begin",
	    "SELECT retry_after_s, account_row, address_row"
	    " FROM login_attempt_begin($1, $2, $3::integer, $4::integer,"
	    " $5::integer)",
	    5 },
	/* A sign-in that succeeded was no failure: its rows go. */
	{ "auth_attempt_forget",
	    "DELETE FROM login_attempts WHERE id IN ($1::bigint, $2::bigint)",
	    2 },
	{ "auth_reset",
	    "DELETE FROM login_attempts WHERE scope = 'account'"
	    " AND key = lower($1)",
	    1 },
	/*
	 * The new session, the oldest live ones of the user beyond $7 - 1
	 * revoked (the new row is not visible to the UPDATE: $7 in all).
	 */
	{ "auth_session_put",
	    "WITH purge AS (DELETE FROM sessions WHERE id IN"
	    " (SELECT id FROM sessions WHERE expires_at < now() - " SESSION_KEEP
	    "  ORDER BY expires_at LIMIT 100)),"
	    " capped AS (UPDATE sessions SET revoked_at = now() WHERE id IN"
	    "  (SELECT id FROM sessions WHERE user_id = $1::bigint"
	    "   AND revoked_at IS NULL AND expires_at > now()"
	    "   ORDER BY created_at DESC, id DESC OFFSET $7::integer - 1))"
	    " INSERT INTO sessions (user_id, token_hash, csrf_hash, expires_at,"
	    " user_agent, client_addr)"
	    " VALUES ($1::bigint, $2, $3,"
	    " now() + make_interval(hours => $4::integer), left($5, 256), $6)",
	    7 },
	{ "auth_session_get",
	    "WITH s AS (SELECT s.id AS session_id, s.csrf_hash,"
	    " to_char(s.expires_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS expires_at,"
	    " u.id, u.tenant_id, t.account_sid, t.friendly_name, u.role,"
	    " u.identity, u.email, u.name, u.status"
	    " FROM sessions s JOIN users u ON u.id = s.user_id"
	    " JOIN tenants t ON t.id = u.tenant_id"
	    " WHERE s.token_hash = $1 AND s.revoked_at IS NULL"
	    " AND s.expires_at > now() AND NOT u.disabled"
	    " AND t.status = 'active'),"
	    " seen AS (UPDATE sessions SET last_seen_at = now()"
	    " WHERE id = (SELECT session_id FROM s)"
	    " AND last_seen_at < now() - interval '1 minute')"
	    " SELECT session_id, csrf_hash, expires_at, id, tenant_id,"
	    " account_sid, friendly_name, role, identity, email, name, status"
	    " FROM s",
	    1 },
	{ "auth_session_revoke",
	    "UPDATE sessions SET revoked_at = now()"
	    " WHERE id = $1::bigint AND revoked_at IS NULL RETURNING id",
	    1 },
	/*
	 * A ticket of a live session, unless it holds $4 unexpired ones;
	 * expired tickets go first (100 at a time, oldest first).
	 */
	{ "auth_ticket_put",
	    "WITH purge AS (DELETE FROM event_tickets WHERE ticket_hash IN"
	    " (SELECT ticket_hash FROM event_tickets WHERE expires_at <= now()"
	    "  ORDER BY expires_at LIMIT 100))"
	    " INSERT INTO event_tickets (ticket_hash, session_id, expires_at)"
	    " SELECT $1, $2::bigint,"
	    " now() + make_interval(secs => $3::integer)"
	    " WHERE (SELECT count(*) FROM event_tickets"
	    "  WHERE session_id = $2::bigint AND expires_at > now())"
	    " < $4::integer"
	    " RETURNING session_id",
	    4 },
	/* Used once: deleted whether it was still valid or not. */
	{ "auth_ticket_take",
	    "WITH t AS (DELETE FROM event_tickets WHERE ticket_hash = $1"
	    " RETURNING session_id, expires_at)"
	    " SELECT s.token_hash FROM t JOIN sessions s ON s.id = t.session_id"
	    " WHERE t.expires_at > now()",
	    1 },
	{ "auth_set_password",
	    "WITH u AS (UPDATE users u SET password_hash = $3,"
	    " password_changed_at = now(), updated_at = now()"
	    " FROM tenants t WHERE t.account_sid = $1 AND u.tenant_id = t.id"
	    " AND (u.identity = $2 OR u.email = lower($2)) RETURNING u.id),"
	    " r AS (UPDATE sessions SET revoked_at = now()"
	    " WHERE user_id IN (SELECT id FROM u) AND revoked_at IS NULL)"
	    " SELECT id FROM u",
	    3 },
	{ "auth_set_password_id",
	    "UPDATE users SET password_hash = $2, password_changed_at = now(),"
	    " updated_at = now() WHERE id = $1::bigint RETURNING id",
	    2 },
	{ NULL, NULL, 0 },
};

enum db_result
store_auth_candidates(struct db_conn *c, const char *email,
    const char *account_sid, struct store_auth_candidate *out, int max, int *n)
{
	char lim[16];
	const char *params[3] = { email, account_sid, lim };
	PGresult *r;
	enum db_result res;

	*n = 0;
	snprintf(lim, sizeof(lim), "%d", max);
	r = db_exec(c, "auth_candidates", 3, params, &res);
	if (res == DB_NOTFOUND)
		res = DB_OK;
	if (res != DB_OK)
		goto out;
	for (int i = 0; i < PQntuples(r) && i < max; i++) {
		const char *h = PQgetvalue(r, i, 1);

		if (strlen(h) >= sizeof(out[*n].hash))
			continue; /* not a hash we wrote: cannot match */
		out[*n].id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		snprintf(out[*n].hash, sizeof(out[*n].hash), "%s", h);
		(*n)++;
	}
out:
	PQclear(r);
	return res;
}

enum db_result
store_auth_attempt_begin(struct db_conn *c, const char *email,
    const char *addr, struct store_auth_attempt *out)
{
	char window[16], max_account[16], max_addr[16];
	const char *params[5] = { email, addr, window, max_account, max_addr };
	PGresult *r;
	enum db_result res;

	memset(out, 0, sizeof(*out));
	snprintf(window, sizeof(window), "%d", AUTH_FAIL_WINDOW_S);
	snprintf(max_account, sizeof(max_account), "%d", AUTH_FAIL_MAX_ACCOUNT);
	snprintf(max_addr, sizeof(max_addr), "%d", AUTH_FAIL_MAX_ADDRESS);
	r = db_exec(c, "auth_attempt_begin", 5, params, &res);
	if (res == DB_OK) {
		out->retry_after_s = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		if (!PQgetisnull(r, 0, 1))
			out->rows[0] = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		if (!PQgetisnull(r, 0, 2))
			out->rows[1] = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	}
	PQclear(r);
	return res;
}

enum db_result
store_auth_attempt_forget(struct db_conn *c,
    const struct store_auth_attempt *a)
{
	char r0[24], r1[24];
	const char *params[2] = { r0, r1 };
	enum db_result res;

	snprintf(r0, sizeof(r0), "%lld", a->rows[0]);
	snprintf(r1, sizeof(r1), "%lld", a->rows[1]);
	PQclear(db_exec(c, "auth_attempt_forget", 2, params, &res));
	return res == DB_NOTFOUND ? DB_OK : res;
}

enum db_result
store_auth_reset(struct db_conn *c, const char *email)
{
	const char *params[1] = { email };
	enum db_result res;

	PQclear(db_exec(c, "auth_reset", 1, params, &res));
	return res;
}

enum db_result
store_auth_session_put(struct db_conn *c, long long user_id,
    const char *token_hash, const char *csrf_hash, int ttl_h,
    const char *user_agent, const char *client_addr, int max_live)
{
	char id[24], ttl[16], max[16];
	const char *params[7] = { id, token_hash, csrf_hash, ttl, user_agent,
		client_addr, max };
	enum db_result res;

	snprintf(id, sizeof(id), "%lld", user_id);
	snprintf(ttl, sizeof(ttl), "%d", ttl_h);
	snprintf(max, sizeof(max), "%d", max_live < 1 ? 1 : max_live);
	PQclear(db_exec(c, "auth_session_put", 7, params, &res));
	return res;
}

enum db_result
store_auth_session_get(struct db_conn *c, const char *token_hash,
    struct auth_user **out, char csrf_hash[AUTH_HASH_HEX_LEN + 1])
{
	const char *params[1] = { token_hash };
	struct auth_user *u;
	PGresult *r;
	enum db_result res;
	int role;

	*out = NULL;
	csrf_hash[0] = '\0';
	r = db_exec(c, "auth_session_get", 1, params, &res);
	if (res != DB_OK)
		goto out;
	role = auth_role_parse(PQgetvalue(r, 0, 7));
	if (role < 0 || strlen(PQgetvalue(r, 0, 5)) >= sizeof(u->account_sid)) {
		res = DB_ERR;
		goto out;
	}
	u = xcalloc(1, sizeof(*u));
	u->session_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(csrf_hash, AUTH_HASH_HEX_LEN + 1, "%s", PQgetvalue(r, 0, 1));
	snprintf(u->expires_at, sizeof(u->expires_at), "%s",
	    PQgetvalue(r, 0, 2));
	u->id = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	u->tenant_id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
	snprintf(u->account_sid, sizeof(u->account_sid), "%s",
	    PQgetvalue(r, 0, 5));
	u->tenant_name = xstrdup(PQgetvalue(r, 0, 6));
	u->role = (enum auth_role)role;
	u->identity = xstrdup(PQgetvalue(r, 0, 8));
	u->email = xstrdup(PQgetvalue(r, 0, 9));
	u->name = xstrdup(PQgetvalue(r, 0, 10));
	u->status = xstrdup(PQgetvalue(r, 0, 11));
	*out = u;
out:
	PQclear(r);
	return res;
}

enum db_result
store_auth_ticket_put(struct db_conn *c, const char *ticket_hash,
    long long session_id, int ttl_s, int max_live)
{
	char id[24], ttl[16], max[16];
	const char *params[4] = { ticket_hash, id, ttl, max };
	enum db_result res;

	snprintf(id, sizeof(id), "%lld", session_id);
	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	snprintf(max, sizeof(max), "%d", max_live);
	PQclear(db_exec(c, "auth_ticket_put", 4, params, &res));
	return res;
}

enum db_result
store_auth_ticket_take(struct db_conn *c, const char *ticket_hash,
    char session_hash[AUTH_HASH_HEX_LEN + 1])
{
	const char *params[1] = { ticket_hash };
	PGresult *r;
	enum db_result res;

	session_hash[0] = '\0';
	r = db_exec(c, "auth_ticket_take", 1, params, &res);
	if (res == DB_OK) {
		if (strlen(PQgetvalue(r, 0, 0)) == AUTH_HASH_HEX_LEN)
			memcpy(session_hash, PQgetvalue(r, 0, 0),
			    AUTH_HASH_HEX_LEN + 1);
		else
			res = DB_ERR;
	}
	PQclear(r);
	return res;
}

enum db_result
store_auth_session_revoke(struct db_conn *c, long long session_id)
{
	char id[24];
	const char *params[1] = { id };
	enum db_result res;

	snprintf(id, sizeof(id), "%lld", session_id);
	PQclear(db_exec(c, "auth_session_revoke", 1, params, &res));
	return res;
}

enum db_result
store_auth_set_password(struct db_conn *c, const char *account_sid,
    const char *who, const char *hash)
{
	const char *params[3] = { account_sid, who, hash };
	enum db_result res;

	PQclear(db_exec(c, "auth_set_password", 3, params, &res));
	return res;
}

enum db_result
store_auth_set_password_id(struct db_conn *c, long long id, const char *hash)
{
	char idtext[24];
	const char *params[2] = { idtext, hash };
	enum db_result res;

	snprintf(idtext, sizeof(idtext), "%lld", id);
	PQclear(db_exec(c, "auth_set_password_id", 2, params, &res));
	return res;
}

void
auth_user_free(struct auth_user *u)
{
	if (u == NULL)
		return;
	free(u->identity);
	free(u->email);
	free(u->name);
	free(u->status);
	free(u->tenant_name);
	free(u);
}

static const char *const role_names[] = { "agent", "supervisor", "admin" };

const char *
auth_role_name(enum auth_role role)
{
	return (unsigned)role < 3 ? role_names[role] : "agent";
}

int
auth_role_parse(const char *s)
{
	for (int i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

int
store_auth_sessions_check(PGconn *pg, const char *hashes,
    void (*fn)(void *arg, const char *hash, const char *state, int role),
    void *arg)
{
	const char *params[1] = { hashes };
	PGresult *r = PQexecParams(pg,
	    "SELECT h.hash, CASE"
	    " WHEN s.id IS NULL THEN 'signed-out'"
	    " WHEN u.disabled THEN 'disabled'"
	    " WHEN t.status <> 'active' THEN 'suspended'"
	    " WHEN s.revoked_at = u.password_changed_at THEN"
	    "  'password-changed'"
	    " WHEN s.revoked_at IS NOT NULL THEN 'signed-out'"
	    " WHEN s.expires_at <= now() THEN 'expired'"
	    " ELSE 'ok' END, coalesce(u.role, 'agent')"
	    " FROM unnest($1::text[]) AS h(hash)"
	    " LEFT JOIN sessions s ON s.token_hash = h.hash"
	    " LEFT JOIN users u ON u.id = s.user_id"
	    " LEFT JOIN tenants t ON t.id = u.tenant_id",
	    1, NULL, params, NULL, NULL, 0);
	int rc = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(r); i++) {
			int role = auth_role_parse(PQgetvalue(r, i, 2));

			fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			    role < 0 ? AUTH_ROLE_AGENT : role);
		}
		rc = 0;
	}
	PQclear(r);
	return rc;
}
