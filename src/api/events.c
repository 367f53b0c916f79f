/*
 * Live events: GET /api/events, fed by the notification hub (core/hub.h).
 * See include/api/events.h.
 *
 * Locks: streams.lock (the client list, the stopping flag) is taken before a
 * client's lock; http_stream_wake is called with streams.lock held but never
 * with a client's lock held.  A client is freed only by its stream's
 * done(), after it left the list under streams.lock, so the hub thread never sees a
 * freed client.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "events.h"
#include "hub.h"
#include "session_cache.h"
#include "store_auth.h"
#include "log.h"
#include "store_events.h"
#include "util.h"

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
	char session_hash[AUTH_HASH_HEX_LEN + 1]; /* the session streaming */
	int recheck; /* its session changed: look it up again */
	struct msg *q[EVENTS_QUEUE_MAX];
	size_t head, count, off; /* off: bytes of q[head] already sent */
	int end; /* end the stream once the queue is sent */
	int listed; /* in streams.clients */
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
	int running; /* subscribed to the hub */
	int stopping;
	struct msg *hb;
} streams = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The hub thread's own state (only it touches this). */
static struct {
	long long seen; /* the newest event id handled; -1: none yet */
	struct buf ids; /* "{id,id,..." collected in a round */
	int k; /* ids collected */
	uint64_t next_prune;
	int recheck; /* some client has recheck set */
} hubside;

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

	pthread_mutex_lock(&streams.lock);
	if (c->listed) {
		if (c->prev)
			c->prev->next = c->next;
		else
			streams.clients = c->next;
		if (c->next)
			c->next->prev = c->prev;
		streams.nclients--;
	}
	pthread_mutex_unlock(&streams.lock);
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

	pthread_mutex_lock(&streams.lock);
	n = streams.nclients;
	pthread_mutex_unlock(&streams.lock);
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

/* Hand one event to every matching client.  streams.lock held. */
static void
fan_out(long long id, long long tenant, long long user, const char *audience,
    const char *type, const char *data)
{
	struct msg *m = NULL;

	for (struct client *c = streams.clients; c != NULL; c = c->next) {
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

/* ---- the hub's subscriber (core/hub.h) ---- */

static void mark_recheck(long long user);

static void
deliver(void *arg, const struct store_events_live *ev)
{
	long long *last = arg;

	pthread_mutex_lock(&streams.lock);
	fan_out(ev->id, ev->tenant_id, ev->user_id, ev->audience, ev->type,
	    ev->data);
	pthread_mutex_unlock(&streams.lock);
	if (ev->id > *last)
		*last = ev->id;
}

/* Read and fan out the rows of the collected ids.  0 / -1. */
static int
fetch_ids(PGconn *pg)
{
	long long last = 0;
	int rc;

	if (hubside.k == 0)
		return 0;
	buf_add(&hubside.ids, "}", 1);
	rc = store_events_by_ids(pg, buf_cstr(&hubside.ids), deliver, &last);
	buf_reset(&hubside.ids);
	buf_add(&hubside.ids, "{", 1);
	hubside.k = 0;
	if (rc != 0)
		return -1;
	if (last > hubside.seen)
		hubside.seen = last;
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
		pthread_mutex_lock(&streams.lock);
		for (struct client *c = streams.clients; c && !yes; c = c->next)
			yes = events_match(t, u, a, c->tenant_id, c->user_id,
			    c->supervisor);
		pthread_mutex_unlock(&streams.lock);
	}
	json_decref(j);
	return yes;
}

/* Collect the ids some client wants; read them FETCH_BATCH at a time. */
static int
on_notify(void *arg, PGconn *pg, const char *payload)
{
	long long id = 0;

	(void)arg;
	if (wanted(payload, &id)) {
		buf_printf(&hubside.ids, "%s%lld", hubside.k ? "," : "", id);
		if (++hubside.k == FETCH_BATCH)
			return fetch_ids(pg);
	} else if (id > hubside.seen)
		hubside.seen = id;
	return 0;
}

static int
on_drained(void *arg, PGconn *pg)
{
	(void)arg;
	return fetch_ids(pg);
}

static void
prune(PGconn *pg)
{
	long long rows = 0;
	char num[24];

	if (store_events_prune(pg, EVENTS_RETENTION_H, PRUNE_BATCH, &rows) !=
	    0)
		log_kv(LOG_WARN, "events: pruning failed", NULL);
	else if (rows > 0) {
		snprintf(num, sizeof(num), "%lld", rows);
		log_kv(LOG_INFO, "events: old events deleted", "rows", num,
		    NULL);
	}
	hubside.next_prune = util_now_ms() + EVENTS_PRUNE_EVERY_S * 1000ULL;
}

/* Listening: on the first connection start from the newest row, after a
 * reconnect deliver every row after the last one seen. */
static int
on_connected(void *arg, PGconn *pg, int first)
{
	long long last = 0;

	(void)arg;
	buf_reset(&hubside.ids);
	buf_add(&hubside.ids, "{", 1);
	hubside.k = 0;
	if (first || hubside.seen < 0) {
		if (store_events_max_id(pg, &hubside.seen) != 0)
			return -1;
	} else {
		if (store_events_since(pg, hubside.seen, CATCHUP_PAGE, deliver,
			&last) != 0)
			return -1;
		/* Session changes may have been missed while away. */
		mark_recheck(0);
		if (last > hubside.seen)
			hubside.seen = last;
	}
	if (util_now_ms() >= hubside.next_prune)
		prune(pg);
	return 0;
}

/* Heartbeat every client; end those whose session is over. */
static void
on_tick(void *arg, PGconn *pg)
{
	time_t now = time(NULL);

	(void)arg;
	pthread_mutex_lock(&streams.lock);
	for (struct client *c = streams.clients; c != NULL; c = c->next) {
		pthread_mutex_lock(&c->lock);
		if (now >= c->expires)
			c->end = 1;
		else
			client_push(c, streams.hb);
		pthread_mutex_unlock(&c->lock);
		http_stream_wake(c->stream);
	}
	pthread_mutex_unlock(&streams.lock);
	if (pg != NULL && util_now_ms() >= hubside.next_prune)
		prune(pg);
}

/* ---- sessions that change under a stream ---- */

/*
 * End c after a last event that says why: its session is over (or its
 * role changed, so what it may see changed).  streams.lock held.
 */
static void
end_session(struct client *c, const char *reason)
{
	char text[128];
	struct msg *m;
	int n;

	n = snprintf(text, sizeof(text),
	    "event: session.ended\ndata: {\"reason\":\"%s\"}\n\n", reason);
	m = msg_new(0, text, (size_t)n);
	pthread_mutex_lock(&c->lock);
	client_push(c, m);
	c->end = 1;
	pthread_mutex_unlock(&c->lock);
	msg_unref(m);
	http_stream_wake(c->stream);
	log_kv(LOG_INFO, "events: stream ended with its session", "reason",
	    reason, NULL);
}

/* Mark the streams of user (0: all) to be looked up again. */
static void
mark_recheck(long long user)
{
	pthread_mutex_lock(&streams.lock);
	for (struct client *c = streams.clients; c != NULL; c = c->next)
		if (user == 0 || c->user_id == user) {
			c->recheck = 1;
			hubside.recheck = 1;
		}
	pthread_mutex_unlock(&streams.lock);
}

/*
 * A ramal_sessions notification (sql/010): a user id whose sessions or
 * rights changed, or "*" for a tenant.
 */
static int
on_session_notify(void *arg, PGconn *pg, const char *payload)
{
	(void)arg;
	(void)pg;
	mark_recheck(session_cache_payload_user(payload));
	return 0;
}

static void
session_verdict(void *arg, const char *hash, const char *state, int role)
{
	(void)arg;
	pthread_mutex_lock(&streams.lock);
	for (struct client *c = streams.clients; c != NULL; c = c->next) {
		if (!c->recheck || strcmp(c->session_hash, hash) != 0)
			continue;
		c->recheck = 0;
		if (strcmp(state, "ok") != 0)
			end_session(c, state);
		else if ((role >= AUTH_ROLE_SUPERVISOR) != c->supervisor)
			end_session(c, "role-changed");
	}
	pthread_mutex_unlock(&streams.lock);
}

/* Look the marked streams' sessions up, in one statement. */
static int
on_session_drained(void *arg, PGconn *pg)
{
	struct buf hashes;
	int n = 0, rc;

	(void)arg;
	if (!hubside.recheck)
		return 0;
	pthread_mutex_lock(&streams.lock);
	hubside.recheck = 0;
	buf_init(&hashes, (size_t)streams.nclients * 66 + 16);
	buf_addc(&hashes, '{');
	for (struct client *c = streams.clients; c != NULL; c = c->next)
		if (c->recheck)
			buf_printf(&hashes, "%s%s", n++ ? "," : "",
			    c->session_hash);
	buf_addc(&hashes, '}');
	pthread_mutex_unlock(&streams.lock);
	rc = 0;
	if (n > 0) {
		/* Outside the lock: streams open and close meanwhile. */
		rc = store_auth_sessions_check(pg, buf_cstr(&hashes),
		    session_verdict, NULL);
		if (rc != 0)
			hubside.recheck = 1; /* again after the reconnect */
	}
	buf_cleanup(&hashes);
	return rc;
}

int
events_start(const struct config *cfg)
{
	static const char hb[] = ": hb\n\n";
	const struct hub_sub sub = {
		.channel = EVENTS_CHANNEL,
		.connected = on_connected,
		.notify = on_notify,
		.drained = on_drained,
		.tick = on_tick,
	};

	streams.cfg = cfg;
	streams.hb = msg_new(0, hb, sizeof(hb) - 1);
	hubside.seen = -1;
	buf_init(&hubside.ids, FETCH_BATCH * 24 + 8);
	const struct hub_sub sessions = {
		.channel = SESSION_CACHE_CHANNEL,
		.notify = on_session_notify,
		.drained = on_session_drained,
	};

	if (hub_subscribe(&sub) != 0 || hub_subscribe(&sessions) != 0)
		return -1;
	streams.running = 1;
	return 0;
}

void
events_stop(void)
{
	pthread_mutex_lock(&streams.lock);
	streams.stopping = 1;
	for (struct client *c = streams.clients; c != NULL; c = c->next) {
		pthread_mutex_lock(&c->lock);
		c->end = 1;
		pthread_mutex_unlock(&c->lock);
		http_stream_wake(c->stream);
	}
	pthread_mutex_unlock(&streams.lock);
}

void
events_cleanup(void)
{
	/* Streams still draining hold their own references. */
	msg_unref(streams.hb);
	streams.hb = NULL;
	buf_cleanup(&hubside.ids);
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
	/* The hub reads these under streams.lock: set them under it. */
	pthread_mutex_lock(&streams.lock);
	pthread_mutex_lock(&c->lock);
	merge_replay(c, rep, ids, k, more);
	c->replayed = ids;
	c->nreplayed = k;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&streams.lock);
	store_events_rows_free(rows, total);
	free(rep);
	return 0;
}

int
events_ticket(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	char ticket[AUTH_TOKEN_LEN + 1], retry[16];
	int rc = -1;

	switch (auth_ticket_new(auth_user_of(r), cfg->events_ticket_ttl_s,
	    ticket)) {
	case AUTH_TICKET_OK:
		rc = http_reply_json(r, 201,
		    json_pack("{s:s, s:i}", "ticket", ticket, "expires_in",
			cfg->events_ticket_ttl_s));
		break;
	case AUTH_TICKET_LIMITED:
		snprintf(retry, sizeof(retry), "%d", cfg->events_ticket_ttl_s);
		http_reply_header(r, "Retry-After", retry);
		rc = http_reply_error(r, 429,
		    "this session holds %d unused tickets; use one or wait "
		    "until they expire",
		    AUTH_TICKETS_MAX_LIVE);
		break;
	case AUTH_TICKET_UNAVAILABLE:
		rc = http_reply_error(r, 503, "temporarily unavailable");
		break;
	case AUTH_TICKET_ERR:
		break;
	}
	OPENSSL_cleanse(ticket, sizeof(ticket));
	return rc;
}

int
events_handler(struct http_req *r)
{
	const struct auth_user *u = auth_user_of(r);
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
	snprintf(c->session_hash, sizeof(c->session_hash), "%s",
	    u->session_hash);
	n = snprintf(retry, sizeof(retry), "retry: %d\n\n", EVENTS_RETRY_MS);
	hello = msg_new(0, retry, (size_t)n);
	client_push(c, hello);
	msg_unref(hello);

	pthread_mutex_lock(&streams.lock);
	n = streams.stopping || !streams.running		  ? 1
	    : streams.nclients >= events_max_clients(streams.cfg) ? 2
							  : 0;
	pthread_mutex_unlock(&streams.lock);
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
	pthread_mutex_lock(&streams.lock);
	c->stream = s;
	if (streams.stopping) {
		pthread_mutex_lock(&c->lock);
		c->end = 1;
		pthread_mutex_unlock(&c->lock);
	} else {
		c->listed = 1;
		c->next = streams.clients;
		if (streams.clients)
			streams.clients->prev = c;
		streams.clients = c;
		streams.nclients++;
	}
	pthread_mutex_unlock(&streams.lock);

	if (after > 0 && replay(r, c, after) != 0) {
		/* Cannot replay: end at once, the browser retries. */
		log_kv(LOG_WARN, "events: replay failed; stream ended", NULL);
		pthread_mutex_lock(&streams.lock);
		pthread_mutex_lock(&c->lock);
		client_clear(c);
		c->end = 1;
		pthread_mutex_unlock(&c->lock);
		http_stream_wake(s);
		pthread_mutex_unlock(&streams.lock);
	}
	return 0;
}
