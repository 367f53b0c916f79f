#ifndef RAMAL_STATUS_H
#define RAMAL_STATUS_H

#include <stddef.h>

#include "form.h"
#include "outcome.h"

struct http_req;

/*
 * POST /twilio/status — StatusCallback of every call leg.  Keeps the raw
 * callback in call_events and moves the call's row forward, idempotently
 * and whatever the arrival order.  While the database is unreachable the
 * callback is spooled to local disk and still acknowledged with 200.
 * A callback that cannot be stored, or that names a call (or parent) of
 * another tenant, is answered 400 and kept nowhere.
 */
int status_callback(struct http_req *r);

/*
 * Store one status callback (parameters f, received at received_at,
 * RFC 3339); NEVER and REFUSED (a call of another tenant) are logged.
 */
enum outcome status_apply(const struct form *f, const char *received_at, int replayed);

/* The spool's replay of a PATH_STATUS event (http_replay). */
enum outcome status_replay(const char *route, const char *received_at, const char *body,
    size_t len);

/*
 * The order of call states: queued 0, initiated 1, ringing 2,
 * in-progress 3, final (completed busy failed no-answer canceled) 4;
 * -1 for anything else.
 */
int status_rank(const char *call_status);

#endif
