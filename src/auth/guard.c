/*
 * The guards of signed-in routes and the role checks handlers make.  See
 * include/auth/auth.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "log.h"
#include "session_cache.h"
#include "store_auth.h"
#include "util.h"

/* ---- requests ---- */

static int
unauthorized(struct http_req *r, const char *why)
{
	http_reply_header(r, "WWW-Authenticate", "Bearer realm=\"ramal\"");
	http_reply_error(r, 401, "%s", why);
	return -1;
}

static int
forbidden(struct http_req *r, const char *why)
{
	http_reply_error(r, 403, "%s", why);
	return -1;
}

static int
needs_csrf(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "OPTIONS") != 0;
}

static void
user_free(void *u)
{
	auth_user_free(u);
}

#define SESSION_GONE "session expired or signed out; sign in again"
#define TICKET_GONE                                                           \
	"ticket unknown, already used or expired; ask POST "                  \
	"/api/events/ticket for another"

/*
 * The live session of a token's hash: from the session cache, else the
 * database (then cached).  A db_result; DB_OK with a new user in *u.
 */
static enum db_result
session_find(const char *hash, struct auth_user **u,
    char csrf_hash[AUTH_HASH_HEX_LEN + 1])
{
	struct db_conn *c;
	enum db_result res;
	uint64_t gen;

	if (session_cache_get(hash, u, csrf_hash) == 1)
		return DB_OK;
	gen = session_cache_gen();
	if ((c = db_acquire()) == NULL)
		return DB_UNAVAILABLE;
	res = store_auth_session_get(c, hash, u, csrf_hash);
	db_release(c);
	if (res == DB_OK)
		session_cache_put(hash, *u, csrf_hash, gen);
	return res;
}

/* Answer a look-up that found no usable session (gone, or no database). */
static void
lookup_refused(struct http_req *r, enum db_result res, const char *gone)
{
	if (res == DB_NOTFOUND)
		unauthorized(r, gone);
	else
		http_reply_error(r, res == DB_UNAVAILABLE ? 503 : 500,
		    res == DB_UNAVAILABLE ? "temporarily unavailable"
					  : "internal error");
}

static int
role_refused(struct http_req *r, enum auth_role min)
{
	return forbidden(r,
	    min == AUTH_ROLE_ADMIN ? "this needs the admin role"
				   : "this needs the supervisor role");
}

static enum http_guard_result
verify(struct http_req *r, enum auth_role need)
{
	const char *authz = http_req_header(r, "Authorization");
	const char *cookie = http_req_header(r, "Cookie");
	char token[AUTH_TOKEN_LEN + 2], hash[AUTH_HASH_HEX_LEN + 1];
	char csrf_hash[AUTH_HASH_HEX_LEN + 1];
	struct auth_user *u = NULL;
	enum db_result res;
	int via_cookie = 0;
	enum http_guard_result result = HTTP_ANSWERED;

	token[0] = '\0';
	if (authz != NULL) {
		if (strncasecmp(authz, "Bearer ", 7) != 0) {
			unauthorized(r, "send Authorization: Bearer <token>");
			goto out;
		}
		for (authz += 7; *authz == ' ';)
			authz++;
		snprintf(token, sizeof(token), "%s", authz);
	} else if (cookie != NULL &&
	    auth_cookie_get(cookie, AUTH_SESSION_COOKIE, token,
		sizeof(token)) != NULL)
		via_cookie = 1;
	else {
		unauthorized(r, "sign in first");
		goto out;
	}
	if (!auth_token_valid(token)) {
		unauthorized(r, SESSION_GONE);
		goto out;
	}
	auth_token_hash(token, hash);
	if ((res = session_find(hash, &u, csrf_hash)) != DB_OK) {
		lookup_refused(r, res, SESSION_GONE);
		goto out;
	}
	u->via_cookie = via_cookie;
	if (via_cookie && needs_csrf(http_req_method(r)) &&
	    !auth_token_matches(http_req_header(r, AUTH_CSRF_HEADER),
		csrf_hash)) {
		log_kv(LOG_WARN, "request refused: missing or wrong CSRF token",
		    "path", http_req_path(r), NULL);
		forbidden(r, "missing or wrong " AUTH_CSRF_HEADER " header");
		goto out;
	}
	if (u->role < need) {
		role_refused(r, need);
		goto out;
	}
	snprintf(u->session_hash, sizeof(u->session_hash), "%s", hash);
	http_req_set_ctx(r, u, user_free);
	u = NULL;
	result = HTTP_GO_ON;
out:
	OPENSSL_cleanse(token, sizeof(token));
	auth_user_free(u);
	return result;
}

enum http_guard_result
auth_guard_agent(struct http_req *r)
{
	return verify(r, AUTH_ROLE_AGENT);
}

enum http_guard_result
auth_guard_supervisor(struct http_req *r)
{
	return verify(r, AUTH_ROLE_SUPERVISOR);
}

enum http_guard_result
auth_guard_admin(struct http_req *r)
{
	return verify(r, AUTH_ROLE_ADMIN);
}

/*
 * ?ticket=: taken once, then the request is its session's, as with that
 * session's Bearer token (no CSRF: the route is a GET).  The ticket
 * itself never reaches a log: the access log has the path only.
 */
enum http_guard_result
auth_guard_events(struct http_req *r)
{
	const char *ticket = http_req_query(r, "ticket");
	char hash[AUTH_HASH_HEX_LEN + 1], csrf_hash[AUTH_HASH_HEX_LEN + 1];
	struct auth_user *u = NULL;
	enum db_result res;

	if (ticket == NULL)
		return verify(r, AUTH_ROLE_AGENT);
	if ((res = auth_ticket_take(ticket, hash)) != DB_OK) {
		lookup_refused(r, res, TICKET_GONE);
		return HTTP_ANSWERED;
	}
	if ((res = session_find(hash, &u, csrf_hash)) != DB_OK) {
		lookup_refused(r, res, SESSION_GONE);
		return HTTP_ANSWERED;
	}
	u->via_cookie = 0;
	snprintf(u->session_hash, sizeof(u->session_hash), "%s", hash);
	http_req_set_ctx(r, u, user_free);
	return HTTP_GO_ON;
}

/*
 * Only the guards above set a request's context, always to an auth_user:
 * a route without one of them has none.
 */
const struct auth_user *
auth_user_of(const struct http_req *r)
{
	const struct http_route *rt = http_req_route(r);

	if (rt == NULL ||
	    (rt->guard != auth_guard_agent &&
		rt->guard != auth_guard_supervisor &&
		rt->guard != auth_guard_admin &&
		rt->guard != auth_guard_events))
		return NULL;
	return http_req_ctx(r);
}

int
auth_require(struct http_req *r, enum auth_role min)
{
	const struct auth_user *u = auth_user_of(r);

	if (u != NULL && u->role >= min)
		return 0;
	return role_refused(r, min);
}

int
auth_may_act_for(const struct auth_user *u, long long user_id)
{
	return u != NULL &&
	    (u->id == user_id || u->role >= AUTH_ROLE_SUPERVISOR);
}

