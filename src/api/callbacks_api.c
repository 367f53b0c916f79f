/*
 * The callback list's API.  See include/api/callbacks_api.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "callbacks_api.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "store_callbacks.h"

#define LIST_DEFAULT 100
#define LIST_MAX 200

static int
unavailable(struct http_req *r, enum db_result res)
{
	return res == DB_UNAVAILABLE
	    ? http_reply_error(r, 503, "temporarily unavailable")
	    : -1;
}

/* The {id} of the path, or 0 when it is not one. */
static long long
path_id(struct http_req *r)
{
	const char *p = http_req_param(r, 0);

	if (p == NULL || *p == '\0' || strlen(p) > 18 ||
	    strspn(p, "0123456789") != strlen(p))
		return 0;
	return strtoll(p, NULL, 10);
}

int
callbacks_api_list(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	const char *state = http_req_query(r, "state");
	const char *lim = http_req_query(r, "limit");
	struct store_callbacks_counts counts;
	enum store_callbacks_scope scope = STORE_CALLBACKS_OPEN;
	struct db_conn *c;
	enum db_result res;
	json_t *list;
	long limit = LIST_DEFAULT;

	if (state != NULL) {
		if (strcmp(state, "open") == 0)
			scope = STORE_CALLBACKS_OPEN;
		else if (strcmp(state, "closed") == 0)
			scope = STORE_CALLBACKS_CLOSED;
		else if (strcmp(state, "all") == 0)
			scope = STORE_CALLBACKS_ALL;
		else
			return http_reply_error(r, 400,
			    "state must be open, closed or all");
	}
	if (lim != NULL) {
		if (*lim == '\0' || strlen(lim) > 4 ||
		    strspn(lim, "0123456789") != strlen(lim) ||
		    (limit = atol(lim)) < 1 || limit > LIST_MAX)
			return http_reply_error(r, 400, "limit must be 1 to %d",
			    LIST_MAX);
	}
	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	res = store_callbacks_list(c, u->tenant_id, scope, (int)limit, &list,
	    &counts);
	db_release(c);
	if (res != DB_OK)
		return unavailable(r, res);
	return http_reply_json(r, 200,
	    json_pack("{s:o, s:i, s:i, s:o}", "callbacks", list, "open",
		(int)counts.open, "in_progress", (int)counts.in_progress,
		"oldest_open_at",
		counts.oldest_open_at[0] ? json_string(counts.oldest_open_at)
					 : json_null()));
}

int
callbacks_api_next(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	struct db_conn *c;
	enum db_result res;
	json_t *cb = NULL;
	char id[24];

	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	res = store_callbacks_next(c, u->tenant_id, u->id, &cb);
	db_release(c);
	if (res == DB_NOTFOUND)
		return http_reply_error(r, 404, "no callback is waiting");
	if (res != DB_OK)
		return unavailable(r, res);
	snprintf(id, sizeof(id), "%lld",
	    (long long)json_integer_value(json_object_get(cb, "id")));
	log_kv(LOG_INFO, "callback taken", "callback", id, NULL);
	return http_reply_json(r, 200, json_pack("{s:o}", "callback", cb));
}

int
callbacks_api_assign(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
	json_t *body = http_req_json(r), *cb = NULL;
	const json_t *who = json_object_get(body, "user_id");
	long long id = path_id(r), user = 0;
	struct db_conn *c;
	enum db_result res;

	if (id <= 0)
		return http_reply_error(r, 404, "no such callback");
	if (!json_is_object(body) || who == NULL ||
	    (!json_is_null(who) &&
		(!json_is_integer(who) || json_integer_value(who) < 1)))
		return http_reply_error(r, 400,
		    "send JSON {\"user_id\": <agent id> | null}");
	if (json_is_integer(who))
		user = (long long)json_integer_value(who);
	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	res = store_callbacks_assign(c, u->tenant_id, id, user, &cb);
	db_release(c);
	switch (res) {
	case DB_OK:
		return http_reply_json(r, 200,
		    json_pack("{s:o}", "callback", cb));
	case DB_NOTFOUND:
		return http_reply_error(r, 404, "no such callback");
	case DB_CONFLICT:
		return http_reply_error(r, 409, "the callback is closed");
	case DB_INVALID:
		return http_reply_error(r, 400,
		    "no such enabled user in this tenant");
	default:
		return unavailable(r, res);
	}
}

int
callbacks_api_close(struct http_req *r)
{
	static const char *const results[] = { "done", "no-answer",
		"canceled" };
	const struct auth_user *u = auth_user_of(r);
	json_t *body = http_req_json(r), *cb = NULL;
	const char *result = json_string_value(json_object_get(body, "result"));
	long long id = path_id(r);
	struct db_conn *c;
	enum db_result res;
	int ok = 0;

	if (id <= 0)
		return http_reply_error(r, 404, "no such callback");
	for (size_t i = 0; result != NULL && i < 3; i++)
		ok |= strcmp(result, results[i]) == 0;
	if (!json_is_object(body) || !ok)
		return http_reply_error(r, 400,
		    "send JSON {\"result\": \"done\" | \"no-answer\" | "
		    "\"canceled\"}");
	if ((c = db_acquire()) == NULL)
		return http_reply_error(r, 503, "temporarily unavailable");
	res = store_callbacks_close(c, u->tenant_id, id, result, u->id,
	    u->role >= AUTH_ROLE_SUPERVISOR, &cb);
	db_release(c);
	switch (res) {
	case DB_OK:
		log_kv(LOG_INFO, "callback closed", "result", result, NULL);
		return http_reply_json(r, 200,
		    json_pack("{s:o}", "callback", cb));
	case DB_NOTFOUND:
		return http_reply_error(r, 404, "no such callback");
	case DB_CONFLICT:
		return http_reply_error(r, 409, "the callback is closed");
	case DB_FOREIGN:
		return http_reply_error(r, 403,
		    "only its agent or a supervisor closes this callback");
	default:
		return unavailable(r, res);
	}
}
