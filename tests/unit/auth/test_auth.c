/*
 * auth: the scrypt hash format, verification, parameter parsing, tokens,
 * the constant-time token check, cookies and X-Forwarded-For.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"

/* A small cost keeps the tests quick; the format is the same. */
static const struct auth_kdf cheap = { 1024, 8, 1 };

static void
test_round_trip(void **state)
{
	char h[AUTH_STORED_MAX], h2[AUTH_STORED_MAX];
	struct auth_kdf k;

	(void)state;
	assert_int_equal(auth_password_hash_with(&cheap, "correct horse", h,
			     sizeof(h)),
	    0);
	assert_true(strncmp(h, "scrypt$1024$8$1$", 16) == 0);
	assert_null(strstr(h, "correct horse"));
	assert_int_equal(auth_password_verify("correct horse", h), 1);
	assert_int_equal(auth_password_params(h, &k), 0);
	assert_true(k.n == 1024 && k.r == 8 && k.p == 1);

	/* A fresh salt each time: equal passwords, different hashes. */
	assert_int_equal(auth_password_hash_with(&cheap, "correct horse", h2,
			     sizeof(h2)),
	    0);
	assert_string_not_equal(h, h2);
	assert_int_equal(auth_password_verify("correct horse", h2), 1);
	/* Too small an output buffer is an error, not a cut hash. */
	assert_int_equal(auth_password_hash_with(&cheap, "x", h, 20), -1);
}

static void
test_default_cost(void **state)
{
	char h[AUTH_STORED_MAX];
	struct auth_kdf k;

	(void)state;
	assert_int_equal(auth_password_hash("s3cret-pass", h, sizeof(h)), 0);
	assert_int_equal(auth_password_params(h, &k), 0);
	assert_true(k.n == AUTH_SCRYPT_N && k.r == AUTH_SCRYPT_R &&
	    k.p == AUTH_SCRYPT_P);
	assert_int_equal(auth_password_verify("s3cret-pass", h), 1);
	assert_int_equal(auth_password_verify("s3cret-pasS", h), 0);
	auth_password_dummy("anything"); /* runs, and fails quietly */
}

static void
test_wrong_password(void **state)
{
	char h[AUTH_STORED_MAX];

	(void)state;
	assert_int_equal(auth_password_hash_with(&cheap, "hunter22", h,
			     sizeof(h)),
	    0);
	assert_int_equal(auth_password_verify("hunter23", h), 0);
	assert_int_equal(auth_password_verify("hunter2", h), 0);
	assert_int_equal(auth_password_verify("hunter222", h), 0);
	assert_int_equal(auth_password_verify("", h), 0);
	assert_int_equal(auth_password_verify(NULL, h), 0);
	assert_int_equal(auth_password_verify("hunter22", NULL), 0);
}

/*
 * RFC 7914's vector 2, scrypt("password", "NaCl", N=1024, r=8, p=16, 64
 * bytes) = fdbabe1c9d3472007856e7190d01e9fe...: right, but its 4-byte salt
 * is below the 8 bytes this module reads, so it is refused as malformed.
 */
static void
test_rfc7914_short_salt(void **state)
{
	static const char stored[] =
	    "scrypt$1024$8$16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3"
	    "MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA";
	struct auth_kdf k;

	(void)state;
	assert_int_equal(auth_password_params(stored, &k), -1);
	assert_int_equal(auth_password_verify("password", stored), 0);
}

static void
test_rfc7914_long_salt(void **state)
{
	char stored[AUTH_STORED_MAX];
	struct auth_kdf k;

	(void)state;
	/*
	 * RFC 7914 vector 3: scrypt("pleaseletmein", "SodiumChloride",
	 * N=16384, r=8, p=1, 64) = 7023bdcb3afd7348461c06cd81fd38eb
	 * fda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9
	 * e61e85dc0d651e40dfcf017b45575887.
	 */
	snprintf(stored, sizeof(stored), "%s",
	    "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU$"
	    "cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr5"
	    "5h6F3A1lHkDfzwF7RVdYhw");
	assert_int_equal(auth_password_params(stored, &k), 0);
	assert_true(k.n == 16384 && k.r == 8 && k.p == 1);
	assert_int_equal(auth_password_verify("pleaseletmein", stored), 1);
	assert_int_equal(auth_password_verify("pleaseletmeout", stored), 0);
}

static void
test_params_parsing(void **state)
{
	static const char *const bad[] = {
		"",
		"scrypt",
		"bcrypt$1024$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		/* N not a power of two, zero, too big */
		"scrypt$1000$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$0$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$2097152$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		/* r, p out of bounds; memory above 256 MiB */
		"scrypt$1024$0$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$1024$33$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$1024$8$0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$1024$8$17$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$1048576$32$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		/* signs, leading zeros, junk, missing and extra fields */
		"scrypt$-1024$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$01024$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$1024x$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$1024$8$1$c2FsdHNhbHQ",
		"scrypt$1024$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA$",
		"scrypt$1024$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA$x",
		"scrypt$$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		/* salt under 8 bytes, hash under 16, bad base64 */
		"scrypt$1024$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$1024$8$1$c2FsdHNhbHQ$aGFzaA",
		"scrypt$1024$8$1$c2Fsd*NhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"scrypt$1024$8$1$$aGFzaGhhc2hoYXNoaGFzaA",
	};
	struct auth_kdf k;

	(void)state;
	assert_int_equal(
	    auth_password_params(
		"scrypt$1024$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", &k),
	    0);
	assert_true(k.n == 1024 && k.r == 8 && k.p == 1);
	assert_int_equal(
	    auth_password_params(
		"scrypt$1048576$2$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", &k),
	    0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (auth_password_params(bad[i], &k) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_int_equal(auth_password_verify("x", bad[i]), 0);
	}
	assert_int_equal(auth_password_params(NULL, &k), -1);
}

static void
test_acceptable(void **state)
{
	char big[AUTH_PASSWORD_MAX + 2];

	(void)state;
	assert_int_equal(auth_password_acceptable("1234567"), -1);
	assert_int_equal(auth_password_acceptable("12345678"), 0);
	assert_int_equal(auth_password_acceptable(NULL), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_password_acceptable(big), -1);
	big[AUTH_PASSWORD_MAX] = '\0';
	assert_int_equal(auth_password_acceptable(big), 0);
}

static void
test_tokens(void **state)
{
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
	char ha[AUTH_HASH_HEX_LEN + 1], hb[AUTH_HASH_HEX_LEN + 1];

	(void)state;
	assert_int_equal(auth_token_new(a), 0);
	assert_int_equal(auth_token_new(b), 0);
	assert_int_equal(strlen(a), AUTH_TOKEN_LEN);
	assert_true(auth_token_valid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a,
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
			     "vwxyz0123456789-_"),
	    AUTH_TOKEN_LEN);
	auth_token_hash(a, ha);
	auth_token_hash(b, hb);
	assert_int_equal(strlen(ha), 64);
	assert_string_not_equal(ha, hb);
	/* SHA-256("abc") */
	auth_token_hash("abc", ha);
	assert_string_equal(ha,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	assert_false(auth_token_valid(NULL));
	assert_false(auth_token_valid(""));
	assert_false(auth_token_valid("abc"));
	b[5] = '+';
	assert_false(auth_token_valid(b));
}

/* The constant-time check answers right; its timing is CRYPTO_memcmp's. */
static void
test_token_matches(void **state)
{
	char t[AUTH_TOKEN_LEN + 1], other[AUTH_TOKEN_LEN + 1];
	char h[AUTH_HASH_HEX_LEN + 1];

	(void)state;
	assert_int_equal(auth_token_new(t), 0);
	assert_int_equal(auth_token_new(other), 0);
	auth_token_hash(t, h);
	assert_int_equal(auth_token_matches(t, h), 1);
	assert_int_equal(auth_token_matches(other, h), 0);
	assert_int_equal(auth_token_matches(NULL, h), 0);
	assert_int_equal(auth_token_matches(t, NULL), 0);
	assert_int_equal(auth_token_matches("", h), 0);
	assert_int_equal(auth_token_matches(t, ""), 0);
	/* the hash itself is no token, nor is a hash cut short */
	assert_int_equal(auth_token_matches(h, h), 0);
	h[63] = '\0';
	assert_int_equal(auth_token_matches(t, h), 0);
}

static void
test_cookies(void **state)
{
	char v[64], line[256];

	(void)state;
	assert_string_equal(auth_cookie_get("ramal_session=abc",
				"ramal_session", v, sizeof(v)),
	    "abc");
	assert_string_equal(auth_cookie_get("a=1; ramal_session=xyz ; b=2",
				"ramal_session", v, sizeof(v)),
	    "xyz");
	assert_string_equal(auth_cookie_get("x_ramal_session=no; "
					    "ramal_session=\"q\"",
				"ramal_session", v, sizeof(v)),
	    "q");
	assert_null(
	    auth_cookie_get("ramal_csrf=1", "ramal_session", v, sizeof(v)));
	assert_null(
	    auth_cookie_get("ramal_session", "ramal_session", v, sizeof(v)));
	assert_null(
	    auth_cookie_get("ramal_session=0123456789", "ramal_session", v, 5));
	assert_string_equal(auth_cookie_get("ramal_session=", "ramal_session",
				v, sizeof(v)),
	    "");

	assert_int_equal(auth_cookie_format(line, sizeof(line), "ramal_session",
			     "tok", 43200, 1, 1),
	    0);
	assert_string_equal(line,
	    "ramal_session=tok; Path=/; Max-Age=43200; HttpOnly; Secure; "
	    "SameSite=Lax");
	assert_int_equal(auth_cookie_format(line, sizeof(line), "ramal_csrf",
			     "c", 0, 0, 0),
	    0);
	assert_string_equal(line,
	    "ramal_csrf=c; Path=/; Max-Age=0; SameSite=Lax");
	assert_int_equal(auth_cookie_format(line, 10, "ramal_csrf", "c", 0, 0,
			     0),
	    -1);

	assert_int_equal(auth_cookie_secure("https://ramal.example.com"), 1);
	assert_int_equal(auth_cookie_secure("https://localhost"), 1);
	assert_int_equal(auth_cookie_secure("http://ramal.example.com"), 1);
	assert_int_equal(auth_cookie_secure("http://localhost.evil.com"), 1);
	assert_int_equal(auth_cookie_secure("http://localhost"), 0);
	assert_int_equal(auth_cookie_secure("http://localhost:8080"), 0);
	assert_int_equal(auth_cookie_secure("http://127.0.0.1:9000"), 0);
	assert_int_equal(auth_cookie_secure("http://127.0.0.10"), 1);
	assert_int_equal(auth_cookie_secure("http://[::1]:8080"), 0);
}

static void
test_roles(void **state)
{
	struct auth_user agent = { .id = 7, .role = AUTH_ROLE_AGENT };
	struct auth_user sup = { .id = 8, .role = AUTH_ROLE_SUPERVISOR };

	(void)state;
	assert_int_equal(auth_role_parse("agent"), AUTH_ROLE_AGENT);
	assert_int_equal(auth_role_parse("supervisor"), AUTH_ROLE_SUPERVISOR);
	assert_int_equal(auth_role_parse("admin"), AUTH_ROLE_ADMIN);
	assert_int_equal(auth_role_parse("Admin"), -1);
	assert_int_equal(auth_role_parse(NULL), -1);
	assert_string_equal(auth_role_name(AUTH_ROLE_SUPERVISOR), "supervisor");
	assert_int_equal(auth_may_act_for(&agent, 7), 1);
	assert_int_equal(auth_may_act_for(&agent, 8), 0);
	assert_int_equal(auth_may_act_for(&sup, 7), 1);
	assert_int_equal(auth_may_act_for(NULL, 7), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_default_cost),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_rfc7914_short_salt),
		cmocka_unit_test(test_rfc7914_long_salt),
		cmocka_unit_test(test_params_parsing),
		cmocka_unit_test(test_acceptable),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_token_matches),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
