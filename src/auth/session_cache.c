/*
 * Session cache with NOTIFY invalidation.  See include/auth/session_cache.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "hub.h"
#include "session_cache.h"
#include "util.h"

#define SETS (SESSION_CACHE_MAX / SESSION_CACHE_WAYS)

struct entry {
	char key[AUTH_HASH_HEX_LEN + 1]; /* "" when free */
	uint64_t filled_ms; /* read from the database (monotonic) */
	uint64_t used_ms; /* last hit, for eviction */
	time_t expires; /* the session's end */
	long long user_id;
	long long tenant_id;
	long long session_id;
	enum auth_role role;
	char account_sid[35];
	char expires_at[32];
	char csrf_hash[AUTH_HASH_HEX_LEN + 1];
	char identity[128];
	char email[AUTH_EMAIL_MAX + 1];
	char name[256];
	char status[16];
	char tenant_name[256];
};

static struct {
	pthread_mutex_t lock;
	struct entry *e; /* SESSION_CACHE_MAX, NULL when disabled */
	uint64_t ttl_ms;
	uint64_t gen; /* under lock */
	atomic_int healthy;
	atomic_uint_fast64_t hits, misses, bypassed, invalidations;
} sc = { .lock = PTHREAD_MUTEX_INITIALIZER };

int
session_cache_init(int ttl_s)
{
	session_cache_cleanup();
	if (ttl_s <= 0)
		return 0;
	sc.e = calloc(SESSION_CACHE_MAX, sizeof(*sc.e));
	if (sc.e == NULL)
		return -1;
	sc.ttl_ms = (uint64_t)ttl_s * 1000;
	return 0;
}

void
session_cache_cleanup(void)
{
	pthread_mutex_lock(&sc.lock);
	if (sc.e != NULL)
		OPENSSL_cleanse(sc.e, SESSION_CACHE_MAX * sizeof(*sc.e));
	free(sc.e);
	sc.e = NULL;
	sc.gen++;
	pthread_mutex_unlock(&sc.lock);
	atomic_store(&sc.healthy, 0);
}

/* The set of a key: its first hex digits. */
static struct entry *
set_of(const char *key)
{
	unsigned v = 0;

	for (int i = 0; i < 6 && key[i] != '\0'; i++) {
		char ch = key[i];

		v = v * 16 + (unsigned)(ch >= 'a' ? ch - 'a' + 10 : ch - '0');
	}
	return sc.e + (v % SETS) * SESSION_CACHE_WAYS;
}

static void
drop_all_locked(void)
{
	/*
	 * Write only the entries in use: the table is calloc'ed zero pages,
	 * and touching every one would make all of it resident.
	 */
	for (int i = 0; i < SESSION_CACHE_MAX; i++)
		if (sc.e[i].key[0] != '\0')
			sc.e[i].key[0] = '\0';
}

void
session_cache_flush(void)
{
	pthread_mutex_lock(&sc.lock);
	if (sc.e != NULL)
		drop_all_locked();
	sc.gen++;
	pthread_mutex_unlock(&sc.lock);
	atomic_fetch_add(&sc.invalidations, 1);
}

void
session_cache_set_healthy(int healthy)
{
	/* Down first, so that nothing is served while flushing. */
	if (!healthy)
		atomic_store(&sc.healthy, 0);
	session_cache_flush();
	if (healthy)
		atomic_store(&sc.healthy, 1);
}

void
session_cache_invalidate(long long user_id)
{
	pthread_mutex_lock(&sc.lock);
	if (sc.e != NULL)
		for (int i = 0; i < SESSION_CACHE_MAX; i++)
			if (sc.e[i].user_id == user_id)
				sc.e[i].key[0] = '\0';
	sc.gen++;
	pthread_mutex_unlock(&sc.lock);
	atomic_fetch_add(&sc.invalidations, 1);
}

long long
session_cache_payload_user(const char *payload)
{
	char *end;
	long long id;

	if (payload == NULL || *payload < '0' || *payload > '9')
		return 0;
	id = strtoll(payload, &end, 10);
	return *end == '\0' && id > 0 ? id : 0;
}

void
session_cache_notify(const char *payload)
{
	long long id = session_cache_payload_user(payload);

	if (id > 0)
		session_cache_invalidate(id);
	else
		session_cache_flush();
}

uint64_t
session_cache_gen(void)
{
	uint64_t g;

	pthread_mutex_lock(&sc.lock);
	g = sc.gen;
	pthread_mutex_unlock(&sc.lock);
	return g;
}

static int
usable(void)
{
	return sc.e != NULL && atomic_load(&sc.healthy);
}

int
session_cache_get(const char *token_hash, struct auth_user **out,
    char csrf_hash[AUTH_HASH_HEX_LEN + 1])
{
	struct entry *set, *hit = NULL;
	struct auth_user *u;
	uint64_t now = util_now_ms();
	time_t wall = time(NULL);

	*out = NULL;
	if (strlen(token_hash) != AUTH_HASH_HEX_LEN) {
		atomic_fetch_add(&sc.misses, 1);
		return 0;
	}
	pthread_mutex_lock(&sc.lock);
	if (!usable()) {
		pthread_mutex_unlock(&sc.lock);
		atomic_fetch_add(&sc.bypassed, 1);
		return 0;
	}
	set = set_of(token_hash);
	for (int i = 0; i < SESSION_CACHE_WAYS; i++)
		if (memcmp(set[i].key, token_hash, AUTH_HASH_HEX_LEN + 1) ==
		    0) {
			hit = &set[i];
			break;
		}
	if (hit != NULL &&
	    (now - hit->filled_ms >= sc.ttl_ms || wall >= hit->expires)) {
		hit->key[0] = '\0';
		hit = NULL;
	}
	if (hit == NULL) {
		pthread_mutex_unlock(&sc.lock);
		atomic_fetch_add(&sc.misses, 1);
		return 0;
	}
	hit->used_ms = now;
	u = xcalloc(1, sizeof(*u));
	u->id = hit->user_id;
	u->tenant_id = hit->tenant_id;
	u->session_id = hit->session_id;
	u->role = hit->role;
	memcpy(u->account_sid, hit->account_sid, sizeof(u->account_sid));
	memcpy(u->expires_at, hit->expires_at, sizeof(u->expires_at));
	u->identity = xstrdup(hit->identity);
	u->email = xstrdup(hit->email);
	u->name = xstrdup(hit->name);
	u->status = xstrdup(hit->status);
	u->tenant_name = xstrdup(hit->tenant_name);
	memcpy(csrf_hash, hit->csrf_hash, AUTH_HASH_HEX_LEN + 1);
	pthread_mutex_unlock(&sc.lock);
	atomic_fetch_add(&sc.hits, 1);
	*out = u;
	return 1;
}

/* "YYYY-MM-DDTHH:MM:SSZ" as a time, or 0. */
static time_t
parse_utc(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	return timegm(&tm);
}

static int
copy(char *dst, size_t len, const char *src)
{
	if (src == NULL || strlen(src) >= len)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

void
session_cache_put(const char *token_hash, const struct auth_user *u,
    const char *csrf_hash, uint64_t gen)
{
	struct entry n, *set, *slot = NULL;
	uint64_t now = util_now_ms();

	if (sc.e == NULL || !atomic_load(&sc.healthy))
		return;
	memset(&n, 0, sizeof(n));
	if (copy(n.key, sizeof(n.key), token_hash) != 0 ||
	    strlen(token_hash) != AUTH_HASH_HEX_LEN ||
	    copy(n.csrf_hash, sizeof(n.csrf_hash), csrf_hash) != 0 ||
	    copy(n.account_sid, sizeof(n.account_sid), u->account_sid) != 0 ||
	    copy(n.expires_at, sizeof(n.expires_at), u->expires_at) != 0 ||
	    copy(n.identity, sizeof(n.identity), u->identity) != 0 ||
	    copy(n.email, sizeof(n.email), u->email) != 0 ||
	    copy(n.name, sizeof(n.name), u->name) != 0 ||
	    copy(n.status, sizeof(n.status), u->status) != 0 ||
	    copy(n.tenant_name, sizeof(n.tenant_name), u->tenant_name) != 0 ||
	    (n.expires = parse_utc(u->expires_at)) == 0)
		return;
	n.user_id = u->id;
	n.tenant_id = u->tenant_id;
	n.session_id = u->session_id;
	n.role = u->role;
	n.filled_ms = n.used_ms = now;
	pthread_mutex_lock(&sc.lock);
	if (sc.e != NULL && gen == sc.gen && atomic_load(&sc.healthy)) {
		set = set_of(token_hash);
		for (int i = 0; i < SESSION_CACHE_WAYS && slot == NULL; i++)
			if (strcmp(set[i].key, token_hash) == 0)
				slot = &set[i];
		for (int i = 0; i < SESSION_CACHE_WAYS && slot == NULL; i++)
			if (set[i].key[0] == '\0')
				slot = &set[i];
		if (slot == NULL) {
			slot = &set[0];
			for (int i = 1; i < SESSION_CACHE_WAYS; i++)
				if (set[i].used_ms < slot->used_ms)
					slot = &set[i];
		}
		*slot = n;
	}
	pthread_mutex_unlock(&sc.lock);
}

void
session_cache_stats(struct session_cache_stats *st)
{
	st->hits = atomic_load(&sc.hits);
	st->misses = atomic_load(&sc.misses);
	st->bypassed = atomic_load(&sc.bypassed);
	st->invalidations = atomic_load(&sc.invalidations);
	st->healthy = atomic_load(&sc.healthy);
	pthread_mutex_lock(&sc.lock);
	st->enabled = sc.e != NULL;
	pthread_mutex_unlock(&sc.lock);
}

/* ---- the hub's subscriber (core/hub.h) ---- */

static int
on_connected(void *arg, PGconn *pg, int first)
{
	(void)arg;
	(void)pg;
	(void)first;
	/* Listening: what is cached from now on is kept fresh. */
	session_cache_set_healthy(1);
	return 0;
}

static int
on_notify(void *arg, PGconn *pg, const char *payload)
{
	(void)arg;
	(void)pg;
	session_cache_notify(payload);
	return 0;
}

static void
on_lost(void *arg)
{
	(void)arg;
	session_cache_set_healthy(0);
}

int
session_cache_listen(void)
{
	const struct hub_sub sub = {
		.channel = SESSION_CACHE_CHANNEL,
		.connected = on_connected,
		.notify = on_notify,
		.lost = on_lost,
	};

	return hub_subscribe(&sub);
}
