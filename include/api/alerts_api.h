#ifndef RAMAL_ALERTS_API_H
#define RAMAL_ALERTS_API_H

struct http_req;

/*
 * The alerts' API (docs/api.md, docs/alerts.md).
 *
 * GET /api/alerts (supervisor): the tenant's recent alerts, newest
 * first (?limit=1..200, default 50; ?before=<id> for the next page),
 * each with its state and its delivery per channel.  Callers' numbers
 * masked.
 *
 * GET /api/admin/alert-rules (admin): the tenant's rules with the
 * defaults filled in, and which channels are configured (never a
 * secret).  PUT: change them; members left out stay as they are; the
 * Slack URL and the webhook's secret are write-only (null clears).
 */
int alerts_api_list(struct http_req *r);
int alerts_api_rules_get(struct http_req *r);
int alerts_api_rules_put(struct http_req *r);

#endif
