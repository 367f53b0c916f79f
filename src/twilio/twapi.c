/*
 * Twilio REST client over httpc.c.  See include/twilio/twapi.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "httpc.h"
#include "log.h"
#include "twapi.h"
#include "util.h"

#define URL_MAX (16 * 1024)

int
twapi_client_init(struct twapi_client *c, const struct config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->api_base = cfg->twilio_api_base;
	c->taskrouter_base = cfg->twilio_taskrouter_base;
	c->numbers_base = cfg->twilio_numbers_base;
	c->account_sid = cfg->twilio_account_sid;
	c->connect_timeout_ms = TWAPI_CONNECT_TIMEOUT_MS;
	c->timeout_ms = TWAPI_TIMEOUT_MS;
	if (cfg->twilio_api_key_sid != NULL &&
	    cfg->twilio_api_key_secret != NULL) {
		c->user = cfg->twilio_api_key_sid;
		c->secret = cfg->twilio_api_key_secret;
	} else {
		c->user = cfg->twilio_account_sid;
		c->secret = cfg->twilio_auth_token;
	}
	if (c->account_sid == NULL || c->user == NULL || c->secret == NULL ||
	    c->api_base == NULL || c->taskrouter_base == NULL)
		return -1;
	return 0;
}

void
twapi_client_init_account(struct twapi_client *c, const struct config *cfg,
    const char *account_sid, const char *token)
{
	memset(c, 0, sizeof(*c));
	c->api_base = cfg->twilio_api_base;
	c->taskrouter_base = cfg->twilio_taskrouter_base;
	c->numbers_base = cfg->twilio_numbers_base;
	c->account_sid = account_sid;
	c->user = account_sid;
	c->secret = token;
	c->connect_timeout_ms = TWAPI_CONNECT_TIMEOUT_MS;
	c->timeout_ms = TWAPI_TIMEOUT_MS;
}

const char *
twapi_bool(int v)
{
	return v ? "true" : "false";
}

const char *
twapi_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int
twapi_encode_form(struct buf *out, const struct form *params)
{
	return httpc_form_encode(out, params);
}

__attribute__((format(printf, 2, 3))) static void
set_transport(struct twapi_resp *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->transport, sizeof(out->transport), fmt, ap);
	va_end(ap);
}

static void
copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* Fill out->err from Twilio's error document, if the body is one. */
static void
parse_error(struct twapi_resp *out)
{
	json_t *code;

	memset(&out->err, 0, sizeof(out->err));
	if (!json_is_object(out->body))
		return;
	code = json_object_get(out->body, "code");
	if (json_is_integer(code))
		out->err.code = (int)json_integer_value(code);
	copy_str(out->err.message, sizeof(out->err.message),
	    twapi_json_str(out->body, "message"));
	copy_str(out->err.more_info, sizeof(out->err.more_info),
	    twapi_json_str(out->body, "more_info"));
}

/*
 * The full URL for path on base (plus "?query" when given) in url.
 * 0, or -1 when path is an absolute URL on another host or too long.
 */
static int
build_url(struct buf *url, const char *base, const char *path,
    const struct form *query)
{
	size_t blen = strlen(base);

	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0) {
		if (strncmp(path, base, blen) != 0 || path[blen] != '/')
			return -1;
		if (buf_addstr(url, path) != 0)
			return -1;
	} else if (path[0] != '/' || buf_addstr(url, base) != 0 ||
	    buf_addstr(url, path) != 0)
		return -1;
	if (query != NULL && query->n > 0) {
		if (buf_addc(url, strchr(buf_cstr(url), '?') ? '&' : '?') !=
			0 ||
		    twapi_encode_form(url, query) != 0)
			return -1;
	}
	return 0;
}

/* The path of url without scheme, host or query, for log lines. */
static void
log_path(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? strchr(p + 3, '/') : url;
	if (p == NULL)
		p = "/";
	n = strcspn(p, "?#");
	snprintf(out, len, "%.*s", (int)n, p);
}

static const char *
base_of(const struct twapi_client *c, enum twapi_host host)
{
	switch (host) {
	case TWAPI_TASKROUTER:
		return c->taskrouter_base;
	case TWAPI_NUMBERS:
		return c->numbers_base;
	case TWAPI_API:
		break;
	}
	return c->api_base;
}

enum twapi_result
twapi_request(const struct twapi_client *c, enum twapi_host host,
    const char *method, const char *path, const struct form *params,
    struct twapi_resp *out)
{
	const char *base = base_of(c, host);
	int is_post = strcmp(method, "POST") == 0;
	struct httpc_req req = { 0 };
	struct httpc_resp hr = { 0 };
	enum twapi_result result = TWAPI_TRANSPORT;
	char shown[512], status[8], ms[24], code[16];
	struct form none;
	struct buf url;
	json_error_t jerr;

	memset(out, 0, sizeof(*out));
	out->retry_after_s = -1;
	form_init(&none);
	buf_init(&url, URL_MAX);
	if (base == NULL || c->user == NULL || c->secret == NULL) {
		set_transport(out, "%s", "no Twilio credentials configured");
		goto out;
	}
	if (build_url(&url, base, path, is_post ? NULL : params) != 0) {
		set_transport(out, "%s", "bad request URL");
		goto out;
	}
	log_path(buf_cstr(&url), shown, sizeof(shown));

	req.method = method;
	req.url = buf_cstr(&url);
	req.headers[0] = "Accept: application/json";
	/* A POST is always a form, empty or not. */
	req.form = is_post ? (params ? params : &none) : NULL;
	req.user = c->user;
	req.password = c->secret;
	req.connect_timeout_ms = c->connect_timeout_ms;
	req.timeout_ms = c->timeout_ms;
	req.body_max = TWAPI_BODY_MAX;
	switch (httpc_request(&req, &hr)) {
	case HTTPC_OK:
		break;
	case HTTPC_TOO_BIG:
		set_transport(out, "%s", "answer larger than 1 MiB");
		goto failed;
	case HTTPC_TRANSPORT:
		set_transport(out, "%s", hr.error);
		goto failed;
	}
	out->duration_ms = hr.duration_ms;
	out->status = hr.status;
	out->retry_after_s = hr.retry_after_s;
	if (hr.body.len > 0) {
		out->body = json_loadb(hr.body.ptr, hr.body.len, 0, &jerr);
		if (out->body == NULL && out->status >= 200 &&
		    out->status < 300) {
			set_transport(out, "answer is not JSON: %.100s",
			    jerr.text);
			goto logged;
		}
	}
	if (out->status >= 200 && out->status < 300)
		result = TWAPI_OK;
	else {
		parse_error(out);
		result = TWAPI_HTTP_ERROR;
	}
logged:
	snprintf(status, sizeof(status), "%ld", out->status);
	snprintf(ms, sizeof(ms), "%ld", out->duration_ms);
	snprintf(code, sizeof(code), "%d", out->err.code);
	log_kv(LOG_DEBUG, "twilio request", "method", method, "path", shown,
	    "status", status, "ms", ms, "twilio_code",
	    out->err.code ? code : NULL, "twilio_message",
	    out->err.code ? out->err.message : NULL, NULL);
	goto out;
failed:
	out->duration_ms = hr.duration_ms;
	log_kv(LOG_DEBUG, "twilio request failed", "method", method, "path",
	    shown, "error", out->transport, NULL);
out:
	httpc_resp_cleanup(&hr);
	buf_cleanup(&url);
	form_cleanup(&none);
	return result;
}

enum twapi_result
twapi_get(const struct twapi_client *c, enum twapi_host host, const char *path,
    const struct form *query, struct twapi_resp *out)
{
	return twapi_request(c, host, "GET", path, query, out);
}

enum twapi_result
twapi_post(const struct twapi_client *c, enum twapi_host host, const char *path,
    const struct form *form, struct twapi_resp *out)
{
	return twapi_request(c, host, "POST", path, form, out);
}

enum twapi_result
twapi_delete(const struct twapi_client *c, enum twapi_host host,
    const char *path, struct twapi_resp *out)
{
	return twapi_request(c, host, "DELETE", path, NULL, out);
}

void
twapi_resp_cleanup(struct twapi_resp *r)
{
	if (r == NULL)
		return;
	json_decref(r->body);
	r->body = NULL;
}

const char *
twapi_describe(const struct twapi_resp *r, char *buf, size_t len)
{
	if (r->status == 0 || r->transport[0] != '\0')
		snprintf(buf, len, "%s",
		    r->transport[0] ? r->transport : "no answer");
	else if (r->err.code != 0)
		snprintf(buf, len, "HTTP %ld, Twilio error %d: %s%s%s%s",
		    r->status, r->err.code, r->err.message,
		    r->err.more_info[0] ? " (" : "", r->err.more_info,
		    r->err.more_info[0] ? ")" : "");
	else
		snprintf(buf, len, "HTTP %ld", r->status);
	return buf;
}
