#ifndef RAMAL_WEBHOOK_H
#define RAMAL_WEBHOOK_H

#include <stddef.h>

#include "http.h"
#include "spool.h"

/*
 * Check that a request on a Twilio webhook route comes from Twilio: the
 * X-Twilio-Signature over BASE_URL + the raw request target (+ the sorted
 * form pairs, or the bodySHA256 hash for a JSON body), keyed with the auth
 * token of the account named by AccountSid: the guard (http_guard) of
 * every /twilio route.  HTTP_GO_ON when genuine.  Otherwise it has
 * answered, logged a warning with the reason, and returns HTTP_ANSWERED:
 * 403 with no detail for a bad signature or an unknown account (also when
 * tenant.c refuses to look up one more account not cached; it logs that,
 * throttled).  When the account's key cannot be read because the
 * database is down (a subaccount not cached yet), the route's declaration
 * decides: its degraded answer when it has one (voice webhooks: TwiML that
 * needs no database and keeps the caller); else, when it has a replay
 * (status, recording, TaskRouter event and conference callbacks), the
 * request is spooled with its signature, to be checked before it is
 * stored, and answered 200, or 503 when the spool's unverified quota is
 * full; else 503.  Also puts the CallSid in the log context.
 */
enum http_guard_result webhook_guard(struct http_req *r);

/*
 * The spool's check of a callback that was spooled before its signature
 * could be checked (spool_verify_fn): SPOOL_FORGED also for an unknown
 * account, SPOOL_UNKNOWN while the database is still unreachable.
 */
enum spool_check webhook_verify_spooled(const char *url, const char *sig,
    const char *body, size_t len);

#endif
