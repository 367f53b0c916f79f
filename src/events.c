/*
 * Live events: the hub thread and GET /api/events.  See include/events.h.
 *
 * Locks: hub.lock (the client list, the stopping flag) is taken before a
 * client's lock; http_stream_wake is called with hub.lock held but never
 * with a client's lock held.  A client is freed only by its stream's
 * done(), after it left the list under hub.lock, so the hub never sees a
 * freed client.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "auth.h"
#include "db.h"
#include "events.h"
#include "session_cache.h"
#include "log.h"
#include "store_events.h"
#include "util.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000
#define FETCH_BATCH 256 /* ids read in one statement */
#define CATCHUP_PAGE 1000
#define PRUNE_BATCH 5000
#define MSG_MAX (EVENTS_DATA_MAX + 128)

/* One formatted event, shared by every client it goes to. */
struct msg {
	atomic_int refs;
	long long id; /* 0: not an event (heartbeat, retry) */
	size_t len;
	char text[];
};

struct client {
	pthread_mutex_t lock;
	long long tenant_id, user_id;
	int supervisor;
	time_t expires; /* the session's end */
	struct msg *q[EVENTS_QUEUE_MAX];
	size_t head, count, off; /* off: bytes of q[head] already sent */
	int end; /* end the stream once the queue is sent */
	int listed; /* in hub.clients */
	long long *replayed; /* sorted ids sent by the replay, not again */
	size_t nreplayed;
	struct http_stream *stream;
	struct client *next, *prev;
};

static struct {
	pthread_mutex_t lock;
	const struct config *cfg;
	struct client *clients;
	int nclients;
	int running; /* the thread was started */
	int stopping;
	int wake[2]; /* self-pipe: stop */
	pthread_t thread;
	struct msg *hb;
} hub = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 } };

/* ---- pure helpers ---- */

static int
type_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (n == 0 || n > EVENTS_TYPE_MAX || t[0] < 'a' || t[0] > 'z')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || t[i] == '.'))
			return 0;
	return 1;
}

long
events_format(char *out, size_t outlen, long long id, const char *type,
    const char *data)
{
	int n;

	if (!type_ok(type) || data == NULL || strpbrk(data, "\r\n") != NULL ||
	    id < 0)
		return -1;
	n = snprintf(out, outlen, "id: %lld\nevent: %s\ndata: %s\n\n", id, type,
	    data);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

int
events_parse_last_id(const char *s, long long *id)
{
	size_t n = s ? strlen(s) : 0;

	*id = 0;
	if (n == 0)
		return 0;
	if (n > 18 || strspn(s, "0123456789") != n)
		return -1;
	*id = strtoll(s, NULL, 10);
	return 0;
}

int
events_match(long long ev_tenant, long long ev_user, const char *audience,
    long long tenant, long long user, int supervisor)
{
	if (ev_tenant != tenant || audience == NULL)
		return 0;
	if (strcmp(audience, "user") == 0)
		return ev_user != 0 && ev_user == user;
	if (strcmp(audience, "supervisors") == 0)
		return supervisor;
	return 0;
}

/* ---- messages ---- */

static struct msg *
msg_new(long long id, const char *text, size_t len)
{
	struct msg *m = xmalloc(sizeof(*m) + len + 1);

	atomic_init(&m->refs, 1);
	m->id = id;
	m->len = len;
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	return m;
}

static struct msg *
msg_event(long long id, const char *type, const char *data)
{
	char buf[MSG_MAX];
	long n = events_format(buf, sizeof(buf), id, type, data);

	if (n < 0) {
		log_kv(LOG_WARN, "event not sent: too large or malformed",
		    "type", type_ok(type) ? type : "?", NULL);
		return NULL;
	}
	return msg_new(id, buf, (size_t)n);
}

static void
msg_unref(struct msg *m)
{
	if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1)
		free(m);
}

/* ---- clients ---- */

static void
client_clear(struct client *c)
{
	while (c->count > 0) {
		msg_unref(c->q[c->head]);
		c->head = (c->head + 1) % EVENTS_QUEUE_MAX;
		c->count--;
	}
	c->off = 0;
}

/*
 * Queue m on c (a new reference), with c->lock held.  A full queue ends
 * the stream: the client reconnects and replays from the table.
 */
static void
client_push(struct client *c, struct msg *m)
{
	if (c->end)
		return;
	if (c->count == EVENTS_QUEUE_MAX) {
		/* Finish the event being written, drop the rest. */
		struct msg *part = c->off > 0 ? c->q[c->head] : NULL;
		size_t off = c->off;

		if (part != NULL)
			atomic_fetch_add(&part->refs, 1);
		client_clear(c);
		if (part != NULL) {
			c->head = 0;
			c->q[0] = part;
			c->count = 1;
			c->off = off;
		}
		c->end = 1;
		log_kv(LOG_WARN, "events: slow client disconnected", NULL);
		return;
	}
	atomic_fetch_add(&m->refs, 1);
	c->q[(c->head + c->count) % EVENTS_QUEUE_MAX] = m;
	c->count++;
}

static long
client_read(void *cls, char *buf, size_t max)
{
	struct client *c = cls;
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	while (c->count > 0 && n < max) {
		struct msg *m = c->q[c->head];
		size_t k = m->len - c->off;

		if (k > max - n)
			k = max - n;
		memcpy(buf + n, m->text + c->off, k);
		n += k;
		c->off += k;
		if (c->off == m->len) {
			msg_unref(m);
			c->head = (c->head + 1) % EVENTS_QUEUE_MAX;
			c->count--;
			c->off = 0;
		}
	}
	if (n == 0 && c->end) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	pthread_mutex_unlock(&c->lock);
	return (long)n;
}

static void
client_done(void *cls)
{
	struct client *c = cls;

	pthread_mutex_lock(&hub.lock);
	if (c->listed) {
		if (c->prev)
			c->prev->next = c->next;
		else
			hub.clients = c->next;
		if (c->next)
			c->next->prev = c->prev;
		hub.nclients--;
	}
	pthread_mutex_unlock(&hub.lock);
	client_clear(c);
	free(c->replayed);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static const struct http_stream_ops client_ops = { client_read, client_done };

int
events_max_clients(const struct config *cfg)
{
	return cfg->http_max_connections * 3 / 4;
}

int
events_clients(void)
{
	int n;

	pthread_mutex_lock(&hub.lock);
	n = hub.nclients;
	pthread_mutex_unlock(&hub.lock);
	return n;
}

/* Is id among the n sorted ids? */
static int
replayed(const long long *ids, size_t n, long long id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ids[mid] == id)
			return 1;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Hand one event to every matching client.  hub.lock held. */
static void
fan_out(long long id, long long tenant, long long user, const char *audience,
    const char *type, const char *data)
{
	struct msg *m = NULL;

	for (struct client *c = hub.clients; c != NULL; c = c->next) {
		if (!events_match(tenant, user, audience, c->tenant_id,
			c->user_id, c->supervisor) ||
		    replayed(c->replayed, c->nreplayed, id))
			continue;
		if (m == NULL && (m = msg_event(id, type, data)) == NULL)
			return;
		pthread_mutex_lock(&c->lock);
		client_push(c, m);
		pthread_mutex_unlock(&c->lock);
		http_stream_wake(c->stream);
	}
	msg_unref(m);
}

/* ---- the hub thread ---- */

static PGconn *
hub_connect(void)
{
	const char *keys[] = { "application_name", "connect_timeout",
		"keepalives_idle", "keepalives_interval", "keepalives_count",
		"dbname", NULL };
	const char *vals[] = { "ramal-events", "3", "30", "10", "3",
		hub.cfg->database_url, NULL };
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	PGresult *r;

	if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
		goto fail;
	r = PQexec(pg,
	    "SET statement_timeout = 10000; SET client_min_messages = warning;"
	    " LISTEN " EVENTS_CHANNEL "; LISTEN " SESSION_CACHE_CHANNEL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	return pg;
fail:
	PQfinish(pg);
	return NULL;
}

/* Fan out every row of r (id, tenant_id, user_id, audience, type, data). */
static long long
deliver(PGresult *r)
{
	long long last = 0;

	pthread_mutex_lock(&hub.lock);
	for (int i = 0; i < PQntuples(r); i++) {
		long long id = strtoll(PQgetvalue(r, i, 0), NULL, 10);

		fan_out(id, strtoll(PQgetvalue(r, i, 1), NULL, 10),
		    PQgetisnull(r, i, 2)
			? 0
			: strtoll(PQgetvalue(r, i, 2), NULL, 10),
		    PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
		    PQgetvalue(r, i, 5));
		if (id > last)
			last = id;
	}
	pthread_mutex_unlock(&hub.lock);
	return last;
}

#define ROW_COLUMNS "id, tenant_id, user_id, audience, type, data::text"

/* Read and fan out the rows of ids (a "{1,2}" array).  0 / -1. */
static int
fetch_ids(PGconn *pg, const char *ids, long long *seen)
{
	const char *params[1] = { ids };
	PGresult *r = PQexecParams(pg,
	    "SELECT " ROW_COLUMNS " FROM events WHERE id = ANY($1::bigint[])"
	    " ORDER BY id",
	    1, NULL, params, NULL, NULL, 0);
	long long last;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return -1;
	}
	last = deliver(r);
	if (last > *seen)
		*seen = last;
	PQclear(r);
	return 0;
}

/* After a reconnect: every row after *seen.  0 / -1. */
static int
catch_up(PGconn *pg, long long *seen)
{
	char after[24], lim[16];
	const char *params[2] = { after, lim };
	PGresult *r;
	int n;

	do {
		snprintf(after, sizeof(after), "%lld", *seen);
		snprintf(lim, sizeof(lim), "%d", CATCHUP_PAGE);
		r = PQexecParams(pg,
		    "SELECT " ROW_COLUMNS " FROM events WHERE id > $1::bigint"
		    " ORDER BY id LIMIT $2::integer",
		    2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			PQclear(r);
			return -1;
		}
		n = PQntuples(r);
		if (n > 0) {
			long long last = deliver(r);

			if (last > *seen)
				*seen = last;
		}
		PQclear(r);
	} while (n == CATCHUP_PAGE);
	return 0;
}

static int
max_id(PGconn *pg, long long *seen)
{
	PGresult *r = PQexec(pg, "SELECT coalesce(max(id), 0) FROM events");

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return -1;
	}
	*seen = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

/* 1 when some local client wants an event of this NOTIFY payload. */
static int
wanted(const char *payload, long long *id)
{
	json_t *j = json_loads(payload, 0, NULL);
	long long t, u;
	const char *a;
	int yes = 0;

	*id = json_integer_value(json_object_get(j, "id"));
	t = json_integer_value(json_object_get(j, "t"));
	u = json_integer_value(json_object_get(j, "u"));
	a = json_string_value(json_object_get(j, "a"));
	if (*id > 0 && a != NULL) {
		pthread_mutex_lock(&hub.lock);
		for (struct client *c = hub.clients; c && !yes; c = c->next)
			yes = events_match(t, u, a, c->tenant_id, c->user_id,
			    c->supervisor);
		pthread_mutex_unlock(&hub.lock);
	}
	json_decref(j);
	return yes;
}

/*
 * Read what the server sent; fan out the notified rows.  The number of
 * notifications handled, or -1.
 */
static int
drain(PGconn *pg, long long *seen)
{
	PGnotify *n;
	struct buf ids;
	int k = 0, rc = 0, total = 0;

	if (PQconsumeInput(pg) == 0)
		return -1;
	buf_init(&ids, FETCH_BATCH * 24 + 8);
	buf_add(&ids, "{", 1);
	while ((n = PQnotifies(pg)) != NULL) {
		long long id = 0;

		if (strcmp(n->relname, SESSION_CACHE_CHANNEL) == 0) {
			/* Session cache invalidation (sql/010). */
			session_cache_notify(n->extra);
			PQfreemem(n);
			total++;
			continue;
		}
		if (wanted(n->extra, &id)) {
			buf_printf(&ids, "%s%lld", k ? "," : "", id);
			k++;
		} else if (id > *seen)
			*seen = id;
		PQfreemem(n);
		total++;
		if (k == FETCH_BATCH) {
			buf_add(&ids, "}", 1);
			rc = fetch_ids(pg, buf_cstr(&ids), seen);
			buf_reset(&ids);
			buf_add(&ids, "{", 1);
			k = 0;
			if (rc != 0)
				break;
		}
	}
	if (rc == 0 && k > 0) {
		buf_add(&ids, "}", 1);
		rc = fetch_ids(pg, buf_cstr(&ids), seen);
	}
	buf_cleanup(&ids);
	return rc != 0 ? -1 : total;
}

/* Heartbeat every client; end those whose session is over. */
static void
heartbeat(void)
{
	time_t now = time(NULL);

	pthread_mutex_lock(&hub.lock);
	for (struct client *c = hub.clients; c != NULL; c = c->next) {
		pthread_mutex_lock(&c->lock);
		if (now >= c->expires)
			c->end = 1;
		else
			client_push(c, hub.hb);
		pthread_mutex_unlock(&c->lock);
		http_stream_wake(c->stream);
	}
	pthread_mutex_unlock(&hub.lock);
}

static void
prune(PGconn *pg)
{
	PGresult *r = PQexec(pg,
	    "DELETE FROM events WHERE id IN (SELECT id FROM events"
	    " WHERE created_at < now() - interval '" EVENTS_RETENTION "'"
	    " ORDER BY created_at LIMIT 5000)");

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		log_kv(LOG_WARN, "events: pruning failed", NULL);
	else if (strcmp(PQcmdTuples(r), "0") != 0)
		log_kv(LOG_INFO, "events: old events deleted", "rows",
		    PQcmdTuples(r), NULL);
	PQclear(r);
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
	long long seen = -1;
	int backoff = BACKOFF_MIN_MS, down_logged = 0;
	uint64_t hb_every = (uint64_t)hub.cfg->events_heartbeat_s * 1000;
	uint64_t next_hb = util_now_ms() + hb_every, next_prune = 0;

	(void)arg;
	while (!stopping()) {
		struct pollfd p[2];
		uint64_t now;
		int wait, n;

		/* Heartbeats go out while the database is away, too. */
		now = util_now_ms();
		if (now >= next_hb) {
			heartbeat();
			next_hb = now + hb_every;
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
			if ((seen < 0 ? max_id(pg, &seen)
				      : catch_up(pg, &seen)) != 0) {
				PQfinish(pg);
				pg = NULL;
				continue;
			}
			/* Listening: what is cached from now on is kept fresh. */
			session_cache_set_healthy(1);
			if (down_logged)
				log_kv(LOG_INFO, "events: listening again",
				    NULL);
			backoff = BACKOFF_MIN_MS;
			down_logged = 0;
		}
		wait = (int)(next_hb - util_now_ms());
		if (now >= next_prune) {
			prune(pg);
			next_prune = now + EVENTS_PRUNE_EVERY_S * 1000ULL;
			wait = 0; /* see drain() below */
		}
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
		 * (the fetch itself, pruning) may have read notifications
		 * into libpq's buffer, and poll() would not see those.
		 */
		do
			n = drain(pg, &seen);
		while (n > 0);
		if (n < 0 || PQstatus(pg) != CONNECTION_OK) {
			log_kv(LOG_WARN,
			    "events: lost the database connection; "
			    "reconnecting",
			    NULL);
			session_cache_set_healthy(0);
			PQfinish(pg);
			pg = NULL;
			down_logged = 1;
		}
	}
	session_cache_set_healthy(0);
	PQfinish(pg);
	return NULL;
}

int
events_start(const struct config *cfg)
{
	static const char hb[] = ": hb\n\n";

	hub.cfg = cfg;
	hub.hb = msg_new(0, hb, sizeof(hb) - 1);
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
events_stop(void)
{
	pthread_mutex_lock(&hub.lock);
	hub.stopping = 1;
	for (struct client *c = hub.clients; c != NULL; c = c->next) {
		pthread_mutex_lock(&c->lock);
		c->end = 1;
		pthread_mutex_unlock(&c->lock);
		http_stream_wake(c->stream);
	}
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
	/* Streams still draining hold their own references. */
	msg_unref(hub.hb);
	hub.hb = NULL;
}

/* ---- GET /api/events ---- */

static time_t
parse_expiry(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return time(NULL) + 3600;
	return timegm(&tm);
}

/*
 * Put the replayed rows in front of what the hub queued meanwhile,
 * dropping what both have.  c->lock held.
 */
static void
merge_replay(struct client *c, struct msg **rep, long long *ids, size_t n,
    int more)
{
	struct msg *live[EVENTS_QUEUE_MAX];
	size_t nlive = 0;

	while (c->count > 0) {
		struct msg *m = c->q[c->head];

		c->head = (c->head + 1) % EVENTS_QUEUE_MAX;
		c->count--;
		if (m->id != 0 && replayed(ids, n, m->id))
			msg_unref(m);
		else
			live[nlive++] = m;
	}
	c->head = 0;
	for (size_t i = 0; i < n; i++) {
		client_push(c, rep[i]);
		msg_unref(rep[i]);
	}
	for (size_t i = 0; i < nlive; i++) {
		client_push(c, live[i]);
		msg_unref(live[i]);
	}
	/* More rows than one page: end here, the browser comes back. */
	if (more)
		c->end = 1;
}

static int
replay(struct http_req *r, struct client *c, long long after)
{
	struct msg **rep = NULL;
	long long *ids = NULL;
	struct store_events_row *rows = NULL;
	size_t n = 0, k = 0, total;
	struct db_conn *dc;
	enum db_result res;
	int more = 0;

	(void)r;
	if ((dc = db_acquire()) == NULL)
		return -1;
	res = store_events_replay(dc, c->tenant_id, c->user_id, c->supervisor,
	    after, EVENTS_REPLAY_MAX + 1, &rows, &n);
	db_release(dc);
	if (res != DB_OK)
		return -1;
	total = n;
	if (n > EVENTS_REPLAY_MAX) {
		n = EVENTS_REPLAY_MAX;
		more = 1;
	}
	rep = xcalloc(n + 1, sizeof(*rep));
	ids = xcalloc(n + 1, sizeof(*ids));
	for (size_t i = 0; i < n; i++) {
		struct msg *m =
		    msg_event(rows[i].id, rows[i].type, rows[i].data);

		if (m == NULL)
			continue;
		rep[k] = m;
		ids[k++] = rows[i].id;
	}
	/* The hub reads these under hub.lock: set them under it. */
	pthread_mutex_lock(&hub.lock);
	pthread_mutex_lock(&c->lock);
	merge_replay(c, rep, ids, k, more);
	c->replayed = ids;
	c->nreplayed = k;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&hub.lock);
	store_events_rows_free(rows, total);
	free(rep);
	return 0;
}

int
events_handler(struct http_req *r)
{
	const struct auth_user *u = http_req_user(r);
	const char *last = http_req_header(r, "Last-Event-ID");
	struct client *c;
	struct http_stream *s = NULL;
	struct msg *hello;
	char retry[32];
	long long after = 0;
	int n;

	if (last == NULL || *last == '\0')
		last = http_req_query(r, "last_event_id");
	if (events_parse_last_id(last, &after) != 0)
		return http_reply_error(r, 400,
		    "Last-Event-ID must be an event id (digits)");
	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->tenant_id = u->tenant_id;
	c->user_id = u->id;
	c->supervisor = u->role >= AUTH_ROLE_SUPERVISOR;
	c->expires = parse_expiry(u->expires_at);
	n = snprintf(retry, sizeof(retry), "retry: %d\n\n", EVENTS_RETRY_MS);
	hello = msg_new(0, retry, (size_t)n);
	client_push(c, hello);
	msg_unref(hello);

	pthread_mutex_lock(&hub.lock);
	n = hub.stopping || !hub.running		  ? 1
	    : hub.nclients >= events_max_clients(hub.cfg) ? 2
							  : 0;
	pthread_mutex_unlock(&hub.lock);
	if (n != 0) {
		client_done(c);
		http_reply_header(r, "Retry-After", "10");
		if (n == 2)
			log_kv(LOG_WARN, "events: too many streams; refused",
			    NULL);
		return http_reply_error(r, 503,
		    n == 1 ? "shutting down" : "too many event streams");
	}
	/* Nothing is sent before this handler returns. */
	http_reply_header(r, "X-Accel-Buffering", "no");
	if (http_reply_stream(r, 200, "text/event-stream", &client_ops, c,
		&s) != 0)
		return -1; /* client_done ran */
	/* In the list before the replay, so nothing falls in between. */
	pthread_mutex_lock(&hub.lock);
	c->stream = s;
	if (hub.stopping) {
		pthread_mutex_lock(&c->lock);
		c->end = 1;
		pthread_mutex_unlock(&c->lock);
	} else {
		c->listed = 1;
		c->next = hub.clients;
		if (hub.clients)
			hub.clients->prev = c;
		hub.clients = c;
		hub.nclients++;
	}
	pthread_mutex_unlock(&hub.lock);

	if (after > 0 && replay(r, c, after) != 0) {
		/* Cannot replay: end at once, the browser retries. */
		log_kv(LOG_WARN, "events: replay failed; stream ended", NULL);
		pthread_mutex_lock(&hub.lock);
		pthread_mutex_lock(&c->lock);
		client_clear(c);
		c->end = 1;
		pthread_mutex_unlock(&c->lock);
		http_stream_wake(s);
		pthread_mutex_unlock(&hub.lock);
	}
	return 0;
}
