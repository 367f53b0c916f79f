#ifndef RAMAL_API_CALLS_H
#define RAMAL_API_CALLS_H

struct http_req;

/*
 * The calls API of the softphone (docs/api.md).  {sid} is any leg of the
 * call: the agent's own (the CallSid its browser SDK sees) or, for a
 * supervisor, the caller's.  Every lookup is scoped to the user's
 * tenant (404 otherwise); an agent may act only on calls it takes part
 * in (403).  Thread-safe.
 */

/* GET /api/calls/{sid} → {call_sid, status, hold, direction, from, to, …} */
int api_calls_get(struct http_req *r);

/*
 * POST /api/calls/{sid}/hold and /unhold → 202 {call_sid, hold, state:
 * "pending"}; 409 when the call is ending or ended, or not bridged yet.
 * The work happens in jobs (hold.h).
 */
int api_calls_hold(struct http_req *r);
int api_calls_unhold(struct http_req *r);

#endif
