/*
 * Bounded, growable byte buffer.  See include/lib/buf.h for the contract; the
 * one rule everything here keeps is that a failed append leaves ptr, len
 * and the trailing NUL exactly as they were.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

#define BUF_MIN_ALLOC 64

void
buf_init(struct buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	/* Keep max + 1 (room for the NUL) representable. */
	b->max = max < SIZE_MAX ? max : SIZE_MAX - 1;
}

void
buf_cleanup(struct buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr != NULL)
		b->ptr[0] = '\0';
}

/*
 * Make room for add more bytes plus the NUL.  Doubles the allocation, never
 * past max + 1.  0, or -1 (nothing changed) when len + add would pass max.
 */
static int
buf_grow(struct buf *b, size_t add)
{
	size_t need, ncap;

	if (add > b->max - b->len)
		return -1;
	need = b->len + add + 1;
	if (b->ptr != NULL && need <= b->cap)
		return 0;

	ncap = b->cap > 0 ? b->cap : BUF_MIN_ALLOC;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if (ncap > b->max + 1)
		ncap = b->max + 1;

	b->ptr = xrealloc(b->ptr, ncap);
	if (b->cap == 0)
		b->ptr[0] = '\0';
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (buf_grow(b, len) == -1)
		return -1;
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	size_t room;
	int n;

	/* First try the room we already have; most calls fit. */
	if (b->ptr != NULL) {
		room = b->cap - b->len;
		va_copy(aq, ap);
		n = vsnprintf(b->ptr + b->len, room, fmt, aq);
		va_end(aq);
		if (n < 0) {
			b->ptr[b->len] = '\0';
			return -1;
		}
		if ((size_t)n < room) {
			/* cap <= max + 1, so this stays within max. */
			b->len += (size_t)n;
			return 0;
		}
		/* vsnprintf wrote a truncated copy over our NUL. */
		b->ptr[b->len] = '\0';
	} else {
		va_copy(aq, ap);
		n = vsnprintf(NULL, 0, fmt, aq);
		va_end(aq);
		if (n < 0)
			return -1;
	}

	if (buf_grow(b, (size_t)n) == -1)
		return -1;
	va_copy(aq, ap);
	n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, aq);
	va_end(aq);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->ptr[b->len] = '\0';
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
buf_cstr(const struct buf *b)
{
	return b->ptr != NULL ? b->ptr : "";
}

char *
buf_take(struct buf *b, size_t *len)
{
	char *p;

	p = b->ptr != NULL ? b->ptr : xstrdup("");
	if (len != NULL)
		*len = b->len;
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
