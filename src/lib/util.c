/*
 * Small helpers every other file leans on: allocation that cannot fail,
 * constant-time comparison, base64/hex, randomness, clocks, UTF-8.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mem.h"
#include "util.h"


void
util_free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

int
util_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
util_b64_encode(struct buf *out, const void *data, size_t len)
{
	const uint8_t *p = data;
	char quad[4];
	size_t i, before, need;
	uint32_t v;

	if (len > (SIZE_MAX / 4) * 3 - 2)
		return -1;
	need = (len + 2) / 3 * 4;
	if (need > out->max - out->len)
		return -1;
	before = out->len;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		quad[0] = b64_alphabet[v >> 18 & 63];
		quad[1] = b64_alphabet[v >> 12 & 63];
		quad[2] = b64_alphabet[v >> 6 & 63];
		quad[3] = b64_alphabet[v & 63];
		if (buf_add(out, quad, 4) == -1)
			goto fail;
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		quad[0] = b64_alphabet[v >> 18 & 63];
		quad[1] = b64_alphabet[v >> 12 & 63];
		quad[2] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
		quad[3] = '=';
		if (buf_add(out, quad, 4) == -1)
			goto fail;
	}
	return 0;

fail:
	out->len = before;
	if (out->ptr != NULL)
		out->ptr[before] = '\0';
	return -1;
}

int
util_b64_encode_nopad(struct buf *out, const void *data, size_t len)
{
	if (util_b64_encode(out, data, len) != 0)
		return -1;
	while (out->len > 0 && out->ptr[out->len - 1] == '=')
		out->ptr[--out->len] = '\0';
	return 0;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
util_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap)
{
	size_t i, n, o, pad, full;
	uint32_t v;
	int d;

	/* Split off the padding: at most two '=', only on a full quad. */
	pad = 0;
	while (pad < inlen && pad < 3 && in[inlen - 1 - pad] == '=')
		pad++;
	if (pad > 2 || (pad > 0 && inlen % 4 != 0))
		return -1;
	n = inlen - pad;
	if (n % 4 == 1)
		return -1;
	if (n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > outcap ||
	    n / 4 * 3 > (size_t)LONG_MAX - 3)
		return -1;

	o = 0;
	full = n - n % 4;
	for (i = 0; i < full; i += 4) {
		v = 0;
		for (size_t j = 0; j < 4; j++) {
			if ((d = b64_value((unsigned char)in[i + j])) < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (n % 4 != 0) {
		v = 0;
		for (size_t j = 0; j < n % 4; j++) {
			if ((d = b64_value((unsigned char)in[i + j])) < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		/* Refuse non-canonical input: the unused low bits must be 0. */
		if (n % 4 == 2) {
			if (v & 0xf)
				return -1;
			out[o++] = (uint8_t)(v >> 4);
		} else {
			if (v & 0x3)
				return -1;
			out[o++] = (uint8_t)(v >> 10);
			out[o++] = (uint8_t)(v >> 2);
		}
	}
	return (long)o;
}

void
util_hex_encode(char *out, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
util_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
util_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap)
{
	size_t i;
	int hi, lo;

	if (inlen % 2 != 0 || inlen / 2 > outcap ||
	    inlen / 2 > (size_t)LONG_MAX)
		return -1;
	for (i = 0; i < inlen / 2; i++) {
		hi = util_hex_value((unsigned char)in[2 * i]);
		lo = util_hex_value((unsigned char)in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(inlen / 2);
}

int
util_random(void *out, size_t len)
{
	uint8_t *p = out;
	int chunk;

	while (len > 0) {
		chunk = len > INT_MAX ? INT_MAX : (int)len;
		if (RAND_bytes(p, chunk) != 1)
			return -1;
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

uint64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
util_rfc3339_now(char *out, size_t outlen)
{
	struct timespec ts;
	struct tm tm;

	if (outlen == 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(ts.tv_nsec / 1000000));
}

int
util_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned char c, lo, hi;

	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		/*
		 * The allowed range of the second byte depends on the lead:
		 * that is where overlongs (E0, F0), surrogates (ED) and
		 * code points past U+10FFFF (F4) are refused.
		 */
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (len - i < n)
			return 0;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		i += n;
	}
	return 1;
}
