/*
 * TwiML <Response> builder.  Every string that is not an element or
 * attribute name goes through twiml_escape(), so the document is well-formed
 * XML whatever the caller passes in.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "twiml.h"
#include "util.h"

static const char twiml_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>";
static const char twiml_tail[] = "</Response>";

/* U+FFFD, written for each byte that is not part of valid UTF-8. */
static const char twiml_replacement[] = "\xef\xbf\xbd";

void
twiml_init(struct twiml *t)
{
	buf_init(&t->b, TWIML_MAX_SIZE);
	t->depth = 0;
	t->failed = buf_addstr(&t->b, twiml_head) == -1;
}

void
twiml_cleanup(struct twiml *t)
{
	buf_cleanup(&t->b);
	t->depth = 0;
	t->failed = 0;
}

/* Length of the UTF-8 sequence a lead byte announces, 0 if it is none. */
static size_t
twiml_seqlen(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

int
twiml_escape(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *rep;
	size_t before = b->len, run = 0, i = 0, n, left;
	unsigned char c;

	left = strlen(s);
	while (i < left) {
		c = p[i];
		rep = NULL;
		n = 1;
		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		/*
		 * As character references these survive attribute-value
		 * normalisation and CR/LF folding in the parser.
		 */
		case '\t':
			rep = "&#9;";
			break;
		case '\n':
			rep = "&#10;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		default:
			if (c < 0x20) {
				rep = ""; /* XML 1.0 has no such characters */
			} else if (c >= 0x80) {
				n = twiml_seqlen(c);
				if (n == 0 || left - i < n ||
				    !util_utf8_valid(s + i, n)) {
					rep = twiml_replacement;
					n = 1;
				} else if (n == 3 && c == 0xef &&
				    p[i + 1] == 0xbf && p[i + 2] >= 0xbe) {
					/* U+FFFE, U+FFFF: not XML chars */
					rep = "";
				}
			}
			break;
		}
		if (rep == NULL) {
			run += n;
			i += n;
			continue;
		}
		if (run > 0 && buf_add(b, s + i - run, run) == -1)
			goto fail;
		run = 0;
		if (buf_addstr(b, rep) == -1)
			goto fail;
		i += n;
	}
	if (run > 0 && buf_add(b, s + i - run, run) == -1)
		goto fail;
	return 0;

fail:
	b->len = before;
	if (b->ptr != NULL)
		b->ptr[before] = '\0';
	return -1;
}

static void
twiml_put(struct twiml *t, const char *s)
{
	if (!t->failed && buf_addstr(&t->b, s) == -1)
		t->failed = 1;
}

static void
twiml_put_escaped(struct twiml *t, const char *s)
{
	if (!t->failed && twiml_escape(&t->b, s) == -1)
		t->failed = 1;
}

/* "<name" and the attributes of ap; the caller ends the tag. */
static void
twiml_start_tag(struct twiml *t, const char *name, va_list ap)
{
	const char *an, *av;

	twiml_put(t, "<");
	twiml_put(t, name);
	while ((an = va_arg(ap, const char *)) != NULL) {
		av = va_arg(ap, const char *);
		if (av == NULL)
			continue;
		twiml_put(t, " ");
		twiml_put(t, an);
		twiml_put(t, "=\"");
		twiml_put_escaped(t, av);
		twiml_put(t, "\"");
	}
}

void
twiml_open(struct twiml *t, const char *name, ...)
{
	va_list ap;

	if (t->failed)
		return;
	if (t->depth >= TWIML_MAX_DEPTH) {
		t->failed = 1;
		return;
	}
	va_start(ap, name);
	twiml_start_tag(t, name, ap);
	va_end(ap);
	twiml_put(t, ">");
	t->stack[t->depth++] = name;
}

void
twiml_close(struct twiml *t)
{
	if (t->failed)
		return;
	if (t->depth == 0) {
		t->failed = 1;
		return;
	}
	t->depth--;
	twiml_put(t, "</");
	twiml_put(t, t->stack[t->depth]);
	twiml_put(t, ">");
}

void
twiml_leaf(struct twiml *t, const char *name, const char *text, ...)
{
	va_list ap;

	if (t->failed)
		return;
	va_start(ap, text);
	twiml_start_tag(t, name, ap);
	va_end(ap);
	if (text == NULL) {
		twiml_put(t, "/>");
		return;
	}
	twiml_put(t, ">");
	twiml_put_escaped(t, text);
	twiml_put(t, "</");
	twiml_put(t, name);
	twiml_put(t, ">");
}

char *
twiml_finish(struct twiml *t, size_t *len)
{
	char *doc = NULL;

	while (!t->failed && t->depth > 0)
		twiml_close(t);
	twiml_put(t, twiml_tail);
	if (!t->failed)
		doc = buf_take(&t->b, len);
	else if (len != NULL)
		*len = 0;
	twiml_cleanup(t);
	return doc;
}
