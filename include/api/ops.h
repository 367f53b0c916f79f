#ifndef RAMAL_OPS_H
#define RAMAL_OPS_H

struct http_req;

/* GET /healthz: 200 while the process serves. */
int ops_healthz(struct http_req *r);

/* GET /readyz: 200 when the database answers, 503 otherwise. */
int ops_readyz(struct http_req *r);

/* GET /metrics: Prometheus text format. */
int ops_metrics(struct http_req *r);

#endif
