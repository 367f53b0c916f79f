/*
 * /api/login, /api/logout, /api/me.  See include/api/api_auth.h; the rules
 * themselves (rate limit, sessions, CSRF) are in auth.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api_auth.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "session_cache.h"
#include "store_auth.h"
#include "util.h"

#define DENIED_TEXT "wrong email or password"

static json_t *
user_json(const struct auth_user *u)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s,"
			 " s:{s:I, s:s, s:s}, s:s}",
	    "id", (json_int_t)u->id, "email", u->email, "name", u->name, "role",
	    auth_role_name(u->role), "identity", u->identity, "status",
	    u->status, "tenant", "id", (json_int_t)u->tenant_id, "account_sid",
	    u->account_sid, "name", u->tenant_name, "session_expires_at",
	    u->expires_at);
}

/*
 * A string member of the body: *out is NULL when absent (or null), -1
 * when it is not a string or holds a NUL.
 */
static int
body_string(json_t *body, const char *key, const char **out)
{
	json_t *v = json_object_get(body, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/* Set both cookies; value NULL clears them (Max-Age=0). */
static int
set_cookies(struct http_req *r, const char *session, const char *csrf,
    long max_age)
{
	const struct config *cfg = http_req_config(r);
	int secure = auth_cookie_secure(cfg->base_url);
	char a[256], b[256];
	int rc;

	rc = auth_cookie_format(a, sizeof(a), AUTH_SESSION_COOKIE,
		 session ? session : "", max_age, 1, secure) != 0 ||
	    auth_cookie_format(b, sizeof(b), AUTH_CSRF_COOKIE, csrf ? csrf : "",
		max_age, 0, secure) != 0;
	if (rc == 0) {
		http_reply_header(r, "Set-Cookie", a);
		http_reply_header(r, "Set-Cookie", b);
	}
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return rc ? -1 : 0;
}

static int
login_ok(struct http_req *r, struct auth_login *in)
{
	json_t *out;

	if (set_cookies(r, in->token, in->csrf, (long)in->ttl_h * 3600) != 0)
		return -1;
	out = json_pack("{s:s, s:s, s:s, s:o}", "token", in->token,
	    "csrf_token", in->csrf, "expires_at", in->user->expires_at, "user",
	    user_json(in->user));
	return http_reply_json(r, 200, out);
}

int
api_auth_login(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	json_t *body = http_req_json(r);
	struct auth_login in;
	char addr[AUTH_ADDR_MAX], retry[24];
	const char *email, *password, *account;
	int rc = -1;

	memset(&in, 0, sizeof(in));
	email = password = account = NULL;
	if (!json_is_object(body) || body_string(body, "email", &email) != 0 ||
	    body_string(body, "password", &password) != 0 ||
	    body_string(body, "account", &account) != 0 || email == NULL ||
	    password == NULL || *email == '\0' || *password == '\0') {
		rc = http_reply_error(r, 400,
		    "send JSON {\"email\": \"...\", \"password\": \"...\"}");
		goto out;
	}
	if (strlen(email) > AUTH_EMAIL_MAX ||
	    strlen(password) > AUTH_PASSWORD_MAX) {
		rc = http_reply_error(r, 400, "email or password too long");
		goto out;
	}
	http_req_client_addr(r, addr, sizeof(addr));
	in.email = email;
	in.password = password;
	in.account_sid = account;
	in.client_addr = addr;
	in.user_agent = http_req_header(r, "User-Agent");
	in.ttl_h = cfg->session_ttl_h;
	in.max_sessions = cfg->session_max_per_user;
	switch (auth_login(&in)) {
	case AUTH_LOGIN_OK:
		rc = login_ok(r, &in);
		break;
	case AUTH_LOGIN_DENIED:
		rc = http_reply_error(r, 401, DENIED_TEXT);
		break;
	case AUTH_LOGIN_LIMITED:
		snprintf(retry, sizeof(retry), "%ld", in.retry_after_s);
		http_reply_header(r, "Retry-After", retry);
		rc = http_reply_error(r, 429,
		    "too many failed sign-ins; try again in %ld seconds",
		    in.retry_after_s);
		break;
	case AUTH_LOGIN_AMBIGUOUS:
		rc = http_reply_error(r, 409,
		    "this email signs in to several accounts; add "
		    "\"account\": \"AC...\"");
		break;
	case AUTH_LOGIN_UNAVAILABLE:
		rc = http_reply_error(r, 503, "temporarily unavailable");
		break;
	case AUTH_LOGIN_ERR:
		rc = -1;
		break;
	}
out:
	/* The body's copy of the password: no longer needed by anyone. */
	if (password != NULL)
		OPENSSL_cleanse((char *)password, strlen(password));
	auth_login_cleanup(&in);
	return rc;
}

int
api_auth_logout(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	struct db_conn *c;
	enum db_result res;

	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	res = store_auth_session_revoke(c, u->session_id);
	db_release(c);
	/* Our own entries go now; other instances hear it by NOTIFY. */
	session_cache_invalidate(u->id);
	if (res == DB_UNAVAILABLE)
		return http_reply_error(r, 503, "temporarily unavailable");
	if (res != DB_OK && res != DB_NOTFOUND)
		return -1;
	if (set_cookies(r, NULL, NULL, 0) != 0)
		return -1;
	return http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

int
api_auth_me(struct http_req *r)
{
	return http_reply_json(r, 200, user_json(auth_user_of(r)));
}
