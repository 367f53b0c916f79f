#ifndef RAMAL_WEBHOOK_H
#define RAMAL_WEBHOOK_H

struct http_req;

/*
 * Check that a request on a Twilio webhook route comes from Twilio: the
 * X-Twilio-Signature over BASE_URL + the raw request target (+ the sorted
 * form pairs, or the bodySHA256 hash for a JSON body), keyed with the auth
 * token of the account named by AccountSid.  Returns 0 when genuine.
 * Otherwise it has answered (403, no detail; or 503 when the account's key
 * cannot be read because the database is down), logged a warning with the
 * reason, and returns -1.  Also puts the CallSid in the log context.
 */
int webhook_verify(struct http_req *r);

#endif
