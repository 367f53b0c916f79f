#ifndef RAMAL_VOICE_H
#define RAMAL_VOICE_H

#include <stddef.h>

#include "form.h"
#include "outcome.h"

struct http_req;
struct db_conn;
struct job;
struct twiml;
struct store_number;

/*
 * The inbound call, end to end, as TwiML webhooks (docs/call-flows.md).
 *
 * Every handler answers valid TwiML that keeps the caller, whatever the
 * database does: when it is unreachable the caller still goes to the
 * queue (or to voicemail), and whatever the request taught us that would
 * otherwise be lost is spooled (spool.h) and stored later by
 * the route's replay (voice_*_replay).  URLs in the answers are absolute, built from BASE_URL.
 * Handlers are called by the HTTP core after the Twilio signature check;
 * all are thread-safe.
 */

/*
 * POST /twilio/voice/inbound — each DID's VoiceUrl.  Finds the number by
 * To within the tenant of AccountSid, stores the caller's calls row
 * (committed before answering), then answers the number's disclaimer and
 * either a <Dial> to the owner agent's <Client> (whisper url, dual-channel
 * recording, /twilio/voice/overflow as action) when that agent is
 * available, or the queue (<Enqueue workflowSid>; voicemail when
 * TWILIO_WORKFLOW_SID is unset).  An unknown number gets an apology and
 * <Hangup/>.
 */
int voice_inbound(struct http_req *r);

/*
 * POST /twilio/voice/whisper?reason=dedicated|overflow[&reservation=WR…]
 * [&call=CA…][&n=<number id>] — runs on the agent's leg before the
 * bridge: says the line, the caller's number and why the call reached
 * the agent, and marks the caller's calls row with the agent (and the
 * reservation).  reason=overflow then bridges the agent to the queued
 * caller with <Dial record=dual><Queue reservationSid/></Dial>.
 */
int voice_whisper(struct http_req *r);

/*
 * POST /twilio/voice/overflow[?agent=<identity>] — action of the dedicated
 * <Dial>.  DialCallStatus completed (or answered): <Hangup/>; anything
 * else: the queue, or voicemail without a workflow.  Stores dial_status
 * and the routing on the calls row.
 */
int voice_overflow(struct http_req *r);

/*
 * POST /twilio/voice/queue-wait — waitUrl of <Enqueue>.  Hold music, the
 * caller's position every QUEUE_ANNOUNCE_S seconds, and after
 * QUEUE_MAX_WAIT_S an offer of voicemail with <Leave/>.  Needs no
 * database.
 */
int voice_queue_wait(struct http_req *r);

/*
 * POST /twilio/voice/queue-exit — action of <Enqueue>.  Stores
 * QueueResult and QueueTime; bridged/redirected: <Hangup/>; hangup: the
 * call is marked abandoned; leave, queue-full, error, system-error (and
 * anything unknown): voicemail.
 */
int voice_queue_exit(struct http_req *r);

/*
 * POST /twilio/voice/voicemail[?step=done] — the voicemail prompt and
 * <Record>, or (step=done, the <Record> action) the voicemail row, thanks
 * and <Hangup/>.  A number with voicemail_enabled = false gets an apology
 * and <Hangup/> instead of the prompt.
 */
int voice_voicemail(struct http_req *r);

/*
 * POST /twilio/voice/fallback — every number's VoiceFallbackUrl, used by
 * Twilio when the primary webhook failed.  Needs no database: with
 * TWILIO_WORKFLOW_SID set the caller goes to the queue; otherwise it
 * apologises in pt-BR and takes a message, so a caller is never dropped
 * silently.  With ?step=recorded (the <Record> action) it thanks and hangs
 * up.
 */
int voice_fallback(struct http_req *r);

/*
 * The degraded answers of the voice routes (the routes' .degraded in
 * routes.c): what a route answers when its request's signature cannot be
 * checked because the account's key is in the unreachable database.  The
 * request is unverified, so they store and spool nothing and need no
 * database; each answers what is legal and safe where Twilio fetched it.
 *
 * inbound: the default disclaimer, then the queue (Task reason
 * "degraded"), or voicemail without a workflow.  whisper: an empty
 * document for a dedicated leg (Twilio then bridges); for a queue leg
 * with a valid reservation, the bridge <Dial><Queue reservationSid>.
 * overflow: <Hangup/> after a conversation, else the queue (or
 * voicemail).  queue-exit: <Hangup/> after a conversation or a hang-up,
 * else the voicemail prompt.  voicemail: the prompt and <Record>, or
 * (step=done) thanks and <Hangup/>.  Never an <Enqueue> where Twilio does
 * not allow one or where it would queue an agent.  (queue-wait and
 * fallback need no database and are their own degraded answers.)
 */
int voice_inbound_degraded(struct http_req *r);
int voice_whisper_degraded(struct http_req *r);
int voice_overflow_degraded(struct http_req *r);
int voice_queue_exit_degraded(struct http_req *r);
int voice_voicemail_degraded(struct http_req *r);

/*
 * POST /twilio/recording — recordingStatusCallback.  Upserts the
 * recordings row (idempotent, never moves a finished recording back),
 * links its voicemail, and on "completed" queues a recording.archive job
 * (dedupe key: the RecordingSid) in the same transaction.  Answers 200;
 * 400 for a callback without a valid RecordingSid, or whose recording or
 * call is another tenant's (nothing stored); spools while the database
 * is down (503 only when even the spool fails).
 */
int voice_recording(struct http_req *r);

/*
 * Store one recording callback (parameters f) on c (NULL: the database
 * is unavailable; logged when NEVER).
 */
enum outcome voice_recording_apply(struct db_conn *c, const struct form *f);

/*
 * The spool's replays of the voice routes that store something (an
 * http_replay each, set on their routes in routes.c): store one event
 * the route's handler spooled while the database was away.
 */
enum outcome voice_inbound_replay(const char *route, const char *received_at,
    const char *body, size_t len);
enum outcome voice_whisper_replay(const char *route, const char *received_at,
    const char *body, size_t len);
enum outcome voice_overflow_replay(const char *route, const char *received_at,
    const char *body, size_t len);
enum outcome voice_queue_exit_replay(const char *route, const char *received_at,
    const char *body, size_t len);
enum outcome voice_voicemail_replay(const char *route, const char *received_at,
    const char *body, size_t len);
enum outcome voice_recording_replay(const char *route, const char *received_at,
    const char *body, size_t len);

/*
 * Job handler of kind "recording.archive" (payload: recording_sid,
 * call_sid, url, channels, account_sid).  Until recordings are copied to
 * S3 (a later issue) it only sets the recording's archive_state to
 * 'awaiting-s3' and returns JOB_DONE; the recording stays at Twilio.
 * Thread-safe; writes only through j->pg.
 */
int voice_job_recording_archive(const struct job *j, char *err, size_t errlen);

/*
 * Append num's recording disclaimer to t (<Play> of its audio, or <Say>
 * of its text in its language and voice; the default text when num is
 * NULL).  1 when something was added, 0 when the number has none.  The
 * one builder of the disclaimer, shared with outbound.c.
 */
int voice_disclaimer(struct twiml *t, const struct store_number *num);

#endif
