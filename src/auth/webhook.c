/*
 * Twilio webhook authentication.  See include/auth/webhook.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "http.h"
#include "log.h"
#include "tenant.h"
#include "twiml.h"
#include "twsig.h"
#include "util.h"
#include "spool.h"
#include "webhook.h"

static int
reject(struct http_req *r, const char *why, const char *account)
{
	log_kv(LOG_WARN, "twilio signature rejected", "path", http_req_path(r),
	    "account", account, "reason", why, NULL);
	return http_reply_error(r, 403, "forbidden"), -1;
}

/*
 * The account's key is in the unreachable database.  A route with a
 * degraded answer gets it (a voice webhook: its route's own TwiML, made
 * without the database, that reveals and stores nothing, keeps the caller
 * and never queues an agent or a callee; voice.h); a callback, a route with a replay and no degraded
 * answer, is kept on disk with its signature, checked when the database
 * is back, within the spool's small unverified quota (503 beyond it, so
 * forged callbacks never take the room of checked ones); anything else is
 * refused for now (503).  Always -1 (answered).
 */
static int
unverifiable(struct http_req *r, const char *account, const char *sig,
    int is_body)
{
	const struct config *cfg = http_req_config(r);
	const struct http_route *rt = http_req_route(r);
	const char *path = http_req_path(r), *body;
	char received_at[32];
	struct buf url;
	size_t len;
	int rc;

	if (!is_body && rt->replay != NULL && rt->degraded == NULL) {
		util_rfc3339_now(received_at, sizeof(received_at));
		buf_init(&url, 16 * 1024);
		buf_addstr(&url, cfg->base_url);
		buf_addstr(&url, http_req_uri(r));
		body = http_req_body(r, &len);
		rc = spool_put_unverified(path, received_at, buf_cstr(&url),
		    sig, body, len);
		buf_cleanup(&url);
		if (rc == 0) {
			log_kv(LOG_WARN,
			    "callback spooled unverified: database unreachable",
			    "account", account, "path", path, NULL);
			http_reply(r, 200, "text/xml; charset=utf-8",
			    TWIML_EMPTY, sizeof(TWIML_EMPTY) - 1);
			return -1;
		}
		/*
		 * The unverified quota is full (logged there, at most once a
		 * second: anyone can send these) or the write failed (logged).
		 */
		http_reply_error(r, 503, "temporarily unavailable");
		return -1;
	}
	if (rt->degraded != NULL) {
		log_kv(LOG_WARN,
		    "webhook given its degraded answer, unverified: "
		    "database unreachable",
		    "account", account, "path", path, NULL);
		if (rt->degraded(r) == 0 || http_req_replied(r))
			return -1;
	}
	log_kv(LOG_ERROR,
	    "cannot check a webhook signature: database "
	    "unreachable",
	    "account", account, NULL);
	http_reply_error(r, 503, "temporarily unavailable");
	return -1;
}

enum spool_check
webhook_verify_spooled(const char *url, const char *sig, const char *body,
    size_t len)
{
	const struct twsig_key *key;
	const char *account;
	struct form f;
	enum spool_check rc = SPOOL_FORGED;

	form_init(&f);
	if (form_parse(&f, body, len, 512) != 0)
		goto out;
	account = form_get(&f, "AccountSid");
	/* Unbudgeted: the spool's quota bounds how many there are. */
	switch (tenant_sigkey(account, 0, &key)) {
	case TENANT_FOUND:
		break;
	case TENANT_UNKNOWN:
		goto out;
	case TENANT_UNAVAILABLE:
	case TENANT_REFUSED:
		rc = SPOOL_UNKNOWN;
		goto out;
	}
	if (twsig_check_form(key, url, &f, sig)) {
		rc = SPOOL_GENUINE;
		goto out;
	}
	/* A rotated token?  When it cannot be read now, ask again later. */
	switch (tenant_sigkey_reload(account, &key)) {
	case TENANT_FOUND:
		if (twsig_check_form(key, url, &f, sig))
			rc = SPOOL_GENUINE;
		break;
	case TENANT_UNAVAILABLE:
		rc = SPOOL_UNKNOWN;
		break;
	case TENANT_UNKNOWN:
	case TENANT_REFUSED:
		break;
	}
out:
	form_cleanup(&f);
	return rc;
}

static int
check(const struct twsig_key *key, const char *url, struct http_req *r,
    int is_body, const char *body, size_t len, const char *sig)
{
	if (is_body)
		return twsig_check_body(key, url, body, len, sig);
	return twsig_check_form(key, url, http_req_form(r), sig);
}

static int
verify(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct twsig_key *key = NULL;
	const char *sig, *account, *call;
	json_t *json = http_req_json(r);
	struct buf url;
	int ok = 0, is_body;
	size_t len;
	const char *body;

	sig = http_req_header(r, "X-Twilio-Signature");
	is_body = json != NULL || http_req_query(r, "bodySHA256") != NULL;
	if (json != NULL && json_is_object(json))
		account =
		    json_string_value(json_object_get(json, "AccountSid"));
	else
		account = form_get(http_req_form(r), "AccountSid");
	if (account == NULL)
		account = http_req_query(r, "AccountSid");
	call = form_get(http_req_form(r), "CallSid");
	if (call != NULL)
		log_ctx_call(call);
	if (sig == NULL || *sig == '\0')
		return reject(r, "no signature header", account);
	if (account == NULL)
		return reject(r, "no AccountSid", NULL);

	switch (tenant_sigkey(account, 1, &key)) {
	case TENANT_FOUND:
		break;
	case TENANT_UNKNOWN:
		return reject(r, "unknown account", account);
	case TENANT_REFUSED:
		/* A flood of made-up accounts: tenant.c logs it, throttled. */
		http_reply_error(r, 403, "forbidden");
		return -1;
	case TENANT_UNAVAILABLE:
		return unverifiable(r, account, sig, is_body);
	}

	buf_init(&url, 16 * 1024);
	if (buf_addstr(&url, cfg->base_url) != 0 ||
	    buf_addstr(&url, http_req_uri(r)) != 0) {
		buf_cleanup(&url);
		return reject(r, "URL too long", account);
	}
	body = http_req_body(r, &len);
	ok = check(key, buf_cstr(&url), r, is_body, body, len, sig);
	/* A rotated subaccount token: re-read it once and check again. */
	if (!ok && tenant_sigkey_reload(account, &key) == TENANT_FOUND)
		ok = check(key, buf_cstr(&url), r, is_body, body, len, sig);
	buf_cleanup(&url);
	if (!ok)
		return reject(r, "signature mismatch", account);
	return 0;
}

enum http_guard_result
webhook_guard(struct http_req *r)
{
	if (verify(r) == 0)
		return HTTP_GO_ON;
	if (!http_req_replied(r))
		http_reply_error(r, 403, "forbidden");
	return HTTP_ANSWERED;
}
