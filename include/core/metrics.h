#ifndef RAMAL_METRICS_H
#define RAMAL_METRICS_H

#include <stdint.h>

#include "buf.h"

/*
 * Request counters and latency histograms per route, in Prometheus text
 * format.  Counters are atomics updated by every request thread; the label
 * names are fixed at metrics_init() and read-only afterwards.
 */

/* Routes named by path (borrowed, static); index n is "unmatched". */
void metrics_init(const char *const *route_names, int n);
void metrics_cleanup(void);

/* Count one request: route index (n for unmatched), status, duration. */
void metrics_observe(int route, const char *method, unsigned status,
    uint64_t dur_us);

/* Append the HTTP metrics.  0 / -1 (cap). */
int metrics_render(struct buf *out);

#endif
