#ifndef RAMAL_BUF_H
#define RAMAL_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer with a hard cap.
 *
 * Ownership: the struct belongs to the caller (buf_init/buf_cleanup); the
 * bytes belong to the struct until buf_take() hands them to the caller, who
 * frees them with free().  The content is always NUL-terminated (the NUL is
 * not counted in len), so buf_cstr() is a valid C string even when empty.
 * An append that would push len past max fails with -1 and leaves the buffer
 * exactly as it was.  Not thread-safe; one owner at a time.
 */
struct buf {
	char *ptr; /* NULL until the first append */
	size_t len; /* bytes used, without the trailing NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* hard cap on len */
};

/* Start an empty buffer that may grow to max bytes. */
void buf_init(struct buf *b, size_t max);

/* Free the bytes; the struct may be reused after buf_init(). */
void buf_cleanup(struct buf *b);

/* Forget the content, keep the allocation. */
void buf_reset(struct buf *b);

/* Append len bytes.  0, or -1 when the cap would be exceeded. */
int buf_add(struct buf *b, const void *data, size_t len);

/* Append a C string.  0 / -1 as buf_add. */
int buf_addstr(struct buf *b, const char *s);

/* Append one byte.  0 / -1 as buf_add. */
int buf_addc(struct buf *b, char c);

/* Append printf-formatted text.  0 / -1 (cap, or an encoding error). */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The content as a C string (borrowed; "" when empty). */
const char *buf_cstr(const struct buf *b);

/*
 * Hand the bytes to the caller (free() them) and leave the buffer empty.
 * Never NULL: an empty buffer yields an allocated "".
 */
char *buf_take(struct buf *b, size_t *len);

#endif
