#ifndef RAMAL_SESSION_CACHE_H
#define RAMAL_SESSION_CACHE_H

#include <stdint.h>

#include "auth.h"

/*
 * In-process cache of session look-ups (auth_session_get), so that most
 * authenticated requests do not query PostgreSQL.
 *
 * Keyed by the SHA-256 of the session token (what the database stores);
 * SESSION_CACHE_MAX entries in sets of SESSION_CACHE_WAYS, least recently
 * used evicted within a set: fixed memory, allocated once.  One mutex.
 *
 * An entry is served only while all hold:
 *  - the session has not expired (its expires_at);
 *  - it was read from the database less than SESSION_CACHE_S seconds ago;
 *  - the invalidation channel is healthy: the events hub (src/api/events.c)
 *    holds a connection LISTENing on SESSION_CACHE_CHANNEL and has said
 *    so with session_cache_set_healthy(1).
 * Triggers (sql/010_session_notify.sql) NOTIFY that channel with a user id
 * when one of the user's sessions is revoked or deleted, or the user's
 * disabled / role / tenant / identity / email / name / status changes,
 * and with "*" when a tenant changes; the hub hands each payload to
 * session_cache_notify().  A process whose hub is not running (`ramal
 * worker`, the CLI) never marks the cache healthy and so never uses it.
 *
 * A fill races an invalidation that lands while the database is being
 * read: every invalidation bumps a generation counter, and
 * session_cache_put() drops a fill whose generation (taken before the
 * query) is no longer current.
 */
#define SESSION_CACHE_CHANNEL "ramal_sessions"
#define SESSION_CACHE_MAX 4096
#define SESSION_CACHE_WAYS 8

/* Set up the cache; ttl_s 0 disables it.  0 / -1. */
int session_cache_init(int ttl_s);

/* Free it (tests; the end of serve). */
void session_cache_cleanup(void);

/*
 * The invalidation channel is up (1: listening, entries may be served) or
 * down (0).  Either way every entry is dropped: what was cached before a
 * reconnect may have missed notifications.
 */
void session_cache_set_healthy(int healthy);

/* Drop the entries of user_id. */
void session_cache_invalidate(long long user_id);

/* Drop every entry. */
void session_cache_flush(void);

/*
 * A NOTIFY payload of SESSION_CACHE_CHANNEL: a decimal user id drops that
 * user's entries; anything else ("*" included) drops all.
 */
void session_cache_notify(const char *payload);

/*
 * The user id a SESSION_CACHE_CHANNEL payload names, or 0 when it names
 * every user ("*", or anything not a user id).
 */
long long session_cache_payload_user(const char *payload);

/*
 * Subscribe to the notification hub (core/hub.h), before hub_start:
 * healthy while the hub listens, invalidated by SESSION_CACHE_CHANNEL.
 * 0 / -1.
 */
int session_cache_listen(void);

/*
 * The generation to pass to session_cache_put(); take it before reading
 * the session from the database.
 */
uint64_t session_cache_gen(void);

/*
 * Look token_hash up.  1 with *out (a new auth_user, via_cookie 0) and
 * csrf_hash set; 0 when there is nothing usable (also: disabled, channel
 * down, stale).
 */
int session_cache_get(const char *token_hash, struct auth_user **out,
    char csrf_hash[AUTH_HASH_HEX_LEN + 1]);

/*
 * Remember what the database said for token_hash, unless the cache is off
 * or unhealthy, gen is not current, or a string does not fit an entry.
 */
void session_cache_put(const char *token_hash, const struct auth_user *u,
    const char *csrf_hash, uint64_t gen);

struct session_cache_stats {
	uint64_t hits;
	uint64_t misses; /* looked up, nothing usable */
	uint64_t bypassed; /* not looked up: disabled or channel down */
	uint64_t invalidations; /* notifications and local drops */
	int healthy;
	int enabled;
};

void session_cache_stats(struct session_cache_stats *st);

#endif
