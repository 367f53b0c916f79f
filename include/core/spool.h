#ifndef RAMAL_SPOOL_H
#define RAMAL_SPOOL_H

#include <stddef.h>

#include "http.h"

/*
 * A durable local spool for Twilio callbacks received while the database
 * is unreachable.  Each event is one file, written to a temporary name,
 * fsync'ed, renamed into place and the directory fsync'ed, so an event
 * acknowledged to Twilio survives a crash of the process or the machine.
 * A background thread replays the files, oldest first, through a callback
 * once the database answers again, and deletes each file only after the
 * callback stored it.
 */

/*
 * Replays go through the route table: each spooled event names its route
 * path, and the route's replay function (http.h) stores it; DONE deletes
 * the file, LATER keeps it and ends this round (database still down),
 * NEVER and REFUSED (it names another tenant's call) move it aside to
 * <dir>/failed/ (logged).
 */
/*
 * The quota of events spooled unverified (spool_put_unverified): their
 * own, apart from the spool's cap on verified events, so that forged
 * callbacks can never take the room of genuine ones.  0 files: none kept.
 */
struct spool_quota {
	int unverified_max_files;
	long long unverified_max_bytes; /* of event files, headers included */
};

/*
 * Create dir (and dir/failed) when missing, remove orphan *.tmp files (a
 * crash between write and rename; logged) and count the waiting events.
 * quota is copied.  Not thread-safe: call before spool_start.  0 / -1
 * (logged).
 */
int spool_init(const char *dir, const struct spool_quota *quota);

/*
 * Write one event durably.  route and received_at are single-line text;
 * body is the raw request body.  0 / -1 (logged).
 */
int spool_put(const char *route, const char *received_at, const char *body,
    size_t len);

/*
 * Write an event whose Twilio signature could not be checked yet (the
 * account's key lives in the unreachable database), with the URL and
 * signature to check it against before it is replayed.  Counted against
 * the unverified quota only: -1 when it is full (logged at most once a
 * second) or on a write error (logged); 0 when written.
 */
int spool_put_unverified(const char *route, const char *received_at,
    const char *url, const char *sig, const char *body, size_t len);

/* What the check of an unverified event found. */
enum spool_check {
	SPOOL_GENUINE, /* replay it */
	SPOOL_FORGED, /* move it aside */
	SPOOL_UNKNOWN, /* cannot tell yet: keep it for the next round */
};

/* Checks an unverified event before its replay. */
typedef enum spool_check (*spool_verify_fn)(const char *url, const char *sig,
    const char *body, size_t len);

/* Set the check for unverified events (before spool_start). */
void spool_set_verifier(spool_verify_fn fn);

/* Events waiting in the spool. */
int spool_pending(void);

struct spool_stats {
	int pending; /* every waiting event */
	int unverified_files; /* of which spooled unverified */
	long long unverified_bytes;
	unsigned long long refused_full; /* verified events refused: cap */
	unsigned long long refused_unverified; /* refused: unverified quota */
};

/* A snapshot of the counters (thread-safe). */
void spool_stats(struct spool_stats *out);

/*
 * Replay every spooled event now, in the calling thread, through the
 * replay of its route in routes[0..n) (borrowed; an event whose route has
 * none is set aside).  Returns how many were stored, or -1 when the
 * directory cannot be read.
 */
int spool_replay(const struct http_route *routes, size_t n);

/*
 * Start a thread that calls spool_replay(routes, n) every interval_ms
 * while events are waiting.  routes must outlive spool_stop.  0 / -1.
 */
int spool_start(const struct http_route *routes, size_t n, int interval_ms);

/* Stop that thread (one last replay round first).  Safe when not started. */
void spool_stop(void);

#endif
