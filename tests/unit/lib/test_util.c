#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "util.h"

/* RFC 4648 section 10 test vectors. */
static const char *const b64_plain[] = { "", "f", "fo", "foo", "foob", "fooba",
	"foobar" };
static const char *const b64_coded[] = { "", "Zg==", "Zm8=", "Zm9v",
	"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };

static void
test_xalloc(void **state)
{
	char *p;

	(void)state;
	p = xstrndup("abcdef", 3);
	assert_string_equal(p, "abc");
	free(p);
	p = xstrndup("ab", 10);
	assert_string_equal(p, "ab");
	free(p);
	p = xstrdup("");
	assert_string_equal(p, "");
	free(p);
	p = xcalloc(4, 4);
	assert_memory_equal(p, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	p = xrealloc(p, 64);
	free(p);
	free(xmalloc(0));
	util_free_secret(NULL);
	util_free_secret(xstrdup("s3cr3t"));
}

static void
test_ct_equal(void **state)
{
	(void)state;
	assert_true(util_ct_equal("abc", 3, "abc", 3));
	assert_false(util_ct_equal("abc", 3, "abd", 3));
	assert_false(util_ct_equal("abc", 3, "abcd", 4));
	assert_false(util_ct_equal("xbc", 3, "abc", 3));
	assert_true(util_ct_equal("", 0, "", 0));
}

static void
test_b64_encode(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(b64_plain) / sizeof(b64_plain[0]); i++) {
		buf_init(&b, 64);
		assert_int_equal(util_b64_encode(&b, b64_plain[i],
				     strlen(b64_plain[i])),
		    0);
		assert_string_equal(buf_cstr(&b), b64_coded[i]);
		buf_cleanup(&b);
	}

	/* All byte values, and the cap. */
	buf_init(&b, 6);
	assert_int_equal(util_b64_encode(&b, "\xfb\xff\xbf", 3), 0);
	assert_string_equal(buf_cstr(&b), "+/+/");
	assert_int_equal(util_b64_encode(&b, "a", 1), -1);
	assert_string_equal(buf_cstr(&b), "+/+/");
	buf_cleanup(&b);
}

static void
test_b64_decode(void **state)
{
	uint8_t out[16];
	const char *c;
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof(b64_plain) / sizeof(b64_plain[0]); i++) {
		c = b64_coded[i];
		n = util_b64_decode(c, strlen(c), out, sizeof(out));
		assert_int_equal(n, strlen(b64_plain[i]));
		assert_memory_equal(out, b64_plain[i], (size_t)n);
		/* Padding is optional. */
		n = util_b64_decode(c, strcspn(c, "="), out, sizeof(out));
		assert_int_equal(n, strlen(b64_plain[i]));
		assert_memory_equal(out, b64_plain[i], (size_t)n);
	}
	assert_int_equal(util_b64_decode("+/+/", 4, out, 3), 3);
	assert_memory_equal(out, "\xfb\xff\xbf", 3);

	assert_int_equal(util_b64_decode("Z", 1, out, sizeof(out)), -1);
	assert_int_equal(util_b64_decode("Zg=", 3, out, sizeof(out)), -1);
	assert_int_equal(util_b64_decode("Zg===", 5, out, sizeof(out)), -1);
	assert_int_equal(util_b64_decode("====", 4, out, sizeof(out)), -1);
	assert_int_equal(util_b64_decode("Z=g=", 4, out, sizeof(out)), -1);
	assert_int_equal(util_b64_decode("Zm9v!A==", 8, out, sizeof(out)), -1);
	assert_int_equal(util_b64_decode("Zm9 v", 5, out, sizeof(out)), -1);
	assert_int_equal(util_b64_decode("Zm9v\n", 5, out, sizeof(out)), -1);
	/* Non-canonical: unused bits set. */
	assert_int_equal(util_b64_decode("Zh==", 4, out, sizeof(out)), -1);
	assert_int_equal(util_b64_decode("Zm9=", 4, out, sizeof(out)), -1);
	/* Output bound. */
	assert_int_equal(util_b64_decode("Zm9vYmFy", 8, out, 5), -1);
	assert_int_equal(util_b64_decode("Zm9vYmE", 7, out, 5), 5);
	assert_int_equal(util_b64_decode("Zm9vYmE", 7, out, 4), -1);
}

static void
test_hex(void **state)
{
	char hex[2 * 4 + 1];
	uint8_t out[4];

	(void)state;
	util_hex_encode(hex, "\x00\x9f\xa0\xff", 4);
	assert_string_equal(hex, "009fa0ff");
	util_hex_encode(hex, "", 0);
	assert_string_equal(hex, "");

	assert_int_equal(util_hex_decode("009fA0fF", 8, out, 4), 4);
	assert_memory_equal(out, "\x00\x9f\xa0\xff", 4);
	assert_int_equal(util_hex_decode("", 0, out, 4), 0);
	assert_int_equal(util_hex_decode("009", 3, out, 4), -1);
	assert_int_equal(util_hex_decode("0g", 2, out, 4), -1);
	assert_int_equal(util_hex_decode(" 0", 2, out, 4), -1);
	assert_int_equal(util_hex_decode("0011223344", 10, out, 4), -1);
}

static void
test_random(void **state)
{
	uint8_t a[32], b[32], zero[32];

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(util_random(a, sizeof(a)), 0);
	assert_int_equal(util_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(util_random(a, 0), 0);
}

static void
test_clocks(void **state)
{
	uint64_t ms, us, ms2, us2;
	char ts[32];
	size_t i;

	(void)state;
	ms = util_now_ms();
	us = util_now_us();
	ms2 = util_now_ms();
	us2 = util_now_us();
	assert_true(ms2 >= ms);
	assert_true(us2 >= us);
	/* Both count the same clock. */
	assert_true(us / 1000 >= ms && us / 1000 - ms < 1000);

	util_rfc3339_now(ts, sizeof(ts));
	assert_int_equal(strlen(ts), 24);
	for (i = 0; i < 24; i++) {
		switch (i) {
		case 4:
		case 7:
			assert_int_equal(ts[i], '-');
			break;
		case 10:
			assert_int_equal(ts[i], 'T');
			break;
		case 13:
		case 16:
			assert_int_equal(ts[i], ':');
			break;
		case 19:
			assert_int_equal(ts[i], '.');
			break;
		case 23:
			assert_int_equal(ts[i], 'Z');
			break;
		default:
			assert_true(ts[i] >= '0' && ts[i] <= '9');
		}
	}
	assert_true(strncmp(ts, "2024", 4) >= 0);

	/* The documented minimum of 25 bytes is enough; less truncates. */
	util_rfc3339_now(ts, 25);
	assert_int_equal(strlen(ts), 24);
	util_rfc3339_now(ts, 5);
	assert_int_equal(strlen(ts), 4);
}

#define U8(s) util_utf8_valid(s, sizeof(s) - 1)

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(U8(""));
	assert_true(U8("plain ascii"));
	assert_true(U8("S\xc3\xa3o Paulo")); /* São Paulo */
	assert_true(U8("\xe2\x82\xac")); /* U+20AC */
	assert_true(U8("\xf0\x9f\x93\x9e")); /* U+1F4DE */
	assert_true(U8("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
	assert_true(U8("\xed\x9f\xbf")); /* U+D7FF */
	assert_true(U8("\xee\x80\x80")); /* U+E000 */
	assert_true(U8("\xc2\x80")); /* U+0080 */
	assert_true(U8("\xe0\xa0\x80")); /* U+0800 */
	assert_true(U8("\xf0\x90\x80\x80")); /* U+10000 */
	assert_true(U8("a\0b")); /* NUL is UTF-8 */

	assert_false(U8("\xc3\x28")); /* bad continuation */
	assert_false(U8("\xc0\xaf")); /* overlong '/' */
	assert_false(U8("\xc1\xbf")); /* overlong */
	assert_false(U8("\xe0\x80\xaf")); /* overlong */
	assert_false(U8("\xe0\x9f\xbf")); /* overlong U+07FF */
	assert_false(U8("\xf0\x80\x80\xaf")); /* overlong */
	assert_false(U8("\xf0\x8f\xbf\xbf")); /* overlong U+FFFF */
	assert_false(U8("\xed\xa0\x80")); /* U+D800 */
	assert_false(U8("\xed\xbf\xbf")); /* U+DFFF */
	assert_false(U8("\xf4\x90\x80\x80")); /* U+110000 */
	assert_false(U8("\xf5\x80\x80\x80"));
	assert_false(U8("\xff"));
	assert_false(U8("\xfe"));
	assert_false(U8("\x80")); /* lone continuation */
	assert_false(U8("\xe2\x82")); /* truncated */
	assert_false(U8("ok\xf0\x9f\x93")); /* truncated at end */
	assert_false(U8("\xe2\x82\x41"));
	assert_false(U8("\xf0\x9f\x93\x41"));
	/* The length bounds the scan: a sequence cut by len is invalid. */
	assert_false(util_utf8_valid("\xc3\xa3", 1));
	assert_true(util_utf8_valid("a\xc3\xa3", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xalloc),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_b64_encode),
		cmocka_unit_test(test_b64_decode),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
