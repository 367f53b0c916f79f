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

/*
 * 1 when s reads as a Voice SDK identity in what Twilio sends (From and To
 * client:<identity>, worker attributes): 1-121 of [A-Za-z0-9_.-].
 */
int twparam_identity(const char *s);

/*
 * 1 when s is an identity ramal gives an agent: 1-121 of [A-Za-z0-9_].
 * Twilio's Voice identities allow only alphanumeric and underscore
 * characters, and TaskRouter expressions (the workflow compares identities)
 * do not support hyphens (docs/twilio-behaviour.md).
 */
int twparam_identity_safe(const char *s);

/*
 * The safe identity made from the first n bytes of in (stopping at a NUL):
 * each run of bytes outside [A-Za-z0-9_] becomes one '_', cut to 121
 * characters ("ana.souza" -> "ana_souza", "joão" -> "jo_o"), the rule
 * sql/016_identities.sql applies to existing ones.  Into out (outlen > 0;
 * "" when n is 0).  Pure.
 */
void twparam_identity_make_safe(const char *in, size_t n, char *out,
    size_t outlen);

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
