/*
 * Prometheus counters for the HTTP core.  See include/core/metrics.h.
 *
 * These are the only process-wide mutable values besides the database
 * pool: plain atomics, no locks, so counting costs a request a few
 * uncontended increments.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH",
	"DELETE", "OPTIONS", "other" };
#define NMETHODS 8

static const unsigned statuses[] = { 200, 201, 202, 204, 301, 302, 304, 400,
	401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 502, 503, 504, 0 };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0])) /* 0 = other */

/* Upper bounds in microseconds; the last bucket is +Inf. */
static const uint64_t bounds_us[] = { 1000, 2500, 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000 };
static const char *const bounds_txt[] = { "0.001", "0.0025", "0.005", "0.01",
	"0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5" };
#define NBUCKETS (sizeof(bounds_us) / sizeof(bounds_us[0]))

struct route_metrics {
	atomic_ulong count[NMETHODS][NSTATUS];
	atomic_ulong bucket[NBUCKETS + 1];
	atomic_ulong sum_us;
};

static const char *const *names;
static int nroutes;
static struct route_metrics *rm; /* nroutes + 1 */

void
metrics_init(const char *const *route_names, int n)
{
	names = route_names;
	nroutes = n;
	rm = xcalloc((size_t)n + 1, sizeof(*rm));
}

void
metrics_cleanup(void)
{
	free(rm);
	rm = NULL;
}

static int
method_index(const char *m)
{
	for (int i = 0; i < NMETHODS - 1; i++)
		if (strcmp(m, methods[i]) == 0)
			return i;
	return NMETHODS - 1;
}

static size_t
status_index(unsigned status)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

void
metrics_observe(int route, const char *method, unsigned status, uint64_t dur_us)
{
	struct route_metrics *m;
	size_t b;

	if (rm == NULL || route < 0 || route > nroutes)
		return;
	m = &rm[route];
	atomic_fetch_add_explicit(&m->count[method_index(method)]
					   [status_index(status)],
	    1, memory_order_relaxed);
	for (b = 0; b < NBUCKETS && dur_us > bounds_us[b]; b++)
		;
	atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, dur_us, memory_order_relaxed);
}

static const char *
route_name(int i)
{
	return i < nroutes ? names[i] : "unmatched";
}

int
metrics_render(struct buf *out)
{
	int rc = 0;

	rc |= buf_addstr(out,
	    "# HELP ramal_http_requests_total HTTP requests answered.\n"
	    "# TYPE ramal_http_requests_total counter\n");
	for (int i = 0; i <= nroutes; i++)
		for (int mi = 0; mi < NMETHODS; mi++)
			for (size_t si = 0; si < NSTATUS; si++) {
				unsigned long v =
				    atomic_load_explicit(&rm[i].count[mi][si],
					memory_order_relaxed);
				char st[16];

				if (v == 0)
					continue;
				if (statuses[si] == 0)
					strcpy(st, "other");
				else
					snprintf(st, sizeof(st), "%u",
					    statuses[si]);
				rc |= buf_printf(out,
				    "ramal_http_requests_total{method=\"%s\","
				    "route=\"%s\",status=\"%s\"} %lu\n",
				    methods[mi], route_name(i), st, v);
			}
	rc |= buf_addstr(out,
	    "# HELP ramal_http_request_duration_seconds Time from request "
	    "start to the end of the reply.\n"
	    "# TYPE ramal_http_request_duration_seconds histogram\n");
	for (int i = 0; i <= nroutes; i++) {
		unsigned long cum = 0;

		for (size_t b = 0; b <= NBUCKETS; b++) {
			cum += atomic_load_explicit(&rm[i].bucket[b],
			    memory_order_relaxed);
			rc |= buf_printf(out,
			    "ramal_http_request_duration_seconds_bucket{route="
			    "\"%s\",le=\"%s\"} %lu\n",
			    route_name(i),
			    b < NBUCKETS ? bounds_txt[b] : "+Inf", cum);
		}
		rc |= buf_printf(out,
		    "ramal_http_request_duration_seconds_sum{route=\"%s\"} "
		    "%.6f\n"
		    "ramal_http_request_duration_seconds_count{route=\"%s\"} "
		    "%lu\n",
		    route_name(i),
		    (double)atomic_load_explicit(&rm[i].sum_us,
			memory_order_relaxed) /
			1e6,
		    route_name(i), cum);
	}
	return rc ? -1 : 0;
}
