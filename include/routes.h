#ifndef RAMAL_ROUTES_H
#define RAMAL_ROUTES_H

#include <stddef.h>

#include <stdio.h>

#include "http.h"

/* The server's route table (static) and its length. */
const struct http_route *routes_table(size_t *n);

/* The route paths, in table order, for metrics labels (static). */
const char *const *routes_names(void);

/*
 * The route table as text, one route a line: method, path, who may call
 * it (open, twilio-signature, signed-in, supervisor, admin), where it runs
 * (inline, worker, commit), then "degraded" when it has a degraded answer
 * and "spooled" when it has a spool replay; tab-separated.  `ramal routes`.
 */
void routes_print(FILE *fp);

#endif
