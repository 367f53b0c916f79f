/*
 * Durable spool of callbacks received during a database outage.
 * See include/core/spool.h.
 *
 * File format (one event per file, name "<microseconds>-<random>.ev", or
 * "<microseconds>-<random>-u.ev" for an unverified one, so that names sort
 * in arrival order and the unverified quota can be counted again at start):
 *
 *	ramal-spool 1\n
 *	<route>\n
 *	<received_at>\n
 *	<body bytes, to the end of the file>
 *
 * An unverified event has "ramal-spool 2" and two more lines, the URL and
 * the signature, before the body.  Each file is first written as
 * ".<seconds>-<random>.tmp"; one left by a crash is removed at start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "util.h"

#define SPOOL_MAGIC "ramal-spool 1\n"
#define SPOOL_MAGIC_UNVERIFIED "ramal-spool 2\n"
/* Disk protection: past this many waiting events, new ones are refused. */
#define SPOOL_MAX_PENDING 100000
#define SPOOL_MAX_EVENT (128 * 1024)
#define SPOOL_PATH_MAX 4096
#define SPOOL_UNVERIFIED_SUFFIX "-u.ev"

static char *spool_dir;
static atomic_int pending; /* every waiting event */

/*
 * The unverified events on disk, reserved before one is written so that
 * concurrent writers never pass the quota together.
 */
static struct spool_quota quota;
static pthread_mutex_t uv_lock = PTHREAD_MUTEX_INITIALIZER;
static int uv_files;
static long long uv_bytes;
static atomic_ullong refused_full, refused_unverified;
static struct log_throttle quota_log;

static pthread_t thread;
static int thread_started;
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond;
static int stopping;
static const struct http_route *thread_routes;
static size_t thread_nroutes;
static spool_verify_fn verifier;
static int thread_interval_ms;

static int
mkdir_p(const char *path)
{
	char tmp[SPOOL_PATH_MAX];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

static int
is_event_name(const char *name)
{
	return has_suffix(name, ".ev") && name[0] != '.';
}

static int
is_unverified_name(const char *name)
{
	return is_event_name(name) && has_suffix(name, SPOOL_UNVERIFIED_SUFFIX);
}

/* Take room for one unverified event of size bytes.  0 / -1 (full). */
static int
uv_reserve(long long size)
{
	int ok;

	pthread_mutex_lock(&uv_lock);
	ok = uv_files < quota.unverified_max_files &&
	    uv_bytes + size <= quota.unverified_max_bytes;
	if (ok) {
		uv_files++;
		uv_bytes += size;
	}
	pthread_mutex_unlock(&uv_lock);
	return ok ? 0 : -1;
}

static int
spool_unverified_files(void)
{
	int n;

	pthread_mutex_lock(&uv_lock);
	n = uv_files;
	pthread_mutex_unlock(&uv_lock);
	return n;
}

/* Give back the room of one unverified event (stored, set aside, failed). */
static void
uv_release(long long size)
{
	pthread_mutex_lock(&uv_lock);
	/* A file changed behind our back must not leave the quota short. */
	uv_files = uv_files > 0 ? uv_files - 1 : 0;
	uv_bytes = uv_files == 0 || uv_bytes < size ? 0 : uv_bytes - size;
	pthread_mutex_unlock(&uv_lock);
}

/*
 * Count the waiting events (and the unverified ones' sizes) and remove
 * the temporary files of writes a crash cut short: an event is only
 * acknowledged after its rename, so a .tmp file was never answered 200
 * and holds nothing Twilio counts on.  0 / -1.
 */
static int
scan_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int n = 0, orphans = 0, files = 0;
	long long bytes = 0;
	char num[16];

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (has_suffix(e->d_name, ".tmp")) {
			if (unlinkat(dirfd(d), e->d_name, 0) == 0)
				orphans++;
			else
				log_kv(LOG_WARN,
				    "cannot remove an orphan spool file", "dir",
				    dir, "file", e->d_name, "err",
				    strerror(errno), NULL);
			continue;
		}
		if (!is_event_name(e->d_name))
			continue;
		n++;
		if (is_unverified_name(e->d_name) &&
		    fstatat(dirfd(d), e->d_name, &st, 0) == 0) {
			files++;
			bytes += (long long)st.st_size;
		}
	}
	closedir(d);
	if (orphans > 0) {
		fsync_dir(dir);
		snprintf(num, sizeof(num), "%d", orphans);
		log_kv(LOG_WARN,
		    "removed orphan spool files of interrupted writes", "dir",
		    dir, "count", num, NULL);
	}
	atomic_store(&pending, n);
	pthread_mutex_lock(&uv_lock);
	uv_files = files;
	uv_bytes = bytes;
	pthread_mutex_unlock(&uv_lock);
	return 0;
}

int
spool_init(const char *dir, const struct spool_quota *q)
{
	char failed[SPOOL_PATH_MAX], num[16];

	free(spool_dir);
	spool_dir = xstrdup(dir);
	quota = *q;
	snprintf(failed, sizeof(failed), "%s/failed", dir);
	if (mkdir_p(dir) != 0 || mkdir_p(failed) != 0 ||
	    access(dir, W_OK) != 0 || scan_dir(dir) != 0) {
		log_kv(LOG_ERROR, "spool directory is not writable", "dir", dir,
		    "err", strerror(errno), NULL);
		return -1;
	}
	if (atomic_load(&pending) > 0) {
		snprintf(num, sizeof(num), "%d", atomic_load(&pending));
		log_kv(LOG_WARN, "spooled events waiting for the database",
		    "dir", dir, "count", num, NULL);
	}
	return 0;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t w = write(fd, c, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
put(const char *route, const char *received_at, const char *url,
    const char *sig, const char *body, size_t len)
{
	char tmp[SPOOL_PATH_MAX], path[SPOOL_PATH_MAX], rnd[17];
	uint8_t r[8];
	int fd = -1, result = -1, reserved = 0;
	const char *magic = url ? SPOOL_MAGIC_UNVERIFIED : SPOOL_MAGIC;
	long long size;
	unsigned long long dropped;
	char num[24];

	if (spool_dir == NULL || strchr(route, '\n') ||
	    strchr(received_at, '\n') || len > SPOOL_MAX_EVENT ||
	    (url && (strchr(url, '\n') || strchr(sig, '\n'))))
		return -1;
	size = (long long)(strlen(magic) + strlen(route) + 1 +
	    strlen(received_at) + 1 + len);
	if (url != NULL) {
		size += (long long)(strlen(url) + 1 + strlen(sig) + 1);
		if (uv_reserve(size) != 0) {
			atomic_fetch_add(&refused_unverified, 1);
			if (log_throttle_pass(&quota_log, &dropped)) {
				snprintf(num, sizeof(num), "%llu", dropped);
				log_kv(LOG_WARN,
				    "unverified spool quota full: callback "
				    "refused",
				    "route", route, "also_refused", num, NULL);
			}
			return -1;
		}
		reserved = 1;
	} else if (atomic_load(&pending) - spool_unverified_files() >=
	    SPOOL_MAX_PENDING) {
		atomic_fetch_add(&refused_full, 1);
		log_kv(LOG_ERROR, "spool full: event refused", "route", route,
		    NULL);
		return -1;
	}
	tmp[0] = '\0';
	if (util_random(r, sizeof(r)) != 0)
		goto out;
	util_hex_encode(rnd, r, sizeof(r));
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(path, sizeof(path), "%s/%016lld%06ld-%s%s", spool_dir,
		    (long long)ts.tv_sec, ts.tv_nsec / 1000, rnd,
		    url ? SPOOL_UNVERIFIED_SUFFIX : ".ev");
		snprintf(tmp, sizeof(tmp), "%s/.%016lld-%s.tmp", spool_dir,
		    (long long)ts.tv_sec, rnd);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	if (write_all(fd, magic, strlen(magic)) != 0 ||
	    write_all(fd, route, strlen(route)) != 0 ||
	    write_all(fd, "\n", 1) != 0 ||
	    write_all(fd, received_at, strlen(received_at)) != 0 ||
	    write_all(fd, "\n", 1) != 0)
		goto out;
	if (url != NULL &&
	    (write_all(fd, url, strlen(url)) != 0 ||
		write_all(fd, "\n", 1) != 0 ||
		write_all(fd, sig, strlen(sig)) != 0 ||
		write_all(fd, "\n", 1) != 0))
		goto out;
	if (write_all(fd, body, len) != 0 || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0 || fsync_dir(spool_dir) != 0)
		goto out;
	atomic_fetch_add(&pending, 1);
	result = 0;
out:
	if (result != 0) {
		log_kv(LOG_ERROR, "cannot spool event", "route", route, "err",
		    strerror(errno), NULL);
		if (fd >= 0)
			close(fd);
		if (tmp[0] != '\0')
			unlink(tmp);
		if (reserved)
			uv_release(size);
	}
	return result;
}

int
spool_put(const char *route, const char *received_at, const char *body,
    size_t len)
{
	return put(route, received_at, NULL, NULL, body, len);
}

int
spool_put_unverified(const char *route, const char *received_at,
    const char *url, const char *sig, const char *body, size_t len)
{
	if (url == NULL || sig == NULL)
		return -1;
	return put(route, received_at, url, sig, body, len);
}

int
spool_pending(void)
{
	return atomic_load(&pending);
}

void
spool_stats(struct spool_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->pending = atomic_load(&pending);
	pthread_mutex_lock(&uv_lock);
	out->unverified_files = uv_files;
	out->unverified_bytes = uv_bytes;
	pthread_mutex_unlock(&uv_lock);
	out->refused_full = atomic_load(&refused_full);
	out->refused_unverified = atomic_load(&refused_unverified);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole event file into b.  0 / -1. */
static int
read_event(const char *path, struct buf *b)
{
	char chunk[8192];
	FILE *fp = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (fp == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_add(b, chunk, n) != 0) {
			rc = -1;
			break;
		}
	if (ferror(fp))
		rc = -1;
	fclose(fp);
	return rc;
}

struct event {
	const char *route, *received_at;
	const char *url, *sig; /* NULL unless spooled unverified */
	const char *body;
	size_t len;
};

/* Cut the next line out of b at *p.  NULL when there is none. */
static const char *
next_line(struct buf *b, char **p)
{
	char *nl = memchr(*p, '\n', b->len - (size_t)(*p - b->ptr));
	const char *line = *p;

	if (nl == NULL)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return line;
}

/* Split an event; pointers into b.  0 / -1 when malformed. */
static int
parse_event(struct buf *b, struct event *ev)
{
	char *p = b->ptr;
	int unverified;

	memset(ev, 0, sizeof(*ev));
	if (b->len >= strlen(SPOOL_MAGIC) &&
	    memcmp(p, SPOOL_MAGIC, strlen(SPOOL_MAGIC)) == 0)
		unverified = 0;
	else if (b->len >= strlen(SPOOL_MAGIC_UNVERIFIED) &&
	    memcmp(p, SPOOL_MAGIC_UNVERIFIED, strlen(SPOOL_MAGIC_UNVERIFIED)) ==
		0)
		unverified = 1;
	else
		return -1;
	p += strlen(SPOOL_MAGIC); /* both magics have the same length */
	if ((ev->route = next_line(b, &p)) == NULL ||
	    (ev->received_at = next_line(b, &p)) == NULL)
		return -1;
	if (unverified &&
	    ((ev->url = next_line(b, &p)) == NULL ||
		(ev->sig = next_line(b, &p)) == NULL))
		return -1;
	ev->body = p;
	ev->len = b->len - (size_t)(p - b->ptr);
	return 0;
}

static void
move_aside(const char *name)
{
	char from[SPOOL_PATH_MAX], to[SPOOL_PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s", spool_dir, name);
	snprintf(to, sizeof(to), "%s/failed/%s", spool_dir, name);
	if (rename(from, to) != 0)
		unlink(from);
	log_kv(LOG_ERROR, "spooled event cannot be stored; moved aside", "file",
	    to, NULL);
}

/* Files in dir/failed (counted only when a forged event turns up). */
static int
count_failed(void)
{
	char failed[SPOOL_PATH_MAX];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(failed, sizeof(failed), "%s/failed", spool_dir);
	if ((d = opendir(failed)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * A callback whose signature proved false: kept in failed/ for a look
 * while that holds fewer files than the unverified quota, deleted beyond,
 * so that forged callbacks do not pile up there outage after outage.
 */
static void
drop_forged(const char *name, const char *path)
{
	if (count_failed() < quota.unverified_max_files) {
		move_aside(name);
		return;
	}
	unlink(path);
	log_kv(LOG_WARN, "forged spooled callback deleted (failed/ is full)",
	    "file", name, NULL);
}

/* The replay of route in routes[0..n), or NULL. */
static http_replay
replay_of(const struct http_route *routes, size_t n, const char *route)
{
	for (size_t i = 0; i < n; i++)
		if (routes[i].replay != NULL &&
		    strcmp(routes[i].path, route) == 0)
			return routes[i].replay;
	return NULL;
}

int
spool_replay(const struct http_route *routes, size_t nroutes)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int stored = 0;

	if (spool_dir == NULL || (d = opendir(spool_dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!is_event_name(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);

	for (size_t i = 0; i < n; i++) {
		char path[SPOOL_PATH_MAX];
		struct event ev;
		struct buf b;
		enum outcome rc = OUTCOME_DONE;
		http_replay fn;
		struct stat st;
		long long uv_size;
		int forged = 0;

		snprintf(path, sizeof(path), "%s/%s", spool_dir, names[i]);
		uv_size = -1;
		if (is_unverified_name(names[i]))
			uv_size =
			    stat(path, &st) == 0 ? (long long)st.st_size : 0;
		buf_init(&b, SPOOL_MAX_EVENT + 16 * 1024);
		if (read_event(path, &b) != 0 || parse_event(&b, &ev) != 0) {
			buf_cleanup(&b);
			move_aside(names[i]);
			atomic_fetch_sub(&pending, 1);
			if (uv_size >= 0)
				uv_release(uv_size);
			continue;
		}
		/* Spooled before its signature could be checked: check now. */
		if (ev.url != NULL) {
			switch (verifier == NULL
				? SPOOL_UNKNOWN
				: verifier(ev.url, ev.sig, ev.body, ev.len)) {
			case SPOOL_GENUINE:
				break;
			case SPOOL_FORGED:
				log_kv(LOG_WARN,
				    "spooled callback failed its signature "
				    "check",
				    "route", ev.route, NULL);
				rc = OUTCOME_NEVER;
				forged = 1;
				break;
			case SPOOL_UNKNOWN:
				rc = OUTCOME_LATER;
				break;
			}
		}
		if (rc == OUTCOME_DONE) {
			if ((fn = replay_of(routes, nroutes, ev.route)) != NULL)
				rc = fn(ev.route, ev.received_at, ev.body,
				    ev.len);
			else {
				log_kv(LOG_ERROR,
				    "spooled event for an unknown route",
				    "route", ev.route, NULL);
				rc = OUTCOME_NEVER;
			}
		}
		buf_cleanup(&b);
		if (rc == OUTCOME_LATER)
			break; /* still down: keep the rest for later */
		if (rc == OUTCOME_NEVER && forged)
			drop_forged(names[i], path);
		else if (rc == OUTCOME_NEVER || rc == OUTCOME_REFUSED)
			move_aside(names[i]);
		else {
			unlink(path);
			stored++;
		}
		atomic_fetch_sub(&pending, 1);
		if (uv_size >= 0)
			uv_release(uv_size);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (stored > 0) {
		char num[16];

		fsync_dir(spool_dir);
		snprintf(num, sizeof(num), "%d", stored);
		log_kv(LOG_INFO, "spooled events stored", "count", num, NULL);
	}
	return stored;
}

static void *
replay_main(void *arg)
{
	struct timespec until;
	int stop;

	(void)arg;
	for (;;) {
		if (atomic_load(&pending) > 0)
			spool_replay(thread_routes, thread_nroutes);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += thread_interval_ms / 1000;
		until.tv_nsec += (long)(thread_interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&stop_lock);
		if (!stopping)
			pthread_cond_timedwait(&stop_cond, &stop_lock, &until);
		stop = stopping;
		pthread_mutex_unlock(&stop_lock);
		if (stop)
			break;
	}
	if (atomic_load(&pending) > 0)
		spool_replay(thread_routes, thread_nroutes);
	return NULL;
}

void
spool_set_verifier(spool_verify_fn fn)
{
	verifier = fn;
}

int
spool_start(const struct http_route *routes, size_t n, int interval_ms)
{
	pthread_condattr_t ca;

	thread_routes = routes;
	thread_nroutes = n;
	thread_interval_ms = interval_ms;
	stopping = 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&thread, NULL, replay_main, NULL) != 0)
		return -1;
	thread_started = 1;
	return 0;
}

void
spool_stop(void)
{
	if (thread_started) {
		pthread_mutex_lock(&stop_lock);
		stopping = 1;
		pthread_cond_signal(&stop_cond);
		pthread_mutex_unlock(&stop_lock);
		pthread_join(thread, NULL);
		pthread_cond_destroy(&stop_cond);
		thread_started = 0;
	}
	free(spool_dir);
	spool_dir = NULL;
}
