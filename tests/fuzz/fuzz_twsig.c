/*
 * Random tokens, URLs, parameters and signatures through twsig: it must
 * never crash, and what twsig_sign produces must always check.
 *
 * Input: token, url and sig as length-prefixed strings, the rest the body
 * (parsed as a form for check_form, hashed as-is for check_body).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "form.h"
#include "twsig.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t n;
};

static char *
take_string(struct input *in)
{
	size_t len = 0;
	char *s;

	if (in->n > 0) {
		len = in->p[0];
		in->p++;
		in->n--;
	}
	if (len > in->n)
		len = in->n;
	s = xstrndup((const char *)in->p, len);
	in->p += len;
	in->n -= len;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct twsig_key *k;
	struct form f;
	struct buf u;
	char *token, *url, *sig, good[29], hex[65];
	uint8_t h[32];
	unsigned int hlen;

	token = take_string(&in);
	url = take_string(&in);
	sig = take_string(&in);
	k = twsig_key_new(token);
	if (k == NULL)
		abort();

	form_init(&f);
	(void)form_parse(&f, (const char *)in.p, in.n, 128);

	/* Arbitrary signatures: any answer, no crash. */
	(void)twsig_check_form(k, url, &f, sig);
	(void)twsig_check_form(k, url, NULL, sig);
	(void)twsig_check_body(k, url, in.p, in.n, sig);

	/* Our own signature always checks, with and without pairs. */
	if (twsig_sign(k, url, &f, good) != 0 || strlen(good) != 28 ||
	    twsig_check_form(k, url, &f, good) != 1)
		abort();
	if (twsig_sign(k, url, NULL, good) != 0 ||
	    twsig_check_form(k, url, NULL, good) != 1)
		abort();

	/* A URL carrying the body's hash checks against that body. */
	if (strchr(url, '#') == NULL && strstr(url, "bodySHA256") == NULL) {
		if (EVP_Digest(in.p, in.n, h, &hlen, EVP_sha256(), NULL) != 1)
			abort();
		util_hex_encode(hex, h, sizeof(h));
		buf_init(&u, 1024);
		buf_addstr(&u, url);
		buf_addstr(&u, strchr(url, '?') != NULL ? "&" : "?");
		buf_addstr(&u, "bodySHA256=");
		buf_addstr(&u, hex);
		if (twsig_sign(k, buf_cstr(&u), NULL, good) != 0 ||
		    twsig_check_body(k, buf_cstr(&u), in.p, in.n, good) != 1)
			abort();
		/* One byte less of body must not check. */
		if (in.n > 0 &&
		    twsig_check_body(k, buf_cstr(&u), in.p, in.n - 1, good) !=
			0)
			abort();
		buf_cleanup(&u);
	}

	form_cleanup(&f);
	twsig_key_free(k);
	free(token);
	free(url);
	free(sig);
	return 0;
}
