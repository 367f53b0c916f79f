/*
 * The pieces every call-flow handler shares.  See include/calls/callflow.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "callflow.h"
#include "log.h"
#include "paths.h"

void
callflow_say(struct twiml *t, const char *text)
{
	twiml_leaf(t, "Say", text, "language", CALLFLOW_LANG, "voice",
	    CALLFLOW_VOICE, NULL);
}

int
callflow_url(char *out, size_t outlen, const struct config *cfg,
    const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(out, outlen, "%s", cfg->base_url);
	if (n < 0 || (size_t)n >= outlen)
		goto toolong;
	va_start(ap, fmt);
	m = vsnprintf(out + n, outlen - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= outlen - (size_t)n)
		goto toolong;
	return 0;
toolong:
	out[0] = '\0';
	log_warnx("URL under BASE_URL longer than %zu bytes", outlen);
	return -1;
}

int
callflow_reply(struct http_req *r, struct twiml *t, const char *apology)
{
	char url[2048];
	size_t len;
	char *doc = twiml_finish(t, &len);

	if (doc != NULL)
		return http_reply_twiml(r, doc, len);
	log_kv(LOG_ERROR, "TwiML answer could not be built", "route",
	    http_req_path(r), NULL);
	twiml_init(t);
	if (apology != NULL) {
		callflow_say(t, apology);
		twiml_leaf(t, "Hangup", NULL, NULL);
	} else {
		if (callflow_url(url, sizeof(url), http_req_config(r),
			PATH_VOICE_FALLBACK) != 0)
			return -1;
		twiml_leaf(t, "Redirect", url, "method", "POST", NULL);
	}
	if ((doc = twiml_finish(t, &len)) == NULL)
		return -1;
	return http_reply_twiml(r, doc, len);
}

void
callflow_refused(struct twiml *t)
{
	twiml_cleanup(t);
	twiml_init(t);
	twiml_leaf(t, "Hangup", NULL, NULL);
}

int
callflow_reply_empty(struct http_req *r)
{
	return http_reply(r, 200, "text/xml; charset=utf-8", TWIML_EMPTY,
	    sizeof(TWIML_EMPTY) - 1);
}
