/*
 * Twilio REST client over libcurl.  See include/twilio/twapi.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "log.h"
#include "twapi.h"
#include "util.h"

#define URL_MAX (16 * 1024)
#define FORM_MAX (256 * 1024)

int
twapi_client_init(struct twapi_client *c, const struct config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->api_base = cfg->twilio_api_base;
	c->taskrouter_base = cfg->twilio_taskrouter_base;
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

static int
add_escaped(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;

		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~')
			rc = buf_addc(out, (char)*p);
		else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			rc = buf_add(out, esc, 3);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
twapi_encode_form(struct buf *out, const struct form *params)
{
	if (params == NULL)
		return 0;
	for (size_t i = 0; i < params->n; i++) {
		if ((i > 0 && buf_addc(out, '&') != 0) ||
		    add_escaped(out, params->v[i].name) != 0 ||
		    buf_addc(out, '=') != 0 ||
		    add_escaped(out, params->v[i].value) != 0)
			return -1;
	}
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct buf *b = userp;
	size_t n = size * nmemb;

	/* Returning short makes libcurl stop with CURLE_WRITE_ERROR. */
	return buf_add(b, data, n) == 0 ? n : 0;
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

enum twapi_result
twapi_request(const struct twapi_client *c, enum twapi_host host,
    const char *method, const char *path, const struct form *params,
    struct twapi_resp *out)
{
	const char *base =
	    host == TWAPI_TASKROUTER ? c->taskrouter_base : c->api_base;
	int is_post = strcmp(method, "POST") == 0;
	struct curl_slist *headers = NULL;
	struct buf url, form, body;
	enum twapi_result result = TWAPI_TRANSPORT;
	char shown[512], status[8], ms[24], code[16];
	char errbuf[CURL_ERROR_SIZE];
	CURL *h = NULL;
	CURLcode cc;
	uint64_t t0 = util_now_ms();
	json_error_t jerr;

	memset(out, 0, sizeof(*out));
	buf_init(&url, URL_MAX);
	buf_init(&form, FORM_MAX);
	buf_init(&body, TWAPI_BODY_MAX);
	errbuf[0] = '\0';
	if (base == NULL || c->user == NULL || c->secret == NULL) {
		set_transport(out, "%s", "no Twilio credentials configured");
		goto out;
	}
	if (build_url(&url, base, path, is_post ? NULL : params) != 0) {
		set_transport(out, "%s", "bad request URL");
		goto out;
	}
	if (is_post && twapi_encode_form(&form, params) != 0) {
		set_transport(out, "%s", "request form too large");
		goto out;
	}
	log_path(buf_cstr(&url), shown, sizeof(shown));

	if ((h = curl_easy_init()) == NULL) {
		set_transport(out, "%s", "curl_easy_init failed");
		goto out;
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	if (is_post)
		headers = curl_slist_append(headers,
		    "Content-Type: application/x-www-form-urlencoded");
	if (headers == NULL) {
		set_transport(out, "%s", "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, buf_cstr(&url));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ramal");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (is_post) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)form.len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, buf_cstr(&form));
	} else if (strcmp(method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);

	cc = curl_easy_perform(h);
	out->duration_ms = (long)(util_now_ms() - t0);
	if (cc != CURLE_OK) {
		if (cc == CURLE_WRITE_ERROR)
			set_transport(out, "%s", "answer larger than 1 MiB");
		else
			set_transport(out, "%.150s",
			    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		log_kv(LOG_DEBUG, "twilio request failed", "method", method,
		    "path", shown, "error", out->transport, NULL);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	if (body.len > 0) {
		out->body = json_loadb(body.ptr, body.len, 0, &jerr);
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
out:
	curl_slist_free_all(headers);
	if (h != NULL)
		curl_easy_cleanup(h);
	buf_cleanup(&url);
	buf_cleanup(&form);
	buf_cleanup(&body);
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
