#ifndef RAMAL_HTTP_H
#define RAMAL_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "form.h"
#include "outcome.h"

/*
 * The HTTP core over libmicrohttpd: a static route table, per-request
 * state, capped bodies, form/JSON parsing, request ids, the access log and
 * graceful shutdown.  Handlers see only struct http_req and the reply
 * functions below.
 */
#define HTTP_BODY_MAX_TWILIO (64 * 1024)
#define HTTP_BODY_MAX_API (1024 * 1024)
#define HTTP_MAX_PARAMS 4 /* "*" segments in a route path */

struct http_req;
struct http_server;

/*
 * A handler answers with exactly one http_reply* call and returns 0, or
 * returns -1 without replying (the core answers 500).
 */
typedef int (*http_handler)(struct http_req *r);

/*
 * A route whose path is HTTP_FALLBACK matches, for its method, any path
 * that no other route has (a path another route has with other methods
 * still gets 405).  The web UI uses it for GET/HEAD.
 */
#define HTTP_FALLBACK "/**"

/* Where a route's handler runs (see http.c). */
enum http_run {
	/* The handler never waits long (no database, or a probe's one
	 * query): the HTTP thread that read the request. */
	HTTP_RUN_INLINE,
	/* The HTTP_WORKERS queue, first come first served: routes that
	 * read the database, if only for a session or a subaccount's key. */
	HTTP_RUN_WORKER,
	/*
	 * The handler's write goes through the group commit (db_group.h)
	 * and waits there for other requests' writes: its own queue of
	 * HTTP_COMMIT_WORKERS threads, so the waiting never holds up the
	 * HTTP_WORKERS threads (sized for CPU, not for waiting).
	 */
	HTTP_RUN_COMMIT,
	/*
	 * CPU-bound work (a password hash): its own queue of
	 * HTTP_CPU_WORKERS threads running below the others' priority, so
	 * it never slows probes and webhooks; when HTTP_CPU_QUEUE requests
	 * already wait, 429 with Retry-After.
	 */
	HTTP_RUN_CPU,
};

/*
 * A guard runs before the handler, on the handler's thread: it lets the
 * request through (HTTP_GO_ON, possibly after http_req_set_ctx) or
 * answers it itself (HTTP_ANSWERED: refused, or a degraded answer).  The
 * core knows no policy; routes.c gives each route its guard.
 */
enum http_guard_result {
	HTTP_GO_ON,
	HTTP_ANSWERED,
};
typedef enum http_guard_result (*http_guard)(struct http_req *r);

/*
 * Store an event of this route that was kept on disk while the database
 * was away (spool.h): the raw body and when it was received.
 */
typedef enum outcome (*http_replay)(const char *route,
    const char *received_at, const char *body, size_t len);

struct http_route {
	const char *method; /* "GET" also serves HEAD */
	const char *path; /* "/a/b", a "*" segment matches one segment;
			     HTTP_FALLBACK: see above (paths.h names them) */
	http_handler handler;
	http_guard guard; /* NULL: anyone may call it */
	size_t body_max; /* 0: HTTP_BODY_MAX_TWILIO */
	enum http_run run; /* where guard and handler run */
	/*
	 * The answer when the guard cannot decide because what it needs is
	 * unreachable (a subaccount's key while the database is down): a
	 * document that keeps the caller.  NULL: none (the guard refuses, or
	 * spools a callback that has a replay).
	 */
	http_handler degraded;
	/* How a spooled event of this route is stored later; NULL: never
	 * spooled.  The spool finds it here by path (spool_start). */
	http_replay replay;
	/*
	 * 1: pages of the origins in CORS_ALLOWED_ORIGINS may call it.  A
	 * request whose Origin is one of them gets Access-Control-Allow-
	 * Origin (that origin), Vary: Origin and Access-Control-Expose-
	 * Headers on every answer, refusals included; a preflight (OPTIONS
	 * with Access-Control-Request-Method) on the route's path is
	 * answered 204 by the core, before any guard, with the path's
	 * methods (HTTP_CORS_* below).  Any other Origin, or none, changes
	 * nothing.  Never Access-Control-Allow-Credentials: cross-origin
	 * callers authenticate with a header, not a cookie.
	 */
	int cors;
};

#define HTTP_CORS_ALLOW_HEADERS                                               \
	"Authorization, Content-Type, X-CSRF-Token, Last-Event-ID"
#define HTTP_CORS_EXPOSE_HEADERS "X-Request-Id, Retry-After"
#define HTTP_CORS_MAX_AGE "600" /* seconds a browser keeps a preflight */

/*
 * Start serving routes (array of n, borrowed for the server's lifetime)
 * on cfg's address and port.  NULL on failure (logged).
 */
struct http_server *http_start(const struct config *cfg,
    const struct http_route *routes, size_t n);

/* The bound TCP port (useful with PORT=0). */
int http_port(const struct http_server *s);

/*
 * Stop accepting, let in-flight requests finish for up to timeout_s
 * seconds, then close every connection and free the server.  Streams
 * (http_reply_stream) must have been told to end first: libmicrohttpd
 * cannot stop with a suspended connection.
 */
void http_stop(struct http_server *s, int timeout_s);

/* Requests in flight right now (for shutdown and metrics). */
int http_inflight(void);

/* ---- the request (all strings borrowed for the request's lifetime) ---- */

const char *http_req_id(const struct http_req *r);
const char *http_req_method(const struct http_req *r);
/* The path as received, without the query. */
const char *http_req_path(const struct http_req *r);
/* Path and query exactly as received ("/x?a=1"). */
const char *http_req_uri(const struct http_req *r);
/* The raw query without '?', or "" when none. */
const char *http_req_rawquery(const struct http_req *r);
const char *http_req_header(const struct http_req *r, const char *name);
/* First value of a query parameter, decoded; NULL when absent. */
const char *http_req_query(const struct http_req *r, const char *name);
/* The route's "*" segments, in order; NULL past the last. */
const char *http_req_param(const struct http_req *r, int i);
/* The form body (empty when the body is not a form). */
const struct form *http_req_form(const struct http_req *r);
/* The JSON body, or NULL when the body is not JSON. */
json_t *http_req_json(const struct http_req *r);
/* The raw body (NUL-terminated; "" when none). */
const char *http_req_body(const struct http_req *r, size_t *len);
/* The server configuration. */
const struct config *http_req_config(const struct http_req *r);
/* The TCP peer's IP address as text ("" when unknown). */
const char *http_req_peer(const struct http_req *r);

#define HTTP_ADDR_MAX 64 /* an address as text */

/*
 * The client's address: the TCP peer, or the X-Forwarded-For entry
 * http_forwarded_addr() picks when TRUST_PROXY > 0.
 */
void http_req_client_addr(const struct http_req *r, char *out, size_t outlen);

/*
 * The client address from an X-Forwarded-For value when hops proxies are
 * trusted: the hops-th entry from the right (what the outermost trusted
 * proxy saw; entries to its left are client-controlled).  0 with the
 * address in out, -1 when there is no valid IP address there.
 */
int http_forwarded_addr(const char *xff, int hops, char *out, size_t outlen);

/* The route the request matched (borrowed; NULL before routing). */
const struct http_route *http_req_route(const struct http_req *r);

/*
 * The application's state for this request, set by the route's guard
 * (the signed-in user, say); NULL when none.  set_ctx takes ctx, freed
 * with free_fn (NULL: not freed) when the request ends or is replaced.
 */
void *http_req_ctx(const struct http_req *r);
void http_req_set_ctx(struct http_req *r, void *ctx, void (*free_fn)(void *));

/* 1 once a reply was queued for this request. */
int http_req_replied(const struct http_req *r);

/* ---- replies ---- */

/* Add a header to the coming reply (copied; at most 8 per request). */
void http_reply_header(struct http_req *r, const char *name, const char *value);

/* Reply with a copy of body. */
int http_reply(struct http_req *r, unsigned status, const char *content_type,
    const char *body, size_t len);

/* Reply with body, which the core frees (free()) when sent. */
int http_reply_take(struct http_req *r, unsigned status,
    const char *content_type, char *body, size_t len);

/* Reply with a JSON value (the reference is stolen). */
int http_reply_json(struct http_req *r, unsigned status, json_t *body);

/* {"error": <formatted message>, "request_id": <id>} */
int http_reply_error(struct http_req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A TwiML document (text/xml), taken as with http_reply_take. */
int http_reply_twiml(struct http_req *r, char *doc, size_t len);

/* ---- streamed replies (Server-Sent Events) ---- */

/*
 * A reply whose body is produced over time without holding an HTTP
 * thread.  read() copies up to max bytes that are ready into buf and
 * returns their number; 0 means nothing is ready: the connection is then
 * suspended (no thread, no timeout) until http_stream_wake(); -1 ends the
 * reply.  done() runs once when the reply is over (sent, client gone,
 * write error, server stopping); read() is never called after it and cls
 * may be freed there.  Both run on HTTP threads.
 */
struct http_stream;

struct http_stream_ops {
	long (*read)(void *cls, char *buf, size_t max);
	void (*done)(void *cls);
};

/*
 * Reply with a stream (chunked).  *out is the handle for
 * http_stream_wake, valid until ops->done returns.  0 / -1 (then done has
 * run already).
 */
int http_reply_stream(struct http_req *r, unsigned status,
    const char *content_type, const struct http_stream_ops *ops, void *cls,
    struct http_stream **out);

/*
 * Have read() called again soon (new data, or time to end).  Any thread;
 * harmless once the reply is over, as long as done() has not returned.
 */
void http_stream_wake(struct http_stream *s);

#endif
