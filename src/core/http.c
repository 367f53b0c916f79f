/*
 * HTTP core over libmicrohttpd.  See include/core/http.h.
 *
 * Per-request state (struct http_req) is made in the URI log callback,
 * which is the first thing MHD calls for a request and the only place the
 * raw request target (path + query, undecoded) is seen; that raw form is
 * what Twilio signs.  The state is freed in the completion callback, which
 * also writes the access-log line and counts the request.
 *
 * Routes that use the database (webhooks and the app API) do not run on
 * MHD's threads: once the body is in, the connection is suspended and the
 * request joins one first-in-first-out queue served by HTTP_WORKERS
 * threads, which then resume it; MHD's thread sends the answer.  A slow
 * statement so delays only the requests behind it in arrival order, never
 * a whole MHD thread's share of the connections, and the MHD threads keep
 * reading requests meanwhile.  Replies are therefore kept on the request
 * (pending) and handed to MHD on its own thread.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/syscall.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "connwatch.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define MAX_EXTRA_HEADERS 8
#define MAX_FORM_PAIRS 512
#define MAX_QUERY_PAIRS 64
/* A chunked body past its cap is drained up to this many times the cap
 * (to send the 413), then the connection is cut. */
#define DRAIN_FACTOR 4
#define XFF_MAX_ENTRIES 32
#define HTTP_PER_ADDRESS_DEFAULT 64

struct http_req;

/* The FIFO of requests waiting for a worker (linked through ->next). */
struct work_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct http_req *head, *tail;
	int stopping;
	int nthreads;
	pthread_t *threads;
	int waiting; /* requests in the queue, not yet taken */
	int max_waiting; /* 0: no bound; else beyond it, 429 */
	int idle; /* the threads run at the lowest priority */
};

struct http_server {
	struct MHD_Daemon *mhd;
	const struct config *cfg;
	const struct http_route *routes;
	size_t nroutes;
	int port;
	struct work_queue wq; /* HTTP_RUN_WORKER routes */
	struct work_queue cq; /* HTTP_RUN_COMMIT routes */
	struct work_queue kq; /* HTTP_RUN_CPU routes */
	struct connwatch *watch; /* slow clients */
};

/* Where a request stands with the worker queue. */
enum offload {
	OFFLOAD_NONE, /* runs on MHD's thread */
	OFFLOAD_QUEUED, /* suspended, waiting for or in a worker */
	OFFLOAD_DONE, /* the worker ran it; resumed */
};

struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	char id[65];
	char *uri; /* raw target */
	char *path; /* raw path (uri up to '?') */
	const char *query; /* into uri, after '?', or "" */
	const char *method;
	const struct http_route *route;
	int route_index; /* nroutes when unmatched */
	char *params[HTTP_MAX_PARAMS];
	uint64_t start_us;
	struct connwatch_conn *wc; /* the connection's, for the watch */
	size_t body_max;
	size_t drained;
	struct buf body;
	int started;
	int too_large;
	unsigned status; /* 0 until a reply is queued */
	struct form query_form;
	struct form form;
	json_t *json;
	struct {
		char *name, *value;
	} extra[MAX_EXTRA_HEADERS];
	int nextra;
	char peer[INET6_ADDRSTRLEN];
	/* An allowed Origin of a CORS route ("": no CORS headers). */
	char cors_origin[CONFIG_ORIGIN_LEN_MAX + 1];
	char cors_methods[64]; /* a preflight's: the path's methods */
	void *ctx; /* the guard's, http_req_set_ctx */
	void (*ctx_free)(void *);
	/* The reply, kept until it can be queued on MHD's thread. */
	struct MHD_Response *pending;
	enum offload offload;
	struct http_req *next; /* in the work queue */
};

static atomic_int inflight;

int
http_inflight(void)
{
	return atomic_load(&inflight);
}

/* ---- small helpers ---- */

static int
valid_request_id(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (!(('a' <= s[n] && s[n] <= 'z') ||
			('A' <= s[n] && s[n] <= 'Z') ||
			('0' <= s[n] && s[n] <= '9') || s[n] == '-' ||
			s[n] == '_' || s[n] == '.'))
			return 0;
	return n >= 1 && n <= 64;
}

static void
new_request_id(char out[65])
{
	uint8_t rnd[8];

	if (util_random(rnd, sizeof(rnd)) != 0)
		memset(rnd, 0, sizeof(rnd));
	util_hex_encode(out, rnd, sizeof(rnd));
}

/* Does route path pattern match path?  Captures "*" segments. */
static int
path_match(const char *pattern, const char *path, struct http_req *r)
{
	int np = 0;
	const char *p = pattern, *s = path;

	while (*p != '\0' && *s != '\0') {
		if (p[0] == '*' && (p[1] == '/' || p[1] == '\0')) {
			size_t seg = strcspn(s, "/");

			if (seg == 0 || np >= HTTP_MAX_PARAMS)
				return 0;
			if (r != NULL)
				r->params[np] = xstrndup(s, seg);
			np++;
			s += seg;
			p++;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

static int
method_match(const char *route_method, const char *method)
{
	return strcmp(route_method, method) == 0 ||
	    (strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

static void
params_clear(struct http_req *r)
{
	for (int i = 0; i < HTTP_MAX_PARAMS; i++) {
		free(r->params[i]);
		r->params[i] = NULL;
	}
}

/*
 * Find the route for method + path.  Sets r->route, or leaves it NULL and
 * fills allow with the methods the path has (empty: no such path).  *cors
 * is 1 when the route found, or else a route of the path, has .cors.
 */
static void
route_find(struct http_req *r, char *allow, size_t allowlen, int *cors)
{
	struct http_server *s = r->srv;

	allow[0] = '\0';
	*cors = 0;
	r->route_index = (int)s->nroutes;
	for (size_t i = 0; i < s->nroutes; i++) {
		const struct http_route *rt = &s->routes[i];

		if (strcmp(rt->path, HTTP_FALLBACK) == 0 ||
		    !path_match(rt->path, r->path, NULL))
			continue;
		if (method_match(rt->method, r->method)) {
			path_match(rt->path, r->path, r);
			r->route = rt;
			r->route_index = (int)i;
			*cors = rt->cors;
			return;
		}
		*cors |= rt->cors;
		if (strstr(allow, rt->method) == NULL) {
			size_t n = strlen(allow);

			snprintf(allow + n, allowlen - n, "%s%s%s",
			    n ? ", " : "", rt->method,
			    strcmp(rt->method, "GET") == 0 ? ", HEAD" : "");
		}
	}
	/* No route has this path at all: the fallback route, if any. */
	for (size_t i = 0; allow[0] == '\0' && i < s->nroutes; i++)
		if (strcmp(s->routes[i].path, HTTP_FALLBACK) == 0 &&
		    method_match(s->routes[i].method, r->method)) {
			r->route = &s->routes[i];
			r->route_index = (int)i;
			*cors = r->route->cors;
			return;
		}
}

/* ---- replies ---- */

void
http_reply_header(struct http_req *r, const char *name, const char *value)
{
	if (r->nextra >= MAX_EXTRA_HEADERS)
		return;
	r->extra[r->nextra].name = xstrdup(name);
	r->extra[r->nextra].value = xstrdup(value);
	r->nextra++;
}

/* The CORS headers of an allowed origin's request (see http.h). */
static void
cors_headers(const struct http_req *r, struct MHD_Response *resp)
{
	if (r->cors_origin[0] == '\0')
		return;
	MHD_add_response_header(resp, "Access-Control-Allow-Origin",
	    r->cors_origin);
	MHD_add_response_header(resp, "Vary", "Origin");
	if (r->cors_methods[0] != '\0') {
		MHD_add_response_header(resp, "Access-Control-Allow-Methods",
		    r->cors_methods);
		MHD_add_response_header(resp, "Access-Control-Allow-Headers",
		    HTTP_CORS_ALLOW_HEADERS);
		MHD_add_response_header(resp, "Access-Control-Max-Age",
		    HTTP_CORS_MAX_AGE);
	} else
		MHD_add_response_header(resp, "Access-Control-Expose-Headers",
		    HTTP_CORS_EXPOSE_HEADERS);
}

static int
queue(struct http_req *r, unsigned status, const char *ctype,
    struct MHD_Response *resp)
{
	int cache_set = 0;

	if (resp == NULL)
		return -1;
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	if (ctype != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    ctype);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (int i = 0; i < r->nextra; i++) {
		if (strcasecmp(r->extra[i].name, "Cache-Control") == 0)
			cache_set = 1;
		MHD_add_response_header(resp, r->extra[i].name,
		    r->extra[i].value);
	}
	if (!cache_set) /* no-store unless the handler chose otherwise */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "no-store");
	cors_headers(r, resp);
	if (r->pending != NULL) { /* a second reply: keep the first */
		MHD_destroy_response(resp);
		return 0;
	}
	r->pending = resp;
	r->status = status;
	return 0;
}

/* Hand the kept reply to MHD (on MHD's thread); -1 when MHD refuses. */
static int
send_pending(struct http_req *r)
{
	enum MHD_Result ok;

	if (r->pending == NULL)
		return 0;
	ok = MHD_queue_response(r->conn, r->status, r->pending);
	MHD_destroy_response(r->pending);
	r->pending = NULL;
	return ok == MHD_YES ? 0 : -1;
}

int
http_reply(struct http_req *r, unsigned status, const char *content_type,
    const char *body, size_t len)
{
	return queue(r, status, content_type,
	    MHD_create_response_from_buffer(len, (void *)body,
		MHD_RESPMEM_MUST_COPY));
}

int
http_reply_take(struct http_req *r, unsigned status, const char *content_type,
    char *body, size_t len)
{
	struct MHD_Response *resp;

	resp =
	    MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (resp == NULL) {
		free(body);
		return -1;
	}
	return queue(r, status, content_type, resp);
}

int
http_reply_json(struct http_req *r, unsigned status, json_t *body)
{
	char *text;

	if (body == NULL)
		return -1;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return -1;
	return http_reply_take(r, status, "application/json", text,
	    strlen(text));
}

int
http_reply_error(struct http_req *r, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return http_reply_json(r, status,
	    json_pack("{s:s, s:s}", "error", msg, "request_id", r->id));
}

int
http_reply_twiml(struct http_req *r, char *doc, size_t len)
{
	return http_reply_take(r, 200, "text/xml; charset=utf-8", doc, len);
}

/* ---- streamed replies ---- */

struct http_stream {
	pthread_mutex_t lock;
	struct MHD_Connection *conn;
	const struct http_stream_ops *ops;
	void *cls;
	int suspended; /* MHD_suspend_connection'ed, not resumed yet */
	int woken; /* a wake came while read() was running */
	int finished; /* the response is being freed */
	int peer_gone; /* the client closed its side: end now */
	struct connwatch *w; /* tells it when the client left */
	struct connwatch_conn *wc;
};

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	long n;

	(void)pos;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		n = s->peer_gone;
		pthread_mutex_unlock(&s->lock);
		if (n)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		n = s->ops->read(s->cls, buf, max);
		if (n > 0)
			return (ssize_t)n;
		if (n < 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&s->lock);
		if (s->woken) {
			/* Data came between read() and here: read again. */
			s->woken = 0;
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		s->suspended = 1;
		MHD_suspend_connection(s->conn);
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
}

static void
stream_free(void *cls)
{
	struct http_stream *s = cls;

	/* The watch calls stream_gone no more once this returns. */
	connwatch_set(s->w, s->wc, CONNWATCH_BUSY);
	pthread_mutex_lock(&s->lock);
	s->finished = 1;
	pthread_mutex_unlock(&s->lock);
	s->ops->done(s->cls);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void
http_stream_wake(struct http_stream *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->finished) {
		/* nothing */
	} else if (s->suspended) {
		s->suspended = 0;
		MHD_resume_connection(s->conn);
	} else
		s->woken = 1;
	pthread_mutex_unlock(&s->lock);
}

/* The watch saw the client leave: let read() run, so the write fails. */
static void
stream_gone(void *arg)
{
	struct http_stream *s = arg;

	pthread_mutex_lock(&s->lock);
	s->peer_gone = 1;
	pthread_mutex_unlock(&s->lock);
	http_stream_wake(s);
}

int
http_reply_stream(struct http_req *r, unsigned status, const char *content_type,
    const struct http_stream_ops *ops, void *cls, struct http_stream **out)
{
	struct http_stream *s = xcalloc(1, sizeof(*s));
	struct MHD_Response *resp;

	pthread_mutex_init(&s->lock, NULL);
	s->conn = r->conn;
	s->ops = ops;
	s->cls = cls;
	s->w = r->srv->watch;
	s->wc = r->wc;
	*out = s;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 2048,
	    stream_read, s, stream_free);
	if (resp == NULL) {
		stream_free(s);
		*out = NULL;
		return -1;
	}
	connwatch_stream(s->w, s->wc, stream_gone, s);
	/* On failure queue() destroys resp, which runs stream_free. */
	return queue(r, status, content_type, resp);
}

/* ---- accessors ---- */

const char *
http_req_id(const struct http_req *r)
{
	return r->id;
}

const char *
http_req_method(const struct http_req *r)
{
	return r->method;
}

const char *
http_req_path(const struct http_req *r)
{
	return r->path;
}

const char *
http_req_uri(const struct http_req *r)
{
	return r->uri;
}

const char *
http_req_rawquery(const struct http_req *r)
{
	return r->query;
}

const char *
http_req_header(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
http_req_query(const struct http_req *r, const char *name)
{
	return form_get(&r->query_form, name);
}

const char *
http_req_param(const struct http_req *r, int i)
{
	return i >= 0 && i < HTTP_MAX_PARAMS ? r->params[i] : NULL;
}

const struct form *
http_req_form(const struct http_req *r)
{
	return &r->form;
}

json_t *
http_req_json(const struct http_req *r)
{
	return r->json;
}

const char *
http_req_body(const struct http_req *r, size_t *len)
{
	if (len != NULL)
		*len = r->body.len;
	return buf_cstr(&r->body);
}

int
http_req_replied(const struct http_req *r)
{
	return r->status != 0;
}

const struct config *
http_req_config(const struct http_req *r)
{
	return r->srv->cfg;
}

const char *
http_req_peer(const struct http_req *r)
{
	return r->peer;
}

const struct http_route *
http_req_route(const struct http_req *r)
{
	return r->route;
}

void *
http_req_ctx(const struct http_req *r)
{
	return r->ctx;
}

void
http_req_set_ctx(struct http_req *r, void *ctx, void (*free_fn)(void *))
{
	if (r->ctx_free != NULL)
		r->ctx_free(r->ctx);
	r->ctx = ctx;
	r->ctx_free = free_fn;
}

/* 0 with a normalised copy in out when s[0..len) is an IP address. */
static int
ip_text(const char *s, size_t len, char *out, size_t outlen)
{
	char tmp[HTTP_ADDR_MAX];
	unsigned char bin[16];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, bin) == 1)
		return inet_ntop(AF_INET, bin, out, (socklen_t)outlen) ? 0 : -1;
	if (inet_pton(AF_INET6, tmp, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, (socklen_t)outlen) ? 0
									: -1;
	return -1;
}

int
http_forwarded_addr(const char *xff, int hops, char *out, size_t outlen)
{
	const char *start[XFF_MAX_ENTRIES];
	size_t len[XFF_MAX_ENTRIES];
	int n = 0, pick;
	const char *p = xff;

	if (xff == NULL || hops < 1)
		return -1;
	/* Keep the last XFF_MAX_ENTRIES entries: the right end matters. */
	for (;;) {
		size_t l;

		while (*p == ' ' || *p == '\t')
			p++;
		l = strcspn(p, ",");
		if (n == XFF_MAX_ENTRIES) {
			memmove(start, start + 1, sizeof(start[0]) * (n - 1));
			memmove(len, len + 1, sizeof(len[0]) * (n - 1));
			n--;
		}
		start[n] = p;
		while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
			l--;
		len[n++] = l;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	pick = n - hops;
	if (pick < 0)
		pick = 0; /* fewer hops than proxies: the first is the client */
	return ip_text(start[pick], len[pick], out, outlen);
}

void
http_req_client_addr(const struct http_req *r, char *out, size_t outlen)
{
	const struct config *cfg = r->srv->cfg;

	if (cfg->trust_proxy > 0 &&
	    http_forwarded_addr(http_req_header(r, "X-Forwarded-For"),
		cfg->trust_proxy, out, outlen) == 0)
		return;
	snprintf(out, outlen, "%s", r->peer);
}

static void
peer_text(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	out[0] = '\0';
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    out, (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    (socklen_t)outlen);
}

/* ---- request life cycle ---- */

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_req *r = xcalloc(1, sizeof(*r));
	const char *q;
	char *mq;

	r->srv = cls;
	r->conn = conn;
	r->start_us = util_now_us();
	r->uri = xstrdup(uri);
	/*
	 * The query is ours to parse (r->query_form, capped at
	 * MAX_QUERY_PAIRS).  libmicrohttpd would split it into its
	 * connection pool right after this callback, and a few hundred
	 * parameters exhaust that pool and leave the connection hanging
	 * unanswered; so its copy ends here.  uri points into the
	 * connection's read buffer, which is writable (libmicrohttpd
	 * 0.9.7x: parse_initial_message_line).
	 */
	if ((mq = strchr((char *)(uintptr_t)uri, '?')) != NULL)
		mq[1] = '\0';
	q = strchr(r->uri, '?');
	r->path = q ? xstrndup(r->uri, (size_t)(q - r->uri)) : xstrdup(r->uri);
	r->query = q ? q + 1 : "";
	r->route_index = -1;
	peer_text(conn, r->peer, sizeof(r->peer));
	form_init(&r->query_form);
	form_init(&r->form);
	atomic_fetch_add(&inflight, 1);
	return r;
}

static void
req_free(struct http_req *r)
{
	params_clear(r);
	for (int i = 0; i < r->nextra; i++) {
		free(r->extra[i].name);
		free(r->extra[i].value);
	}
	form_cleanup(&r->query_form);
	form_cleanup(&r->form);
	json_decref(r->json);
	http_req_set_ctx(r, NULL, NULL);
	if (r->pending != NULL)
		MHD_destroy_response(r->pending);
	if (r->body.ptr != NULL) /* may hold a password */
		OPENSSL_cleanse(r->body.ptr, r->body.len);
	buf_cleanup(&r->body);
	free(r->path);
	free(r->uri);
	free(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;
	uint64_t dur;
	char status[8], dur_ms[24];
	const char *route;

	(void)cls;
	(void)conn;
	if (r == NULL)
		return;
	*con_cls = NULL;
	/* Kept alive: waiting for the next head. */
	connwatch_set(r->srv->watch, r->wc, CONNWATCH_HEAD);
	dur = util_now_us() - r->start_us;
	if (r->route_index < 0)
		r->route_index = (int)r->srv->nroutes;
	route = r->route ? r->route->path : "unmatched";
	snprintf(status, sizeof(status), "%u", r->status);
	snprintf(dur_ms, sizeof(dur_ms), "%.3f", (double)dur / 1000.0);
	log_ctx_set(r->id[0] ? r->id : NULL, NULL);
	if (r->status != 0) {
		metrics_observe(r->route_index, r->method ? r->method : "other",
		    r->status, dur);
		log_kv(r->status >= 500 ? LOG_WARN : LOG_INFO, "request",
		    "method", r->method, "path", r->path, "route", route,
		    "status", status, "dur_ms", dur_ms, NULL);
	} else
		log_kv(LOG_INFO, "request aborted", "method", r->method, "path",
		    r->path, "route", route, "reason",
		    toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
			: toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT
			? "client closed"
			: toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN
			? "shutdown"
			: "error",
		    "dur_ms", dur_ms, NULL);
	log_ctx_clear();
	req_free(r);
	atomic_fetch_sub(&inflight, 1);
}

static size_t
body_cap(const struct http_req *r)
{
	if (r->route != NULL && r->route->body_max != 0)
		return r->route->body_max;
	return HTTP_BODY_MAX_TWILIO;
}

/* First call: headers are in.  Route, and refuse early what we can. */
static int
request_begin(struct http_req *r, const char *method)
{
	char allow[64];
	const char *cl, *rid, *origin, *acrm;
	int cors;

	r->started = 1;
	r->method = method; /* MHD keeps it for the connection's request */
	rid = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "X-Request-Id");
	if (valid_request_id(rid))
		snprintf(r->id, sizeof(r->id), "%s", rid);
	else
		new_request_id(r->id);
	log_ctx_set(r->id, NULL);

	route_find(r, allow, sizeof(allow), &cors);
	r->body_max = body_cap(r);
	buf_init(&r->body, r->body_max);
	origin = http_req_header(r, "Origin");
	if (cors && config_origin_allowed(r->srv->cfg, origin)) {
		snprintf(r->cors_origin, sizeof(r->cors_origin), "%s", origin);
		/*
		 * A preflight: no route has OPTIONS, so the path's methods
		 * are in allow.  Answered here, before any guard: a browser
		 * never sends credentials with it.
		 */
		acrm = http_req_header(r, "Access-Control-Request-Method");
		if (r->route == NULL && allow[0] != '\0' &&
		    strcmp(method, "OPTIONS") == 0 && acrm != NULL &&
		    *acrm != '\0') {
			snprintf(r->cors_methods, sizeof(r->cors_methods), "%s",
			    allow);
			return http_reply(r, 204, NULL, "", 0);
		}
	}
	if (r->route == NULL) {
		if (allow[0] == '\0')
			return http_reply_error(r, 404, "not found");
		http_reply_header(r, "Allow", allow);
		return http_reply_error(r, 405, "method %s not allowed here",
		    method);
	}
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || *end != '\0' ||
		    n > r->body_max) {
			r->too_large = 1;
			http_reply_header(r, "Connection", "close");
			return http_reply_error(r, 413,
			    "request body too large (limit %zu bytes)",
			    r->body_max);
		}
	}
	return 0;
}

static int
content_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* The body is complete: parse it, authenticate, run the handler. */
static int
request_dispatch(struct http_req *r)
{
	const char *ct;
	json_error_t jerr;

	if (form_parse(&r->query_form, r->query, strlen(r->query),
		MAX_QUERY_PAIRS) != 0)
		return http_reply_error(r, 400, "malformed query string");
	ct = http_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (r->body.len > 0) {
		if (content_type_is(ct, "application/x-www-form-urlencoded")) {
			if (form_parse(&r->form, r->body.ptr, r->body.len,
				MAX_FORM_PAIRS) != 0)
				return http_reply_error(r, 400,
				    "malformed form body (bad %%-escape, "
				    "invalid UTF-8 or too many fields)");
		} else if (content_type_is(ct, "application/json")) {
			r->json = json_loadb(r->body.ptr, r->body.len,
			    JSON_REJECT_DUPLICATES, &jerr);
			if (r->json == NULL)
				return http_reply_error(r, 400,
				    "malformed JSON body: %s (line %d)",
				    jerr.text, jerr.line);
		} else
			return http_reply_error(r, 415,
			    "unsupported content type; send "
			    "application/x-www-form-urlencoded or "
			    "application/json");
	}
	if (r->route->guard != NULL && r->route->guard(r) == HTTP_ANSWERED)
		return r->status != 0
		    ? 0
		    : http_reply_error(r, 500, "internal error");
	if (r->route->handler(r) != 0 && r->status == 0)
		return http_reply_error(r, 500, "internal error");
	return 0;
}

/* ---- the worker queue ---- */

/*
 * The queue a route's requests wait in, or NULL to run on MHD's thread.
 * Routes that read the database run on a worker (routes.c says which);
 * probes and static answers stay on MHD's threads.  The group-committed
 * routes have their own workers: most of their time is spent waiting for
 * a group's commit, and the more of them wait together the more share
 * one commit, while the other routes' work is mostly CPU (signatures,
 * tokens), best done by about as many threads as cores.
 */
static struct work_queue *
route_queue(struct http_server *s, const struct http_route *rt)
{
	switch (rt->run) {
	case HTTP_RUN_WORKER:
		return &s->wq;
	case HTTP_RUN_COMMIT:
		return &s->cq;
	case HTTP_RUN_CPU:
		return &s->kq;
	case HTTP_RUN_INLINE:
		break;
	}
	return NULL;
}

static void
run_request(struct http_req *r)
{
	log_ctx_set(r->id, NULL);
	if (r->too_large) {
		http_reply_header(r, "Connection", "close");
		http_reply_error(r, 413,
		    "request body too large (limit %zu bytes)", r->body_max);
	} else if (request_dispatch(r) != 0 && r->status == 0)
		http_reply_error(r, 500, "internal error");
	log_ctx_clear();
}

static void *
worker_main(void *arg)
{
	struct work_queue *q = arg;
	struct http_req *r;

	/*
	 * Below every other thread, so that probes and webhooks never wait
	 * on a hash: SCHED_IDLE runs only on a core nothing else wants, and
	 * yields it at once (Linux); elsewhere a high niceness.
	 */
	if (q->idle) {
#ifdef SCHED_IDLE
		struct sched_param sp = { .sched_priority = 0 };

		if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
#endif
			if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
				19) != 0)
				log_warn("HTTP workers: setpriority");
	}
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->head == NULL) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		r = q->head;
		q->head = r->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->waiting--;
		pthread_mutex_unlock(&q->mu);
		r->next = NULL;
		run_request(r);
		r->offload = OFFLOAD_DONE;
		MHD_resume_connection(r->conn);
	}
}

/*
 * Suspend r's connection and queue r; -1 (nothing done) once the workers
 * are stopping: the caller runs it on its own thread then.
 */
static int
work_push(struct work_queue *q, struct http_req *r)
{
	pthread_mutex_lock(&q->mu);
	if (q->stopping) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	if (q->max_waiting > 0 && q->waiting >= q->max_waiting) {
		pthread_mutex_unlock(&q->mu);
		return 1;
	}
	q->waiting++;
	r->offload = OFFLOAD_QUEUED;
	MHD_suspend_connection(r->conn);
	if (q->tail != NULL)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static int
work_start(struct work_queue *q, int n, int max_waiting, int idle)
{
	q->max_waiting = max_waiting;
	q->idle = idle;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->threads = xcalloc((size_t)n, sizeof(*q->threads));
	for (q->nthreads = 0; q->nthreads < n; q->nthreads++)
		if (pthread_create(&q->threads[q->nthreads], NULL, worker_main,
			q) != 0) {
			log_errorx("cannot start HTTP worker threads");
			return -1;
		}
	return 0;
}

/* Let the workers finish the queue, then join them. */
static void
work_stop(struct work_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	free(q->threads);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}

/* The watch's handle of a connection (set when it opened), or NULL. */
static struct connwatch_conn *
conn_watched(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci != NULL
		    ? connwatch_open(s->watch, ci->connect_fd)
		    : NULL;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		connwatch_close(s->watch, *socket_context);
		*socket_context = NULL;
	}
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_req *r = *con_cls;
	struct work_queue *q;
	int rc, queued = -1;

	(void)cls;
	(void)conn;
	(void)url;
	(void)version;
	if (r == NULL)
		return MHD_NO; /* cannot happen: on_uri always runs first */
	if (!r->started) {
		/* The head is in: from now on the body is what is watched. */
		r->wc = conn_watched(conn);
		connwatch_set(r->srv->watch, r->wc, CONNWATCH_BODY);
		rc = request_begin(r, method);
		log_ctx_clear();
		if (rc != 0)
			return MHD_NO;
		return send_pending(r) == 0 ? MHD_YES : MHD_NO;
	}
	if (r->offload == OFFLOAD_QUEUED)
		return MHD_YES; /* cannot happen: suspended until done */
	if (r->offload == OFFLOAD_DONE) {
		r->offload = OFFLOAD_NONE;
		return send_pending(r) == 0 ? MHD_YES : MHD_NO;
	}
	if (r->status != 0) {
		/* Answered early (404/405/413): MHD drops any body. */
		if (*upload_data_size != 0)
			connwatch_body(r->srv->watch, r->wc, *upload_data_size);
		else
			connwatch_set(r->srv->watch, r->wc, CONNWATCH_BUSY);
		*upload_data_size = 0;
		return send_pending(r) == 0 ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size != 0) {
		connwatch_body(r->srv->watch, r->wc, *upload_data_size);
		if (!r->too_large &&
		    buf_add(&r->body, upload_data, *upload_data_size) != 0)
			r->too_large = 1;
		if (r->too_large) {
			r->drained += *upload_data_size;
			if (r->drained > DRAIN_FACTOR * r->body_max)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	connwatch_set(r->srv->watch, r->wc, CONNWATCH_BUSY);
	if (!r->too_large && (q = route_queue(r->srv, r->route)) != NULL &&
	    (queued = work_push(q, r)) == 0)
		return MHD_YES;
	log_ctx_set(r->id, NULL);
	if (queued > 0) {
		/* The queue of this kind of work is full: come back later. */
		http_reply_header(r, "Retry-After", "1");
		rc = http_reply_error(r, 429, "busy; try again in a second");
	} else if (r->too_large) {
		http_reply_header(r, "Connection", "close");
		rc = http_reply_error(r, 413,
		    "request body too large (limit %zu bytes)", r->body_max);
	} else
		rc = request_dispatch(r);
	log_ctx_clear();
	if (rc != 0)
		return MHD_NO;
	return send_pending(r) == 0 ? MHD_YES : MHD_NO;
}

__attribute__((format(printf, 2, 0))) static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	log_kv(LOG_DEBUG, "libmicrohttpd", "detail", msg, NULL);
}

struct http_server *
http_start(const struct config *cfg, const struct http_route *routes, size_t n)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	int per_address;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)cfg->port);
	if (inet_pton(AF_INET, cfg->bind_address, &addr.sin_addr) != 1) {
		log_errorx("BIND_ADDRESS %s is not an IPv4 address",
		    cfg->bind_address);
		goto fail;
	}
	s->cfg = cfg;
	s->routes = routes;
	s->nroutes = n;
	if (work_start(&s->wq, cfg->http_workers, 0, 0) != 0 ||
	    work_start(&s->cq, cfg->http_commit_workers, 0, 0) != 0 ||
	    work_start(&s->kq, cfg->http_cpu_workers, cfg->http_cpu_queue,
		1) != 0)
		goto fail;
	s->watch = connwatch_start(cfg->http_head_timeout_s,
	    cfg->http_body_min_rate, cfg->http_max_connections);
	if (s->watch == NULL)
		goto fail;
	/* Behind a proxy every client has the proxy's address. */
	per_address = cfg->http_max_per_address >= 0
	    ? cfg->http_max_per_address
	    : cfg->trust_proxy > 0 ? 0
				   : HTTP_PER_ADDRESS_DEFAULT;
	s->mhd =
	    MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		    MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
		(uint16_t)cfg->port, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)cfg->http_threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)cfg->http_max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_conn_timeout,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_address,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 512u,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
	if (s->mhd == NULL) {
		log_errorx("cannot listen on %s:%d (port in use, or not "
			   "allowed?)",
		    cfg->bind_address, cfg->port);
		goto fail;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	return s;
fail:
	connwatch_stop(s->watch);
	if (s->wq.threads != NULL)
		work_stop(&s->wq);
	if (s->cq.threads != NULL)
		work_stop(&s->cq);
	if (s->kq.threads != NULL)
		work_stop(&s->kq);
	free(s);
	return NULL;
}

int
http_port(const struct http_server *s)
{
	return s->port;
}

void
http_stop(struct http_server *s, int timeout_s)
{
	MHD_socket fd;
	uint64_t deadline;

	if (s == NULL)
		return;
	fd = MHD_quiesce_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	deadline = util_now_ms() + (uint64_t)timeout_s * 1000;
	while (atomic_load(&inflight) > 0 && util_now_ms() < deadline)
		usleep(20 * 1000);
	if (atomic_load(&inflight) > 0)
		log_warnx("%d request(s) still running at shutdown",
		    atomic_load(&inflight));
	/*
	 * The workers finish what is queued (each such request is resumed
	 * with its answer) before MHD closes every connection.
	 */
	work_stop(&s->wq);
	work_stop(&s->cq);
	work_stop(&s->kq);
	MHD_stop_daemon(s->mhd);
	connwatch_stop(s->watch);
	free(s);
}
