#ifndef RAMAL_ROUTES_H
#define RAMAL_ROUTES_H

#include <stddef.h>

#include "http.h"

/* The server's route table (static) and its length. */
const struct http_route *routes_table(size_t *n);

/* The route paths, in table order, for metrics labels (static). */
const char *const *routes_names(void);

#endif
