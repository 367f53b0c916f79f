/*
 * A small blocking HTTP client over libcurl.  See include/twilio/httpc.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "httpc.h"
#include "util.h"

#define FORM_MAX (256 * 1024)

int
httpc_form_encode(struct buf *out, const struct form *params)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; params != NULL && i < params->n; i++) {
		const char *parts[2] = { params->v[i].name,
			params->v[i].value };

		if (i > 0 && buf_addc(out, '&') != 0)
			return -1;
		for (int k = 0; k < 2; k++) {
			const unsigned char *p =
			    (const unsigned char *)parts[k];

			if (k == 1 && buf_addc(out, '=') != 0)
				return -1;
			for (; *p; p++) {
				char esc[3] = { '%', hex[*p >> 4],
					hex[*p & 15] };
				int plain = (*p >= 'A' && *p <= 'Z') ||
				    (*p >= 'a' && *p <= 'z') ||
				    (*p >= '0' && *p <= '9') || *p == '-' ||
				    *p == '.' || *p == '_' || *p == '~';

				if ((plain ? buf_addc(out, (char)*p)
					   : buf_add(out, esc, 3)) != 0)
					return -1;
			}
		}
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

/* Retry-After (RFC 9110 10.2.3): delta-seconds or an HTTP date. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	static const char name[] = "retry-after:";
	struct httpc_resp *resp = userp;
	size_t n = size * nmemb, k = sizeof(name) - 1;
	char value[64], *end;
	time_t when;
	long v;

	if (n <= k || n - k >= sizeof(value) || strncasecmp(data, name, k) != 0)
		return n;
	memcpy(value, data + k, n - k);
	value[n - k] = '\0';
	value[strcspn(value, "\r\n")] = '\0';
	for (end = value; *end == ' ' || *end == '\t'; end++)
		;
	memmove(value, end, strlen(end) + 1);
	if (value[0] >= '0' && value[0] <= '9') {
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno == 0 && (*end == '\0' || *end == ' ') && v >= 0)
			resp->retry_after_s = v;
		return n;
	}
	when = curl_getdate(value, NULL);
	if (when != -1)
		resp->retry_after_s =
		    when > time(NULL) ? (long)(when - time(NULL)) : 0;
	return n;
}

/* Append line to *list: 0, or -1 (out of memory; *list is kept). */
static int
header_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *next = curl_slist_append(*list, line);

	if (next == NULL)
		return -1;
	*list = next;
	return 0;
}

/* The request's header lines into *list: 0, or -1 (out of memory). */
static int
header_list(const struct httpc_req *req, struct curl_slist **list)
{
	for (int i = 0; i < HTTPC_HEADERS_MAX && req->headers[i] != NULL; i++)
		if (header_add(list, req->headers[i]) != 0)
			return -1;
	if (req->form != NULL)
		return header_add(list,
		    "Content-Type: application/x-www-form-urlencoded");
	if (req->json != NULL)
		return header_add(list, "Content-Type: application/json");
	return 0;
}

enum httpc_result
httpc_request(const struct httpc_req *req, struct httpc_resp *resp)
{
	const char *method = req->method ? req->method : "GET";
	enum httpc_result result = HTTPC_TRANSPORT;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	struct buf form;
	uint64_t t0 = util_now_ms();
	CURL *h = NULL;
	CURLcode cc;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
	buf_init(&resp->body, req->body_max ? req->body_max : HTTPC_BODY_MAX);
	buf_init(&form, FORM_MAX);
	errbuf[0] = '\0';
	if (req->url == NULL) {
		snprintf(resp->error, sizeof(resp->error), "no URL");
		goto out;
	}
	if (req->form != NULL && httpc_form_encode(&form, req->form) != 0) {
		snprintf(resp->error, sizeof(resp->error),
		    "request form too large");
		goto out;
	}
	if (header_list(req, &headers) != 0 || (h = curl_easy_init()) == NULL) {
		snprintf(resp->error, sizeof(resp->error), "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (req->user != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    req->password ? req->password : "");
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    req->connect_timeout_ms ? req->connect_timeout_ms
				    : (long)HTTPC_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	    req->timeout_ms ? req->timeout_ms : (long)HTTPC_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_USERAGENT,
	    req->user_agent ? req->user_agent : "ramal");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "POST") == 0)
		curl_easy_setopt(h, CURLOPT_POST, 1L);
	else
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (req->form != NULL || req->json != NULL ||
	    strcmp(method, "POST") == 0) {
		const char *body = req->json ? req->json : buf_cstr(&form);

		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}

	cc = curl_easy_perform(h);
	resp->duration_ms = (long)(util_now_ms() - t0);
	if (cc == CURLE_WRITE_ERROR) {
		result = HTTPC_TOO_BIG;
		snprintf(resp->error, sizeof(resp->error),
		    "answer larger than %zu bytes", resp->body.max);
	} else if (cc != CURLE_OK)
		snprintf(resp->error, sizeof(resp->error), "%.150s",
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
	else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
		result = HTTPC_OK;
	}
out:
	curl_slist_free_all(headers);
	if (h != NULL)
		curl_easy_cleanup(h);
	buf_cleanup(&form);
	return result;
}

int
httpc_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
httpc_global_cleanup(void)
{
	curl_global_cleanup();
}

void
httpc_resp_cleanup(struct httpc_resp *resp)
{
	if (resp != NULL)
		buf_cleanup(&resp->body);
}
