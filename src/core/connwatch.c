/*
 * The connection watch.  See include/core/connwatch.h.
 *
 * A connection is closed with shutdown(2) under the watch's lock, and
 * the core forgets it (connwatch_close) under the same lock from
 * libmicrohttpd's "connection closed" notification, which libmicrohttpd
 * sends before it closes the socket: so the watch never touches a
 * descriptor that was closed and reused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include "connwatch.h"
#include "log.h"
#include "util.h"

struct connwatch_conn {
	int fd;
	enum connwatch_phase phase;
	uint64_t since_ms;
	uint64_t bytes;
	int closing; /* shut down already */
	void (*gone)(void *); /* CONNWATCH_STREAM: tell the stream */
	void *gone_arg;
	struct connwatch_conn *prev, *next;
};

struct connwatch {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct connwatch_conn *head; /* oldest phase change last */
	int nconns;
	int head_timeout_s;
	int body_min_rate;
	int max_connections;
	int reserve;
	int stopping;
	pthread_t thread;
};

/* Process-wide, for /metrics. */
static atomic_uint_fast64_t head_timeouts, slow_bodies, reserved;

int
connwatch_expired(enum connwatch_phase p, uint64_t since_ms, uint64_t bytes,
    uint64_t now_ms, int head_timeout_s, int body_min_rate)
{
	uint64_t limit = (uint64_t)head_timeout_s * 1000, took;

	if (now_ms < since_ms)
		return 0;
	took = now_ms - since_ms;
	switch (p) {
	case CONNWATCH_HEAD:
		return took > limit;
	case CONNWATCH_BODY:
		return took > limit &&
		    bytes * 1000 < (uint64_t)body_min_rate * took;
	case CONNWATCH_BUSY:
	case CONNWATCH_STREAM:
		break;
	}
	return 0;
}

/* 1 when the peer of a stream has closed its side (or the socket failed). */
static int
peer_left(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n == 0)
		return 1;
	return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR;
}

static void
unlink_conn(struct connwatch *w, struct connwatch_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* At the front: the list runs from the newest phase change to the oldest. */
static void
push_front(struct connwatch *w, struct connwatch_conn *c)
{
	c->prev = NULL;
	c->next = w->head;
	if (w->head != NULL)
		w->head->prev = c;
	w->head = c;
}

static void
shut(struct connwatch_conn *c)
{
	c->closing = 1;
	if (shutdown(c->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
		log_warn("connection watch: shutdown");
}

/* One look at every connection.  w->lock held. */
static void
sweep(struct connwatch *w)
{
	uint64_t now = util_now_ms();
	struct connwatch_conn *c, *last = NULL;
	int open = 0;

	for (c = w->head; c != NULL; c = c->next) {
		last = c;
		if (c->closing)
			continue;
		open++;
		if (c->gone != NULL && peer_left(c->fd)) {
			c->gone(c->gone_arg);
			c->gone = NULL;
			continue;
		}
		if (!connwatch_expired(c->phase, c->since_ms, c->bytes, now,
			w->head_timeout_s, w->body_min_rate))
			continue;
		if (c->phase == CONNWATCH_HEAD)
			atomic_fetch_add(&head_timeouts, 1);
		else
			atomic_fetch_add(&slow_bodies, 1);
		shut(c);
		open--;
	}
	/* Near the limit: the oldest waiting ones make room. */
	for (c = last; c != NULL && open > w->max_connections - w->reserve;
	     c = c->prev) {
		if (c->closing || c->phase != CONNWATCH_HEAD ||
		    now - c->since_ms < 1000)
			continue;
		atomic_fetch_add(&reserved, 1);
		shut(c);
		open--;
	}
}

static void *
watch_main(void *arg)
{
	struct connwatch *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		sweep(w);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WATCH_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->cv, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct connwatch *
connwatch_start(int head_timeout_s, int body_min_rate, int max_connections)
{
	struct connwatch *w = xcalloc(1, sizeof(*w));
	pthread_condattr_t ca;

	w->head_timeout_s = head_timeout_s;
	w->body_min_rate = body_min_rate;
	w->max_connections = max_connections;
	w->reserve = max_connections / 8 < 1 ? 1 : max_connections / 8;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		log_errorx("connection watch: cannot start its thread");
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

void
connwatch_stop(struct connwatch *w)
{
	struct connwatch_conn *c, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	for (c = w->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

struct connwatch_conn *
connwatch_open(struct connwatch *w, int fd)
{
	struct connwatch_conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->phase = CONNWATCH_HEAD;
	c->since_ms = util_now_ms();
	pthread_mutex_lock(&w->lock);
	push_front(w, c);
	w->nconns++;
	pthread_mutex_unlock(&w->lock);
	return c;
}

void
connwatch_close(struct connwatch *w, struct connwatch_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	unlink_conn(w, c);
	w->nconns--;
	pthread_mutex_unlock(&w->lock);
	free(c);
}

void
connwatch_set(struct connwatch *w, struct connwatch_conn *c,
    enum connwatch_phase p)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	c->phase = p;
	c->since_ms = util_now_ms();
	c->bytes = 0;
	c->gone = NULL;
	unlink_conn(w, c);
	push_front(w, c);
	pthread_mutex_unlock(&w->lock);
}

void
connwatch_stream(struct connwatch *w, struct connwatch_conn *c,
    void (*gone)(void *arg), void *arg)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	c->phase = CONNWATCH_STREAM;
	c->gone = gone;
	c->gone_arg = arg;
	pthread_mutex_unlock(&w->lock);
}

void
connwatch_body(struct connwatch *w, struct connwatch_conn *c, size_t n)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	c->bytes += n;
	pthread_mutex_unlock(&w->lock);
}

void
connwatch_stats(struct connwatch_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->head_timeouts = atomic_load(&head_timeouts);
	out->slow_bodies = atomic_load(&slow_bodies);
	out->reserve = atomic_load(&reserved);
}
