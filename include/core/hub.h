#ifndef RAMAL_HUB_H
#define RAMAL_HUB_H

#include <libpq-fe.h>

/*
 * The notification hub: one thread per `serve` process with its own
 * connection (not the pool) that LISTENs on the channels subscribers
 * asked for and hands each notification to every subscriber of its
 * channel, in the order they subscribed.
 * The hub reconnects with a backoff (250 ms doubling to 5 s) while the
 * database is away, and tells subscribers when it listens again (so they
 * can catch up on what they missed) and when it lost the connection.  It
 * knows nothing of what the channels carry: the live events stream
 * (api/events.c) and the session cache (auth/session_cache.c) subscribe.
 *
 * Every callback runs on the hub thread; pg is the hub's connection,
 * which a callback may query (a query may read further notifications into
 * libpq's buffer: the hub drains them in the same round).  A callback
 * returning -1 makes the hub drop the connection and reconnect.
 */

#define HUB_SUBS_MAX 8

struct hub_sub {
	const char *channel; /* a plain identifier */
	void *arg;
	/* Listening (again); first is 1 on the process's first connection.
	 * NULL: nothing to do. */
	int (*connected)(void *arg, PGconn *pg, int first);
	/* One notification of the channel. */
	int (*notify)(void *arg, PGconn *pg, const char *payload);
	/* After each round of notifications (NULL: nothing to do). */
	int (*drained)(void *arg, PGconn *pg);
	/* The connection is gone, or the hub stops (NULL: nothing to do). */
	void (*lost)(void *arg);
	/* Every tick_s seconds, also while the database is away (pg is
	 * NULL then).  NULL: nothing to do. */
	void (*tick)(void *arg, PGconn *pg);
};

/*
 * Subscribe (copied) before hub_start.  0, or -1 when HUB_SUBS_MAX are
 * taken or the channel is not an identifier.
 */
int hub_subscribe(const struct hub_sub *s);

/*
 * Start the thread with its own connection to conninfo; ticks every
 * tick_s seconds (1..).  0 / -1 (logged).
 */
int hub_start(const char *conninfo, int tick_s);

/* Stop the thread (subscribers get lost()).  Safe when not started. */
void hub_stop(void);

#endif
