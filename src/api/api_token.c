/*
 * GET /token.  See include/api/api_token.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_token.h"
#include "auth.h"
#include "http.h"
#include "log.h"
#include "token.h"

int
api_token(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct auth_user *u = auth_user_of(r);
	struct token_voice in;
	char err[160], expires[32];
	char *jwt;
	struct tm tm;
	time_t exp;
	json_t *body;

	if (cfg->twilio_account_sid == NULL || cfg->twilio_api_key_sid == NULL)
		return http_reply_error(r, 503,
		    "voice tokens are not configured: set TWILIO_API_KEY_SID, "
		    "TWILIO_API_KEY_SECRET and TWILIO_TWIML_APP_SID");
	if (strcmp(u->account_sid, cfg->twilio_account_sid) != 0)
		return http_reply_error(r, 503,
		    "voice tokens for subaccount users need that account's API "
		    "key, which ramal does not store yet");
	token_voice_defaults(&in);
	in.account_sid = cfg->twilio_account_sid;
	in.api_key_sid = cfg->twilio_api_key_sid;
	in.api_key_secret = cfg->twilio_api_key_secret;
	in.identity = u->identity;
	in.outgoing_application_sid = cfg->twilio_twiml_app_sid;
	in.incoming_allow = 1;
	in.ttl_s = cfg->token_ttl_s;
	in.now = time(NULL);
	jwt = token_voice_new(&in, err, sizeof(err));
	if (jwt == NULL) {
		log_kv(LOG_ERROR, "cannot make a voice token", "why", err,
		    "identity", u->identity, NULL);
		return http_reply_error(r, 500, "cannot make a voice token");
	}
	exp = in.now + in.ttl_s;
	gmtime_r(&exp, &tm);
	strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", &tm);
	body = json_pack("{s:s, s:s, s:s}", "token", jwt, "identity",
	    u->identity, "expires_at", expires);
	free(jwt);
	return http_reply_json(r, 200, body);
}
