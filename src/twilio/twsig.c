/*
 * X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted form pairs.
 *
 * HMAC is done by hand over two keyed SHA-1 states (RFC 2104): the key
 * object absorbs key^ipad and key^opad once, and every check starts from
 * copies of those states.  That saves the key schedule and the algorithm
 * fetch on each request; the copies are per call, so one key can serve
 * every thread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "twsig.h"
#include "util.h"

#define TWSIG_BLOCK 64 /* SHA-1 block size */
#define TWSIG_MACLEN 20 /* SHA-1 digest size */
#define TWSIG_B64LEN 28 /* base64 of 20 bytes */
#define TWSIG_SHA256LEN 32
#define TWSIG_STACK_PAIRS 64

struct twsig_key {
	EVP_MD *sha1;
	EVP_MD *sha256;
	EVP_MD_CTX *inner; /* has absorbed key ^ ipad */
	EVP_MD_CTX *outer; /* has absorbed key ^ opad */
};

/* The URL to sign as up to three pieces, so port variants need no copy. */
struct twsig_url {
	const char *part[3];
	size_t len[3];
	int n;
};

struct twsig_key *
twsig_key_new(const char *auth_token)
{
	struct twsig_key *k = NULL;
	uint8_t block[TWSIG_BLOCK], pad[TWSIG_BLOCK];
	size_t tlen, i;
	unsigned int dlen;
	int ok = 0;

	if (auth_token == NULL)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	memset(block, 0, sizeof(block));
	memset(pad, 0, sizeof(pad));

	if ((k->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)) == NULL ||
	    (k->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		goto out;

	/* RFC 2104: a key longer than the block is hashed first. */
	tlen = strlen(auth_token);
	if (tlen > TWSIG_BLOCK) {
		if (EVP_Digest(auth_token, tlen, block, &dlen, k->sha1, NULL) !=
		    1)
			goto out;
	} else
		memcpy(block, auth_token, tlen);

	if ((k->inner = EVP_MD_CTX_new()) == NULL ||
	    (k->outer = EVP_MD_CTX_new()) == NULL)
		goto out;

	for (i = 0; i < TWSIG_BLOCK; i++)
		pad[i] = block[i] ^ 0x36;
	if (EVP_DigestInit_ex(k->inner, k->sha1, NULL) != 1 ||
	    EVP_DigestUpdate(k->inner, pad, sizeof(pad)) != 1)
		goto out;
	for (i = 0; i < TWSIG_BLOCK; i++)
		pad[i] = block[i] ^ 0x5c;
	if (EVP_DigestInit_ex(k->outer, k->sha1, NULL) != 1 ||
	    EVP_DigestUpdate(k->outer, pad, sizeof(pad)) != 1)
		goto out;
	ok = 1;

out:
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(pad, sizeof(pad));
	if (!ok) {
		twsig_key_free(k);
		k = NULL;
	}
	return k;
}

void
twsig_key_free(struct twsig_key *k)
{
	if (k == NULL)
		return;
	/* Freeing a digest context clears the provider's hash state. */
	EVP_MD_CTX_free(k->inner);
	EVP_MD_CTX_free(k->outer);
	EVP_MD_free(k->sha1);
	EVP_MD_free(k->sha256);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

static int
twsig_pair_cmp(const void *a, const void *b)
{
	const struct form_pair *pa = *(const struct form_pair *const *)a;
	const struct form_pair *pb = *(const struct form_pair *const *)b;
	int c;

	if ((c = strcmp(pa->name, pb->name)) != 0)
		return c;
	return strcmp(pa->value, pb->value);
}

/*
 * The pairs of params in signing order: by name, then by value.  Exact
 * duplicates (same name and value) are kept once, as Twilio's current
 * helper libraries do (they collect each name's values into a set).
 * Returns the count; *v is either stack (when it fits) or malloc'd.
 */
static size_t
twsig_sorted(const struct form *params, const struct form_pair **stack,
    const struct form_pair ***v)
{
	const struct form_pair **p;
	size_t i, n;

	*v = stack;
	if (params == NULL || params->n == 0)
		return 0;
	p = stack;
	if (params->n > TWSIG_STACK_PAIRS)
		p = xmalloc(params->n * sizeof(*p));
	for (i = 0; i < params->n; i++)
		p[i] = &params->v[i];
	qsort(p, params->n, sizeof(*p), twsig_pair_cmp);

	for (i = n = 0; i < params->n; i++)
		if (n == 0 || twsig_pair_cmp(&p[n - 1], &p[i]) != 0)
			p[n++] = p[i];
	*v = p;
	return n;
}

/* HMAC of url + pairs with the key's precomputed states.  0 / -1. */
static int
twsig_mac(const struct twsig_key *k, EVP_MD_CTX *ctx, const struct twsig_url *u,
    const struct form_pair **pairs, size_t n, uint8_t mac[TWSIG_MACLEN])
{
	uint8_t ih[EVP_MAX_MD_SIZE];
	unsigned int ilen, mlen;
	size_t i;
	int rc = -1;

	if (EVP_MD_CTX_copy_ex(ctx, k->inner) != 1)
		goto out;
	for (i = 0; i < (size_t)u->n; i++)
		if (EVP_DigestUpdate(ctx, u->part[i], u->len[i]) != 1)
			goto out;
	for (i = 0; i < n; i++) {
		if (EVP_DigestUpdate(ctx, pairs[i]->name,
			strlen(pairs[i]->name)) != 1 ||
		    EVP_DigestUpdate(ctx, pairs[i]->value,
			strlen(pairs[i]->value)) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, ih, &ilen) != 1)
		goto out;
	if (EVP_MD_CTX_copy_ex(ctx, k->outer) != 1 ||
	    EVP_DigestUpdate(ctx, ih, ilen) != 1 ||
	    EVP_DigestFinal_ex(ctx, mac, &mlen) != 1 || mlen != TWSIG_MACLEN)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(ih, sizeof(ih));
	return rc;
}

/*
 * Split url into the forms to try, as Twilio's helper libraries do: itself,
 * and the variant with its port removed when it has one (any port:
 * Twilio signs HTTPS voice webhooks without it, whatever it is), or with
 * the scheme's default port added when it has none.  Returns how many (1
 * or 2).  Only http and https get a variant, and only when the authority
 * is a plain host (a name, IPv4 or a bracketed IPv6 literal) with no port
 * or a port of digits; userinfo is not supported.
 */
static int
twsig_url_variants(const char *url, struct twsig_url v[2])
{
	const char *auth, *end, *colon, *dport, *p;
	size_t alen, plen;

	v[0].part[0] = url;
	v[0].len[0] = strlen(url);
	v[0].n = 1;

	if (strncasecmp(url, "https://", 8) == 0) {
		auth = url + 8;
		dport = ":443";
	} else if (strncasecmp(url, "http://", 7) == 0) {
		auth = url + 7;
		dport = ":80";
	} else
		return 1;

	alen = strcspn(auth, "/?#");
	end = auth + alen;
	if (alen == 0 || memchr(auth, '@', alen) != NULL)
		return 1;

	if (auth[0] == '[') {
		p = memchr(auth, ']', alen);
		if (p == NULL)
			return 1;
		p++;
		if (p == end)
			colon = NULL;
		else if (*p == ':')
			colon = p;
		else
			return 1;
	} else {
		colon = memchr(auth, ':', alen);
		if (colon != NULL &&
		    memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL)
			return 1;
	}

	if (colon == NULL) {
		/* No port: try with the default one added. */
		v[1].part[0] = url;
		v[1].len[0] = (size_t)(end - url);
		v[1].part[1] = dport;
		v[1].len[1] = strlen(dport);
		v[1].part[2] = end;
		v[1].len[2] = strlen(end);
		v[1].n = 3;
		return 2;
	}

	plen = (size_t)(end - colon - 1);
	if (plen == 0 || plen > 5 || strspn(colon + 1, "0123456789") != plen)
		return 1;
	/* A port, default or not: try without it. */
	v[1].part[0] = url;
	v[1].len[0] = (size_t)(colon - url);
	v[1].part[1] = end;
	v[1].len[1] = strlen(end);
	v[1].n = 2;
	return 2;
}

/* 1 when sig is the signature of one of url's variants with pairs. */
static int
twsig_check(const struct twsig_key *k, const char *url,
    const struct form_pair **pairs, size_t n, const char *sig)
{
	struct twsig_url v[2];
	EVP_MD_CTX *ctx = NULL;
	uint8_t mac[TWSIG_MACLEN];
	char b64[TWSIG_B64LEN + 1];
	int i, nv, ok = 0;

	if (sig == NULL || strnlen(sig, TWSIG_B64LEN + 1) != TWSIG_B64LEN)
		return 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;

	nv = twsig_url_variants(url, v);
	for (i = 0; i < nv && !ok; i++) {
		if (twsig_mac(k, ctx, &v[i], pairs, n, mac) == -1)
			break;
		EVP_EncodeBlock((unsigned char *)b64, mac, TWSIG_MACLEN);
		ok = util_ct_equal(b64, TWSIG_B64LEN, sig, TWSIG_B64LEN);
	}

	EVP_MD_CTX_free(ctx);
	return ok;
}

int
twsig_sign(const struct twsig_key *k, const char *url,
    const struct form *params, char out[29])
{
	const struct form_pair *stack[TWSIG_STACK_PAIRS], **pairs = NULL;
	struct twsig_url u;
	EVP_MD_CTX *ctx = NULL;
	uint8_t mac[TWSIG_MACLEN];
	size_t n;
	int rc = -1;

	out[0] = '\0';
	if (k == NULL || url == NULL)
		return -1;
	n = twsig_sorted(params, stack, &pairs);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	u.part[0] = url;
	u.len[0] = strlen(url);
	u.n = 1;
	if (twsig_mac(k, ctx, &u, pairs, n, mac) == -1)
		goto out;
	EVP_EncodeBlock((unsigned char *)out, mac, TWSIG_MACLEN);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	if (pairs != stack)
		free(pairs);
	return rc;
}

int
twsig_check_form(const struct twsig_key *k, const char *url,
    const struct form *params, const char *sig)
{
	const struct form_pair *stack[TWSIG_STACK_PAIRS], **pairs = NULL;
	size_t n;
	int ok;

	if (k == NULL || url == NULL || sig == NULL)
		return 0;
	n = twsig_sorted(params, stack, &pairs);
	ok = twsig_check(k, url, pairs, n, sig);
	if (pairs != stack)
		free(pairs);
	return ok;
}

/*
 * The value of bodySHA256 in url's query, decoded into out.  0 / -1 (no
 * such parameter, or not 64 hex digits).  The first occurrence wins.
 */
static int
twsig_body_hash(const char *url, uint8_t out[TWSIG_SHA256LEN])
{
	static const char name[] = "bodySHA256=";
	const char *q, *end, *amp;
	size_t seglen;

	if ((q = strchr(url, '?')) == NULL)
		return -1;
	q++;
	end = q + strcspn(q, "#");
	while (q < end) {
		amp = memchr(q, '&', (size_t)(end - q));
		seglen = (size_t)((amp != NULL ? amp : end) - q);
		if (seglen >= sizeof(name) - 1 &&
		    memcmp(q, name, sizeof(name) - 1) == 0) {
			if (util_hex_decode(q + sizeof(name) - 1,
				seglen - (sizeof(name) - 1), out,
				TWSIG_SHA256LEN) != TWSIG_SHA256LEN)
				return -1;
			return 0;
		}
		if (amp == NULL)
			break;
		q = amp + 1;
	}
	return -1;
}

int
twsig_check_body(const struct twsig_key *k, const char *url, const void *body,
    size_t len, const char *sig)
{
	EVP_MD_CTX *ctx = NULL;
	uint8_t want[TWSIG_SHA256LEN], got[EVP_MAX_MD_SIZE];
	unsigned int glen = 0;
	int hash_ok, sig_ok;

	if (k == NULL || url == NULL || sig == NULL ||
	    (body == NULL && len > 0))
		return 0;
	if (twsig_body_hash(url, want) == -1)
		return 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	hash_ok = EVP_DigestInit_ex(ctx, k->sha256, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, body, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, got, &glen) == 1 &&
	    util_ct_equal(got, glen, want, sizeof(want));
	EVP_MD_CTX_free(ctx);

	sig_ok = twsig_check(k, url, NULL, 0, sig);
	return hash_ok && sig_ok;
}
