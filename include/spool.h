#ifndef RAMAL_SPOOL_H
#define RAMAL_SPOOL_H

#include <stddef.h>

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
 * Called for each spooled event.  Returns 0 when the event is stored (its
 * file is deleted), 1 to keep it and stop this round (database still
 * down), -1 when it can never be stored (the file is moved aside to
 * <dir>/failed/ and logged).
 */
typedef int (*spool_replay_fn)(const char *route, const char *received_at,
    const char *body, size_t len);

/* Create dir (and dir/failed) when missing.  0 / -1 (logged). */
int spool_init(const char *dir);

/*
 * Write one event durably.  route and received_at are single-line text;
 * body is the raw request body.  0 / -1 (logged).
 */
int spool_put(const char *route, const char *received_at, const char *body,
    size_t len);

/*
 * Write an event whose Twilio signature could not be checked yet (the
 * account's key lives in the unreachable database), with the URL and
 * signature to check it against before it is replayed.  0 / -1.
 */
int spool_put_unverified(const char *route, const char *received_at,
    const char *url, const char *sig, const char *body, size_t len);

/*
 * Checks an unverified event before its replay: 1 genuine, 0 forged (the
 * file is moved aside), -1 cannot tell yet (kept for the next round).
 */
typedef int (*spool_verify_fn)(const char *url, const char *sig,
    const char *body, size_t len);

/* Set the check for unverified events (before spool_start). */
void spool_set_verifier(spool_verify_fn fn);

/* Events waiting in the spool. */
int spool_pending(void);

/*
 * Replay every spooled event through fn now, in the calling thread.
 * Returns how many were stored, or -1 when the directory cannot be read.
 */
int spool_replay(spool_replay_fn fn);

/*
 * Start a thread that calls spool_replay(fn) every interval_ms while
 * events are waiting.  0 / -1.
 */
int spool_start(spool_replay_fn fn, int interval_ms);

/* Stop that thread (one last replay round first).  Safe when not started. */
void spool_stop(void);

#endif
