#ifndef RAMAL_TWPARAM_H
#define RAMAL_TWPARAM_H

#include <stddef.h>

#include "form.h"

/*
 * Checks and conversions of the values Twilio sends in webhook and
 * callback parameters.  Pure and thread-safe.
 */

/* 1 when s is prefix (two letters) + 32 hex digits, as Twilio SIDs are. */
int twparam_sid(const char *s, const char *prefix);

/* 1 when s is a Voice SDK identity ramal accepts: 1-121 of [A-Za-z0-9_.-]. */
int twparam_identity(const char *s);

/*
 * An RFC 2822 time as Twilio writes it ("Mon, 16 Aug 2010 03:45:01 +0000",
 * any offset) to RFC 3339 UTC ("2010-08-16T03:45:01Z") in out (at least 21
 * bytes).  0, or -1 when s is NULL or malformed.
 */
int twparam_rfc2822(const char *s, char *out, size_t outlen);

/*
 * The parameters as a compact JSON object with sorted keys; a repeated
 * name becomes an array of its values in arrival order.  A new string
 * (free()), or NULL.
 */
char *twparam_json(const struct form *f);

#endif
