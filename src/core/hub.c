/*
 * The notification hub.  See include/core/hub.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "hub.h"
#include "log.h"
#include "util.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000

static struct {
	pthread_mutex_t lock;
	struct hub_sub subs[HUB_SUBS_MAX];
	int nsubs;
	char *conninfo;
	int tick_s;
	int running; /* the thread was started */
	int stopping;
	int wake[2]; /* self-pipe: stop */
	pthread_t thread;
} hub = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 } };

static int
identifier(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 63)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_' ||
			(p > s && *p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

int
hub_subscribe(const struct hub_sub *s)
{
	if (hub.nsubs == HUB_SUBS_MAX || hub.running ||
	    !identifier(s->channel) || s->notify == NULL)
		return -1;
	hub.subs[hub.nsubs++] = *s;
	return 0;
}

static PGconn *
hub_connect(void)
{
	const char *keys[] = { "application_name", "connect_timeout",
		"keepalives_idle", "keepalives_interval", "keepalives_count",
		"dbname", NULL };
	const char *vals[] = { "ramal-events", "3", "30", "10", "3",
		hub.conninfo, NULL };
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	struct buf sql;
	PGresult *r;
	int ok;

	if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
		goto fail;
	buf_init(&sql, 4096);
	buf_addstr(&sql,
	    "SET statement_timeout = 10000; SET client_min_messages = warning;");
	for (int i = 0; i < hub.nsubs; i++)
		buf_printf(&sql, " LISTEN %s;", hub.subs[i].channel); /* twice: harmless */
	r = PQexec(pg, buf_cstr(&sql));
	buf_cleanup(&sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok)
		return pg;
fail:
	PQfinish(pg);
	return NULL;
}

static void
lost(void)
{
	for (int i = 0; i < hub.nsubs; i++)
		if (hub.subs[i].lost != NULL)
			hub.subs[i].lost(hub.subs[i].arg);
}

static int
connected(PGconn *pg, int first)
{
	for (int i = 0; i < hub.nsubs; i++)
		if (hub.subs[i].connected != NULL &&
		    hub.subs[i].connected(hub.subs[i].arg, pg, first) != 0)
			return -1;
	return 0;
}

static void
tick(PGconn *pg)
{
	for (int i = 0; i < hub.nsubs; i++)
		if (hub.subs[i].tick != NULL)
			hub.subs[i].tick(hub.subs[i].arg, pg);
}

/*
 * Hand every notification libpq has to its subscriber, then tell each
 * subscriber the round is over.  The number handled, or -1.
 */
static int
drain(PGconn *pg)
{
	PGnotify *n;
	int total = 0, rc = 0;

	if (PQconsumeInput(pg) == 0)
		return -1;
	while (rc == 0 && (n = PQnotifies(pg)) != NULL) {
		for (int i = 0; rc == 0 && i < hub.nsubs; i++)
			if (strcmp(n->relname, hub.subs[i].channel) == 0)
				rc = hub.subs[i].notify(hub.subs[i].arg, pg,
				    n->extra);
		PQfreemem(n);
		total++;
	}
	for (int i = 0; rc == 0 && i < hub.nsubs; i++)
		if (hub.subs[i].drained != NULL)
			rc = hub.subs[i].drained(hub.subs[i].arg, pg);
	return rc != 0 ? -1 : total;
}

static int
stopping(void)
{
	int s;

	pthread_mutex_lock(&hub.lock);
	s = hub.stopping;
	pthread_mutex_unlock(&hub.lock);
	return s;
}

/* Sleep ms, or less when stopping.  */
static void
nap(int ms)
{
	struct pollfd p = { .fd = hub.wake[0], .events = POLLIN };

	poll(&p, 1, ms);
}

static void *
hub_main(void *arg)
{
	PGconn *pg = NULL;
	int backoff = BACKOFF_MIN_MS, down_logged = 0, first = 1;
	uint64_t every = (uint64_t)hub.tick_s * 1000;
	uint64_t next_tick = util_now_ms() + every;

	(void)arg;
	while (!stopping()) {
		struct pollfd p[2];
		uint64_t now;
		int wait, n;

		/* Ticks go on while the database is away, too. */
		now = util_now_ms();
		if (now >= next_tick) {
			tick(pg);
			next_tick = now + every;
		}
		if (pg == NULL) {
			if ((pg = hub_connect()) == NULL) {
				if (!down_logged)
					log_kv(LOG_WARN,
					    "events: database unreachable; "
					    "retrying",
					    NULL);
				down_logged = 1;
				nap(backoff);
				backoff = backoff * 2 > BACKOFF_MAX_MS
				    ? BACKOFF_MAX_MS
				    : backoff * 2;
				continue;
			}
			if (connected(pg, first) != 0) {
				lost();
				PQfinish(pg);
				pg = NULL;
				continue;
			}
			first = 0;
			if (down_logged)
				log_kv(LOG_INFO, "events: listening again",
				    NULL);
			backoff = BACKOFF_MIN_MS;
			down_logged = 0;
		}
		wait = (int)(next_tick - util_now_ms());
		if (wait < 0)
			wait = 0;
		p[0].fd = PQsocket(pg);
		p[0].events = POLLIN;
		p[1].fd = hub.wake[0];
		p[1].events = POLLIN;
		if (poll(p, 2, wait) < 0 && errno != EINTR)
			nap(100);
		/*
		 * Every round, not only when the socket is readable: a query
		 * (a subscriber's own, a tick's) may have read notifications
		 * into libpq's buffer, and poll() would not see those.
		 */
		do
			n = drain(pg);
		while (n > 0);
		if (n < 0 || PQstatus(pg) != CONNECTION_OK) {
			log_kv(LOG_WARN,
			    "events: lost the database connection; "
			    "reconnecting",
			    NULL);
			lost();
			PQfinish(pg);
			pg = NULL;
			down_logged = 1;
		}
	}
	lost();
	PQfinish(pg);
	return NULL;
}

int
hub_start(const char *conninfo, int tick_s)
{
	hub.conninfo = xstrdup(conninfo);
	hub.tick_s = tick_s > 0 ? tick_s : 1;
	hub.stopping = 0;
	if (pipe(hub.wake) != 0) {
		log_errorx("events: cannot make a pipe");
		return -1;
	}
	fcntl(hub.wake[0], F_SETFL, O_NONBLOCK);
	if (pthread_create(&hub.thread, NULL, hub_main, NULL) != 0) {
		log_errorx("events: cannot start the hub thread");
		return -1;
	}
	hub.running = 1;
	return 0;
}

void
hub_stop(void)
{
	pthread_mutex_lock(&hub.lock);
	hub.stopping = 1;
	pthread_mutex_unlock(&hub.lock);
	if (hub.wake[1] >= 0 && write(hub.wake[1], "x", 1) < 0)
		log_warnx("events: cannot wake the hub");
	if (hub.running)
		pthread_join(hub.thread, NULL);
	hub.running = 0;
	for (int i = 0; i < 2; i++)
		if (hub.wake[i] >= 0) {
			close(hub.wake[i]);
			hub.wake[i] = -1;
		}
	free(hub.conninfo);
	hub.conninfo = NULL;
}
