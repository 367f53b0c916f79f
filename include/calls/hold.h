#ifndef RAMAL_HOLD_H
#define RAMAL_HOLD_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "form.h"
#include "outcome.h"

struct http_req;
struct job;
struct twiml;

/*
 * Hold by conference escalation (docs/call-flows.md, "Hold").
 *
 * A live bridge made by TwiML (<Dial><Client>, <Dial><Queue>,
 * <Dial><Number>) is moved into a <Conference> named "ramal-<anchor
 * CallSid>" the first time the agent asks for hold; from then on hold and
 * unhold only toggle the other party's participant.  The anchor is the
 * leg whose <Dial>/<Enqueue> action sees the first bridge end: the caller
 * of an inbound call, the agent's own leg of an outbound call.
 *
 * The REST work is done by jobs of kind HOLD_JOB_KIND; webhooks and the
 * API never wait on Twilio.  Thread-safe.
 */

#define HOLD_JOB_KIND "call.hold"
#define HOLD_CONF_PREFIX "ramal-"


/*
 * For the action handlers of the first bridge (/twilio/voice/overflow,
 * /twilio/voice/queue-exit, /twilio/voice/outbound?step=done): when the
 * call of CallSid (f) is being escalated, append its <Dial><Conference>
 * to t and return 1; 0 when not (or c is NULL: no database), so the
 * handler answers as before.
 */
int hold_answer_conference(struct db_conn *c, const struct config *cfg,
    const struct form *f, struct twiml *t);

/*
 * Append <Dial><Conference …>name</Conference></Dial>: both parties start
 * it and end it when they leave, recorded from the start
 * (recordingStatusCallback /twilio/recording), events to
 * /twilio/conference.  0, or -1 when a URL is too long.
 */
int hold_conference_twiml(struct twiml *t, const struct config *cfg,
    const char *name);

/* A call as the hold API sees it: the leg asked for and its anchor. */
struct hold_call {
	long long anchor_id;
	char anchor_sid[35];
	char agent_sid[35]; /* "" when unknown */
	char other_sid[35]; /* the party put on hold; "" when unknown */
	const char *bridge; /* dedicated, queue, outbound, client; NULL */
	long long agent_user_id; /* 0 when none */
	long long peer_user_id; /* the called agent of an agent-to-agent call */
	char asked_sid[35]; /* the leg the request named */
	char held_sid[35]; /* the leg a hold puts on hold; "" when unknown */
	char status[24]; /* the asked leg's status */
	char direction[24]; /* the anchor's direction */
	char from[64], to[140]; /* the anchor's numbers */
	int ended; /* either leg ended (or is ending) */
	int bridged; /* the agent and the other party are connected */
	int hold; /* hold wanted */
	int hold_confirmed; /* Twilio said so */
	char conference_state[16]; /* "" when none */
};

/*
 * Find the call of leg call_sid in tenant tenant_id into *out.  DB_OK,
 * DB_NOTFOUND (no such leg in the tenant), or the failure.
 */
enum db_result hold_resolve(struct db_conn *c, long long tenant_id,
    const char *call_sid, struct hold_call *out);

/*
 * Ask for hold (on 1) or unhold (0) of a resolved call: marks the anchor
 * and queues the job, in one transaction.  On an agent-to-agent call the
 * party held is the one the asked leg talks to (either agent may hold the
 * other); otherwise the caller (inbound) or the callee (outbound).  DB_OK, DB_CONFLICT (the
 * conference ended), or the failure.
 */
enum db_result hold_request(struct db_conn *c, const struct hold_call *hc,
    const char *account_sid, int on);

/*
 * POST /twilio/conference — the conference statusCallback.  Stores the
 * raw event (call_events), the conference's sid on the anchor and each
 * participant's join/leave/hold in conference_participants (idempotent,
 * SequenceNumber-ordered); when the held party joins, or its hold differs
 * from what the agent wants, queues the hold job.  200 when the signature
 * was good, 400 (nothing stored) when a leg, the conference name or the
 * ConferenceSid is another tenant's; while the database is unavailable
 * the event is spooled (include/core/spool.h) and stored later by
 * hold_replay (503 only when the spool cannot be written either).
 */
int hold_conference_callback(struct http_req *r);

/*
 * The spool's replay of a PATH_CONFERENCE event (the route's
 * http_replay).
 */
enum outcome hold_replay(const char *route, const char *received_at, const char *body,
    size_t len);

/*
 * POST /twilio/voice/hold — the HoldUrl of a held participant: hold
 * music (QUEUE_MUSIC_URL) in a loop.  Needs no database.
 */
int hold_music(struct http_req *r);

/*
 * Job handler of HOLD_JOB_KIND (payload: call_sid = the anchor): brings
 * Twilio to the state the anchor row asks for.  Moves the other leg into
 * the conference (Calls update, Twiml) when the call is only marked;
 * sets the held party's Hold/HoldUrl (Participants update) once it has
 * joined.  Idempotent; a leg that is gone clears the mark.
 */
int hold_job(const struct job *j, char *err, size_t errlen);

#endif
