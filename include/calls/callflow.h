#ifndef RAMAL_CALLFLOW_H
#define RAMAL_CALLFLOW_H

#include <stddef.h>

#include "config.h"
#include "http.h"
#include "twiml.h"

/*
 * What every call-flow handler shares: the voice callers hear, the URLs
 * ramal gives Twilio, and the ways a TwiML answer is sent.
 */

/* The language and voice of every <Say> ramal speaks on its own. */
#define CALLFLOW_LANG "pt-BR"
#define CALLFLOW_VOICE "Polly.Camila"

/* <Say> text in CALLFLOW_LANG with CALLFLOW_VOICE. */
void callflow_say(struct twiml *t, const char *text);

/*
 * cfg->base_url followed by the formatted path into out[outlen].  0, or
 * -1 (too long: out is "" and a warning logged).
 */
int callflow_url(char *out, size_t outlen, const struct config *cfg,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Answer with t's document.  When it cannot be built (over its cap),
 * never a 5xx to Twilio: with apology NULL, a <Redirect> to the fallback
 * route, which keeps the caller; otherwise apology is said and the call
 * hung up (for a leg that must not reach the queue).  As a handler.
 */
int callflow_reply(struct http_req *r, struct twiml *t, const char *apology);

/*
 * The answer to a voice webhook refused because the call it names is
 * another tenant's (store_scope.h): whatever t held is dropped for a
 * lone <Hangup/>, so the leg is neither kept, queued nor bridged.
 */
void callflow_refused(struct twiml *t);

/* 200 with an empty TwiML document (TWIML_EMPTY).  As a handler. */
int callflow_reply_empty(struct http_req *r);

#endif
