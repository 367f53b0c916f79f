/*
 * Sign-in: rate limit, password, session.  See include/auth/auth.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "log.h"
#include "store_auth.h"
#include "util.h"

/* ---- sign-in ---- */

static enum auth_login_result
db_failure(enum db_result res)
{
	return res == DB_UNAVAILABLE ? AUTH_LOGIN_UNAVAILABLE : AUTH_LOGIN_ERR;
}

enum auth_login_result
auth_login(struct db_conn *c, struct auth_login *in)
{
	struct store_auth_candidate cand[STORE_AUTH_MAX_CANDIDATES];
	char th[AUTH_HASH_HEX_LEN + 1], ch[AUTH_HASH_HEX_LEN + 1];
	char uid[24], retry[24];
	long long id = 0;
	int n = 0, matches = 0;
	enum db_result res;

	in->retry_after_s = 0;
	in->user = NULL;
	res = store_auth_limited(c, in->email, in->client_addr,
	    &in->retry_after_s);
	if (res != DB_OK)
		return db_failure(res);
	if (in->retry_after_s > 0) {
		snprintf(retry, sizeof(retry), "%ld", in->retry_after_s);
		log_kv(LOG_WARN, "sign-in refused: too many failures", "addr",
		    in->client_addr, "retry_after_s", retry, NULL);
		return AUTH_LOGIN_LIMITED;
	}
	res = store_auth_candidates(c, in->email, in->account_sid, cand,
	    STORE_AUTH_MAX_CANDIDATES, &n);
	if (res != DB_OK)
		return db_failure(res);
	if (n == 0)
		auth_password_dummy(in->password);
	for (int i = 0; i < n; i++)
		if (auth_password_verify(in->password, cand[i].hash)) {
			if (matches++ == 0)
				id = cand[i].id;
		}
	if (matches == 0) {
		res = store_auth_failed(c, in->email, in->client_addr);
		if (res != DB_OK)
			return db_failure(res);
		log_kv(LOG_INFO, "sign-in failed", "addr", in->client_addr,
		    NULL);
		return AUTH_LOGIN_DENIED;
	}
	if (matches > 1) {
		log_kv(LOG_INFO, "sign-in needs an account: several match",
		    "addr", in->client_addr, NULL);
		return AUTH_LOGIN_AMBIGUOUS;
	}
	if ((res = store_auth_reset(c, in->email)) != DB_OK)
		return db_failure(res);
	if (auth_token_new(in->token) != 0 || auth_token_new(in->csrf) != 0)
		return AUTH_LOGIN_ERR;
	auth_token_hash(in->token, th);
	auth_token_hash(in->csrf, ch);
	res = store_auth_session_put(c, id, th, ch, in->ttl_h, in->user_agent,
	    in->client_addr);
	if (res != DB_OK)
		return db_failure(res);
	res = store_auth_session_get(c, th, &in->user, ch);
	if (res != DB_OK)
		return res == DB_NOTFOUND ? AUTH_LOGIN_ERR : db_failure(res);
	snprintf(uid, sizeof(uid), "%lld", id);
	log_kv(LOG_INFO, "signed in", "user", uid, "account",
	    in->user->account_sid, "addr", in->client_addr, NULL);
	return AUTH_LOGIN_OK;
}

void
auth_login_cleanup(struct auth_login *in)
{
	OPENSSL_cleanse(in->token, sizeof(in->token));
	OPENSSL_cleanse(in->csrf, sizeof(in->csrf));
	auth_user_free(in->user);
	in->user = NULL;
}

