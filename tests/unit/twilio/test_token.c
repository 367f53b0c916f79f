#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "token.h"

/*
 * The JWT pieces are rebuilt here with OpenSSL's own base64 and HMAC, not
 * token.c's, so a test can sign any header and payload it likes (alg
 * "none", duplicate keys ...) and checks our signature independently.
 * tests/py/twilio/test_token_compat.py compares with Twilio's Python library.
 */
#define AC "AC0123456789abcdef0123456789abcdef"
#define SK "SKfedcba9876543210fedcba9876543210"
#define AP "AP00112233445566778899aabbccddeeff"
#define CR "CRffeeddccbbaa99887766554433221100"
#define SECRET "s3cr3t-api-key-secret-for-tests"
#define IDENTITY "agent.maria_silva-01"
#define NOW 1700000000

#define HEADER_JSON \
	"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}"
#define CLAIMS_JSON \
	"{\"jti\":\"" SK "-1700000000\",\"iss\":\"" SK "\",\"sub\":\"" AC \
	"\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700003600," \
	"\"grants\":{\"identity\":\"" IDENTITY "\",\"voice\":{\"incoming\":" \
	"{\"allow\":true},\"outgoing\":{\"application_sid\":\"" AP "\"}," \
	"\"push_credential_sid\":\"" CR "\"}}}"

static void
full_input(struct token_voice *in)
{
	token_voice_defaults(in);
	in->account_sid = AC;
	in->api_key_sid = SK;
	in->api_key_secret = SECRET;
	in->identity = IDENTITY;
	in->outgoing_application_sid = AP;
	in->incoming_allow = 1;
	in->push_credential_sid = CR;
	in->now = NOW;
}

/* Unpadded base64url of len bytes (free()). */
static char *
b64url(const void *data, size_t len)
{
	char *s = malloc(4 * ((len + 2) / 3) + 1);
	int n;

	assert_non_null(s);
	n = EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	while (n > 0 && s[n - 1] == '=')
		n--;
	s[n] = '\0';
	for (char *p = s; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return s;
}

/* Part i (0, 1, 2) of jwt, base64url-decoded and NUL-terminated (free()). */
static char *
part(const char *jwt, int i, size_t *outlen)
{
	const char *p = jwt, *end;
	char *std, *out;
	size_t len, pad;
	int n;

	while (i-- > 0) {
		p = strchr(p, '.');
		assert_non_null(p);
		p++;
	}
	end = strchr(p, '.');
	len = end ? (size_t)(end - p) : strlen(p);
	pad = (4 - len % 4) % 4;
	std = calloc(1, len + pad + 1);
	out = calloc(1, len + pad + 1);
	assert_non_null(std);
	assert_non_null(out);
	for (size_t j = 0; j < len; j++)
		std[j] = p[j] == '-' ? '+' : p[j] == '_' ? '/' : p[j];
	memset(std + len, '=', pad);
	n = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)std,
	    (int)(len + pad));
	assert_true(n >= 0);
	free(std);
	out[(size_t)n - pad] = '\0';
	if (outlen != NULL)
		*outlen = (size_t)n - pad;
	return out;
}

/* "h.p.sig": HS256 under secret over parts already in base64url (free()). */
static char *
sign_parts(const char *h, const char *p, const char *secret)
{
	char *input, *s, *jwt;
	unsigned char mac[32];
	unsigned int maclen = 0;
	size_t n;

	n = strlen(h) + strlen(p) + 2;
	input = malloc(n);
	assert_non_null(input);
	snprintf(input, n, "%s.%s", h, p);
	assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (unsigned char *)input, strlen(input), mac, &maclen));
	s = b64url(mac, maclen);
	n = strlen(input) + strlen(s) + 2;
	jwt = malloc(n);
	assert_non_null(jwt);
	snprintf(jwt, n, "%s.%s", input, s);
	free(s);
	free(input);
	return jwt;
}

/* A JWT with exactly this header and payload text, HS256 under secret. */
static char *
raw_token(const char *header, const char *payload, const char *secret)
{
	char *h = b64url(header, strlen(header));
	char *p = b64url(payload, strlen(payload));
	char *jwt = sign_parts(h, p, secret);

	free(h);
	free(p);
	return jwt;
}

static char *
new_token(const struct token_voice *in)
{
	char err[128] = "";
	char *jwt = token_voice_new(in, err, sizeof(err));

	if (jwt == NULL)
		fail_msg("token_voice_new: %s", err);
	return jwt;
}

static void
assert_json_text(const json_t *got, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	char *g;

	assert_non_null(w);
	if (!json_equal(got, w)) {
		g = json_dumps(got, JSON_COMPACT);
		print_error("got  %s\nwant %s\n", g, want);
		free(g);
		fail();
	}
	json_decref(w);
}

static void
test_header_exact(void **state)
{
	struct token_voice in;
	json_t *h, *c;
	char *jwt, *raw;

	(void)state;
	full_input(&in);
	jwt = new_token(&in);
	raw = part(jwt, 0, NULL);
	assert_string_equal(raw, HEADER_JSON);
	assert_int_equal(token_decode_claims(jwt, SECRET, &h, &c), TOKEN_OK);
	assert_int_equal(json_object_size(h), 3);
	assert_string_equal(json_string_value(json_object_get(h, "alg")),
	    "HS256");
	assert_string_equal(json_string_value(json_object_get(h, "typ")),
	    "JWT");
	assert_string_equal(json_string_value(json_object_get(h, "cty")),
	    "twilio-fpa;v=1");
	json_decref(h);
	json_decref(c);
	free(raw);
	free(jwt);
}

static void
test_claims_fixed(void **state)
{
	struct token_voice in;
	json_t *c;
	char *jwt, *raw;

	(void)state;
	full_input(&in);
	jwt = new_token(&in);
	raw = part(jwt, 1, NULL);
	assert_string_equal(raw, CLAIMS_JSON);
	assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c), TOKEN_OK);
	assert_json_text(c, CLAIMS_JSON);
	json_decref(c);
	free(raw);

	/* Same inputs, same token: nothing random, nothing from the clock. */
	raw = new_token(&in);
	assert_string_equal(raw, jwt);
	free(raw);
	free(jwt);
}

/* The signature is HMAC-SHA256 of "header.payload" as OpenSSL computes it. */
static void
test_signature_independent(void **state)
{
	struct token_voice in;
	char *jwt, *h, *p, *again;

	(void)state;
	full_input(&in);
	jwt = new_token(&in);
	h = part(jwt, 0, NULL);
	p = part(jwt, 1, NULL);
	again = raw_token(h, p, SECRET);
	assert_string_equal(again, jwt);
	free(again);
	free(h);
	free(p);
	free(jwt);
}

static void
test_optional_grants(void **state)
{
	struct token_voice in;
	json_t *c;
	char *jwt;

	(void)state;
	full_input(&in);
	in.outgoing_application_sid = NULL;
	in.push_credential_sid = NULL;
	jwt = new_token(&in);
	assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c), TOKEN_OK);
	assert_json_text(json_object_get(c, "grants"),
	    "{\"identity\":\"" IDENTITY "\",\"voice\":{\"incoming\":"
	    "{\"allow\":true}}}");
	json_decref(c);
	free(jwt);

	full_input(&in);
	in.incoming_allow = 0;
	in.push_credential_sid = NULL;
	in.identity = "x";
	jwt = new_token(&in);
	assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c), TOKEN_OK);
	assert_json_text(json_object_get(c, "grants"),
	    "{\"identity\":\"x\",\"voice\":{\"outgoing\":"
	    "{\"application_sid\":\"" AP "\"}}}");
	json_decref(c);
	free(jwt);
}

static void
test_ttl_bounds(void **state)
{
	static const long good[] = { 1, 60, 3600, 86400 };
	static const long bad[] = { 0, -1, -3600, 86401, 1000000 };
	struct token_voice in;
	char err[128];
	json_t *c;
	char *jwt;

	(void)state;
	token_voice_defaults(&in);
	assert_int_equal(in.ttl_s, 3600);
	assert_null(in.account_sid);
	assert_int_equal(in.incoming_allow, 0);
	assert_int_equal(in.now, 0);

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		full_input(&in);
		in.ttl_s = good[i];
		jwt = new_token(&in);
		assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c),
		    TOKEN_OK);
		assert_int_equal(json_integer_value(json_object_get(c, "exp")),
		    NOW + good[i]);
		assert_int_equal(json_integer_value(json_object_get(c, "nbf")),
		    NOW);
		json_decref(c);
		free(jwt);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		full_input(&in);
		in.ttl_s = bad[i];
		err[0] = '\0';
		assert_null(token_voice_new(&in, err, sizeof(err)));
		assert_string_equal(err, "ttl_s: expected 1-86400 seconds");
	}
}

/* 121 characters: the longest identity ramal accepts. */
#define ID121 \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-" \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"

static void
test_bad_inputs(void **state)
{
	static const struct {
		const char *field, *value, *want;
	} cases[] = {
		{ "account", NULL, "account_sid:" },
		{ "account", "", "account_sid:" },
		{ "account", SK, "account_sid:" },
		{ "account", "AC0123456789abcdef0123456789abcde",
		    "account_sid:" },
		{ "account", "AC0123456789abcdef0123456789abcdefa",
		    "account_sid:" },
		{ "account", "AC0123456789abcdef0123456789abcdeg",
		    "account_sid:" },
		{ "key", NULL, "api_key_sid:" },
		{ "key", AC, "api_key_sid:" },
		{ "key", "SK fedcba9876543210fedcba987654321", "api_key_sid:" },
		{ "secret", NULL, "api_key_secret:" },
		{ "secret", "", "api_key_secret:" },
		{ "identity", NULL, "identity:" },
		{ "identity", "", "identity:" },
		{ "identity", ID121 "x", "identity:" },
		{ "identity", "maria silva", "identity:" },
		{ "identity", "maria@example.com", "identity:" },
		{ "identity", "a/b", "identity:" },
		{ "identity", "a\"b", "identity:" },
		{ "identity", "jo\xc3\xa3o", "identity:" },
		{ "identity", "client:maria", "identity:" },
		{ "app", "", "outgoing_application_sid:" },
		{ "app", "AP0011", "outgoing_application_sid:" },
		{ "app", CR, "outgoing_application_sid:" },
		{ "push", "", "push_credential_sid:" },
		{ "push", AP, "push_credential_sid:" },
	};
	struct token_voice in;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *f = cases[i].field;

		full_input(&in);
		if (strcmp(f, "account") == 0)
			in.account_sid = cases[i].value;
		else if (strcmp(f, "key") == 0)
			in.api_key_sid = cases[i].value;
		else if (strcmp(f, "secret") == 0)
			in.api_key_secret = cases[i].value;
		else if (strcmp(f, "identity") == 0)
			in.identity = cases[i].value;
		else if (strcmp(f, "app") == 0)
			in.outgoing_application_sid = cases[i].value;
		else
			in.push_credential_sid = cases[i].value;
		err[0] = '\0';
		if (token_voice_new(&in, err, sizeof(err)) != NULL)
			fail_msg("case %zu (%s) was accepted", i, f);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: err \"%s\", want \"%s...\"", i, err,
			    cases[i].want);
	}

	/* Neither incoming nor outgoing: a token that grants nothing. */
	full_input(&in);
	in.incoming_allow = 0;
	in.outgoing_application_sid = NULL;
	assert_null(token_voice_new(&in, err, sizeof(err)));
	assert_string_equal(err,
	    "grants: neither incoming nor outgoing calls allowed");

	full_input(&in);
	in.now = 0;
	assert_null(token_voice_new(&in, err, sizeof(err)));
	assert_string_equal(err, "now: not set");
	in.now = -5;
	assert_null(token_voice_new(&in, err, sizeof(err)));

	assert_null(token_voice_new(NULL, err, sizeof(err)));
	assert_string_equal(err, "no input");

	/* No room for the reason is fine; the message is cut, not overrun. */
	full_input(&in);
	in.identity = "";
	assert_null(token_voice_new(&in, NULL, 0));
	assert_null(token_voice_new(&in, err, 5));
	assert_string_equal(err, "iden");

	/* The longest identity, and upper-case hex in SIDs, are fine. */
	full_input(&in);
	in.identity = ID121;
	assert_int_equal(strlen(ID121), 121);
	in.account_sid = "AC0123456789ABCDEF0123456789ABCDEF";
	free(new_token(&in));
}

static void
test_roundtrip(void **state)
{
	static const char *ids[] = { "a", "maria.silva", "agent_07",
		"team-sp.agent_07", ID121 };
	struct token_voice in;
	json_t *h, *c, *g;
	char *jwt;

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		full_input(&in);
		in.identity = ids[i];
		in.now = NOW + (time_t)i;
		jwt = new_token(&in);
		assert_int_equal(token_decode_claims(jwt, SECRET, &h, &c),
		    TOKEN_OK);
		assert_non_null(h);
		g = json_object_get(c, "grants");
		assert_string_equal(json_string_value(
					json_object_get(g, "identity")),
		    ids[i]);
		assert_int_equal(json_integer_value(json_object_get(c, "iat")),
		    NOW + (long)i);
		json_decref(h);
		json_decref(c);
		free(jwt);
	}
}

static void
test_wrong_secret(void **state)
{
	struct token_voice in;
	json_t *h = (json_t *)1, *c = (json_t *)1;
	char *jwt;

	(void)state;
	full_input(&in);
	jwt = new_token(&in);
	assert_int_equal(token_decode_claims(jwt, SECRET "x", &h, &c),
	    TOKEN_BAD_SIGNATURE);
	assert_null(h);
	assert_null(c);
	assert_int_equal(token_decode_claims(jwt, "s3cr3t", &h, &c),
	    TOKEN_BAD_SIGNATURE);
	assert_int_equal(token_decode_claims(jwt, "", &h, &c),
	    TOKEN_BAD_SIGNATURE);
	assert_int_equal(token_decode_claims(jwt, NULL, &h, &c),
	    TOKEN_BAD_SIGNATURE);
	assert_null(c);
	free(jwt);
}

static void
test_tampered(void **state)
{
	struct token_voice in;
	json_t *c;
	char *jwt, *other, *mix, *p, was;
	size_t n;

	(void)state;
	full_input(&in);
	jwt = new_token(&in);
	n = strlen(jwt);

	/* One character of the payload changed. */
	p = strchr(jwt, '.') + 5;
	was = *p;
	*p = was == 'A' ? 'B' : 'A';
	assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c),
	    TOKEN_BAD_SIGNATURE);
	assert_null(c);
	*p = was; /* restored: good again */
	assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c), TOKEN_OK);
	json_decref(c);

	/* The payload of another valid token under the first's signature. */
	in.identity = "mallory";
	other = new_token(&in);
	mix = strdup(other);
	assert_non_null(mix);
	strcpy(strrchr(mix, '.'), strrchr(jwt, '.'));
	assert_int_equal(token_decode_claims(mix, SECRET, NULL, &c),
	    TOKEN_BAD_SIGNATURE);
	free(mix);
	free(other);

	/* The signature changed, cut or dropped. */
	jwt[n - 1] = jwt[n - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c),
	    TOKEN_BAD_SIGNATURE);
	jwt[n - 1] = '\0';
	assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c),
	    TOKEN_BAD_SIGNATURE);
	strrchr(jwt, '.')[1] = '\0';
	assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c),
	    TOKEN_BAD_SIGNATURE);
	free(jwt);

	/* A header changed to another alg (same signature). */
	full_input(&in);
	jwt = new_token(&in);
	p = b64url("{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
	    strlen("{\"alg\":\"HS512\",\"typ\":\"JWT\"}"));
	mix = malloc(strlen(jwt) + strlen(p) + 1);
	assert_non_null(mix);
	strcpy(mix, p);
	strcat(mix, strchr(jwt, '.'));
	assert_int_equal(token_decode_claims(mix, SECRET, NULL, &c),
	    TOKEN_BAD_ALG);
	free(mix);
	free(p);
	free(jwt);
}

/* Headers signed correctly with the right secret but not HS256. */
static void
test_alg_refused(void **state)
{
	static const char *headers[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"None\"}",
		"{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS384\"}",
		"{\"alg\":\"RS256\"}",
		"{\"alg\":\"hs256\"}",
		"{\"alg\":\"HS256 \"}",
		"{\"alg\":256}",
		"{\"alg\":null}",
		"{\"alg\":[\"HS256\"]}",
		"{\"typ\":\"JWT\"}",
		"{}",
		"{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
	};
	json_t *h, *c;
	char *jwt;

	(void)state;
	/* Control: the hand-made signer is right, so refusals are the alg. */
	jwt = raw_token("{\"alg\":\"HS256\"}", "{\"sub\":\"x\"}", SECRET);
	assert_int_equal(token_decode_claims(jwt, SECRET, &h, &c), TOKEN_OK);
	assert_json_text(h, "{\"alg\":\"HS256\"}");
	assert_json_text(c, "{\"sub\":\"x\"}");
	json_decref(h);
	json_decref(c);
	free(jwt);

	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		jwt = raw_token(headers[i], "{\"sub\":\"x\"}", SECRET);
		if (token_decode_claims(jwt, SECRET, NULL, &c) != TOKEN_BAD_ALG)
			fail_msg("header %s accepted", headers[i]);
		assert_null(c);
		/* The unsigned form of alg "none": empty signature part. */
		strrchr(jwt, '.')[1] = '\0';
		assert_int_equal(token_decode_claims(jwt, SECRET, NULL, &c),
		    TOKEN_BAD_ALG);
		free(jwt);
	}
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"", ".", "..", "abc", "abc.def", "a.b.c.d",
		".eyJzdWIiOiJ4In0.sig", "eyJhbGciOiJIUzI1NiJ9..sig",
		"eyJhbGciOiJIUzI1NiJ9=.eyJzdWIiOiJ4In0.sig",
		"eyJhbGci*iJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
		"e.eyJzdWIiOiJ4In0.sig",
		"W10.eyJzdWIiOiJ4In0.sig", /* header [] */
		"bnVsbA.eyJzdWIiOiJ4In0.sig", /* header null */
	};
	static const char *payloads[] = {
		"[]",
		"\"x\"",
		"42",
		"{\"sub\":\"x\"",
		"{\"sub\":\"x\",\"sub\":\"y\"}",
		"{\"sub\":\"x\"} trailing",
		"",
	};
	static const char *parts[] = {
		"eyJzdWIiOiJ4In0", /* {"sub":"x"} (control) */
		"eyJzdWIiOiJ4In0=",
		"eyJzdWIiOiJ4In1", /* non-canonical last character */
		"eyJzdWIiOiI/In0", /* {"sub":"?"} in standard base64 */
		"eyJzdWIiOiI+In0",
		"eyJzdWIi OiJ4In0",
	};
	json_t *c;
	char *jwt, *p;

	(void)state;
	assert_int_equal(token_decode_claims(NULL, SECRET, NULL, &c),
	    TOKEN_MALFORMED);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (token_decode_claims(bad[i], SECRET, NULL, &c) !=
		    TOKEN_MALFORMED)
			fail_msg("\"%s\" not refused as malformed", bad[i]);

	/* Correctly signed, but the payload is not one JSON object. */
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		jwt = raw_token("{\"alg\":\"HS256\"}", payloads[i], SECRET);
		if (token_decode_claims(jwt, SECRET, NULL, &c) !=
		    TOKEN_MALFORMED)
			fail_msg("payload %s accepted", payloads[i]);
		assert_null(c);
		free(jwt);
	}

	/*
	 * Signed correctly, but a part is not strict base64url: padding,
	 * standard base64's '+' and '/', unused low bits set.  Control first.
	 */
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		jwt = sign_parts("eyJhbGciOiJIUzI1NiJ9", parts[i], SECRET);
		c = NULL;
		if (token_decode_claims(jwt, SECRET, NULL, &c) !=
		    (i == 0 ? TOKEN_OK : TOKEN_MALFORMED))
			fail_msg("payload part %s: wrong result", parts[i]);
		json_decref(c);
		free(jwt);
	}
	jwt = raw_token("{\"alg\":\"HS256\"}", "{\"s\":\"x\"}", SECRET);
	p = malloc(strlen(jwt) + 2);
	assert_non_null(p);
	snprintf(p, strlen(jwt) + 2, "%s=", jwt);
	assert_int_equal(token_decode_claims(p, SECRET, NULL, &c),
	    TOKEN_BAD_SIGNATURE);
	free(p);
	free(jwt);

	/* Longer than TOKEN_MAXLEN. */
	p = malloc(TOKEN_MAXLEN + 2);
	assert_non_null(p);
	memset(p, 'A', TOKEN_MAXLEN + 1);
	p[10] = '.';
	p[20] = '.';
	p[TOKEN_MAXLEN + 1] = '\0';
	assert_int_equal(token_decode_claims(p, SECRET, NULL, &c),
	    TOKEN_MALFORMED);
	free(p);
}

static void
test_claims_current(void **state)
{
	json_t *c;

	(void)state;
	c = json_pack("{s:I, s:I}", "nbf", (json_int_t)1000, "exp",
	    (json_int_t)2000);
	assert_non_null(c);
	assert_false(token_claims_current(c, 999, 0));
	assert_true(token_claims_current(c, 1000, 0));
	assert_true(token_claims_current(c, 1999, 0));
	assert_false(token_claims_current(c, 2000, 0));
	assert_true(token_claims_current(c, 990, 10));
	assert_false(token_claims_current(c, 989, 10));
	assert_true(token_claims_current(c, 2009, 10));
	assert_false(token_claims_current(c, 2010, 10));
	assert_false(token_claims_current(c, 1500, -1));
	json_decref(c);

	c = json_pack("{s:s, s:I}", "nbf", "1000", "exp", (json_int_t)2000);
	assert_false(token_claims_current(c, 1500, 0));
	json_decref(c);
	c = json_pack("{s:I}", "nbf", (json_int_t)1000);
	assert_false(token_claims_current(c, 1500, 0));
	json_decref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_exact),
		cmocka_unit_test(test_claims_fixed),
		cmocka_unit_test(test_signature_independent),
		cmocka_unit_test(test_optional_grants),
		cmocka_unit_test(test_ttl_bounds),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_alg_refused),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_claims_current),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
