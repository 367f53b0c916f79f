#ifndef RAMAL_UTIL_H
#define RAMAL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mem.h"

/* Wipe then free a secret string (NULL is fine). */
void util_free_secret(char *s);

/*
 * Compare two byte strings in time that depends only on their lengths.
 * 1 when equal, 0 otherwise.
 */
int util_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Standard base64 with padding, appended to out.  0 / -1 (cap). */
int util_b64_encode(struct buf *out, const void *data, size_t len);

/* The same without the trailing '=' padding.  0 / -1 (cap). */
int util_b64_encode_nopad(struct buf *out, const void *data, size_t len);

/*
 * Decode standard base64 (padding optional, no whitespace).  Writes at most
 * outcap bytes; returns the decoded length, or -1 on bad input or overflow.
 */
long util_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap);

/* The value of one hex digit (either case), or -1. */
int util_hex_value(unsigned char c);

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void util_hex_encode(char *out, const void *data, size_t len);

/*
 * Decode hex (either case) into out.  Returns the byte count, or -1 on an
 * odd length, a non-hex digit, or more than outcap bytes.
 */
long util_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap);

/* Fill with cryptographically strong random bytes.  0 / -1. */
int util_random(void *out, size_t len);

/* Milliseconds on the monotonic clock. */
uint64_t util_now_ms(void);

/* Microseconds on the monotonic clock. */
uint64_t util_now_us(void);

/*
 * UTC wall-clock time as RFC 3339 with milliseconds
 * ("2026-11-23T21:19:24.123Z") into out (at least 25 bytes).
 */
void util_rfc3339_now(char *out, size_t outlen);

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int util_utf8_valid(const char *s, size_t len);

#endif
