#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "form.h"
#include "httpc.h"

/*
 * httpc against a one-shot server on loopback: a thread accepts one
 * connection, keeps the request as it came (head and body), and answers
 * with a canned response.
 */
struct server {
	int fd;
	int port;
	const char *answer; /* written as is */
	char request[16384];
	size_t len;
	pthread_t thread;
};

/* The value of Content-Length in the head, or 0. */
static size_t
content_length(const char *head)
{
	const char *p = strstr(head, "Content-Length: ");

	return p ? strtoul(p + 16, NULL, 10) : 0;
}

static void *
serve_one(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	char *end = NULL;

	if (c < 0)
		return NULL;
	while (s->len < sizeof(s->request) - 1) {
		ssize_t k = read(c, s->request + s->len,
		    sizeof(s->request) - 1 - s->len);

		if (k <= 0)
			break;
		s->len += (size_t)k;
		s->request[s->len] = '\0';
		if (end == NULL)
			end = strstr(s->request, "\r\n\r\n");
		if (end != NULL &&
		    s->len >= (size_t)(end + 4 - s->request) +
			    content_length(s->request))
			break;
	}
	if (write(c, s->answer, strlen(s->answer)) < 0)
		s->len = 0;
	close(c);
	return NULL;
}

static void
server_start(struct server *s, const char *answer)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->answer = answer;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 1), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve_one, s), 0);
}

static void
server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static void
url_of(const struct server *s, const char *path, char *out, size_t len)
{
	snprintf(out, len, "http://127.0.0.1:%d%s", s->port, path);
}

#define OK_TEXT \
	"HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\n" \
	"Content-Length: 5\r\nConnection: close\r\n\r\nhello"

static void
test_form_post_with_headers_and_basic_auth(void **state)
{
	struct server s;
	struct httpc_req req = { 0 };
	struct httpc_resp resp;
	struct form f;
	char url[128];

	(void)state;
	server_start(&s, OK_TEXT);
	form_init(&f);
	form_add(&f, "To", "+55 11");
	form_add(&f, "Url", "https://x/y?a=1&b=2");
	url_of(&s, "/post", url, sizeof(url));
	req.method = "POST";
	req.url = url;
	req.headers[0] = "X-Twilio-Signature: abc=";
	req.headers[1] = "Accept: application/json";
	req.form = &f;
	req.user = "AC1";
	req.password = "sec";
	req.user_agent = "test-agent";
	assert_int_equal(httpc_request(&req, &resp), HTTPC_OK);
	server_stop(&s);
	assert_int_equal(resp.status, 201);
	assert_string_equal(buf_cstr(&resp.body), "hello");
	assert_non_null(strstr(s.request, "POST /post HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request, "\r\nX-Twilio-Signature: abc=\r\n"));
	assert_non_null(strstr(s.request, "\r\nAccept: application/json\r\n"));
	assert_non_null(strstr(s.request,
	    "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
	assert_non_null(strstr(s.request, "\r\nUser-Agent: test-agent\r\n"));
	/* base64("AC1:sec") */
	assert_non_null(
	    strstr(s.request, "\r\nAuthorization: Basic QUMxOnNlYw==\r\n"));
	assert_non_null(strstr(s.request,
	    "\r\n\r\nTo=%2B55%2011&Url=https%3A%2F%2Fx%2Fy%3Fa%3D1%26b%3D2"));
	httpc_resp_cleanup(&resp);
	form_cleanup(&f);
}

static void
test_json_and_custom_method(void **state)
{
	struct server s;
	struct httpc_req req = { 0 };
	struct httpc_resp resp;
	char url[128];

	(void)state;
	server_start(&s,
	    "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\n{}");
	url_of(&s, "/j", url, sizeof(url));
	req.method = "PUT";
	req.url = url;
	req.json = "{\"a\":1}";
	/* A 404 is an answer: HTTPC_OK with its status. */
	assert_int_equal(httpc_request(&req, &resp), HTTPC_OK);
	server_stop(&s);
	assert_int_equal(resp.status, 404);
	assert_non_null(strstr(s.request, "PUT /j HTTP/1.1\r\n"));
	assert_non_null(
	    strstr(s.request, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(s.request, "\r\nUser-Agent: ramal\r\n"));
	assert_null(strstr(s.request, "Authorization:"));
	assert_non_null(strstr(s.request, "\r\n\r\n{\"a\":1}"));
	httpc_resp_cleanup(&resp);
}

static void
test_get_has_no_body(void **state)
{
	struct server s;
	struct httpc_req req = { 0 };
	struct httpc_resp resp;
	char url[128];

	(void)state;
	server_start(&s, OK_TEXT);
	url_of(&s, "/g?x=1", url, sizeof(url));
	req.url = url; /* method NULL: GET */
	assert_int_equal(httpc_request(&req, &resp), HTTPC_OK);
	server_stop(&s);
	assert_non_null(strstr(s.request, "GET /g?x=1 HTTP/1.1\r\n"));
	assert_null(strstr(s.request, "Content-Type:"));
	assert_null(strstr(s.request, "Content-Length:"));
	httpc_resp_cleanup(&resp);
}

static void
test_answer_over_the_cap(void **state)
{
	struct server s;
	struct httpc_req req = { 0 };
	struct httpc_resp resp;
	char url[128];

	(void)state;
	server_start(&s, OK_TEXT);
	url_of(&s, "/big", url, sizeof(url));
	req.url = url;
	req.body_max = 4;
	assert_int_equal(httpc_request(&req, &resp), HTTPC_TOO_BIG);
	server_stop(&s);
	assert_true(resp.body.len <= 4);
	assert_non_null(strstr(resp.error, "larger than 4 bytes"));
	httpc_resp_cleanup(&resp);
}

static void
test_redirects_are_not_followed(void **state)
{
	struct server s;
	struct httpc_req req = { 0 };
	struct httpc_resp resp;
	char url[128];

	(void)state;
	server_start(&s,
	    "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:9/steal\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	url_of(&s, "/r", url, sizeof(url));
	req.url = url;
	req.user = "AC1";
	req.password = "sec";
	assert_int_equal(httpc_request(&req, &resp), HTTPC_OK);
	server_stop(&s);
	assert_int_equal(resp.status, 302);
	httpc_resp_cleanup(&resp);
}

static void
test_transport_errors(void **state)
{
	struct httpc_req req = { 0 };
	struct httpc_resp resp;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	char url[128];

	(void)state;
	/* A port nobody listens on: bound, then closed. */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(a.sin_port));
	req.url = url;
	assert_int_equal(httpc_request(&req, &resp), HTTPC_TRANSPORT);
	assert_int_equal(resp.status, 0);
	assert_true(resp.error[0] != '\0');
	httpc_resp_cleanup(&resp);

	/* Only http and https. */
	req.url = "file:///etc/passwd";
	assert_int_equal(httpc_request(&req, &resp), HTTPC_TRANSPORT);
	assert_int_equal(resp.body.len, 0);
	httpc_resp_cleanup(&resp);

	req.url = NULL;
	assert_int_equal(httpc_request(&req, &resp), HTTPC_TRANSPORT);
	httpc_resp_cleanup(&resp);
}

static void
test_form_encode(void **state)
{
	struct buf b;
	struct form f;

	(void)state;
	form_init(&f);
	form_add(&f, "a b", "x~y-z._*");
	form_add(&f, "a b", "ç");
	buf_init(&b, 64);
	assert_int_equal(httpc_form_encode(&b, &f), 0);
	assert_string_equal(buf_cstr(&b), "a%20b=x~y-z._%2A&a%20b=%C3%A7");
	buf_cleanup(&b);
	buf_init(&b, 5);
	assert_int_equal(httpc_form_encode(&b, &f), -1);
	buf_cleanup(&b);
	form_cleanup(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_post_with_headers_and_basic_auth),
		cmocka_unit_test(test_json_and_custom_method),
		cmocka_unit_test(test_get_has_no_body),
		cmocka_unit_test(test_answer_over_the_cap),
		cmocka_unit_test(test_redirects_are_not_followed),
		cmocka_unit_test(test_transport_errors),
		cmocka_unit_test(test_form_encode),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	httpc_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	httpc_global_cleanup();
	return rc;
}
