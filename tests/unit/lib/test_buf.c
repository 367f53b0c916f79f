#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_null(b.ptr);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_add(&b, "x", 0), 0);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);
}

static void
test_append(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_addstr(&b, "hello"), 0);
	assert_int_equal(buf_addc(&b, ' '), 0);
	assert_int_equal(buf_add(&b, "world!!!", 5), 0);
	assert_int_equal(buf_printf(&b, " %d-%s", 42, "x"), 0);
	assert_string_equal(buf_cstr(&b), "hello world 42-x");
	assert_int_equal(b.len, strlen("hello world 42-x"));
	buf_cleanup(&b);
	assert_null(b.ptr);
	assert_int_equal(b.len, 0);
}

static void
test_binary(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.ptr, "a\0b", 4); /* NUL-terminated too */
	buf_cleanup(&b);
}

static void
test_cap_unchanged(void **state)
{
	struct buf b;
	char *before;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_addstr(&b, "12345678"), 0);
	before = b.ptr;

	assert_int_equal(buf_addstr(&b, "abc"), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_cstr(&b), "12345678");
	assert_ptr_equal(b.ptr, before);

	assert_int_equal(buf_printf(&b, "%s", "xyz"), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_cstr(&b), "12345678");

	/* Exactly at the cap is fine; one more byte is not. */
	assert_int_equal(buf_addstr(&b, "90"), 0);
	assert_string_equal(buf_cstr(&b), "1234567890");
	assert_int_equal(buf_addc(&b, 'x'), -1);
	assert_int_equal(buf_printf(&b, "%c", 'x'), -1);
	assert_int_equal(buf_add(&b, "x", SIZE_MAX), -1);
	assert_string_equal(buf_cstr(&b), "1234567890");
	assert_true(b.cap <= b.max + 1);
	buf_cleanup(&b);
}

static void
test_cap_zero(void **state)
{
	struct buf b;
	char *p;
	size_t len = 99;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_addc(&b, 'a'), -1);
	assert_int_equal(buf_printf(&b, "a"), -1);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	p = buf_take(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	buf_cleanup(&b);
}

static void
test_growth_doubles_to_cap(void **state)
{
	struct buf b;
	char chunk[100];
	size_t prev = 0;
	int i;

	(void)state;
	memset(chunk, 'z', sizeof(chunk));
	buf_init(&b, 1000);
	for (i = 0; i < 10; i++) {
		assert_int_equal(buf_add(&b, chunk, sizeof(chunk)), 0);
		assert_true(b.cap > b.len);
		assert_true(b.cap <= b.max + 1);
		if (prev != 0 && b.cap != prev)
			assert_true(b.cap == prev * 2 || b.cap == b.max + 1);
		prev = b.cap;
	}
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.cap, 1001);
	assert_int_equal(buf_addc(&b, 'z'), -1);
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.ptr[1000], '\0');
	buf_cleanup(&b);
}

static void
test_printf_grows_and_restores(void **state)
{
	struct buf b;
	char big[300];

	(void)state;
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	buf_init(&b, 1000);
	assert_int_equal(buf_addstr(&b, "head"), 0);
	/* Does not fit the first allocation: must grow and retry. */
	assert_int_equal(buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 4 + 2 + 299);
	assert_int_equal(memcmp(b.ptr, "head[qqq", 8), 0);
	assert_int_equal(b.ptr[b.len - 1], ']');
	buf_cleanup(&b);

	/*
	 * Fits the allocation's first try only partly and then the cap:
	 * vsnprintf has scribbled on the tail, the content must not change.
	 */
	buf_init(&b, 100);
	assert_int_equal(buf_addstr(&b, "0123456789"), 0);
	assert_int_equal(buf_printf(&b, "%s", big), -1);
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_cstr(&b), "0123456789");
	buf_cleanup(&b);
}

static void
test_take_and_reset(void **state)
{
	struct buf b;
	char *p;
	size_t len = 0;

	(void)state;
	buf_init(&b, 64);
	buf_addstr(&b, "abc");
	p = buf_take(&b, &len);
	assert_string_equal(p, "abc");
	assert_int_equal(len, 3);
	assert_null(b.ptr);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	free(p);

	/* The buffer works again after take; reset keeps the memory. */
	buf_addstr(&b, "defg");
	p = b.ptr;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_ptr_equal(b.ptr, p);
	buf_addstr(&b, "h");
	assert_string_equal(buf_cstr(&b), "h");

	p = buf_take(&b, NULL);
	assert_string_equal(p, "h");
	free(p);

	p = buf_take(&b, &len); /* empty: an allocated "" */
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_cap_unchanged),
		cmocka_unit_test(test_cap_zero),
		cmocka_unit_test(test_growth_doubles_to_cap),
		cmocka_unit_test(test_printf_grows_and_restores),
		cmocka_unit_test(test_take_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
