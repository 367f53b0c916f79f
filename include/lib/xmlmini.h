#ifndef RAMAL_XMLMINI_H
#define RAMAL_XMLMINI_H

#include <stddef.h>

/*
 * A small reader for TwiML documents (well-formed XML without DTDs,
 * comments, CDATA or namespaces) — enough for `ramal simulate` to follow
 * the verbs our own server answers.  Pure; no allocation but through
 * xmalloc; everything is freed by xmlmini_free().
 */
#define XMLMINI_MAX_ATTRS 24

struct xmlmini_attr {
	char *name;
	char *value; /* entities decoded */
};

struct xmlmini_el {
	char *name;
	struct xmlmini_attr attrs[XMLMINI_MAX_ATTRS];
	int nattrs;
	char *text; /* decoded character data directly inside ("" if none) */
	struct xmlmini_el *child; /* first child */
	struct xmlmini_el *next; /* next sibling */
};

/* Parse doc; the root element, or NULL when malformed or nested deeper
 * than 16 levels. */
struct xmlmini_el *xmlmini_parse(const char *doc, size_t len);

void xmlmini_free(struct xmlmini_el *el);

/* An attribute's value (borrowed), or NULL. */
const char *xmlmini_attr(const struct xmlmini_el *el, const char *name);

/* The first direct child with this name (borrowed), or NULL. */
const struct xmlmini_el *xmlmini_child(const struct xmlmini_el *el,
    const char *name);

#endif
