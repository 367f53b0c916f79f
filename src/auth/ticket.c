/*
 * Tickets for live events.  See include/auth/auth.h.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "db.h"
#include "store_auth.h"

enum auth_ticket_result
auth_ticket_new(const struct auth_user *u, int ttl_s,
    char out[AUTH_TOKEN_LEN + 1])
{
	char hash[AUTH_HASH_HEX_LEN + 1];
	struct db_conn *c;
	enum db_result res;

	out[0] = '\0';
	if (auth_token_new(out) != 0)
		return AUTH_TICKET_ERR;
	auth_token_hash(out, hash);
	if ((c = db_acquire()) == NULL)
		res = DB_UNAVAILABLE;
	else {
		res = store_auth_ticket_put(c, hash, u->session_id, ttl_s,
		    AUTH_TICKETS_MAX_LIVE);
		db_release(c);
	}
	if (res == DB_OK)
		return AUTH_TICKET_OK;
	OPENSSL_cleanse(out, AUTH_TOKEN_LEN + 1);
	return res == DB_NOTFOUND   ? AUTH_TICKET_LIMITED
	    : res == DB_UNAVAILABLE ? AUTH_TICKET_UNAVAILABLE
				    : AUTH_TICKET_ERR;
}

enum db_result
auth_ticket_take(const char *ticket, char session_hash[AUTH_HASH_HEX_LEN + 1])
{
	char hash[AUTH_HASH_HEX_LEN + 1];
	struct db_conn *c;
	enum db_result res;

	session_hash[0] = '\0';
	if (!auth_token_valid(ticket))
		return DB_NOTFOUND;
	auth_token_hash(ticket, hash);
	if ((c = db_acquire()) == NULL)
		return DB_UNAVAILABLE;
	res = store_auth_ticket_take(c, hash, session_hash);
	db_release(c);
	return res;
}
