#ifndef RAMAL_WEBHOOK_H
#define RAMAL_WEBHOOK_H

#include <stddef.h>

struct http_req;

/*
 * Check that a request on a Twilio webhook route comes from Twilio: the
 * X-Twilio-Signature over BASE_URL + the raw request target (+ the sorted
 * form pairs, or the bodySHA256 hash for a JSON body), keyed with the auth
 * token of the account named by AccountSid.  Returns 0 when genuine.
 * Otherwise it has answered, logged a warning with the reason, and
 * returns -1: 403 with no detail for a bad signature or an unknown
 * account.  When the account's key cannot be read because the database is
 * down (a subaccount not cached yet): a status, recording or TaskRouter
 * event callback is spooled with its signature, to be checked before it
 * is stored, and answered 200; a voice webhook gets the fallback TwiML,
 * which needs no database and keeps the caller; anything else 503.
 * Also puts the CallSid in the log context.
 */
int webhook_verify(struct http_req *r);

/*
 * The spool's check of a callback that was spooled before its signature
 * could be checked (spool_verify_fn): 1 genuine, 0 forged or unknown
 * account, -1 the database is still unreachable.
 */
int webhook_verify_spooled(const char *url, const char *sig, const char *body,
    size_t len);

#endif
