#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "secret.h"
#include "util.h"

#define KEY_HEX \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
/* base64 of the same 32 bytes */
#define KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

#define TOKEN "0123456789abcdef0123456789abcdef"
#define AAD "AC00000000000000000000000000000001"

static void
test_key(uint8_t key[SECRET_KEY_LEN])
{
	size_t i;

	for (i = 0; i < SECRET_KEY_LEN; i++)
		key[i] = (uint8_t)i;
}

static void
test_key_parse(void **state)
{
	uint8_t key[SECRET_KEY_LEN], want[SECRET_KEY_LEN];
	uint8_t untouched[SECRET_KEY_LEN];

	(void)state;
	test_key(want);
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(secret_key_parse(KEY_HEX, key), 0);
	assert_memory_equal(key, want, SECRET_KEY_LEN);

	memset(key, 0xaa, sizeof(key));
	assert_int_equal(
	    secret_key_parse(
		"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
		key),
	    0);
	assert_memory_equal(key, want, SECRET_KEY_LEN);

	memset(key, 0xaa, sizeof(key));
	assert_int_equal(secret_key_parse(KEY_B64, key), 0);
	assert_memory_equal(key, want, SECRET_KEY_LEN);
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(
	    secret_key_parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		key),
	    0);
	assert_memory_equal(key, want, SECRET_KEY_LEN);

	/* Bad: lengths, digits, padding; the key stays as it was. */
	memset(key, 0xaa, sizeof(key));
	memset(untouched, 0xaa, sizeof(untouched));
	assert_int_equal(secret_key_parse("", key), -1);
	assert_int_equal(secret_key_parse(NULL, key), -1);
	assert_int_equal(
	    secret_key_parse(
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
		key),
	    -1); /* 31 bytes of hex */
	assert_int_equal(
	    secret_key_parse(
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"20",
		key),
	    -1); /* 33 bytes */
	assert_int_equal(
	    secret_key_parse(
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",
		key),
	    -1);
	assert_int_equal(
	    secret_key_parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
		key),
	    -1);
	assert_int_equal(
	    secret_key_parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==",
		key),
	    -1);
	assert_int_equal(secret_key_parse(KEY_B64 "\n", key), -1);
	assert_int_equal(secret_key_parse(" " KEY_HEX, key), -1);
	assert_memory_equal(key, untouched, SECRET_KEY_LEN);
}

static void
test_round_trip(void **state)
{
	uint8_t key[SECRET_KEY_LEN];
	char *sealed, *sealed2, *plain;
	uint8_t raw[256];
	long n;

	(void)state;
	test_key(key);
	sealed = secret_seal(key, TOKEN, AAD);
	assert_non_null(sealed);
	assert_int_equal(strncmp(sealed, "v1:", 3), 0);
	assert_null(strstr(sealed, TOKEN));
	n = util_b64_decode(sealed + 3, strlen(sealed + 3), raw, sizeof(raw));
	assert_int_equal(n, 12 + strlen(TOKEN) + 16);

	plain = secret_open(key, sealed, AAD);
	assert_non_null(plain);
	assert_string_equal(plain, TOKEN);
	util_free_secret(plain);

	/* A fresh nonce each time. */
	sealed2 = secret_seal(key, TOKEN, AAD);
	assert_non_null(sealed2);
	assert_string_not_equal(sealed, sealed2);
	plain = secret_open(key, sealed2, AAD);
	assert_string_equal(plain, TOKEN);
	util_free_secret(plain);
	free(sealed2);
	free(sealed);

	/* Empty plaintext, non-ASCII plaintext, NULL aad = "". */
	sealed = secret_seal(key, "", NULL);
	assert_non_null(sealed);
	plain = secret_open(key, sealed, "");
	assert_string_equal(plain, "");
	util_free_secret(plain);
	free(sealed);

	sealed = secret_seal(key, "S\xc3\xa3o Paulo", "x");
	plain = secret_open(key, sealed, "x");
	assert_string_equal(plain, "S\xc3\xa3o Paulo");
	util_free_secret(plain);
	free(sealed);
}

static void
test_wrong_key_or_aad(void **state)
{
	uint8_t key[SECRET_KEY_LEN], other[SECRET_KEY_LEN];
	char *sealed;

	(void)state;
	test_key(key);
	memcpy(other, key, sizeof(other));
	other[31] ^= 1;
	sealed = secret_seal(key, TOKEN, AAD);
	assert_non_null(sealed);
	assert_null(secret_open(other, sealed, AAD));
	assert_null(
	    secret_open(key, sealed, "AC00000000000000000000000000000002"));
	assert_null(secret_open(key, sealed, ""));
	assert_null(secret_open(key, sealed, NULL));
	free(sealed);
}

/* Re-encode sealed with one bit of raw byte i flipped. */
static char *
flip(const char *sealed, size_t i)
{
	uint8_t raw[256];
	struct buf b;
	long n;

	n = util_b64_decode(sealed + 3, strlen(sealed + 3), raw, sizeof(raw));
	assert_true(n > 0 && (size_t)n > i);
	raw[i] ^= 0x01;
	buf_init(&b, 1024);
	assert_int_equal(buf_addstr(&b, "v1:"), 0);
	assert_int_equal(util_b64_encode(&b, raw, (size_t)n), 0);
	return buf_take(&b, NULL);
}

static void
test_tampered(void **state)
{
	uint8_t key[SECRET_KEY_LEN];
	char *sealed, *bad;
	size_t i, rawlen = 12 + strlen(TOKEN) + 16;

	(void)state;
	test_key(key);
	sealed = secret_seal(key, TOKEN, AAD);
	assert_non_null(sealed);
	/* Every byte: nonce, ciphertext and tag. */
	for (i = 0; i < rawlen; i++) {
		bad = flip(sealed, i);
		if (secret_open(key, bad, AAD) != NULL)
			fail_msg("opened with byte %zu flipped", i);
		free(bad);
	}
	free(sealed);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"v1:",
		"v1",
		"v2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"V1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1:"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 27 bytes */
		"v1:"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 28 bytes */
		"v1:!!!!",
		"v1:AAAA AAAA",
		"v1:A",
	};
	uint8_t key[SECRET_KEY_LEN];
	char *sealed, *cut;
	size_t i;

	(void)state;
	test_key(key);
	assert_null(secret_open(key, NULL, AAD));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (secret_open(key, bad[i], AAD) != NULL)
			fail_msg("opened '%s'", bad[i]);

	/* Truncated or extended versions of a good value. */
	sealed = secret_seal(key, TOKEN, AAD);
	assert_non_null(sealed);
	cut = strdup(sealed);
	assert_non_null(cut);
	cut[strlen(cut) - 4] = '\0';
	assert_null(secret_open(key, cut, AAD));
	free(cut);
	cut = malloc(strlen(sealed) + 5);
	assert_non_null(cut);
	strcpy(cut, sealed);
	strcat(cut, "AAAA");
	assert_null(secret_open(key, cut, AAD));
	free(cut);
	free(sealed);

	assert_null(secret_seal(key, NULL, AAD));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_key_or_aad),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
