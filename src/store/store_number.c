/*
 * The tenants' phone numbers.  See include/store_number.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_number.h"
#include "util.h"

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
	    "SELECT p.e164, p.label, coalesce(u.identity, ''),"
	    " p.ring_timeout_s, p.voicemail_enabled, coalesce(p.sid, '')"
	    " FROM phone_numbers p JOIN tenants t ON t.id = p.tenant_id"
	    " LEFT JOIN users u ON u.id = p.owner_user_id"
	    " WHERE t.account_sid = $1 ORDER BY p.e164",
	    1 },
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

enum db_result
store_number_list(struct db_conn *c, const char *account_sid,
    store_number_fn fn, void *arg)
{
	const char *params[1] = { account_sid };
	struct store_number_row row;
	enum db_result res;
	PGresult *r;

	r = db_exec(c, "number_list", 1, params, &res);
	if (res == DB_NOTFOUND)
		res = DB_OK;
	for (int i = 0; res == DB_OK && i < PQntuples(r); i++) {
		row.e164 = PQgetvalue(r, i, 0);
		row.label = PQgetvalue(r, i, 1);
		row.owner = PQgetvalue(r, i, 2);
		row.ring_timeout_s = atoi(PQgetvalue(r, i, 3));
		row.voicemail = strcmp(PQgetvalue(r, i, 4), "t") == 0;
		row.sid = PQgetvalue(r, i, 5);
		fn(arg, &row);
	}
	PQclear(r);
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

