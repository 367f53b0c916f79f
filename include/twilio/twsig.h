#ifndef RAMAL_TWSIG_H
#define RAMAL_TWSIG_H

#include <stddef.h>

#include "form.h"

/*
 * Twilio request validation (X-Twilio-Signature): base64 of
 * HMAC-SHA1(auth token, URL + name1 + value1 + name2 + value2 ...) with the
 * form pairs sorted by name, then by value for repeated names.
 *
 * A twsig_key holds the HMAC state already keyed with one auth token, so a
 * check costs two hash passes over the data and no key schedule.  It is
 * immutable after twsig_key_new() and may be shared by threads: each check
 * copies the keyed state into a per-call context.
 */
struct twsig_key;

/* Key a new context with an auth token.  NULL on a library failure. */
struct twsig_key *twsig_key_new(const char *auth_token);

/* Free (and wipe) a key; NULL is fine. */
void twsig_key_free(struct twsig_key *k);

/*
 * The signature for url and the pairs of params (NULL: none), as 28 base64
 * characters plus NUL into out.  0 / -1.
 */
int twsig_sign(const struct twsig_key *k, const char *url,
    const struct form *params, char out[29]);

/*
 * 1 when sig matches url + params, also trying url with the scheme's
 * default port added (https :443, http :80) when it has none, and with its
 * port removed when it has one, default or not (Twilio signs HTTPS voice
 * webhooks without the port; its helper libraries try both forms).
 * Constant-time comparison.  0 otherwise (also for a NULL or malformed
 * sig).
 */
int twsig_check_form(const struct twsig_key *k, const char *url,
    const struct form *params, const char *sig);

/*
 * For a JSON (or any non-form) body: Twilio signs the URL alone, with
 * bodySHA256=<hex sha256 of the body> in its query.  1 when sig matches the
 * URL (with the same port variants) and the bodySHA256 query value equals
 * the body's hash; 0 otherwise (also when the query has no bodySHA256).
 */
int twsig_check_body(const struct twsig_key *k, const char *url,
    const void *body, size_t len, const char *sig);

#endif
