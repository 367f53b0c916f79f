#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "session_cache.h"

/* A session of user id ending in 2099 (never expired). */
static void
fill(struct auth_user *u, long long id)
{
	memset(u, 0, sizeof(*u));
	u->id = id;
	u->tenant_id = 3;
	u->session_id = 100 + id;
	u->role = AUTH_ROLE_SUPERVISOR;
	snprintf(u->account_sid, sizeof(u->account_sid), "AC%032d", 1);
	snprintf(u->expires_at, sizeof(u->expires_at), "2099-01-01T00:00:00Z");
	u->identity = "ana";
	u->email = "ana@example.com";
	u->name = "Ana";
	u->status = "available";
	u->tenant_name = "Acme";
}

static void
key(char out[AUTH_HASH_HEX_LEN + 1], int n)
{
	char tok[16];

	snprintf(tok, sizeof(tok), "token-%d", n);
	auth_token_hash(tok, out);
}

static const char csrf[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void
test_hit_invalidate_flush(void **state)
{
	char k[AUTH_HASH_HEX_LEN + 1], c[AUTH_HASH_HEX_LEN + 1];
	struct auth_user u, *got;

	(void)state;
	assert_int_equal(session_cache_init(60), 0);
	key(k, 1);
	fill(&u, 7);
	/* not healthy yet: nothing kept, nothing served */
	session_cache_put(k, &u, csrf, session_cache_gen());
	session_cache_set_healthy(1);
	assert_int_equal(session_cache_get(k, &got, c), 0);
	session_cache_put(k, &u, csrf, session_cache_gen());
	assert_int_equal(session_cache_get(k, &got, c), 1);
	assert_int_equal(got->id, 7);
	assert_int_equal(got->session_id, 107);
	assert_int_equal(got->role, AUTH_ROLE_SUPERVISOR);
	assert_string_equal(got->email, "ana@example.com");
	assert_string_equal(got->tenant_name, "Acme");
	assert_string_equal(c, csrf);
	auth_user_free(got);

	/* another user's notification keeps it; its own drops it */
	session_cache_notify("8");
	assert_int_equal(session_cache_get(k, &got, c), 1);
	auth_user_free(got);
	session_cache_notify("7");
	assert_int_equal(session_cache_get(k, &got, c), 0);

	/* "*" (or anything that is not an id) drops all */
	session_cache_put(k, &u, csrf, session_cache_gen());
	session_cache_notify("*");
	assert_int_equal(session_cache_get(k, &got, c), 0);

	/* a fill that raced an invalidation is not kept */
	{
		uint64_t g = session_cache_gen();

		session_cache_invalidate(9);
		session_cache_put(k, &u, csrf, g);
		assert_int_equal(session_cache_get(k, &got, c), 0);
	}

	/* the channel going down drops everything and stops serving */
	session_cache_put(k, &u, csrf, session_cache_gen());
	session_cache_set_healthy(0);
	assert_int_equal(session_cache_get(k, &got, c), 0);
	session_cache_set_healthy(1);
	assert_int_equal(session_cache_get(k, &got, c), 0);
	session_cache_cleanup();
}

static void
test_expired_long_and_disabled(void **state)
{
	char k[AUTH_HASH_HEX_LEN + 1], c[AUTH_HASH_HEX_LEN + 1];
	char longname[400];
	struct auth_user u, *got;

	(void)state;
	assert_int_equal(session_cache_init(60), 0);
	session_cache_set_healthy(1);
	key(k, 2);
	fill(&u, 7);
	snprintf(u.expires_at, sizeof(u.expires_at), "2001-01-01T00:00:00Z");
	session_cache_put(k, &u, csrf, session_cache_gen());
	assert_int_equal(session_cache_get(k, &got, c), 0);

	fill(&u, 7);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	u.name = longname; /* does not fit an entry: not cached */
	session_cache_put(k, &u, csrf, session_cache_gen());
	assert_int_equal(session_cache_get(k, &got, c), 0);
	session_cache_cleanup();

	/* 0: off, even when healthy */
	assert_int_equal(session_cache_init(0), 0);
	session_cache_set_healthy(1);
	fill(&u, 7);
	session_cache_put(k, &u, csrf, session_cache_gen());
	assert_int_equal(session_cache_get(k, &got, c), 0);
	session_cache_cleanup();
}

static void
test_bounded(void **state)
{
	char k[AUTH_HASH_HEX_LEN + 1], c[AUTH_HASH_HEX_LEN + 1];
	struct auth_user u, *got;
	int n = 0;

	(void)state;
	assert_int_equal(session_cache_init(60), 0);
	session_cache_set_healthy(1);
	fill(&u, 7);
	for (int i = 0; i < 3 * SESSION_CACHE_MAX; i++) {
		key(k, i);
		session_cache_put(k, &u, csrf, session_cache_gen());
	}
	for (int i = 0; i < 3 * SESSION_CACHE_MAX; i++) {
		key(k, i);
		if (session_cache_get(k, &got, c) == 1) {
			n++;
			auth_user_free(got);
		}
	}
	assert_true(n <= SESSION_CACHE_MAX);
	assert_true(n > SESSION_CACHE_MAX / 2);
	/* the newest is always there */
	key(k, 3 * SESSION_CACHE_MAX - 1);
	assert_int_equal(session_cache_get(k, &got, c), 1);
	auth_user_free(got);
	session_cache_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_invalidate_flush),
		cmocka_unit_test(test_expired_long_and_disabled),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
