/*
 * Signature keys per Twilio account, with one cache per process.
 * See include/auth/tenant.h.
 *
 * Keys are shared by the table and the threads that use them: each holds
 * a reference, and a thread's last key stays valid until its next look-up
 * (the header's contract) because the thread keeps a reference to it in
 * thread-specific data, dropped at that next call or at the thread's end.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db.h"
#include "log.h"
#include "store_tenant.h"
#include "tenant.h"
#include "twparam.h"
#include "util.h"

/*
 * After a read of the database failed, no other is tried for this long:
 * meanwhile known keys are used as they are and accounts not cached are
 * unverifiable, instead of every webhook waiting on a dead database or a
 * pool with no free connection.
 */
#define TENANT_RETRY_MS 1000

/* A signature key shared by the table and the threads using it. */
struct tkey {
	atomic_int refs;
	struct twsig_key *k;
};

struct known {
	char sid[35]; /* "": free */
	struct tkey *key;
	uint64_t loaded_ms; /* when it was read */
	uint64_t used_ms; /* for least-recently-used eviction */
};

struct unknown {
	char sid[35]; /* "": free */
	uint64_t expires_ms;
};

enum result {
	R_HIT,
	R_STALE,
	R_MISS,
	R_UNKNOWN,
	R_NEGATIVE,
	R_REFUSED,
	R_UNAVAILABLE,
	R_RELOAD,
	R_COUNT
};

/* What a read of the database found. */
enum read {
	READ_FOUND,
	READ_NOTFOUND,
	READ_FAILED,
};

/* What the module keeps of the configuration, copied at tenant_init. */
static struct {
	char primary_sid[35]; /* "" when TWILIO_ACCOUNT_SID is unset */
	uint8_t secret_key[SECRET_KEY_LEN]; /* opens stored tokens */
	uint64_t ttl_ms;
	uint64_t burst; /* look-ups, in thousandths */
	uint64_t per_s;
} keep;
static struct twsig_key *primary_key;

/* The cache; every field under lock. */
static struct {
	pthread_mutex_t lock;
	struct known known[TENANT_KNOWN_SLOTS];
	struct unknown unknown[TENANT_UNKNOWN_SLOTS];
	uint64_t tokens; /* look-ups left in the bucket, in thousandths */
	uint64_t refilled_ms;
	uint64_t down_until_ms; /* no read of the database before */
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static atomic_ullong counts[R_COUNT];
static struct log_throttle refused_log, stale_log;

/* Each thread's reference to the last key it was given. */
static pthread_key_t held_key;
static int held_key_made;

static struct tkey *
tkey_ref(struct tkey *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

static void
tkey_unref(struct tkey *t)
{
	if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1) {
		twsig_key_free(t->k);
		free(t);
	}
}

static void
held_drop(void *p)
{
	tkey_unref(p);
}

/* Make t (a reference the caller gives away, or NULL) the thread's key. */
static void
hold(struct tkey *t)
{
	struct tkey *old;

	if (!held_key_made) {
		tkey_unref(t);
		return;
	}
	old = pthread_getspecific(held_key);
	pthread_setspecific(held_key, t);
	tkey_unref(old);
}

static void
count(enum result r)
{
	atomic_fetch_add(&counts[r], 1);
}

int
tenant_init(const struct config *cfg)
{
	uint64_t now = util_now_ms();

	memcpy(keep.secret_key, cfg->secret_key, sizeof(keep.secret_key));
	if (cfg->twilio_account_sid != NULL)
		snprintf(keep.primary_sid, sizeof(keep.primary_sid), "%s",
		    cfg->twilio_account_sid);
	keep.ttl_ms = 1000 * (uint64_t)cfg->tenant_cache_s;
	keep.burst = 1000 * (uint64_t)cfg->tenant_lookup_burst;
	keep.per_s = (uint64_t)cfg->tenant_lookup_per_s;
	pthread_mutex_lock(&cache.lock);
	cache.tokens = keep.burst;
	cache.refilled_ms = now;
	cache.down_until_ms = 0;
	pthread_mutex_unlock(&cache.lock);
	if (pthread_key_create(&held_key, held_drop) != 0)
		return -1;
	held_key_made = 1;
	if (cfg->twilio_account_sid != NULL) {
		primary_key = twsig_key_new(cfg->twilio_auth_token);
		if (primary_key == NULL)
			return -1;
	}
	return 0;
}

void
tenant_cleanup(void)
{
	twsig_key_free(primary_key);
	primary_key = NULL;
	if (held_key_made) {
		/* The calling thread's own reference has no destructor run. */
		hold(NULL);
		pthread_key_delete(held_key);
		held_key_made = 0;
	}
	pthread_mutex_lock(&cache.lock);
	for (int i = 0; i < TENANT_KNOWN_SLOTS; i++)
		tkey_unref(cache.known[i].key);
	memset(cache.known, 0, sizeof(cache.known));
	memset(cache.unknown, 0, sizeof(cache.unknown));
	pthread_mutex_unlock(&cache.lock);
	OPENSSL_cleanse(&keep, sizeof(keep));
}

/* ---- the tables (cache.lock held) ---- */

static struct known *
known_find(const char *sid)
{
	for (int i = 0; i < TENANT_KNOWN_SLOTS; i++)
		if (strcmp(cache.known[i].sid, sid) == 0)
			return &cache.known[i];
	return NULL;
}

/* Keep t (the table takes its own reference) as sid's key. */
static void
known_put(const char *sid, struct tkey *t, uint64_t now)
{
	struct known *slot = known_find(sid);

	for (int i = 0; slot == NULL && i < TENANT_KNOWN_SLOTS; i++)
		if (cache.known[i].sid[0] == '\0')
			slot = &cache.known[i];
	if (slot == NULL) {
		/* Full: only another known account's key is ever evicted. */
		slot = &cache.known[0];
		for (int i = 1; i < TENANT_KNOWN_SLOTS; i++)
			if (cache.known[i].used_ms < slot->used_ms)
				slot = &cache.known[i];
	}
	tkey_unref(slot->key);
	snprintf(slot->sid, sizeof(slot->sid), "%s", sid);
	slot->key = tkey_ref(t);
	slot->loaded_ms = now;
	slot->used_ms = now;
}

static void
known_drop(const char *sid)
{
	struct known *k = known_find(sid);

	if (k != NULL) {
		tkey_unref(k->key);
		memset(k, 0, sizeof(*k));
	}
}

static struct unknown *
unknown_find(const char *sid)
{
	for (int i = 0; i < TENANT_UNKNOWN_SLOTS; i++)
		if (strcmp(cache.unknown[i].sid, sid) == 0)
			return &cache.unknown[i];
	return NULL;
}

/*
 * Remember sid as unknown: in its own slot, a free or expired one, or the
 * one closest to expiry.
 */
static void
unknown_put(const char *sid, uint64_t now)
{
	struct unknown *slot = unknown_find(sid);

	for (int i = 0; slot == NULL && i < TENANT_UNKNOWN_SLOTS; i++)
		if (cache.unknown[i].expires_ms <= now)
			slot = &cache.unknown[i];
	if (slot == NULL) {
		slot = &cache.unknown[0];
		for (int i = 1; i < TENANT_UNKNOWN_SLOTS; i++)
			if (cache.unknown[i].expires_ms < slot->expires_ms)
				slot = &cache.unknown[i];
	}
	snprintf(slot->sid, sizeof(slot->sid), "%s", sid);
	slot->expires_ms = now + 1000 * (uint64_t)TENANT_NEGATIVE_TTL_S;
}

static void
unknown_drop(const char *sid)
{
	struct unknown *u = unknown_find(sid);

	if (u != NULL)
		memset(u, 0, sizeof(*u));
}

/* Take one look-up from the bucket.  1 when there was one. */
static int
take_token(uint64_t now)
{
	if (now > cache.refilled_ms) {
		cache.tokens += (now - cache.refilled_ms) * keep.per_s;
		if (cache.tokens > keep.burst)
			cache.tokens = keep.burst;
		cache.refilled_ms = now;
	}
	if (cache.tokens < 1000)
		return 0;
	cache.tokens -= 1000;
	return 1;
}

/* ---- the database ---- */

/* Read account_sid's key (no lock held).  *out: a new reference. */
static enum read
read_key(const char *account_sid, struct tkey **out)
{
	struct db_conn *conn;
	char *token = NULL;
	enum db_result res;
	struct twsig_key *k;

	*out = NULL;
	conn = db_acquire();
	if (conn == NULL)
		return READ_FAILED;
	res = store_tenant_token(conn, keep.secret_key, account_sid, &token);
	db_release(conn);
	if (res == DB_NOTFOUND)
		return READ_NOTFOUND;
	if (res != DB_OK)
		return READ_FAILED;
	k = twsig_key_new(token);
	util_free_secret(token);
	if (k == NULL)
		return READ_FAILED;
	*out = xcalloc(1, sizeof(**out));
	atomic_init(&(*out)->refs, 1);
	(*out)->k = k;
	return READ_FOUND;
}

/*
 * Record what read_key found for sid (lock held).  For READ_FOUND the
 * table takes t; for READ_FAILED *t becomes a new reference to the cached
 * key, when there is one.
 */
static void
note_read(const char *sid, enum read rd, struct tkey **t)
{
	uint64_t now = util_now_ms();
	struct known *k;

	switch (rd) {
	case READ_FOUND:
		unknown_drop(sid);
		known_put(sid, *t, now);
		break;
	case READ_NOTFOUND:
		known_drop(sid); /* removed from the tenants table */
		unknown_put(sid, now);
		break;
	case READ_FAILED:
		cache.down_until_ms = now + TENANT_RETRY_MS;
		k = known_find(sid);
		*t = k != NULL ? tkey_ref(k->key) : NULL;
		break;
	}
}

static void
log_stale(const char *sid)
{
	if (log_throttle_pass(&stale_log, NULL))
		log_kv(LOG_WARN,
		    "subaccount key past TENANT_CACHE_S used: database "
		    "unreachable",
		    "account", sid, NULL);
}

static void
log_refused(const char *sid)
{
	unsigned long long dropped;
	char num[24];

	if (log_throttle_pass(&refused_log, &dropped)) {
		snprintf(num, sizeof(num), "%llu", dropped);
		log_kv(LOG_WARN,
		    "account look-up refused: too many unknown accounts "
		    "(TENANT_LOOKUP_BURST)",
		    "account", sid, "also_refused", num, NULL);
	}
}

static int
is_primary(const char *account_sid)
{
	return primary_key != NULL &&
	    strcmp(account_sid, keep.primary_sid) == 0;
}

enum tenant_lookup
tenant_sigkey(const char *account_sid, int budgeted,
    const struct twsig_key **key)
{
	struct known *k;
	struct unknown *u;
	struct tkey *t = NULL;
	uint64_t now = util_now_ms();
	enum read rd;

	*key = NULL;
	hold(NULL);
	/* Twilio's and the tenants table's form; nothing else is looked up. */
	if (!twparam_sid(account_sid, "AC"))
		return TENANT_UNKNOWN;
	if (is_primary(account_sid)) {
		*key = primary_key;
		return TENANT_FOUND;
	}
	pthread_mutex_lock(&cache.lock);
	if ((k = known_find(account_sid)) != NULL) {
		k->used_ms = now;
		if (now - k->loaded_ms < keep.ttl_ms) {
			t = tkey_ref(k->key);
			pthread_mutex_unlock(&cache.lock);
			count(R_HIT);
			goto found;
		}
		if (now < cache.down_until_ms) {
			t = tkey_ref(k->key);
			pthread_mutex_unlock(&cache.lock);
			goto stale;
		}
		/* Expired: read again, whatever the bucket holds. */
	} else if ((u = unknown_find(account_sid)) != NULL &&
	    u->expires_ms > now) {
		pthread_mutex_unlock(&cache.lock);
		count(R_NEGATIVE);
		return TENANT_UNKNOWN;
	} else if (now < cache.down_until_ms) {
		pthread_mutex_unlock(&cache.lock);
		count(R_UNAVAILABLE);
		return TENANT_UNAVAILABLE;
	} else if (budgeted && !take_token(now)) {
		pthread_mutex_unlock(&cache.lock);
		count(R_REFUSED);
		log_refused(account_sid);
		return TENANT_REFUSED;
	}
	pthread_mutex_unlock(&cache.lock);

	rd = read_key(account_sid, &t);
	pthread_mutex_lock(&cache.lock);
	note_read(account_sid, rd, &t);
	pthread_mutex_unlock(&cache.lock);
	switch (rd) {
	case READ_FOUND:
		count(R_MISS);
		goto found;
	case READ_NOTFOUND:
		count(R_UNKNOWN);
		return TENANT_UNKNOWN;
	case READ_FAILED:
		if (t != NULL)
			goto stale;
		count(R_UNAVAILABLE);
		return TENANT_UNAVAILABLE;
	}
stale:
	/* Better a key past its time than refusing Twilio in an outage. */
	count(R_STALE);
	log_stale(account_sid);
found:
	hold(t);
	*key = t->k;
	return TENANT_FOUND;
}

enum tenant_lookup
tenant_sigkey_reload(const char *account_sid, const struct twsig_key **key)
{
	struct known *k;
	struct tkey *t = NULL;
	uint64_t now = util_now_ms();
	enum read rd;

	*key = NULL;
	hold(NULL);
	if (!twparam_sid(account_sid, "AC") || is_primary(account_sid))
		return TENANT_UNKNOWN;
	pthread_mutex_lock(&cache.lock);
	k = known_find(account_sid);
	if (k == NULL ||
	    now - k->loaded_ms < 1000 * (uint64_t)TENANT_RELOAD_MIN_S) {
		pthread_mutex_unlock(&cache.lock);
		return TENANT_UNKNOWN;
	}
	if (now < cache.down_until_ms) {
		pthread_mutex_unlock(&cache.lock);
		return TENANT_UNAVAILABLE;
	}
	pthread_mutex_unlock(&cache.lock);

	count(R_RELOAD);
	rd = read_key(account_sid, &t);
	pthread_mutex_lock(&cache.lock);
	note_read(account_sid, rd, &t);
	pthread_mutex_unlock(&cache.lock);
	switch (rd) {
	case READ_FOUND:
		hold(t);
		*key = t->k;
		return TENANT_FOUND;
	case READ_NOTFOUND:
		return TENANT_UNKNOWN;
	case READ_FAILED:
		tkey_unref(t); /* the cached key already failed the check */
		break;
	}
	return TENANT_UNAVAILABLE;
}

void
tenant_stats(struct tenant_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->hit = atomic_load(&counts[R_HIT]);
	out->stale = atomic_load(&counts[R_STALE]);
	out->miss = atomic_load(&counts[R_MISS]);
	out->unknown = atomic_load(&counts[R_UNKNOWN]);
	out->negative = atomic_load(&counts[R_NEGATIVE]);
	out->refused = atomic_load(&counts[R_REFUSED]);
	out->unavailable = atomic_load(&counts[R_UNAVAILABLE]);
	out->reload = atomic_load(&counts[R_RELOAD]);
	pthread_mutex_lock(&cache.lock);
	for (int i = 0; i < TENANT_KNOWN_SLOTS; i++)
		out->known += cache.known[i].sid[0] != '\0';
	pthread_mutex_unlock(&cache.lock);
}
