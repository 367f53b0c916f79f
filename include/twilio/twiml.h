#ifndef RAMAL_TWIML_H
#define RAMAL_TWIML_H

#include <stddef.h>

#include "buf.h"

/*
 * Builder for TwiML <Response> documents.
 *
 *	struct twiml t;
 *	twiml_init(&t);
 *	twiml_leaf(&t, "Say", "Olá", "language", "pt-BR", NULL);
 *	twiml_open(&t, "Dial", "action", url, NULL);
 *	twiml_leaf(&t, "Number", "+5511...", NULL);
 *	twiml_close(&t);
 *	char *doc = twiml_finish(&t, &len);   // caller frees
 *
 * Attributes are name/value pairs ending with NULL; a pair whose value is
 * NULL is skipped, so optional attributes need no branches.  Text and
 * attribute values are escaped (& < > " ') and characters that XML 1.0
 * forbids (C0 controls other than tab, LF, CR) are dropped.  Element and
 * attribute names are trusted constants.  Errors (too deep, over the size
 * cap, close with nothing open) are sticky and reported by twiml_finish.
 */
#define TWIML_MAX_DEPTH 8
#define TWIML_MAX_SIZE (64 * 1024)

/* A document that does nothing: what callbacks answer. */
#define TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"

struct twiml {
	struct buf b;
	const char *stack[TWIML_MAX_DEPTH];
	int depth;
	int failed;
};

/* Start a document: XML declaration and <Response>. */
void twiml_init(struct twiml *t);

/* Free everything; safe after twiml_finish. */
void twiml_cleanup(struct twiml *t);

/* Open <name attrs...>; children follow until twiml_close. */
void twiml_open(struct twiml *t, const char *name, ...)
    __attribute__((sentinel));

/* Close the innermost open element. */
void twiml_close(struct twiml *t);

/*
 * <name attrs...>text</name>, or <name attrs.../> when text is NULL.
 */
void twiml_leaf(struct twiml *t, const char *name, const char *text, ...)
    __attribute__((sentinel));

/*
 * Close every open element and </Response>; hand over the document
 * (NUL-terminated, free()), its length in *len if not NULL.  NULL when an
 * error happened while building; t is left empty either way.
 */
char *twiml_finish(struct twiml *t, size_t *len);

/* Append s to b escaped for XML text or attribute values.  0 / -1 (cap). */
int twiml_escape(struct buf *b, const char *s);

#endif
