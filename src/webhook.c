/*
 * Twilio webhook authentication.  See include/webhook.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "tenant.h"
#include "twsig.h"
#include "util.h"
#include "webhook.h"

static int
reject(struct http_req *r, const char *why, const char *account)
{
	log_kv(LOG_WARN, "twilio signature rejected", "path", http_req_path(r),
	    "account", account, "reason", why, NULL);
	return http_reply_error(r, 403, "forbidden"), -1;
}

static int
check(const struct twsig_key *key, const char *url, struct http_req *r,
    int is_body, const char *body, size_t len, const char *sig)
{
	if (is_body)
		return twsig_check_body(key, url, body, len, sig);
	return twsig_check_form(key, url, http_req_form(r), sig);
}

int
webhook_verify(struct http_req *r)
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

	switch (tenant_sigkey(account, &key)) {
	case TENANT_FOUND:
		break;
	case TENANT_UNKNOWN:
		return reject(r, "unknown account", account);
	case TENANT_UNAVAILABLE:
		log_kv(LOG_ERROR,
		    "cannot check a webhook signature: database unreachable",
		    "account", account, NULL);
		return http_reply_error(r, 503, "temporarily unavailable"), -1;
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
