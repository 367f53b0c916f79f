/*
 * A small XML reader for TwiML.  See include/lib/xmlmini.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"
#include "xmlmini.h"

#define MAX_DEPTH 16

struct cursor {
	const char *p, *end;
};

static void
skip_ws(struct cursor *c)
{
	while (c->p < c->end && isspace((unsigned char)*c->p))
		c->p++;
}

/* Decode s[0..n) (entities) into a new string; NULL on a bad entity. */
static char *
decode(const char *s, size_t n)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' } };
	struct buf b;
	size_t i = 0, k;

	buf_init(&b, n + 1);
	while (i < n) {
		if (s[i] != '&') {
			buf_addc(&b, s[i++]);
			continue;
		}
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t el = strlen(ents[k].ent);

			if (i + el <= n &&
			    memcmp(s + i, ents[k].ent, el) == 0) {
				buf_addc(&b, ents[k].c);
				i += el;
				break;
			}
		}
		if (k < sizeof(ents) / sizeof(ents[0]))
			continue;
		if (i + 3 < n && s[i + 1] == '#') {
			/* &#NN; or &#xNN; (ASCII only, enough for TwiML),
			 * read within s[0..n), which has no NUL after it. */
			int hexa = s[i + 2] == 'x';
			size_t j = i + 2 + (size_t)hexa;
			long v = 0;

			while (j < n && j < i + 8 &&
			    (hexa ? isxdigit((unsigned char)s[j])
				  : isdigit((unsigned char)s[j]))) {
				v = v * (hexa ? 16 : 10) +
				    (isdigit((unsigned char)s[j])
					    ? s[j] - '0'
					    : (tolower((unsigned char)s[j]) -
						  'a' + 10));
				j++;
			}
			if (j < n && s[j] == ';' && j > i + 2 + (size_t)hexa &&
			    v > 0 && v < 128) {
				buf_addc(&b, (char)v);
				i = j + 1;
				continue;
			}
		}
		buf_cleanup(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}

static int
name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '-' ||
	    ch == ':' || ch == '.';
}

static char *
read_name(struct cursor *c)
{
	const char *s = c->p;

	while (c->p < c->end && name_char(*c->p))
		c->p++;
	return c->p > s ? xstrndup(s, (size_t)(c->p - s)) : NULL;
}

static struct xmlmini_el *parse_el(struct cursor *c, int depth);

/* Children and text until </name>. 0 / -1. */
static int
parse_content(struct cursor *c, struct xmlmini_el *el, int depth)
{
	struct xmlmini_el **tail = &el->child;
	struct buf text;

	buf_init(&text, (size_t)(c->end - c->p) + 1);
	for (;;) {
		const char *s = c->p;
		char *piece;

		while (c->p < c->end && *c->p != '<')
			c->p++;
		piece = decode(s, (size_t)(c->p - s));
		if (piece == NULL)
			goto fail;
		buf_addstr(&text, piece);
		free(piece);
		if (c->p >= c->end)
			goto fail;
		if (c->p + 1 < c->end && c->p[1] == '/') {
			char *name;

			c->p += 2;
			name = read_name(c);
			skip_ws(c);
			if (name == NULL || strcmp(name, el->name) != 0 ||
			    c->p >= c->end || *c->p != '>') {
				free(name);
				goto fail;
			}
			free(name);
			c->p++;
			break;
		}
		*tail = parse_el(c, depth + 1);
		if (*tail == NULL)
			goto fail;
		tail = &(*tail)->next;
	}
	el->text = buf_take(&text, NULL);
	return 0;
fail:
	buf_cleanup(&text);
	return -1;
}

static struct xmlmini_el *
parse_el(struct cursor *c, int depth)
{
	struct xmlmini_el *el;

	if (depth > MAX_DEPTH || c->p >= c->end || *c->p != '<')
		return NULL;
	c->p++;
	el = xcalloc(1, sizeof(*el));
	if ((el->name = read_name(c)) == NULL)
		goto fail;
	for (;;) {
		char *an;
		char q;
		const char *vs;

		skip_ws(c);
		if (c->p >= c->end)
			goto fail;
		if (*c->p == '/') {
			if (c->p + 1 >= c->end || c->p[1] != '>')
				goto fail;
			c->p += 2;
			el->text = xstrdup("");
			return el;
		}
		if (*c->p == '>') {
			c->p++;
			if (parse_content(c, el, depth) != 0)
				goto fail;
			return el;
		}
		if ((an = read_name(c)) == NULL)
			goto fail;
		if (el->nattrs >= XMLMINI_MAX_ATTRS) {
			free(an);
			goto fail;
		}
		el->attrs[el->nattrs].name = an;
		skip_ws(c);
		if (c->p + 1 >= c->end || *c->p != '=')
			goto fail_attr;
		c->p++;
		skip_ws(c);
		if (c->p >= c->end || (*c->p != '"' && *c->p != '\''))
			goto fail_attr;
		q = *c->p++;
		vs = c->p;
		while (c->p < c->end && *c->p != q)
			c->p++;
		if (c->p >= c->end)
			goto fail_attr;
		el->attrs[el->nattrs].value = decode(vs, (size_t)(c->p - vs));
		c->p++;
		if (el->attrs[el->nattrs].value == NULL)
			goto fail_attr;
		el->nattrs++;
	}
fail_attr:
	el->nattrs++; /* so the name is freed */
fail:
	xmlmini_free(el);
	return NULL;
}

struct xmlmini_el *
xmlmini_parse(const char *doc, size_t len)
{
	struct cursor c = { doc, doc + len };
	struct xmlmini_el *root;

	skip_ws(&c);
	if (c.end - c.p >= 5 && memcmp(c.p, "<?xml", 5) == 0) {
		const char *e = memmem(c.p, (size_t)(c.end - c.p), "?>", 2);

		if (e == NULL)
			return NULL;
		c.p = e + 2;
		skip_ws(&c);
	}
	root = parse_el(&c, 0);
	if (root == NULL)
		return NULL;
	skip_ws(&c);
	if (c.p != c.end) {
		xmlmini_free(root);
		return NULL;
	}
	return root;
}

void
xmlmini_free(struct xmlmini_el *el)
{
	while (el != NULL) {
		struct xmlmini_el *next = el->next;

		for (int i = 0; i < el->nattrs; i++) {
			free(el->attrs[i].name);
			free(el->attrs[i].value);
		}
		xmlmini_free(el->child);
		free(el->name);
		free(el->text);
		free(el);
		el = next;
	}
}

const char *
xmlmini_attr(const struct xmlmini_el *el, const char *name)
{
	for (int i = 0; i < el->nattrs; i++)
		if (strcmp(el->attrs[i].name, name) == 0)
			return el->attrs[i].value;
	return NULL;
}

const struct xmlmini_el *
xmlmini_child(const struct xmlmini_el *el, const char *name)
{
	for (const struct xmlmini_el *c = el->child; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
