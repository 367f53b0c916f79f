/*
 * The softphone's static files, built into the binary or read from
 * WEB_DIR into memory at start-up, and served by path.  See
 * include/api/webui.h.
 *
 * The table is the one mutable global here; it is written by webui_init()
 * before the HTTP threads start and only read afterwards (like the
 * configuration), so requests need no lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "http.h"
#include "log.h"
#include "util.h"
#include "webui.h"

#define WEBUI_PATH_MAX 1024

struct webui_file {
	char *path; /* URL path, "/assets/index-abc.js" */
	const char *data; /* owned or built in */
	char *owned; /* data when read from WEB_DIR, else NULL */
	size_t len;
	const char *ctype;
	int immutable; /* under /assets/: hashed names, cache for a year */
};

static struct {
	char *root; /* realpath of WEB_DIR, NULL when unavailable or unset */
	char *dir; /* WEB_DIR as configured (for messages) */
	struct webui_file *files;
	size_t n, cap;
	size_t total;
	const struct webui_file *index;
} ui;

/*
 * The page's Content-Security-Policy.  The Voice SDK talks to Twilio over
 * wss:// (signalling, voice-js.*.twilio.com) and https:// (insights,
 * eventgw.twilio.com), fetches its sounds from sdk.twilio.com, and
 * plays streams through blob: URLs; the media itself is
 * WebRTC, which CSP does not govern.  Scripts and styles come only from
 * this origin (Vite emits no inline script).
 */
static const char csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; "
    "connect-src 'self' https://*.twilio.com wss://*.twilio.com; "
    "media-src 'self' blob: data: https://sdk.twilio.com; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'";

static const struct {
	const char *ext;
	const char *ctype;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".webmanifest", "application/manifest+json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".gif", "image/gif" },
	{ ".webp", "image/webp" },
	{ ".ico", "image/x-icon" },
	{ ".woff", "font/woff" },
	{ ".woff2", "font/woff2" },
	{ ".ttf", "font/ttf" },
	{ ".mp3", "audio/mpeg" },
	{ ".ogg", "audio/ogg" },
	{ ".wav", "audio/wav" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".wasm", "application/wasm" },
};

const char *
webui_content_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');

	if (dot == NULL || (slash != NULL && dot < slash))
		return "application/octet-stream";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].ctype;
	return "application/octet-stream";
}

int
webui_clean_path(const char *raw, char *out, size_t outlen)
{
	size_t n = 0;
	const char *seg;

	if (raw == NULL || raw[0] != '/' || outlen == 0)
		return -1;
	for (const char *p = raw; *p != '\0'; p++) {
		char c = *p;

		if (c == '%') {
			int hi = util_hex_value((unsigned char)p[1]),
			    lo = hi < 0 ? -1
					: util_hex_value((unsigned char)p[2]);

			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			p += 2;
		}
		/* No NUL, control characters or backslashes, decoded or not. */
		if ((unsigned char)c < 0x20 || c == 0x7f || c == '\\')
			return -1;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	/* No "." or ".." segment and no empty segment but a trailing one. */
	for (seg = out + 1;; seg++) {
		size_t len = strcspn(seg, "/");

		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return -1;
		if (len == 0 && seg[0] == '/')
			return -1;
		seg += len;
		if (*seg == '\0')
			break;
	}
	return 0;
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct webui_file *)a)->path,
	    ((const struct webui_file *)b)->path);
}

static const struct webui_file *
file_find(const char *path)
{
	struct webui_file key = { .path = (char *)path };

	if (ui.n == 0)
		return NULL;
	return bsearch(&key, ui.files, ui.n, sizeof(ui.files[0]), file_cmp);
}

/* Within the limits for one more file of len bytes?  (Logged if not.) */
static int
fits(const char *what, size_t len)
{
	if (len > WEBUI_FILE_MAX || ui.total + len > WEBUI_TOTAL_MAX ||
	    ui.n >= WEBUI_FILES_MAX) {
		log_kv(LOG_WARN, "web file too big or too many files; skipped",
		    "path", what, NULL);
		return 0;
	}
	return 1;
}

/* Add a file to the table; owned (or NULL) is freed with it. */
static void
add_file(const char *url, const char *data, size_t len, char *owned)
{
	struct webui_file *f;

	if (ui.n == ui.cap) {
		ui.cap = ui.cap ? ui.cap * 2 : 32;
		ui.files = realloc(ui.files, ui.cap * sizeof(ui.files[0]));
		if (ui.files == NULL)
			abort();
	}
	f = &ui.files[ui.n++];
	f->path = xstrdup(url);
	f->data = data;
	f->owned = owned;
	f->len = len;
	f->ctype = webui_content_type(url);
	f->immutable = strncmp(url, "/assets/", 8) == 0;
	ui.total += len;
}

/* Read one file (fs: its path on disk; url: its URL path). */
static void
load_file(const char *fs, const char *url)
{
	char real[PATH_MAX];
	size_t rootlen = strlen(ui.root);
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd = -1;

	if (realpath(fs, real) == NULL ||
	    strncmp(real, ui.root, rootlen) != 0 || real[rootlen] != '/') {
		log_kv(LOG_WARN, "web file outside WEB_DIR skipped", "path", fs,
		    NULL);
		return;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!fits(fs, (size_t)st.st_size)) {
		close(fd);
		return;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, data + got, (size_t)st.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		log_kv(LOG_WARN, "web file unreadable; skipped", "path", fs,
		    NULL);
		free(data);
		return;
	}
	add_file(url, data, got, data);
}

static void
scan(const char *fs, const char *url, int depth)
{
	DIR *d;
	struct dirent *e;

	if (depth > WEBUI_DEPTH_MAX || (d = opendir(fs)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char fsp[WEBUI_PATH_MAX], urlp[WEBUI_PATH_MAX];
		struct stat st;
		int a, b;

		if (e->d_name[0] == '.') /* ., .. and hidden files */
			continue;
		a = snprintf(fsp, sizeof(fsp), "%s/%s", fs, e->d_name);
		b = snprintf(urlp, sizeof(urlp), "%s/%s", url, e->d_name);
		if (a < 0 || (size_t)a >= sizeof(fsp) || b < 0 ||
		    (size_t)b >= sizeof(urlp) || stat(fsp, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			scan(fsp, urlp, depth + 1);
		else if (S_ISREG(st.st_mode))
			load_file(fsp, urlp);
	}
	closedir(d);
}

/* The files built into the binary (scripts/embed-web.sh). */
static void
load_embedded(void)
{
	char nfiles[24];

	for (const struct webui_embedded *e = webui_embedded; e->path; e++)
		if (fits(e->path, e->len))
			add_file(e->path, (const char *)e->data, e->len, NULL);
	if (ui.n > 0)
		qsort(ui.files, ui.n, sizeof(ui.files[0]), file_cmp);
	ui.index = file_find("/index.html");
	if (ui.index == NULL) {
		log_warnx("the softphone is not built into this binary and "
			  "WEB_DIR is not set; it is not served (run `make`, "
			  "which builds web/dist into ramal)");
		return;
	}
	snprintf(nfiles, sizeof(nfiles), "%zu", ui.n);
	log_kv(LOG_INFO, "softphone loaded", "web_dir", "(built in)", "files",
	    nfiles, NULL);
}

int
webui_init(const char *dir)
{
	char real[PATH_MAX], nfiles[24];

	webui_cleanup();
	ui.dir = xstrdup(dir != NULL ? dir : "");
	if (dir == NULL || dir[0] == '\0') {
		load_embedded();
		return 0;
	}
	if (realpath(dir, real) == NULL) {
		log_kv(LOG_WARN,
		    "WEB_DIR not found; the softphone is not served (run "
		    "`make` to build web/dist)",
		    "web_dir", ui.dir, NULL);
		return 0;
	}
	ui.root = xstrdup(real);
	scan(ui.root, "", 0);
	if (ui.n > 0)
		qsort(ui.files, ui.n, sizeof(ui.files[0]), file_cmp);
	ui.index = file_find("/index.html");
	if (ui.index == NULL) {
		log_kv(LOG_WARN,
		    "WEB_DIR has no index.html; the softphone is not served "
		    "(run `make` to build web/dist)",
		    "web_dir", ui.dir, NULL);
		return 0;
	}
	snprintf(nfiles, sizeof(nfiles), "%zu", ui.n);
	log_kv(LOG_INFO, "softphone loaded", "web_dir", ui.root, "files",
	    nfiles, NULL);
	return 0;
}

void
webui_cleanup(void)
{
	for (size_t i = 0; i < ui.n; i++) {
		free(ui.files[i].path);
		free(ui.files[i].owned);
	}
	free(ui.files);
	free(ui.root);
	free(ui.dir);
	memset(&ui, 0, sizeof(ui));
}

size_t
webui_count(void)
{
	return ui.index != NULL ? ui.n : 0;
}

/* Does path equal prefix or start with prefix + "/"? */
static int
under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

static void
page_headers(struct http_req *r)
{
	http_reply_header(r, "Content-Security-Policy", csp);
	http_reply_header(r, "Referrer-Policy", "same-origin");
	http_reply_header(r, "X-Frame-Options", "DENY");
	http_reply_header(r, "Permissions-Policy",
	    "microphone=(self), camera=(), geolocation=()");
}

static int
send_file(struct http_req *r, const struct webui_file *f)
{
	http_reply_header(r, "Cache-Control",
	    f->immutable ? "public, max-age=31536000, immutable" : "no-cache");
	if (strncmp(f->ctype, "text/html", 9) == 0)
		page_headers(r);
	/* The table outlives every request; http_reply copies anyway. */
	return http_reply(r, 200, f->ctype, f->data, f->len);
}

int
webui_serve(struct http_req *r)
{
	static const char unbuilt[] =
	    "<!doctype html><meta charset=utf-8><title>ramal</title>"
	    "<p>The softphone is not built into ramal or WEB_DIR is wrong. "
	    "Run <code>make</code> (it builds web/dist into ramal) and "
	    "restart it.</p>\n";
	char path[WEBUI_PATH_MAX];
	const char *raw = http_req_path(r);
	const struct webui_file *f;

	if (under(raw, "/api") || under(raw, "/twilio") ||
	    under(raw, PATH_TOKEN))
		return http_reply_error(r, 404, "not found");
	if (webui_clean_path(raw, path, sizeof(path)) != 0)
		return http_reply_error(r, 400, "bad path");
	if (under(path, "/api") || under(path, "/twilio") ||
	    under(path, PATH_TOKEN))
		return http_reply_error(r, 404, "not found");
	if (ui.index == NULL) {
		http_reply_header(r, "Retry-After", "60");
		return http_reply(r, 503, "text/html; charset=utf-8", unbuilt,
		    sizeof(unbuilt) - 1);
	}
	f = file_find(path);
	if (f == NULL && path[strlen(path) - 1] == '/') {
		char idx[WEBUI_PATH_MAX + 16];

		snprintf(idx, sizeof(idx), "%sindex.html", path);
		f = file_find(idx);
	}
	if (f != NULL)
		return send_file(r, f);
	if (under(path, "/assets"))
		return http_reply_error(r, 404, "not found");
	return send_file(r, ui.index); /* the app routes itself */
}
