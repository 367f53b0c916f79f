/*
 * form_parse / form_decode on arbitrary bytes.  Beyond "no crash": every
 * pair must be valid UTF-8 without NUL, a failed parse must add nothing,
 * and re-encoding the pairs must parse back to the same pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_addc(b, (char)c);
		else if (c == ' ')
			buf_addc(b, '+');
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

static void
check_string(const char *s, size_t len)
{
	/* strlen == decoded length: no NUL inside. */
	if (strlen(s) != len || !util_utf8_valid(s, len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f, g;
	struct buf b;
	const char *body = (const char *)data;
	char *d;
	size_t i, len;
	int rc;

	form_init(&f);
	form_add(&f, "pre", "existing");
	rc = form_parse(&f, body, size, 64);
	if (rc == -1) {
		if (f.n != 1 || strcmp(f.v[0].value, "existing") != 0)
			abort();
	} else {
		if (rc != 0 || f.n < 1 || f.n > 65)
			abort();
		buf_init(&b, 16 * size + 64);
		for (i = 1; i < f.n; i++) {
			check_string(f.v[i].name, strlen(f.v[i].name));
			check_string(f.v[i].value, strlen(f.v[i].value));
			if (i > 1)
				buf_addc(&b, '&');
			encode(&b, f.v[i].name);
			buf_addc(&b, '=');
			encode(&b, f.v[i].value);
		}
		form_init(&g);
		if (form_parse(&g, buf_cstr(&b), b.len, 64) != 0 ||
		    g.n != f.n - 1)
			abort();
		for (i = 0; i < g.n; i++)
			if (strcmp(g.v[i].name, f.v[i + 1].name) != 0 ||
			    strcmp(g.v[i].value, f.v[i + 1].value) != 0)
				abort();
		form_cleanup(&g);
		buf_cleanup(&b);
	}
	form_cleanup(&f);

	for (i = 0; i < 2; i++) {
		len = (size_t)-1;
		d = form_decode(body, size, (int)i, &len);
		if (d != NULL) {
			if (len > size)
				abort();
			check_string(d, len);
			free(d);
		}
	}
	return 0;
}
