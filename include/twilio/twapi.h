#ifndef RAMAL_TWAPI_H
#define RAMAL_TWAPI_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "form.h"

/*
 * A small client for Twilio's REST APIs (the 2010-04-01 API, TaskRouter
 * v1 and Numbers v2).
 *
 * Each request is one httpc_request() (its own libcurl easy handle, no
 * shared mutable state), so any number of threads may call it at once
 * (after httpc_global_init() in the main thread).  It blocks for up to
 * TWAPI_TIMEOUT_MS: never call it from a webhook handler; handlers queue a
 * job instead.  Credentials are borrowed, handed to libcurl for HTTP Basic
 * authentication, and never logged; every request is logged at debug level
 * as method, path (no query), HTTP status and duration.  Failures are not
 * logged above debug here: the caller knows what the request was for and
 * reports it (twapi_describe).
 */
#define TWAPI_CONNECT_TIMEOUT_MS 5000
#define TWAPI_TIMEOUT_MS 15000
#define TWAPI_BODY_MAX (1024 * 1024) /* a bigger answer is an error */

/* Which base URL a path is relative to. */
enum twapi_host {
	TWAPI_API, /* TWILIO_API_BASE: /2010-04-01/... */
	TWAPI_TASKROUTER, /* TWILIO_TASKROUTER_BASE: /v1/... */
	TWAPI_NUMBERS, /* TWILIO_NUMBERS_BASE: /v2/RegulatoryCompliance/... */
};

/* Who calls and on behalf of which account (all strings borrowed). */
struct twapi_client {
	const char *api_base; /* no trailing slash */
	const char *taskrouter_base;
	const char *numbers_base; /* NULL: no Numbers requests */
	const char *account_sid; /* the account whose resources are used */
	const char *user; /* Basic user: account SID or API key SID */
	const char *secret; /* auth token or API key secret */
	long connect_timeout_ms;
	long timeout_ms;
};

enum twapi_result {
	TWAPI_OK, /* a 2xx answer (body parsed when not empty) */
	TWAPI_HTTP_ERROR, /* Twilio answered 3xx/4xx/5xx: see status, err */
	TWAPI_TRANSPORT, /* no usable answer: connect, timeout, size, JSON */
};

/* Twilio's error document ({"code","message","more_info","status"}). */
struct twapi_error {
	int code; /* e.g. 20003, 20404; 0 when the body had none */
	char message[256];
	char more_info[160];
};

/* The answer to one request; clean up with twapi_resp_cleanup(). */
struct twapi_resp {
	long status; /* HTTP status, 0 when no answer came */
	json_t *body; /* parsed JSON body (owned), or NULL */
	struct twapi_error err; /* filled on TWAPI_HTTP_ERROR */
	char transport[160]; /* what went wrong on TWAPI_TRANSPORT */
	long duration_ms;
	long retry_after_s; /* the answer's Retry-After (httpc.h), or -1 */
};

/*
 * The client of the primary account of cfg (TWILIO_ACCOUNT_SID), with the
 * API key when TWILIO_API_KEY_SID/SECRET are set and the auth token
 * otherwise.  cfg is borrowed and must outlive the client.  0, or -1 when
 * cfg has no account SID or no credentials.
 */
int twapi_client_init(struct twapi_client *c, const struct config *cfg);

/*
 * The client of any account (a subaccount) with that account's SID and
 * auth token (both borrowed), base URLs from cfg.
 */
void twapi_client_init_account(struct twapi_client *c, const struct config *cfg,
    const char *account_sid, const char *token);

/*
 * One request.  method is "GET", "POST" or "DELETE".  path starts with '/'
 * and is relative to host's base URL; an absolute URL is accepted only when
 * it starts with that base URL (next-page links), so credentials never go
 * to another host.  params (may be NULL) become the query string of a GET
 * or DELETE and the x-www-form-urlencoded body of a POST; a repeated name
 * is sent repeated, in order.  The response is filled in out (cleaned up
 * first by the caller's twapi_resp_cleanup of any previous use).
 */
enum twapi_result twapi_request(const struct twapi_client *c,
    enum twapi_host host, const char *method, const char *path,
    const struct form *params, struct twapi_resp *out);

/* Shorthands for twapi_request. */
enum twapi_result twapi_get(const struct twapi_client *c, enum twapi_host host,
    const char *path, const struct form *query, struct twapi_resp *out);
enum twapi_result twapi_post(const struct twapi_client *c, enum twapi_host host,
    const char *path, const struct form *form, struct twapi_resp *out);
enum twapi_result twapi_delete(const struct twapi_client *c,
    enum twapi_host host, const char *path, struct twapi_resp *out);

/* Free the body; the struct may be reused. */
void twapi_resp_cleanup(struct twapi_resp *r);

/*
 * A one-line description of a failed request for messages: "HTTP 401,
 * Twilio error 20003: Authenticate (https://...)" or the transport cause.
 * Returns buf.
 */
const char *twapi_describe(const struct twapi_resp *r, char *buf, size_t len);

/* "true" / "false", as Twilio wants booleans on the wire. */
const char *twapi_bool(int v);

/*
 * Append the form encoding of params to out ("a=1&b=x%20y").  0, or -1
 * when out's cap is reached.
 */
int twapi_encode_form(struct buf *out, const struct form *params);

/* A string member of a JSON object (borrowed), or NULL. */
const char *twapi_json_str(const json_t *obj, const char *key);

#endif
