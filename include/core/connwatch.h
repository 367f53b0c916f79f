#ifndef RAMAL_CONNWATCH_H
#define RAMAL_CONNWATCH_H

#include <stddef.h>
#include <stdint.h>

/*
 * The connection watch: closes the connections that hold a slot without
 * sending a request, so that slow clients (slowloris: header lines or a
 * body trickled a byte at a time) cannot take every connection the
 * server has.  The HTTP core tells it what each connection is doing; a
 * thread looks every WATCH_TICK_MS and shuts down (shutdown(2), which
 * libmicrohttpd then sees as the peer leaving) a connection that
 *
 *  - waits for a request head longer than head_timeout_s (since it was
 *    accepted or since its previous request was answered: an idle
 *    keep-alive connection also ends then);
 *  - sends a body slower than body_min_rate bytes/s on average, once the
 *    body has taken longer than head_timeout_s;
 *  - waits for a head at all when open connections are within the
 *    reserve (an eighth of max_connections, at least one) of the limit: the
 *    oldest such connections idle for a second or more go first, so new
 *    requests (probes, Twilio's webhooks) always find a slot.
 *
 * A connection whose request is being handled (queued for a worker, in
 * its handler, sending its answer, an event stream) is never closed by
 * the watch; a stream whose client has gone is told so (connwatch_stream).
 * Thread-safe.
 */

#define WATCH_TICK_MS 250

struct connwatch;
struct connwatch_conn;

/* What a connection is doing, as far as the watch cares. */
enum connwatch_phase {
	CONNWATCH_HEAD, /* waiting for a request head */
	CONNWATCH_BODY, /* receiving a request body */
	CONNWATCH_BUSY, /* its request is being handled */
	CONNWATCH_STREAM, /* answering with a stream (connwatch_stream) */
};

/* Start the watch thread.  NULL on failure (logged). */
struct connwatch *connwatch_start(int head_timeout_s, int body_min_rate,
    int max_connections);

/* Stop the thread and free the watch (all connections closed before). */
void connwatch_stop(struct connwatch *w);

/* A new connection on socket fd (a handle, owned by the watch). */
struct connwatch_conn *connwatch_open(struct connwatch *w, int fd);

/* The connection is closing: forget it (c is freed).  NULL is fine. */
void connwatch_close(struct connwatch *w, struct connwatch_conn *c);

/* The connection enters phase p now (BODY resets the byte count). */
void connwatch_set(struct connwatch *w, struct connwatch_conn *c,
    enum connwatch_phase p);

/*
 * The connection answers with a stream that sleeps between writes, so its
 * server side notices a client that left only when it next writes.  The
 * watch peeks at the socket every tick and calls gone(arg) once (under
 * its lock) when the client has closed it, so the stream can end now.
 * Any later connwatch_set clears gone.
 */
void connwatch_stream(struct connwatch *w, struct connwatch_conn *c,
    void (*gone)(void *arg), void *arg);

/* n more body bytes arrived. */
void connwatch_body(struct connwatch *w, struct connwatch_conn *c, size_t n);

/* Connections the watch closed, by cause, since the start. */
struct connwatch_stats {
	uint64_t head_timeouts;
	uint64_t slow_bodies;
	uint64_t reserve;
};
void connwatch_stats(struct connwatch_stats *out);

/*
 * The pure rule (unit-tested): 1 when a connection in phase p since
 * since_ms, with bytes body bytes, must be closed at now_ms.
 */
int connwatch_expired(enum connwatch_phase p, uint64_t since_ms,
    uint64_t bytes, uint64_t now_ms, int head_timeout_s, int body_min_rate);

#endif
