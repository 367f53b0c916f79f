#ifndef RAMAL_PHONE_H
#define RAMAL_PHONE_H

#include <stddef.h>

/*
 * Dialled strings to E.164, the Brazilian way.  A pure leaf: no
 * allocation, no globals, thread-safe.
 *
 * Accepted (spaces, '-', '.', '(' and ')' are ignored anywhere):
 *   +55 11 98765-4321, 55 11 987654321   country code, DDD, number
 *   011987654321, 0 11 3333 4444         trunk prefix 0 + DDD + number
 *   0 21 11 98765 4321                   0 + carrier (CSP, 2 digits) + DDD
 *   (11) 98765-4321, 11987654321         DDD + mobile (9 + [1-9] + 7)
 *   1133334444                           DDD + landline (first digit 2-5)
 *   11 8765 4321                         DDD + an 8-digit number starting
 *                                        6-9: a mobile from before the 9th
 *                                        digit; the 9 is prepended
 *   +1 415 555 0100                      another country: kept when it is
 *                                        plausible E.164 (8-15 digits, no
 *                                        leading 0)
 * The DDD must be one of Brazil's area codes in use (phone_ddd_valid).
 * Everything else is refused with a reason in plain pt-BR words: no DDD,
 * an unknown DDD, 0800/0300/0303/0500/0900 numbers, short codes
 * (190, 192, ...), the 00 international prefix, letters, too many digits.
 */

#define PHONE_INPUT_MAX 64 /* longer input is refused unread */
#define PHONE_E164_MAX 17 /* '+', up to 15 digits, NUL */

enum phone_kind {
	PHONE_BR_MOBILE,
	PHONE_BR_LANDLINE,
	PHONE_INTERNATIONAL,
};

/*
 * Normalise s into out[outlen] (at least PHONE_E164_MAX bytes) as
 * "+<digits>".  0 with *kind set (kind may be NULL), or -1 with out ""
 * and *reason (may be NULL) a static pt-BR sentence saying why.
 */
int phone_normalize(const char *s, char *out, size_t outlen,
    enum phone_kind *kind, const char **reason);

/* 1 when the two digits d[0], d[1] are a Brazilian DDD in use (ddd.h). */
int phone_ddd_valid(const char *d);

#endif
