/*
 * Signature keys per Twilio account, with a per-thread cache.
 * See include/auth/tenant.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db.h"
#include "log.h"
#include "store_tenant.h"
#include "tenant.h"
#include "util.h"

#define CACHE_SLOTS 16

struct cache_entry {
	char sid[35];
	struct twsig_key *key; /* NULL: known unknown */
	uint64_t loaded_ms;
	uint64_t expires_ms;
};

struct cache {
	struct cache_entry e[CACHE_SLOTS];
	unsigned next; /* round-robin eviction */
};

/* What the module keeps of the configuration, copied at tenant_init. */
static struct {
	char primary_sid[35]; /* "" when TWILIO_ACCOUNT_SID is unset */
	uint8_t secret_key[SECRET_KEY_LEN]; /* opens stored tokens */
} keep;
static struct twsig_key *primary_key;
static pthread_key_t cache_key;
static int cache_key_made;

static void
cache_free(void *p)
{
	struct cache *c = p;

	for (int i = 0; i < CACHE_SLOTS; i++)
		twsig_key_free(c->e[i].key);
	free(c);
}

int
tenant_init(const struct config *cfg)
{
	memcpy(keep.secret_key, cfg->secret_key, sizeof(keep.secret_key));
	if (cfg->twilio_account_sid != NULL)
		snprintf(keep.primary_sid, sizeof(keep.primary_sid), "%s",
		    cfg->twilio_account_sid);
	if (pthread_key_create(&cache_key, cache_free) != 0)
		return -1;
	cache_key_made = 1;
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
	struct cache *c;

	twsig_key_free(primary_key);
	primary_key = NULL;
	OPENSSL_cleanse(&keep, sizeof(keep));
	if (cache_key_made) {
		/* The calling thread's own cache has no destructor run. */
		c = pthread_getspecific(cache_key);
		if (c != NULL)
			cache_free(c);
		pthread_setspecific(cache_key, NULL);
		pthread_key_delete(cache_key);
		cache_key_made = 0;
	}
}

static struct cache *
cache_get(void)
{
	struct cache *c = pthread_getspecific(cache_key);

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		pthread_setspecific(cache_key, c);
	}
	return c;
}

static struct cache_entry *
cache_find(struct cache *c, const char *account_sid)
{
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (strcmp(c->e[i].sid, account_sid) == 0)
			return &c->e[i];
	return NULL;
}

/*
 * Read account_sid's key from the database into the cache (hit, or a slot
 * taken round-robin).  -1 when the database could not answer.
 */
static int
cache_load(struct cache *c, struct cache_entry *hit, const char *account_sid,
    uint64_t now)
{
	struct cache_entry *slot;
	struct db_conn *conn;
	char *token = NULL;
	enum db_result res;

	conn = db_acquire();
	if (conn == NULL)
		return -1;
	res = store_tenant_token(conn, keep.secret_key, account_sid, &token);
	db_release(conn);
	if (res != DB_OK && res != DB_NOTFOUND)
		return -1;
	slot = hit ? hit : &c->e[c->next++ % CACHE_SLOTS];
	twsig_key_free(slot->key);
	slot->key = token ? twsig_key_new(token) : NULL;
	util_free_secret(token);
	memcpy(slot->sid, account_sid, 35);
	slot->loaded_ms = now;
	slot->expires_ms = now +
	    1000 *
		(uint64_t)(slot->key ? TENANT_CACHE_TTL_S
				     : TENANT_NEGATIVE_TTL_S);
	return (int)(slot - c->e);
}

static int
is_primary(const char *account_sid)
{
	return primary_key != NULL &&
	    strcmp(account_sid, keep.primary_sid) == 0;
}

enum tenant_lookup
tenant_sigkey(const char *account_sid, const struct twsig_key **key)
{
	struct cache *c;
	struct cache_entry *hit;
	uint64_t now = util_now_ms();
	int i;

	*key = NULL;
	if (account_sid == NULL || strlen(account_sid) != 34)
		return TENANT_UNKNOWN;
	if (is_primary(account_sid)) {
		*key = primary_key;
		return TENANT_FOUND;
	}
	c = cache_get();
	hit = cache_find(c, account_sid);
	if (hit != NULL && hit->expires_ms > now) {
		*key = hit->key;
		return hit->key ? TENANT_FOUND : TENANT_UNKNOWN;
	}
	i = cache_load(c, hit, account_sid, now);
	if (i < 0) {
		/* Better an expired key than refusing Twilio in an outage. */
		if (hit != NULL && hit->key != NULL) {
			*key = hit->key;
			return TENANT_FOUND;
		}
		return TENANT_UNAVAILABLE;
	}
	*key = c->e[i].key;
	return *key ? TENANT_FOUND : TENANT_UNKNOWN;
}

enum tenant_lookup
tenant_sigkey_reload(const char *account_sid, const struct twsig_key **key)
{
	struct cache *c;
	struct cache_entry *hit;
	uint64_t now = util_now_ms();
	int i;

	*key = NULL;
	if (account_sid == NULL || is_primary(account_sid))
		return TENANT_UNKNOWN;
	c = cache_get();
	hit = cache_find(c, account_sid);
	if (hit == NULL ||
	    now - hit->loaded_ms < 1000 * (uint64_t)TENANT_RELOAD_MIN_S)
		return TENANT_UNKNOWN;
	i = cache_load(c, hit, account_sid, now);
	if (i < 0)
		return TENANT_UNAVAILABLE;
	*key = c->e[i].key;
	return *key ? TENANT_FOUND : TENANT_UNKNOWN;
}
