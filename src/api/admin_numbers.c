/*
 * The admin API of numbers.  See include/api/admin_numbers.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "account.h"
#include "admin_numbers.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "numbers.h"

static unsigned
http_status_of(enum account_status s)
{
	switch (s) {
	case ACCOUNT_OK:
		return 200;
	case ACCOUNT_BAD_INPUT:
	case ACCOUNT_INVALID:
		return 400;
	case ACCOUNT_NOT_FOUND:
		return 404;
	case ACCOUNT_REFUSED:
		return 409;
	case ACCOUNT_TWILIO:
		return 502;
	case ACCOUNT_UNAVAILABLE:
		break;
	}
	return 503;
}

static int
reply_err(struct http_req *r, const struct account_err *e)
{
	json_t *body = json_pack("{s:s, s:s}", "error", e->msg, "request_id",
	    http_req_id(r));

	if (e->twilio_code != 0)
		json_object_set_new(body, "twilio_code",
		    json_integer(e->twilio_code));
	return http_reply_json(r, http_status_of(e->status), body);
}

/* The admin's tenant, on a pooled connection; 0, or answered. */
struct op {
	struct db_conn *db;
	struct account_ctx x;
	struct account_err e;
};

static int
op_open(struct http_req *r, struct op *o)
{
	const struct auth_user *u = auth_user_of(r);

	memset(o, 0, sizeof(*o));
	if ((o->db = db_acquire()) == NULL) {
		http_reply_error(r, 503, "temporarily unavailable");
		return -1;
	}
	if (account_open(&o->x, http_req_config(r), o->db, u->account_sid,
		&o->e) != ACCOUNT_OK) {
		reply_err(r, &o->e);
		account_close(&o->x);
		db_release(o->db);
		return -1;
	}
	return 0;
}

/* Answer status/out or the failure, and close o. */
static int
op_done(struct http_req *r, struct op *o, enum account_status rc,
    unsigned ok_status, json_t *out)
{
	int ret;

	account_close(&o->x);
	db_release(o->db);
	if (rc != ACCOUNT_OK) {
		json_decref(out);
		return reply_err(r, &o->e);
	}
	ret = http_reply_json(r, ok_status, out);
	return ret;
}

/* A string member of the body: borrowed, NULL when absent or null. */
static int
body_str(const json_t *body, const char *key, const char **out)
{
	const json_t *v = json_object_get(body, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

int
admin_numbers_list(struct http_req *r)
{
	struct op o;
	json_t *out = NULL;
	enum account_status rc;

	if (op_open(r, &o) != 0)
		return 0;
	rc = numbers_list(&o.x, 0, &out, &o.e);
	return op_done(r, &o, rc, 200, out);
}

int
admin_numbers_search(struct http_req *r)
{
	struct numbers_query q;
	struct account_err e;
	const char *limit = http_req_query(r, "limit");
	struct op o;
	json_t *out = NULL;
	enum account_status rc;

	memset(&q, 0, sizeof(q));
	q.country = http_req_query(r, "country");
	q.ddd = http_req_query(r, "ddd");
	q.type = http_req_query(r, "type");
	q.contains = http_req_query(r, "contains");
	if (limit != NULL) {
		if (*limit == '\0' || strlen(limit) > 4 ||
		    strspn(limit, "0123456789") != strlen(limit))
			return http_reply_error(r, 400, "limit: 1 to 50");
		q.limit = atoi(limit);
		if (q.limit == 0)
			return http_reply_error(r, 400, "limit: 1 to 50");
	}
	/* Bad input costs neither a connection nor a request to Twilio. */
	if (numbers_search_check(&q, &e) != ACCOUNT_OK)
		return reply_err(r, &e);
	if (op_open(r, &o) != 0)
		return 0;
	rc = numbers_search(&o.x, &q, &out, &o.e);
	return op_done(r, &o, rc, 200, out);
}

int
admin_numbers_buy(struct http_req *r)
{
	json_t *body = http_req_json(r), *out = NULL;
	struct numbers_buy b;
	struct account_err e;
	enum account_status rc;
	struct op o;

	memset(&b, 0, sizeof(b));
	if (!json_is_object(body) ||
	    body_str(body, "phone_number", &b.phone_number) != 0 ||
	    body_str(body, "bundle_sid", &b.bundle_sid) != 0 ||
	    body_str(body, "address_sid", &b.address_sid) != 0 ||
	    body_str(body, "label", &b.label) != 0 ||
	    body_str(body, "owner", &b.owner) != 0 || b.phone_number == NULL)
		return http_reply_error(r, 400,
		    "send JSON {\"phone_number\": \"+55...\", \"bundle_sid\": "
		    "\"BU...\", \"address_sid\", \"label\", \"owner\"} (strings; "
		    "all but phone_number optional)");
	if (numbers_buy_check(&b, &e) != ACCOUNT_OK)
		return reply_err(r, &e);
	if (op_open(r, &o) != 0)
		return 0;
	rc = numbers_buy(&o.x, &b, &out, &o.e);
	return op_done(r, &o, rc,
	    rc == ACCOUNT_OK &&
		    strcmp(json_string_value(json_object_get(out, "outcome")),
			"bought") == 0
		? 201
		: 200,
	    out);
}

int
admin_numbers_update(struct http_req *r)
{
	json_t *body = http_req_json(r), *out = NULL, *owner_v;
	const char *owner = NULL, *label = NULL;
	enum account_status rc;
	struct op o;

	owner_v = json_object_get(body, "owner");
	if (!json_is_object(body) ||
	    (owner_v != NULL && !json_is_null(owner_v) &&
		!json_is_string(owner_v)) ||
	    body_str(body, "label", &label) != 0 ||
	    (owner_v == NULL && label == NULL))
		return http_reply_error(r, 400,
		    "send JSON {\"owner\": \"<identity>\" or null, \"label\": "
		    "\"...\"} (at least one)");
	/* null: no owner any more; absent: unchanged. */
	if (owner_v != NULL)
		owner = json_is_null(owner_v) ? "" : json_string_value(owner_v);
	if (op_open(r, &o) != 0)
		return 0;
	rc = numbers_update(&o.x, http_req_param(r, 0), owner, label, &out,
	    &o.e);
	return op_done(r, &o, rc, 200, out);
}

int
admin_numbers_release(struct http_req *r)
{
	const char *force = http_req_query(r, "force");
	enum account_status rc;
	json_t *out = NULL;
	struct op o;

	if (force != NULL && strcmp(force, "true") != 0 &&
	    strcmp(force, "false") != 0)
		return http_reply_error(r, 400, "force: true or false");
	if (op_open(r, &o) != 0)
		return 0;
	/* ?force covers the dedicated line only; never the environment. */
	rc = numbers_release(&o.x, http_req_param(r, 0),
	    force != NULL && strcmp(force, "true") == 0, &out, &o.e);
	return op_done(r, &o, rc, 200, out);
}
