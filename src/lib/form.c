/*
 * application/x-www-form-urlencoded bodies (Twilio's webhook parameters).
 */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "util.h"

void
form_init(struct form *f)
{
	f->v = NULL;
	f->n = 0;
	f->cap = 0;
}

void
form_cleanup(struct form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	form_init(f);
}

/* Take ownership of name and value. */
static void
form_push(struct form *f, char *name, char *value)
{
	size_t ncap;

	if (f->n == f->cap) {
		ncap = f->cap > 0 ? f->cap * 2 : 16;
		if (ncap < f->cap || ncap > SIZE_MAX / sizeof(*f->v))
			abort();
		f->v = xrealloc(f->v, ncap * sizeof(*f->v));
		f->cap = ncap;
	}
	f->v[f->n].name = name;
	f->v[f->n].value = value;
	f->n++;
}

void
form_add(struct form *f, const char *name, const char *value)
{
	form_push(f, xstrdup(name), xstrdup(value));
}

const char *
form_get(const struct form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}

char *
form_decode(const char *s, size_t len, int plus_is_space, size_t *outlen)
{
	char *out = NULL;
	size_t i, o;
	int hi, lo;
	unsigned char c;

	/* Decoding never grows the text. */
	out = xmalloc(len + 1);
	for (i = o = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3)
				goto fail;
			hi = util_hex_value((unsigned char)s[i + 1]);
			lo = util_hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto fail;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		if (c == '\0')
			goto fail;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!util_utf8_valid(out, o))
		goto fail;
	if (outlen != NULL)
		*outlen = o;
	return out;

fail:
	free(out);
	return NULL;
}

int
form_parse(struct form *f, const char *body, size_t len, size_t max_pairs)
{
	const char *seg, *end, *eq, *amp;
	char *name = NULL, *value = NULL;
	size_t start = f->n, seglen, added = 0;

	if (len == 0)
		return 0;
	seg = body;
	end = body + len;
	while (seg < end) {
		seglen = (size_t)(end - seg);
		amp = memchr(seg, '&', seglen);
		if (amp != NULL)
			seglen = (size_t)(amp - seg);

		if (seglen > 0) {
			if (++added > max_pairs)
				goto fail;
			eq = memchr(seg, '=', seglen);
			if (eq == NULL) {
				name = form_decode(seg, seglen, 1, NULL);
				value = xstrdup("");
			} else {
				name = form_decode(seg, (size_t)(eq - seg), 1,
				    NULL);
				value = form_decode(eq + 1,
				    seglen - (size_t)(eq - seg) - 1, 1, NULL);
			}
			if (name == NULL || value == NULL)
				goto fail;
			form_push(f, name, value);
			name = value = NULL;
		}
		if (amp == NULL)
			break;
		seg = amp + 1;
	}
	return 0;

fail:
	free(name);
	free(value);
	while (f->n > start) {
		f->n--;
		free(f->v[f->n].name);
		free(f->v[f->n].value);
	}
	return -1;
}
