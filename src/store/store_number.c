/*
 * Phone numbers: statements and the row's cleanup.  See
 * include/store/store_number.h.
 */
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
	    " p.ring_timeout_s,"
	    " CASE WHEN p.voicemail_enabled THEN 'on' ELSE 'off' END,"
	    " coalesce(p.sid, '')"
	    " FROM phone_numbers p JOIN tenants t ON t.id = p.tenant_id"
	    " LEFT JOIN users u ON u.id = p.owner_user_id"
	    " WHERE t.account_sid = $1 ORDER BY p.e164",
	    1 },
	{ NULL, NULL, 0 },
};

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

enum db_result
store_number_list(struct db_conn *c, const char *account_sid,
    struct store_number_row **out, size_t *n)
{
	const char *params[1] = { account_sid };
	enum db_result res;
	PGresult *r;
	int rows;

	*out = NULL;
	*n = 0;
	r = db_exec(c, "number_list", 1, params, &res);
	if (res == DB_NOTFOUND) {
		PQclear(r);
		return DB_OK;
	}
	if (res != DB_OK)
		goto out;
	rows = PQntuples(r);
	*out = xcalloc((size_t)rows, sizeof(**out));
	for (int i = 0; i < rows; i++) {
		struct store_number_row *row = &(*out)[i];
		const char *sid = PQgetvalue(r, i, 5);

		row->e164 = xstrdup(PQgetvalue(r, i, 0));
		row->label = xstrdup(PQgetvalue(r, i, 1));
		row->sid = sid[0] != '\0' ? xstrdup(sid) : NULL;
	}
	*n = (size_t)rows;
out:
	PQclear(r);
	return res;
}

void
store_number_list_free(struct store_number_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].e164);
		free(v[i].label);
		free(v[i].sid);
	}
	free(v);
}
