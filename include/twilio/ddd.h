#ifndef RAMAL_DDD_H
#define RAMAL_DDD_H

#include <stddef.h>

/*
 * Brazil's area codes (DDD, "discagem direta a distância") and the state
 * (UF) each one belongs to: the 67 codes in use in Anatel's plan.  A pure
 * leaf: one static table, no allocation, thread-safe.  phone.c validates
 * dialled numbers against it; `ramal number search` suggests the other
 * DDDs of a state when one has no number to sell.
 */
#define DDD_COUNT 67

struct ddd {
	char code[3]; /* "11" */
	char uf[3]; /* "SP" */
	const char *state; /* "São Paulo" (UTF-8) */
};

/*
 * The DDD whose two digits are d[0], d[1] (d need not end there), or NULL
 * when they are not two digits or not a DDD in use (20, 23, 26, ...).
 */
const struct ddd *ddd_find(const char *d);

/* The DDD s names exactly ("11": two digits and nothing else), or NULL. */
const struct ddd *ddd_parse(const char *s);

/*
 * The DDDs of state uf ("SP") other than except (NULL: none excluded),
 * in ascending order, into out (at most max).  Returns how many there
 * are (which may exceed max; only max are written).
 */
size_t ddd_of_uf(const char *uf, const char *except, const struct ddd **out,
    size_t max);

/* Entry i of the table (0 <= i < DDD_COUNT), in ascending order. */
const struct ddd *ddd_at(size_t i);

#endif
