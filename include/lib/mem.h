#ifndef RAMAL_MEM_H
#define RAMAL_MEM_H

#include <stddef.h>

/*
 * Allocation that aborts on out-of-memory: never returns NULL.  The
 * bottom of the tree: it uses nothing of ours, so buf and util can both
 * lean on it.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
