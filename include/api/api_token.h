#ifndef RAMAL_API_TOKEN_H
#define RAMAL_API_TOKEN_H

struct http_req;

/*
 * GET /token — a Voice SDK Access Token for the signed-in user:
 * {"token", "identity", "expires_at"}.  Signed with TWILIO_API_KEY_SECRET
 * for the main account (TWILIO_ACCOUNT_SID), with the incoming grant for
 * the user's identity and the outgoing grant of TWILIO_TWIML_APP_SID;
 * lifetime TOKEN_TTL_S.  503 JSON when the API key is not configured or
 * the user belongs to a subaccount (per-tenant API keys are not stored
 * yet).  Needs no database beyond the session check.
 */
int api_token(struct http_req *r);

#endif
