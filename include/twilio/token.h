#ifndef RAMAL_TOKEN_H
#define RAMAL_TOKEN_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

/*
 * Twilio Voice SDK Access Tokens: a JWT signed with HMAC-SHA256 under an
 * API key secret.
 *
 *	header	{"alg":"HS256","typ":"JWT","cty":"twilio-fpa;v=1"}
 *	claims	{"jti":"<api key SID>-<now>","iss":<api key SID>,
 *		 "sub":<account SID>,"iat":now,"nbf":now,"exp":now+ttl,
 *		 "grants":{"identity":...,"voice":{"incoming":{"allow":true},
 *		   "outgoing":{"application_sid":"AP..."},
 *		   "push_credential_sid":"CR..."}}}
 *
 * "incoming", "outgoing" and "push_credential_sid" appear only when asked
 * for, as Twilio's helper libraries do.  "iat" is included: twilio-python
 * leaves it out but twilio-node (through jsonwebtoken) sends it, so Twilio
 * accepts both; it is RFC 7519's record of when the token was made, and
 * the cross-check (tests/py/test_token_compat.py) shows Twilio's library
 * verifies our tokens with it.
 *
 * Pure: no I/O, no globals, thread-safe.  The module keeps no copy of the
 * secret; the HMAC key state inside OpenSSL is wiped when it is freed.
 */

#define TOKEN_TTL_DEFAULT 3600
#define TOKEN_TTL_MAX 86400 /* Twilio's limit: 24 hours */
#define TOKEN_MAXLEN 8192 /* longest JWT token_decode_claims() reads */

/*
 * What goes into a Voice token.  Every string is borrowed for the call.
 * Start from token_voice_defaults(), then set the fields.
 */
struct token_voice {
	const char *account_sid; /* AC + 32 hex digits */
	const char *api_key_sid; /* SK + 32 hex digits */
	const char *api_key_secret; /* non-empty */
	const char *identity; /* 1-121 of [A-Za-z0-9_.-] */
	const char *outgoing_application_sid; /* AP...; NULL: no outgoing */
	int incoming_allow; /* non-zero: may receive calls as identity */
	const char *push_credential_sid; /* CR...; NULL: none */
	long ttl_s; /* 1..TOKEN_TTL_MAX */
	time_t now; /* seconds since the epoch, > 0 (time(NULL)) */
};

/* Zero every field but ttl_s, which becomes TOKEN_TTL_DEFAULT. */
void token_voice_defaults(struct token_voice *in);

/*
 * A signed Voice Access Token for in, as a new NUL-terminated string
 * (free() it).  NULL with a one-line reason in err ("identity: ...") when
 * an input is invalid: a SID of the wrong kind or shape, an identity
 * outside ramal's alphabet, an empty secret, ttl_s out of 1..TOKEN_TTL_MAX,
 * now <= 0, or a token that would grant nothing (neither incoming nor
 * outgoing).  The reason never quotes the secret.  Thread-safe.
 */
char *token_voice_new(const struct token_voice *in, char *err, size_t errlen);

enum token_result {
	TOKEN_OK = 0,
	TOKEN_MALFORMED, /* not three base64url parts of JSON objects */
	TOKEN_BAD_ALG, /* header alg is not "HS256", or "crit" is set */
	TOKEN_BAD_SIGNATURE, /* no match under secret (or secret empty) */
};

/*
 * Check jwt (at most TOKEN_MAXLEN bytes) as an HS256 JWT signed with
 * secret, comparing the signature in constant time; any other alg,
 * "none" included, is refused.  On TOKEN_OK, *header (when header is not
 * NULL) and *claims are new references the caller json_decref()s; on any
 * other result they are set to NULL.  Times are not checked: see
 * token_claims_current().  Thread-safe.
 */
enum token_result token_decode_claims(const char *jwt, const char *secret,
    json_t **header, json_t **claims);

/*
 * 1 when claims has integer "nbf" and "exp" with nbf <= now < exp, allowing
 * leeway_s (0..TOKEN_TTL_MAX) seconds of clock skew on both sides; 0
 * otherwise.  Thread-safe.
 */
int token_claims_current(const json_t *claims, time_t now, long leeway_s);

#endif
