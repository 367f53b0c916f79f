/*
 * The tenants' phone numbers.  See include/store/store_number.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_number.h"
#include "util.h"

/* The columns of a store_number_row (number_row), before a WHERE. */
#define NUMBER_SELECT                                                        \
	"SELECT p.e164, p.label, coalesce(u.identity, ''),"                \
	" p.ring_timeout_s, p.voicemail_enabled, coalesce(p.sid, ''),"      \
	" coalesce(p.bundle_sid, ''), coalesce(b.status, ''),"              \
	" coalesce(p.address_sid, ''), coalesce(p.hooks::text, ''),"        \
	" coalesce(to_char(p.hooks_read_at AT TIME ZONE 'UTC',"             \
	"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"                          \
	" FROM phone_numbers p JOIN tenants t ON t.id = p.tenant_id"        \
	" LEFT JOIN users u ON u.id = p.owner_user_id"                      \
	" LEFT JOIN number_bundles b ON b.sid = p.bundle_sid"

const struct db_stmt store_number_statements[] = {
	{ "number_put",
	    "INSERT INTO phone_numbers AS p (tenant_id, e164, sid, label,"
	    " ring_timeout_s, disclaimer_text, disclaimer_language,"
	    " disclaimer_voice, disclaimer_audio_url, voicemail_enabled)"
	    " SELECT t.id, $2, $3, coalesce($4, ''), coalesce($5::integer, 20),"
	    " $6, coalesce($7, 'pt-BR'), coalesce($8, 'Polly.Camila'), $9,"
	    " coalesce($10::boolean, true)"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " ON CONFLICT (e164) DO UPDATE SET"
	    " sid = coalesce($3, p.sid), label = coalesce($4, p.label),"
	    " ring_timeout_s = coalesce($5::integer, p.ring_timeout_s),"
	    " disclaimer_text = coalesce($6, p.disclaimer_text),"
	    " disclaimer_language = coalesce($7, p.disclaimer_language),"
	    " disclaimer_voice = coalesce($8, p.disclaimer_voice),"
	    " disclaimer_audio_url = coalesce($9, p.disclaimer_audio_url),"
	    " voicemail_enabled = coalesce($10::boolean, p.voicemail_enabled),"
	    " updated_at = now()"
	    " WHERE p.tenant_id = excluded.tenant_id RETURNING p.id",
	    10 },
	{ "number_assign",
	    "UPDATE phone_numbers p SET owner_user_id = u.id, updated_at = now()"
	    " FROM tenants t LEFT JOIN users u ON u.tenant_id = t.id"
	    "  AND u.identity = $3"
	    " WHERE t.account_sid = $1 AND p.tenant_id = t.id AND p.e164 = $2"
	    "  AND ($3 IS NULL OR u.id IS NOT NULL)"
	    " RETURNING p.id",
	    3 },
	{ "number_list",
	    NUMBER_SELECT " WHERE t.account_sid = $1 ORDER BY p.e164", 1 },
	{ "number_get",
	    NUMBER_SELECT " WHERE t.account_sid = $1 AND p.e164 = $2", 2 },
	{ "number_by_sid",
	    NUMBER_SELECT " WHERE t.account_sid = $1 AND p.sid = $2", 2 },
	{ "number_twilio",
	    "INSERT INTO phone_numbers AS p (tenant_id, e164, sid, label,"
	    " bundle_sid, address_sid, hooks, hooks_read_at)"
	    " SELECT t.id, $2, $3, coalesce($4, $5, ''), $6, $7, $8::jsonb,"
	    " CASE WHEN $8 IS NULL THEN NULL ELSE now() END"
	    " FROM tenants t WHERE t.account_sid = $1"
	    " ON CONFLICT (e164) DO UPDATE SET"
	    " sid = coalesce($3, p.sid),"
	    " label = CASE WHEN $4 IS NOT NULL THEN $4"
	    "  WHEN p.label = '' THEN coalesce($5, '') ELSE p.label END,"
	    " bundle_sid = coalesce($6, p.bundle_sid),"
	    " address_sid = coalesce($7, p.address_sid),"
	    " hooks = coalesce($8::jsonb, p.hooks),"
	    " hooks_read_at = CASE WHEN $8 IS NULL THEN p.hooks_read_at"
	    "  ELSE now() END,"
	    " updated_at = now()"
	    " WHERE p.tenant_id = excluded.tenant_id RETURNING p.id",
	    8 },
	{ "number_hooks",
	    "UPDATE phone_numbers p SET hooks = $3::jsonb, hooks_read_at = now()"
	    " FROM tenants t WHERE t.account_sid = $1 AND p.tenant_id = t.id"
	    " AND p.e164 = $2 RETURNING p.id",
	    3 },
	{ "number_account",
	    "SELECT t.account_sid FROM phone_numbers p"
	    " JOIN tenants t ON t.id = p.tenant_id WHERE p.e164 = $1",
	    1 },
	{ "number_agent",
	    "SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id"
	    " WHERE t.account_sid = $1 AND u.identity = $2",
	    2 },
	{ "number_delete",
	    "DELETE FROM phone_numbers p USING tenants t"
	    " WHERE t.account_sid = $1 AND p.tenant_id = t.id AND p.e164 = $2"
	    " RETURNING p.id",
	    2 },
	{ NULL, NULL, 0 },
};

enum db_result
store_number_put(struct db_conn *c, const char *account_sid,
    const struct store_number_in *n)
{
	const char *params[10];
	char timeout[16];
	enum db_result res;

	snprintf(timeout, sizeof(timeout), "%d", n->ring_timeout_s);
	params[0] = account_sid;
	params[1] = n->e164;
	params[2] = n->sid;
	params[3] = n->label;
	params[4] = n->ring_timeout_s > 0 ? timeout : NULL;
	params[5] = n->disclaimer_text;
	params[6] = n->disclaimer_language;
	params[7] = n->disclaimer_voice;
	params[8] = n->disclaimer_audio_url;
	params[9] = n->voicemail < 0 ? NULL : n->voicemail ? "true" : "false";
	PQclear(db_exec(c, "number_put", 10, params, &res));
	return res;
}

enum db_result
store_number_assign(struct db_conn *c, const char *account_sid,
    const char *e164, const char *identity)
{
	const char *params[3] = { account_sid, e164, identity };
	enum db_result res;

	PQclear(db_exec(c, "number_assign", 3, params, &res));
	return res;
}

/* Call fn for every row of r (NUMBER_SELECT's columns). */
static void
each_row(PGresult *r, store_number_fn fn, void *arg)
{
	struct store_number_row row;

	for (int i = 0; i < PQntuples(r); i++) {
		row.e164 = PQgetvalue(r, i, 0);
		row.label = PQgetvalue(r, i, 1);
		row.owner = PQgetvalue(r, i, 2);
		row.ring_timeout_s = atoi(PQgetvalue(r, i, 3));
		row.voicemail = strcmp(PQgetvalue(r, i, 4), "t") == 0;
		row.sid = PQgetvalue(r, i, 5);
		row.bundle_sid = PQgetvalue(r, i, 6);
		row.bundle_status = PQgetvalue(r, i, 7);
		row.address_sid = PQgetvalue(r, i, 8);
		row.hooks = PQgetvalue(r, i, 9);
		row.hooks_read_at = PQgetvalue(r, i, 10);
		fn(arg, &row);
	}
}

enum db_result
store_number_list(struct db_conn *c, const char *account_sid,
    store_number_fn fn, void *arg)
{
	const char *params[1] = { account_sid };
	enum db_result res;
	PGresult *r;

	r = db_exec(c, "number_list", 1, params, &res);
	if (res == DB_NOTFOUND)
		res = DB_OK;
	else if (res == DB_OK)
		each_row(r, fn, arg);
	PQclear(r);
	return res;
}

/* One row by statement stmt ($1 account, $2 key). */
static enum db_result
number_one(struct db_conn *c, const char *stmt, const char *account_sid,
    const char *key, store_number_fn fn, void *arg)
{
	const char *params[2] = { account_sid, key };
	enum db_result res;
	PGresult *r;

	r = db_exec(c, stmt, 2, params, &res);
	if (res == DB_OK)
		each_row(r, fn, arg);
	PQclear(r);
	return res;
}

enum db_result
store_number_get(struct db_conn *c, const char *account_sid, const char *e164,
    store_number_fn fn, void *arg)
{
	return number_one(c, "number_get", account_sid, e164, fn, arg);
}

enum db_result
store_number_by_sid(struct db_conn *c, const char *account_sid, const char *sid,
    store_number_fn fn, void *arg)
{
	return number_one(c, "number_by_sid", account_sid, sid, fn, arg);
}

enum db_result
store_number_twilio(struct db_conn *c, const char *account_sid,
    const struct store_number_twilio *t)
{
	const char *params[8] = { account_sid, t->e164, t->sid, t->label,
		t->label_default, t->bundle_sid, t->address_sid, t->hooks };
	enum db_result res;

	PQclear(db_exec(c, "number_twilio", 8, params, &res));
	return res;
}

enum db_result
store_number_hooks(struct db_conn *c, const char *account_sid,
    const char *e164, const char *hooks)
{
	const char *params[3] = { account_sid, e164, hooks };
	enum db_result res;

	PQclear(db_exec(c, "number_hooks", 3, params, &res));
	return res;
}

enum db_result
store_number_delete(struct db_conn *c, const char *account_sid,
    const char *e164)
{
	const char *params[2] = { account_sid, e164 };
	enum db_result res;

	PQclear(db_exec(c, "number_delete", 2, params, &res));
	return res;
}

enum db_result
store_number_account(struct db_conn *c, const char *e164, char *out,
    size_t outlen)
{
	const char *params[1] = { e164 };
	enum db_result res;
	PGresult *r;

	if (outlen > 0)
		out[0] = '\0';
	r = db_exec(c, "number_account", 1, params, &res);
	if (res == DB_OK && outlen > 0)
		snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return res;
}

enum db_result
store_number_agent(struct db_conn *c, const char *account_sid,
    const char *identity)
{
	const char *params[2] = { account_sid, identity };
	enum db_result res;

	PQclear(db_exec(c, "number_agent", 2, params, &res));
	return res;
}

void
store_number_cleanup(struct store_number *n)
{
	if (n == NULL)
		return;
	free(n->label);
	free(n->disclaimer_text);
	free(n->disclaimer_language);
	free(n->disclaimer_voice);
	free(n->disclaimer_audio_url);
	free(n->owner_identity);
	memset(n, 0, sizeof(*n));
}

