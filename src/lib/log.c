/*
 * logfmt logging to stderr.  See include/lib/log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static enum log_level log_threshold = LOG_INFO;

static _Thread_local char ctx_req[72];
static _Thread_local char ctx_call[72];

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_init(enum log_level level)
{
	log_threshold = level;
}

int
log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "warning") == 0)
		return LOG_WARN;
	return -1;
}

int
log_enabled(enum log_level level)
{
	return level >= log_threshold;
}

static void
ctx_copy(char *dst, size_t cap, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	snprintf(dst, cap, "%s", src);
}

void
log_ctx_set(const char *req, const char *call)
{
	ctx_copy(ctx_req, sizeof(ctx_req), req);
	ctx_copy(ctx_call, sizeof(ctx_call), call);
}

void
log_ctx_call(const char *call)
{
	ctx_copy(ctx_call, sizeof(ctx_call), call);
}

void
log_ctx_clear(void)
{
	ctx_req[0] = ctx_call[0] = '\0';
}

/* Bounded line builder: never fails, cuts at the end of the line buffer. */
struct line {
	char b[LOG_LINE_MAX];
	size_t n;
};

static void
line_put(struct line *l, const char *s, size_t len)
{
	size_t room = sizeof(l->b) - 1 - l->n; /* keep one for '\n' */

	if (len > room)
		len = room;
	memcpy(l->b + l->n, s, len);
	l->n += len;
}

static void
line_str(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* A value, quoted when it has spaces, quotes, '=' or controls. */
static void
line_value(struct line *l, const char *v)
{
	int quote = (*v == '\0');
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p == 0x7f) {
			quote = 1;
			break;
		}
	if (!quote) {
		line_str(l, v);
		return;
	}
	line_put(l, "\"", 1);
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		char esc[8];

		switch (*p) {
		case '"':
			line_put(l, "\\\"", 2);
			break;
		case '\\':
			line_put(l, "\\\\", 2);
			break;
		case '\n':
			line_put(l, "\\n", 2);
			break;
		case '\r':
			line_put(l, "\\r", 2);
			break;
		case '\t':
			line_put(l, "\\t", 2);
			break;
		default:
			if (*p < ' ' || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", *p);
				line_str(l, esc);
			} else
				line_put(l, (const char *)p, 1);
		}
	}
	line_put(l, "\"", 1);
}

static void
line_kv(struct line *l, const char *k, const char *v)
{
	line_put(l, " ", 1);
	line_str(l, k);
	line_put(l, "=", 1);
	line_value(l, v);
}

static void
line_begin(struct line *l, enum log_level level, const char *msg)
{
	char ts[32];

	l->n = 0;
	util_rfc3339_now(ts, sizeof(ts));
	line_str(l, "ts=");
	line_str(l, ts);
	line_str(l, " level=");
	line_str(l, level_names[level]);
	line_kv(l, "msg", msg);
	if (ctx_req[0] != '\0')
		line_kv(l, "req", ctx_req);
	if (ctx_call[0] != '\0')
		line_kv(l, "call", ctx_call);
}

static void
line_end(struct line *l)
{
	ssize_t w;
	size_t off = 0;

	l->b[l->n++] = '\n';
	while (off < l->n) {
		w = write(STDERR_FILENO, l->b + off, l->n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

__attribute__((format(printf, 3, 0))) static void
log_vemit(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	struct line l;
	char msg[1024];
	int saved = errno;

	if (level < log_threshold)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	line_begin(&l, level, msg);
	if (with_errno)
		line_kv(&l, "err", strerror(saved));
	line_end(&l);
	errno = saved;
}

#define LOG_FN(name, level, with_errno) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		log_vemit(level, with_errno, fmt, ap); \
		va_end(ap); \
	}

LOG_FN(log_debug, LOG_DEBUG, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_warn, LOG_WARN, 1)
LOG_FN(log_warnx, LOG_WARN, 0)
LOG_FN(log_error, LOG_ERROR, 1)
LOG_FN(log_errorx, LOG_ERROR, 0)

void
log_kv(enum log_level level, const char *msg, ...)
{
	struct line l;
	va_list ap;
	const char *k, *v;

	if (level < log_threshold)
		return;
	line_begin(&l, level, msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v != NULL)
			line_kv(&l, k, v);
	}
	va_end(ap);
	line_end(&l);
}

int
log_throttle_pass(struct log_throttle *t, unsigned long long *dropped)
{
	unsigned long long now = util_now_ms() / 1000 + 1;
	unsigned long long last = atomic_load(&t->last_s);

	if (last == now ||
	    !atomic_compare_exchange_strong(&t->last_s, &last, now)) {
		atomic_fetch_add(&t->dropped, 1);
		return 0;
	}
	if (dropped != NULL)
		*dropped = atomic_exchange(&t->dropped, 0);
	else
		atomic_store(&t->dropped, 0);
	return 1;
}
