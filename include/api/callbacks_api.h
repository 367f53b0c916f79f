#ifndef RAMAL_CALLBACKS_API_H
#define RAMAL_CALLBACKS_API_H

struct http_req;

/*
 * The callback list (docs/api.md, docs/alerts.md).
 *
 * GET /api/callbacks (signed in): ?state=open (default: open and
 * in-progress, oldest first) | closed | all, ?limit=1..200 (default
 * 100); with the tenant's open count and oldest open callback.
 * POST /api/callbacks/next (signed in): take the next open callback
 * (those assigned to the caller first); 404 when none is waiting.
 * POST /api/callbacks/{id}/assign (supervisor): {"user_id": n | null}.
 * POST /api/callbacks/{id}/close (its assignee, or a supervisor):
 * {"result": "done" | "no-answer" | "canceled"}.
 */
int callbacks_api_list(struct http_req *r);
int callbacks_api_next(struct http_req *r);
int callbacks_api_assign(struct http_req *r);
int callbacks_api_close(struct http_req *r);

#endif
