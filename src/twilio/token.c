/*
 * Twilio Access Tokens (JWT, HS256).  See include/twilio/token.h.
 *
 * Built by hand with jansson and OpenSSL rather than libjwt: libjwt 1.10
 * compares HMAC signatures with strcmp() (not constant-time), takes the
 * algorithm from the token's own header and writes "typ" itself, while a
 * JWT is only three base64url parts and one HMAC.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "token.h"
#include "twparam.h"
#include "util.h"

#define TOKEN_MACLEN 32 /* SHA-256 */
#define TOKEN_MACB64LEN 43 /* base64url of 32 bytes, unpadded */

static const char token_header[] =
    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}";

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* Unpadded base64url (RFC 7515 section 2), appended to out.  0 / -1 (cap). */
static int
b64url_add(struct buf *out, const void *data, size_t len)
{
	const uint8_t *p = data;
	char quad[4];
	size_t i, n;
	uint32_t v;

	for (i = 0; i < len; i += 3) {
		n = len - i < 3 ? len - i : 3;
		v = (uint32_t)p[i] << 16;
		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		quad[0] = b64url_alphabet[v >> 18 & 63];
		quad[1] = b64url_alphabet[v >> 12 & 63];
		quad[2] = b64url_alphabet[v >> 6 & 63];
		quad[3] = b64url_alphabet[v & 63];
		if (buf_add(out, quad, n + 1) == -1)
			return -1;
	}
	return 0;
}

/*
 * Decode one unpadded base64url part into a new buffer (free()), NUL
 * added after *outlen bytes.  NULL on anything else: padding, the standard
 * alphabet's '+' and '/', non-canonical trailing bits.
 */
static uint8_t *
b64url_decode(const char *in, size_t inlen, size_t *outlen)
{
	char *std;
	uint8_t *out;
	size_t cap = inlen / 4 * 3 + 3;
	long n;

	std = xstrndup(in, inlen);
	for (size_t i = 0; i < inlen; i++) {
		if (std[i] == '+' || std[i] == '/' || std[i] == '=') {
			free(std);
			return NULL;
		}
		if (std[i] == '-')
			std[i] = '+';
		else if (std[i] == '_')
			std[i] = '/';
	}
	out = xmalloc(cap + 1);
	n = util_b64_decode(std, inlen, out, cap);
	free(std);
	if (n < 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*outlen = (size_t)n;
	return out;
}

/* A base64url part holding a JSON object, as a new reference or NULL. */
static json_t *
decode_object(const char *in, size_t inlen)
{
	uint8_t *raw;
	size_t len;
	json_t *o;

	if ((raw = b64url_decode(in, inlen, &len)) == NULL)
		return NULL;
	o = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* HMAC-SHA256 of data under secret, base64url, into out (44 bytes).  0/-1. */
static int
sign_b64url(const char *secret, const char *data, size_t len,
    char out[TOKEN_MACB64LEN + 1])
{
	uint8_t mac[TOKEN_MACLEN];
	size_t maclen = 0;
	struct buf b;
	int result = -1;

	buf_init(&b, TOKEN_MACB64LEN);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret,
		strlen(secret), (const unsigned char *)data, len, mac,
		sizeof(mac), &maclen) == NULL ||
	    maclen != sizeof(mac))
		goto out;
	if (b64url_add(&b, mac, maclen) == -1 || b.len != TOKEN_MACB64LEN)
		goto out;
	memcpy(out, buf_cstr(&b), TOKEN_MACB64LEN + 1);
	result = 0;
out:
	/*
	 * Not the key, but a valid signature over data; for a forged token
	 * being checked it is exactly what the forger lacks.
	 */
	OPENSSL_cleanse(mac, sizeof(mac));
	if (b.ptr != NULL)
		OPENSSL_cleanse(b.ptr, b.cap);
	buf_cleanup(&b);
	return result;
}

void
token_voice_defaults(struct token_voice *in)
{
	memset(in, 0, sizeof(*in));
	in->ttl_s = TOKEN_TTL_DEFAULT;
}

static const char *
check_voice(const struct token_voice *in)
{
	if (!twparam_sid(in->account_sid, "AC"))
		return "account_sid: expected AC and 32 hex digits";
	if (!twparam_sid(in->api_key_sid, "SK"))
		return "api_key_sid: expected SK and 32 hex digits";
	if (in->api_key_secret == NULL || in->api_key_secret[0] == '\0')
		return "api_key_secret: empty";
	if (!twparam_identity(in->identity))
		return "identity: expected 1-121 of A-Z a-z 0-9 _ . -";
	if (in->outgoing_application_sid != NULL &&
	    !twparam_sid(in->outgoing_application_sid, "AP"))
		return "outgoing_application_sid: expected AP and 32 hex digits";
	if (in->push_credential_sid != NULL &&
	    !twparam_sid(in->push_credential_sid, "CR"))
		return "push_credential_sid: expected CR and 32 hex digits";
	if (!in->incoming_allow && in->outgoing_application_sid == NULL)
		return "grants: neither incoming nor outgoing calls allowed";
	if (in->ttl_s < 1 || in->ttl_s > TOKEN_TTL_MAX)
		return "ttl_s: expected 1-86400 seconds";
	if (in->now <= 0)
		return "now: not set";
	if ((long long)in->now > LLONG_MAX - TOKEN_TTL_MAX)
		return "now: out of range";
	return NULL;
}

/* The claims as a new object, or NULL (out of memory). */
static json_t *
voice_claims(const struct token_voice *in)
{
	json_t *claims = NULL, *grants = NULL, *voice;
	char jti[64];
	json_int_t now = (json_int_t)in->now;

	snprintf(jti, sizeof(jti), "%s-%lld", in->api_key_sid, (long long)now);
	/* A grant lost to a failed set would change what the token allows. */
	if ((voice = json_object()) == NULL ||
	    (in->incoming_allow &&
		json_object_set_new(voice, "incoming",
		    json_pack("{s:b}", "allow", 1)) == -1) ||
	    (in->outgoing_application_sid != NULL &&
		json_object_set_new(voice, "outgoing",
		    json_pack("{s:s}", "application_sid",
			in->outgoing_application_sid)) == -1) ||
	    (in->push_credential_sid != NULL &&
		json_object_set_new(voice, "push_credential_sid",
		    json_string(in->push_credential_sid)) == -1))
		goto out;
	/* "O" adds a reference, so ours are dropped whatever json_pack did. */
	if ((grants = json_pack("{s:s, s:O}", "identity", in->identity, "voice",
		 voice)) == NULL)
		goto out;
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:O}", "jti", jti,
	    "iss", in->api_key_sid, "sub", in->account_sid, "iat", now, "nbf",
	    now, "exp", now + in->ttl_s, "grants", grants);
out:
	json_decref(voice);
	json_decref(grants);
	return claims;
}

char *
token_voice_new(const struct token_voice *in, char *err, size_t errlen)
{
	json_t *claims = NULL;
	char *payload = NULL, *jwt = NULL;
	char sig[TOKEN_MACB64LEN + 1];
	const char *why;
	struct buf b;

	buf_init(&b, TOKEN_MAXLEN);
	if (in == NULL) {
		set_err(err, errlen, "no input");
		goto out;
	}
	if ((why = check_voice(in)) != NULL) {
		set_err(err, errlen, why);
		goto out;
	}
	if ((claims = voice_claims(in)) == NULL ||
	    (payload = json_dumps(claims,
		 JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		set_err(err, errlen, "out of memory building the claims");
		goto out;
	}
	if (b64url_add(&b, token_header, strlen(token_header)) == -1 ||
	    buf_addc(&b, '.') == -1 ||
	    b64url_add(&b, payload, strlen(payload)) == -1) {
		set_err(err, errlen, "token too long");
		goto out;
	}
	if (sign_b64url(in->api_key_secret, buf_cstr(&b), b.len, sig) == -1) {
		set_err(err, errlen, "HMAC-SHA256 failed");
		goto out;
	}
	if (buf_addc(&b, '.') == -1 || buf_addstr(&b, sig) == -1) {
		set_err(err, errlen, "token too long");
		goto out;
	}
	jwt = buf_take(&b, NULL);
out:
	free(payload);
	json_decref(claims);
	buf_cleanup(&b);
	return jwt;
}

enum token_result
token_decode_claims(const char *jwt, const char *secret, json_t **header,
    json_t **claims)
{
	enum token_result result = TOKEN_MALFORMED;
	json_t *h = NULL, *c = NULL, *alg;
	const char *dot1, *dot2, *sig;
	char want[TOKEN_MACB64LEN + 1];

	if (header != NULL)
		*header = NULL;
	*claims = NULL;
	if (jwt == NULL || strnlen(jwt, TOKEN_MAXLEN + 1) > TOKEN_MAXLEN)
		goto out;
	if ((dot1 = strchr(jwt, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL || dot1 == jwt || dot2 == dot1 + 1)
		goto out;
	sig = dot2 + 1;

	if ((h = decode_object(jwt, (size_t)(dot1 - jwt))) == NULL)
		goto out;
	alg = json_object_get(h, "alg");
	if (!json_is_string(alg) ||
	    strcmp(json_string_value(alg), "HS256") != 0 ||
	    json_object_get(h, "crit") != NULL) {
		result = TOKEN_BAD_ALG;
		goto out;
	}

	result = TOKEN_BAD_SIGNATURE;
	if (secret == NULL || secret[0] == '\0')
		goto out;
	if (sign_b64url(secret, jwt, (size_t)(dot2 - jwt), want) == -1 ||
	    !util_ct_equal(want, TOKEN_MACB64LEN, sig, strlen(sig)))
		goto out;

	result = TOKEN_MALFORMED;
	if ((c = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
		goto out;
	result = TOKEN_OK;
out:
	OPENSSL_cleanse(want, sizeof(want));
	if (result == TOKEN_OK) {
		if (header != NULL)
			*header = h;
		else
			json_decref(h);
		*claims = c;
	} else {
		json_decref(h);
		json_decref(c);
	}
	return result;
}

int
token_claims_current(const json_t *claims, time_t now, long leeway_s)
{
	const json_t *nbf = json_object_get(claims, "nbf");
	const json_t *exp = json_object_get(claims, "exp");
	long long t = (long long)now;

	if (!json_is_integer(nbf) || !json_is_integer(exp) || leeway_s < 0 ||
	    leeway_s > TOKEN_TTL_MAX || t > LLONG_MAX - TOKEN_TTL_MAX ||
	    t < LLONG_MIN + TOKEN_TTL_MAX)
		return 0;
	return json_integer_value(nbf) <= t + leeway_s &&
	    t - leeway_s < json_integer_value(exp);
}
