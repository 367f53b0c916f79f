#ifndef RAMAL_AGENTS_H
#define RAMAL_AGENTS_H

#include <stddef.h>

#include "config.h"
#include "job.h"

struct http_req;

/*
 * Agent status: PUT /api/agents/me/status, PUT /api/agents/{id}/status
 * (supervisor/admin for any user of their tenant) and GET /api/agents.
 *
 * A status change writes users.status / status_since (the triggers of
 * sql/007_events.sql turn it into events) and, when the user has a
 * TaskRouter worker and the tenant a provisioned workspace, queues job
 * AGENTS_JOB_ACTIVITY in the same transaction; the job sets the Worker's
 * ActivitySid to the activity of whatever status the user has when it
 * runs.  Going offline while on a call is refused with 409.
 */
#define AGENTS_JOB_ACTIVITY "agent.activity"


int agents_status_me(struct http_req *r);

/*
 * POST /api/agents/me/wrapup/end: the signed-in agent ends their wrap-up
 * (WRAPUP_S) early: 'wrapup' -> 'available' at once and the job that
 * completes the call's task runs now.  200 {id, status}; 409 when the
 * agent is not in wrap-up.
 */
int agents_wrapup_end(struct http_req *r);
int agents_status_other(struct http_req *r);
int agents_list(struct http_req *r);

/* Job AGENTS_JOB_ACTIVITY: payload {"user_id": n}. */
int agents_job_activity(const struct job *j, char *err, size_t errlen);

/*
 * The status a client may set: "available", "busy" or "offline" (the
 * argument itself), or NULL.
 */
const char *agents_status_valid(const char *s);

#endif
