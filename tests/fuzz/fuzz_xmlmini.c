/*
 * xmlmini_parse on arbitrary bytes: never crashes, never reads past the
 * input, and whatever it accepts has a name on every element.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmlmini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const struct xmlmini_el *el)
{
	for (; el != NULL; el = el->next) {
		if (el->name == NULL || el->name[0] == '\0' || el->text == NULL)
			abort();
		for (int i = 0; i < el->nattrs; i++)
			if (el->attrs[i].value == NULL)
				abort();
		walk(el->child);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy without a NUL after it, so over-reads are caught. */
	char *copy = malloc(size ? size : 1);
	struct xmlmini_el *root;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	root = xmlmini_parse(copy, size);
	walk(root);
	xmlmini_free(root);
	free(copy);
	return 0;
}
