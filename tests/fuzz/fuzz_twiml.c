/*
 * Drive the TwiML builder with arbitrary text, attribute values and
 * open/close sequences, then re-scan the document with a small strict XML
 * checker: balanced tags, no raw '<' '>' '"' or stray '&' in text or
 * attribute values, only known entity references, valid UTF-8 and no
 * characters XML 1.0 forbids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "twiml.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"Say",
	"Play",
	"Dial",
	"Number",
	"Client",
	"Enqueue",
	"Task",
	"Record",
	"Hangup",
	"Redirect",
	"Pause",
	"Gather",
};
static const char *const attrs[] = {
	"action",
	"language",
	"voice",
	"url",
	"loop",
	"timeout",
};

#define NNAMES (sizeof(names) / sizeof(names[0]))
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned
take_byte(struct input *in)
{
	unsigned c;

	if (in->n == 0)
		return 0;
	c = in->p[0];
	in->p++;
	in->n--;
	return c;
}

/* A NUL-terminated string of up to 255 input bytes (free()), or NULL. */
static char *
take_string(struct input *in)
{
	size_t len = take_byte(in);
	char *s;

	if (len == 255)
		return NULL;
	if (len > in->n)
		len = in->n;
	s = xstrndup((const char *)in->p, len);
	in->p += len;
	in->n -= len;
	return s;
}

/* The byte length of the entity reference at s ('&'), or 0 if invalid. */
static size_t
entity_len(const char *s)
{
	static const char *const ents[] = {
		"&amp;",
		"&lt;",
		"&gt;",
		"&quot;",
		"&apos;",
		"&#9;",
		"&#10;",
		"&#13;",
	};
	size_t i, n;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		n = strlen(ents[i]);
		if (strncmp(s, ents[i], n) == 0)
			return n;
	}
	return 0;
}

/* Character data up to the next '<' (text) or '"' (attribute). */
static const char *
check_chars(const char *p, char stop)
{
	const char *start = p;
	size_t n;

	while (*p != stop) {
		if (*p == '\0' || *p == '<' || *p == '>' || *p == '"' ||
		    *p == '\'' || (unsigned char)*p < 0x20)
			abort();
		if (*p == '&') {
			if ((n = entity_len(p)) == 0)
				abort();
			p += n;
			continue;
		}
		/* U+FFFE, U+FFFF */
		if ((unsigned char)p[0] == 0xef &&
		    (unsigned char)p[1] == 0xbf &&
		    ((unsigned char)p[2] == 0xbe ||
			(unsigned char)p[2] == 0xbf))
			abort();
		p++;
	}
	if (!util_utf8_valid(start, (size_t)(p - start)))
		abort();
	return p;
}

static const char *
check_name(const char *p, size_t *len)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'))
		n++;
	if (n == 0)
		abort();
	*len = n;
	return p + n;
}

static void
check_doc(const char *doc, size_t len)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
	/* Response, the open elements, and a leaf with text. */
	const char *stack[TWIML_MAX_DEPTH + 2];
	size_t slen[TWIML_MAX_DEPTH + 2], nlen, elen;
	const char *p, *name;
	int depth = 0, seen_root = 0;

	if (strlen(doc) != len || strncmp(doc, head, sizeof(head) - 1) != 0)
		abort();
	p = doc + sizeof(head) - 1;
	for (;;) {
		if (depth == 0 && seen_root) {
			if (*p != '\0')
				abort();
			return;
		}
		if (*p != '<') {
			if (depth == 0)
				abort();
			p = check_chars(p, '<');
			continue;
		}
		p++;
		if (*p == '/') {
			name = p + 1;
			p = check_name(name, &nlen);
			if (depth == 0 || *p != '>' ||
			    nlen != slen[depth - 1] ||
			    memcmp(name, stack[depth - 1], nlen) != 0)
				abort();
			depth--;
			p++;
			continue;
		}
		name = p;
		p = check_name(name, &elen);
		if (!seen_root &&
		    (elen != 8 || memcmp(name, "Response", 8) != 0))
			abort();
		seen_root = 1;
		while (*p == ' ') {
			p = check_name(p + 1, &nlen);
			if (p[0] != '=' || p[1] != '"')
				abort();
			p = check_chars(p + 2, '"') + 1;
		}
		if (p[0] == '/' && p[1] == '>') {
			p += 2;
			continue;
		}
		if (*p != '>' || depth == TWIML_MAX_DEPTH + 2)
			abort();
		stack[depth] = name;
		slen[depth] = elen;
		depth++;
		p++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct twiml t;
	struct buf b;
	char *text, *v1, *v2, *doc;
	const char *name;
	size_t len;
	unsigned op;
	int expect_fail = 0, depth = 0;

	twiml_init(&t);
	while (in.n > 0) {
		op = take_byte(&in);
		name = names[(op >> 3) % NNAMES];
		switch (op & 7) {
		case 0:
		case 1:
			v1 = take_string(&in);
			twiml_open(&t, name, attrs[op % NATTRS], v1, "url",
			    "https://h/x?a=1&b=2", NULL);
			free(v1);
			if (++depth > TWIML_MAX_DEPTH)
				expect_fail = 1;
			break;
		case 2:
			twiml_close(&t);
			if (--depth < 0)
				expect_fail = 1;
			break;
		case 3:
		case 4:
		case 5:
			text = take_string(&in);
			v1 = take_string(&in);
			v2 = take_string(&in);
			twiml_leaf(&t, name, text, attrs[op % NATTRS], v1,
			    attrs[(op + 1) % NATTRS], v2, NULL);
			free(text);
			free(v1);
			free(v2);
			break;
		default:
			/* twiml_escape alone: only character data comes out. */
			text = take_string(&in);
			if (text == NULL)
				break;
			buf_init(&b, 4096);
			if (twiml_escape(&b, text) == 0) {
				buf_addc(&b, '<');
				check_chars(buf_cstr(&b), '<');
			} else if (b.len != 0)
				abort();
			buf_cleanup(&b);
			free(text);
			break;
		}
		if (expect_fail)
			break;
	}

	doc = twiml_finish(&t, &len);
	if (doc != NULL) {
		if (expect_fail)
			abort();
		check_doc(doc, len);
		free(doc);
	}
	twiml_cleanup(&t);
	return 0;
}
