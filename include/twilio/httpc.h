#ifndef RAMAL_HTTPC_H
#define RAMAL_HTTPC_H

#include <stddef.h>

#include "buf.h"
#include "form.h"

/*
 * A small blocking HTTP client over libcurl: one request, one answer.
 *
 * Each request uses its own libcurl easy handle and touches no global or
 * shared state, so any number of threads may call it at once (after
 * httpc_global_init() in the main thread).  Only http:// and https:// URLs
 * are fetched and redirects are not followed, so credentials go only to
 * the URL given.  Nothing is logged here: the caller knows what the
 * request was for.  It blocks for up to the request's timeout: never call
 * it from a webhook handler.
 */
#define HTTPC_HEADERS_MAX 8
#define HTTPC_CONNECT_TIMEOUT_MS 5000
#define HTTPC_TIMEOUT_MS 15000
#define HTTPC_BODY_MAX (1024 * 1024)

/* One request (every pointer borrowed for the call). */
struct httpc_req {
	const char *method; /* "GET", "POST", "DELETE"...; NULL: GET */
	const char *url;
	/* Extra header lines ("Name: value"), up to the first NULL. */
	const char *headers[HTTPC_HEADERS_MAX];
	/*
	 * The body: form, sent x-www-form-urlencoded (an empty form is an
	 * empty body with that type), or json, JSON text sent as
	 * application/json; neither: no body (an empty one for POST).
	 */
	const struct form *form;
	const char *json;
	const char *user, *password; /* HTTP Basic, when user is set */
	const char *user_agent; /* NULL: "ramal" */
	long connect_timeout_ms; /* 0: HTTPC_CONNECT_TIMEOUT_MS */
	long timeout_ms; /* the whole request; 0: HTTPC_TIMEOUT_MS */
	size_t body_max; /* the answer's cap; 0: HTTPC_BODY_MAX */
};

enum httpc_result {
	HTTPC_OK, /* an answer came, whatever its status */
	HTTPC_TOO_BIG, /* the answer's body was longer than body_max */
	HTTPC_TRANSPORT, /* no answer: URL, connect, TLS, timeout... */
};

/* The answer; clean up with httpc_resp_cleanup(). */
struct httpc_resp {
	long status; /* the HTTP status, 0 when no answer came */
	struct buf body; /* the body read so far (NUL-terminated) */
	char error[160]; /* why, when the result is not HTTPC_OK */
	long duration_ms;
	/*
	 * The answer's Retry-After in seconds (delta-seconds, or an HTTP
	 * date turned into the seconds left, at least 0); -1 when absent
	 * or unreadable.
	 */
	long retry_after_s;
};

/*
 * Send req and fill resp (which needs no initialisation; any previous
 * content is not freed: clean it up first).  The result says whether an
 * answer came; its status is for the caller to judge.
 */
enum httpc_result httpc_request(const struct httpc_req *req,
    struct httpc_resp *resp);

/*
 * libcurl's process-wide set-up and its end (curl_global_init and
 * curl_global_cleanup): once, from the main thread, before any other
 * thread runs and after all have stopped.  0 / -1.
 */
int httpc_global_init(void);
void httpc_global_cleanup(void);

/* Free the body; resp may be reused. */
void httpc_resp_cleanup(struct httpc_resp *resp);

/*
 * Append the x-www-form-urlencoded form of params to out ("a=1&b=x%20y";
 * every byte but A-Z a-z 0-9 - . _ ~ escaped; a repeated name repeated, in
 * order; NULL params: nothing).  0, or -1 when out's cap is reached.
 */
int httpc_form_encode(struct buf *out, const struct form *params);

#endif
