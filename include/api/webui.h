#ifndef RAMAL_WEBUI_H
#define RAMAL_WEBUI_H

#include <stddef.h>

struct http_req;

/*
 * The built softphone (web/dist) served at "/".
 *
 * webui_init() reads every regular file under dir into memory once, at
 * start-up, before the HTTP threads run; requests are answered from that
 * read-only table and never open a file, so a request path can never reach
 * outside dir.  Files bigger than WEBUI_FILE_MAX, more than WEBUI_FILES_MAX
 * files, or more than WEBUI_TOTAL_MAX bytes in all are skipped with a log
 * line.  A missing dir (or one without index.html) is not fatal: it is
 * logged once (a warning naming WEB_DIR) and routes_table() leaves the
 * fallback route out, so unknown paths stay JSON 404s.
 */
#define WEBUI_FILE_MAX (8u * 1024 * 1024)
#define WEBUI_TOTAL_MAX (64u * 1024 * 1024)
#define WEBUI_FILES_MAX 1024
#define WEBUI_DEPTH_MAX 8

/* Load dir.  0 (even when dir is missing: see above); -1 on out-of-memory
 * style failures only.  Not thread-safe: call once before http_start. */
int webui_init(const char *dir);

/* Free the table.  Call after http_stop. */
void webui_cleanup(void);

/* Number of files loaded (0 when not available). */
size_t webui_count(void);

/*
 * The GET/HEAD fallback handler (the HTTP_FALLBACK route): a file of the
 * app by path, index.html for other page paths (the app routes itself),
 * a JSON 404 for unknown /api/, /twilio/ and /token paths, 404 for a
 * missing /assets/ file, 400 for a path that is not clean (".." or "."
 * segments, backslashes, NUL or bad %-escapes).  Thread-safe.
 */
int webui_serve(struct http_req *r);

/* The Content-Type for a file name, by extension (never NULL). */
const char *webui_content_type(const char *name);

/*
 * Decode the %-escapes of a request path into out (outlen bytes) and check
 * it: 0 when it is a clean absolute path, -1 otherwise (see webui_serve).
 */
int webui_clean_path(const char *raw, char *out, size_t outlen);

#endif
