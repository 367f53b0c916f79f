#ifndef RAMAL_EVENTS_H
#define RAMAL_EVENTS_H

#include <stddef.h>

#include "config.h"
#include "http.h"

/*
 * Live events: GET /api/events (Server-Sent Events) fed by PostgreSQL.
 *
 * Events are rows of table `events` (sql/007_events.sql), written by
 * triggers whoever changes the data; each insert NOTIFYs channel
 * ramal_events.  The notification hub (core/hub.h) hands this module
 * the channel's notifications; it reads the new rows by id, and
 * queues each, formatted once and shared, on the clients it is for: the
 * same tenant, and the user itself (audience 'user') or any supervisor
 * or admin (audience 'supervisors').  A client's connection is suspended
 * in libmicrohttpd while its queue is empty, so 500 clients hold no HTTP
 * thread; the hub wakes it.
 *
 * Per client: a queue of at most EVENTS_QUEUE_MAX messages (a client
 * that falls that far behind is disconnected and replays on reconnect);
 * a comment heartbeat ": hb" every EVENTS_HEARTBEAT_S seconds; the
 * stream ends when the session expires.  Last-Event-ID (header, or query
 * last_event_id) replays up to EVENTS_REPLAY_MAX rows after it from the
 * table; when more are waiting the stream ends after them and the
 * browser reconnects (after `retry:` EVENTS_RETRY_MS) for the next page.
 *
 * The hub reconnects to the database with a backoff (250 ms doubling to
 * 5 s) and then replays every row after the last it saw.  It also deletes
 * events older than EVENTS_RETENTION (24 hours) every few minutes.
 */
#define EVENTS_CHANNEL "ramal_events"
#define EVENTS_QUEUE_MAX 1024
#define EVENTS_REPLAY_MAX 200
#define EVENTS_RETRY_MS 3000
#define EVENTS_RETENTION "24 hours"
#define EVENTS_RETENTION_H 24
#define EVENTS_PRUNE_EVERY_S 300
#define EVENTS_DATA_MAX 7000 /* bytes of an event's JSON */
#define EVENTS_TYPE_MAX 32

/*
 * Subscribe to the hub (before hub_start; cfg borrowed for the process
 * lifetime).  0 / -1.
 */
int events_start(const struct config *cfg);

/*
 * End every stream (clients see the stream close and reconnect to
 * another instance), refuse new ones.  Call before http_stop, which must
 * not meet suspended connections, and hub_stop.
 */
void events_stop(void);

/* Free what events_start made, after hub_stop. */
void events_cleanup(void);

/* Connected clients right now. */
int events_clients(void);

/*
 * Streams allowed at once: three quarters of HTTP_MAX_CONNECTIONS (768 by
 * default), so that webhooks always find a connection; past it, 503.
 */
int events_max_clients(const struct config *cfg);

/*
 * GET /api/events (guard auth_guard_events: a session's token, or a
 * ticket taken once).
 */
int events_handler(struct http_req *r);

/*
 * POST /api/events/ticket: 201 {"ticket": "...", "expires_in": N}, a
 * single-use ticket of the caller's session for GET /api/events?ticket=
 * (include/auth/auth.h); 429 with Retry-After when the session holds
 * AUTH_TICKETS_MAX_LIVE unused ones.
 */
int events_ticket(struct http_req *r);

/* ---- pure helpers (unit-tested) ---- */

/*
 * The SSE text of one event: "id: <id>\nevent: <type>\ndata: <data>\n\n"
 * into out[outlen].  Its length, or -1 when it does not fit, type is not
 * ^[a-z][a-z.]*$ (at most EVENTS_TYPE_MAX) or data holds CR or LF.
 */
long events_format(char *out, size_t outlen, long long id, const char *type,
    const char *data);

/*
 * A Last-Event-ID value: 0.. as *id and 0, or -1 when s is not a
 * decimal integer of at most 18 digits.  NULL or "" is 0 (none).
 */
int events_parse_last_id(const char *s, long long *id);

/*
 * 1 when an event (tenant, user (0: none), audience "user" or
 * "supervisors") is for a client (tenant, user, supervisor flag).
 */
int events_match(long long ev_tenant, long long ev_user, const char *audience,
    long long tenant, long long user, int supervisor);

#endif
