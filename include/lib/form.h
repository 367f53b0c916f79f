#ifndef RAMAL_FORM_H
#define RAMAL_FORM_H

#include <stddef.h>

/*
 * application/x-www-form-urlencoded, decoded.
 *
 * Pairs are kept in arrival order, repeated names included.  Names and
 * values are owned by the struct (form_init/form_cleanup) and are
 * NUL-terminated, valid UTF-8, and free of NUL bytes.
 */
struct form_pair {
	char *name;
	char *value;
};

struct form {
	struct form_pair *v;
	size_t n;
	size_t cap;
};

void form_init(struct form *f);
void form_cleanup(struct form *f);

/*
 * Parse body[0..len) and append its pairs to f.  '+' is a space, %XX an
 * escaped byte; "a" and "a=" are a with an empty value; empty segments
 * ("a=1&&b=2") are skipped.  Returns 0, or -1 on a malformed escape
 * (% not followed by two hex digits), a decoded NUL byte, invalid UTF-8,
 * or more than max_pairs pairs; on -1, f holds no pairs from this call.
 */
int form_parse(struct form *f, const char *body, size_t len, size_t max_pairs);

/* Append a pair (copies both strings). */
void form_add(struct form *f, const char *name, const char *value);

/* The first value of name (borrowed), or NULL. */
const char *form_get(const struct form *f, const char *name);

/*
 * Percent-decode s[0..len) into a new NUL-terminated string (free()).
 * plus_is_space selects form semantics.  NULL on the same errors as
 * form_parse.  *outlen (if not NULL) receives the decoded length.
 */
char *form_decode(const char *s, size_t len, int plus_is_space, size_t *outlen);

#endif
