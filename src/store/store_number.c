/*
 * Phone numbers: statements and the row's cleanup.  See
 * include/store/store_number.h.
 */
#include <stdlib.h>
#include <string.h>

#include "store_number.h"

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
