/*
 * Sign-in: rate limit, password, session.  See include/auth/auth.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "store_auth.h"
#include "util.h"

/* ---- sign-in ---- */

static enum auth_login_result
db_failure(enum db_result res)
{
	return res == DB_UNAVAILABLE ? AUTH_LOGIN_UNAVAILABLE : AUTH_LOGIN_ERR;
}

/*
 * Every check runs the same number of hashes: one per candidate, and a
 * dummy for each missing one.  The number of matches is what counts.
 */
static int
check_password(const char *password,
    const struct store_auth_candidate *cand, int n, long long *id)
{
	int matches = 0;

	for (int i = 0; i < STORE_AUTH_MAX_CANDIDATES; i++) {
		if (i >= n) {
			auth_password_dummy(password);
			continue;
		}
		if (auth_password_verify(password, cand[i].hash) &&
		    matches++ == 0)
			*id = cand[i].id;
	}
	return matches;
}

enum auth_login_result
auth_login(struct auth_login *in)
{
	struct store_auth_candidate cand[STORE_AUTH_MAX_CANDIDATES];
	struct store_auth_attempt att;
	char th[AUTH_HASH_HEX_LEN + 1], ch[AUTH_HASH_HEX_LEN + 1];
	char uid[24], retry[24];
	struct db_conn *c;
	long long id = 0;
	int n = 0, matches;
	enum db_result res;

	in->retry_after_s = 0;
	in->user = NULL;
	/* 1. Count the attempt and find the candidates. */
	if ((c = db_acquire()) == NULL)
		return AUTH_LOGIN_UNAVAILABLE;
	res = store_auth_attempt_begin(c, in->email, in->client_addr, &att);
	if (res == DB_OK && att.retry_after_s == 0)
		res = store_auth_candidates(c, in->email, in->account_sid, cand,
		    STORE_AUTH_MAX_CANDIDATES, &n);
	db_release(c);
	if (res != DB_OK)
		return db_failure(res);
	if (att.retry_after_s > 0) {
		in->retry_after_s = att.retry_after_s;
		snprintf(retry, sizeof(retry), "%ld", in->retry_after_s);
		log_kv(LOG_WARN, "sign-in refused: too many failures", "addr",
		    in->client_addr, "retry_after_s", retry, NULL);
		return AUTH_LOGIN_LIMITED;
	}
	/* 2. The hashes, holding no connection. */
	matches = check_password(in->password, cand, n, &id);
	if (matches == 0) {
		/* The attempt's rows stay: they are the failure's record. */
		log_kv(LOG_INFO, "sign-in failed", "addr", in->client_addr,
		    NULL);
		return AUTH_LOGIN_DENIED;
	}
	/* 3. A right password: the attempt was no failure. */
	if ((c = db_acquire()) == NULL)
		return AUTH_LOGIN_UNAVAILABLE;
	res = store_auth_attempt_forget(c, &att);
	if (res != DB_OK)
		goto out;
	if (matches > 1) {
		log_kv(LOG_INFO, "sign-in needs an account: several match",
		    "addr", in->client_addr, NULL);
		db_release(c);
		return AUTH_LOGIN_AMBIGUOUS;
	}
	if ((res = store_auth_reset(c, in->email)) != DB_OK)
		goto out;
	if (auth_token_new(in->token) != 0 || auth_token_new(in->csrf) != 0) {
		res = DB_ERR;
		goto out;
	}
	auth_token_hash(in->token, th);
	auth_token_hash(in->csrf, ch);
	res = store_auth_session_put(c, id, th, ch, in->ttl_h, in->user_agent,
	    in->client_addr, in->max_sessions);
	if (res != DB_OK)
		goto out;
	res = store_auth_session_get(c, th, &in->user, ch);
	if (res == DB_NOTFOUND)
		res = DB_ERR;
out:
	db_release(c);
	if (res != DB_OK)
		return db_failure(res);
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

