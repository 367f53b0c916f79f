/*
 * Signature keys per Twilio account, with a per-thread cache.
 * See include/tenant.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "store.h"
#include "tenant.h"
#include "util.h"

#define CACHE_SLOTS 16

struct cache_entry {
	char sid[35];
	struct twsig_key *key; /* NULL: known unknown */
	uint64_t expires_ms;
};

struct cache {
	struct cache_entry e[CACHE_SLOTS];
	unsigned next; /* round-robin eviction */
};

static const struct config *cfg;
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
tenant_init(const struct config *config)
{
	cfg = config;
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

enum tenant_lookup
tenant_sigkey(const char *account_sid, const struct twsig_key **key)
{
	struct cache *c;
	struct cache_entry *hit = NULL, *slot;
	struct db_conn *conn;
	char *token = NULL;
	enum db_result res;
	uint64_t now = util_now_ms();

	*key = NULL;
	if (account_sid == NULL || strlen(account_sid) != 34)
		return TENANT_UNKNOWN;
	if (primary_key != NULL &&
	    strcmp(account_sid, cfg->twilio_account_sid) == 0) {
		*key = primary_key;
		return TENANT_FOUND;
	}
	c = cache_get();
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (strcmp(c->e[i].sid, account_sid) == 0) {
			hit = &c->e[i];
			break;
		}
	if (hit != NULL && hit->expires_ms > now) {
		*key = hit->key;
		return hit->key ? TENANT_FOUND : TENANT_UNKNOWN;
	}

	conn = db_acquire();
	if (conn == NULL)
		goto stale;
	res = store_tenant_token(conn, cfg->secret_key, account_sid, &token);
	db_release(conn);
	if (res != DB_OK && res != DB_NOTFOUND)
		goto stale;

	slot = hit ? hit : &c->e[c->next++ % CACHE_SLOTS];
	twsig_key_free(slot->key);
	slot->key = token ? twsig_key_new(token) : NULL;
	util_free_secret(token);
	memcpy(slot->sid, account_sid, 35);
	slot->expires_ms = now + 1000 * (uint64_t)(slot->key
		    ? TENANT_CACHE_TTL_S : TENANT_NEGATIVE_TTL_S);
	*key = slot->key;
	return slot->key ? TENANT_FOUND : TENANT_UNKNOWN;

stale:
	/* Better an expired key than refusing Twilio during an outage. */
	if (hit != NULL && hit->key != NULL) {
		*key = hit->key;
		return TENANT_FOUND;
	}
	return TENANT_UNAVAILABLE;
}
