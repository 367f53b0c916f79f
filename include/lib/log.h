#ifndef RAMAL_LOG_H
#define RAMAL_LOG_H

/*
 * One logfmt line per event on stderr:
 *
 *	ts=2026-11-23T21:19:24.123Z level=info msg="..." req=<id> call=<sid> k=v
 *
 * req= and call= come from the calling thread's context (log_ctx_set), so a
 * handler's lines carry them without passing them around.  Each line is
 * written with one write(2), so lines from threads never interleave.
 * Lines longer than LOG_LINE_MAX are cut.  Nothing here may be handed a
 * secret: callers log names and SIDs, never tokens or passwords.
 */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_LINE_MAX 4096

/* Set the threshold; lines below it are dropped.  Call before threads. */
void log_init(enum log_level level);

/* Parse "debug"/"info"/"warn"/"error".  The level, or -1. */
int log_level_parse(const char *s);

/* 1 when a line at this level would be written. */
int log_enabled(enum log_level level);

/*
 * Set this thread's request id and call SID for following lines (either
 * may be NULL to clear it).  Strings are copied.
 */
void log_ctx_set(const char *req, const char *call);
void log_ctx_call(const char *call);
void log_ctx_clear(void);

/* msg is printf-formatted; *_warn and log_error add err=<strerror(errno)>. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A line with msg and then key/value pairs (const char *), ending with
 * NULL.  Values are quoted and escaped when needed; a NULL value is
 * skipped.
 */
void log_kv(enum log_level level, const char *msg, ...)
    __attribute__((sentinel));

/*
 * For a line that an attacker could repeat at will: one struct per call
 * site (static, zeroed), and the line written only when
 * log_throttle_pass() returns 1, which it does at most once a second;
 * *dropped (may be NULL) then gets how many were held back since the last
 * one.  Thread-safe.
 */
struct log_throttle {
	_Atomic unsigned long long last_s; /* monotonic second + 1; 0: never */
	_Atomic unsigned long long dropped;
};
int log_throttle_pass(struct log_throttle *t, unsigned long long *dropped);

#endif
