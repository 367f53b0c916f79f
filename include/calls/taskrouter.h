#ifndef RAMAL_TASKROUTER_H
#define RAMAL_TASKROUTER_H

#include <stddef.h>

#include "form.h"
#include "outcome.h"

struct http_req;

/*
 * TaskRouter's callbacks to ramal: the workflow's assignment callback and
 * the workspace's event callback.  Both routes are signed like any Twilio
 * webhook (X-Twilio-Signature with the account's auth token).
 */

/* How long the agent's leg of a `call` instruction rings, in seconds. */
#define TASKROUTER_CALL_TIMEOUT_S 20

/*
 * The workspace's EventsFilter: the event types the events handler uses
 * (others are still stored when TaskRouter sends them).
 */
#define TASKROUTER_EVENTS_FILTER \
	"task.created,task.updated,task.canceled,task.wrapup," \
	"task.completed,task.deleted,task.system-deleted," \
	"reservation.created,reservation.accepted,reservation.rejected," \
	"reservation.timeout,reservation.canceled,reservation.rescinded," \
	"reservation.wrapup,reservation.completed,reservation.failed," \
	"worker.created,worker.activity.update"

/*
 * POST /twilio/taskrouter/assignment — answers TaskRouter's assignment
 * callback with a JSON instruction, well within its 5 s deadline: it never
 * calls Twilio, and the instruction is built from the callback's own
 * parameters, so the answer is the same with the database down.  A voice
 * task (TaskAttributes with call_sid and from) gets a `call` instruction
 * that rings the worker's contact_uri (or client:<identity>) with the
 * whisper URL; anything else gets `reject` and a log line, and so does
 * a task, reservation, worker or call that is another tenant's
 * (store_scope.h).  The reservation, task and call link are recorded
 * when the database is up.
 */
int taskrouter_assignment(struct http_req *r);

/*
 * POST /twilio/taskrouter/events — the workspace event callback.  Keeps
 * every raw event in taskrouter_events and moves tasks, reservations and
 * the agent's users.status forward, idempotently and whatever the arrival
 * order.  Unknown event types are stored, logged and acknowledged.
 * While the database is unreachable the event is spooled to local disk
 * (route PATH_TR_EVENTS, replayed by taskrouter_replay) and still
 * acknowledged.  400 for an event that cannot be stored or that names a
 * task, reservation, worker or call of another tenant (nothing kept).
 */
int taskrouter_events(struct http_req *r);

/*
 * Store one event callback (parameters f, received at received_at, RFC
 * 3339).  DONE stored, LATER database unavailable (try later), NEVER
 * the event can never be stored, REFUSED it is another tenant's (both
 * logged).
 */
enum outcome taskrouter_event_apply(const struct form *f, const char *received_at,
    int replayed);

/*
 * A spool replay callback for PATH_TR_EVENTS (see spool.h): 0
 * stored, 1 keep for later, -1 never storable or another route.
 */
enum outcome taskrouter_replay(const char *route, const char *received_at,
    const char *body, size_t len);

/*
 * Twilio's Timestamp/TimestampMs of a TaskRouter callback (Unix seconds,
 * possibly fractional; milliseconds; RFC 2822; or RFC 3339) as RFC 3339
 * UTC with milliseconds into out (at least 32 bytes).  0, or -1 when
 * absent or malformed.  Pure; thread-safe.
 */
int taskrouter_parse_time(const char *timestamp_ms, const char *timestamp,
    char *out, size_t len);

/*
 * The users.status for a TaskRouter activity name: Available available,
 * Busy busy, Wrap-up wrapup, Offline offline (case-insensitive; "Wrapup"
 * and "Wrap Up" too); NULL for other activities.
 */
const char *taskrouter_activity_status(const char *activity_name);

#endif
