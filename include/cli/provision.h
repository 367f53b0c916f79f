#ifndef RAMAL_PROVISION_H
#define RAMAL_PROVISION_H

#include "config.h"

/*
 * `ramal provision`: set up TaskRouter on the primary account
 * (TWILIO_ACCOUNT_SID) and keep it in step with the configuration.
 *
 * Finds or creates, in this order: the workspace PROVISION_WORKSPACE
 * (event callback BASE_URL/twilio/taskrouter/events), the activities
 * Available, Busy, Offline and Wrap-up (the workspace's own activities of
 * those names are reused), the task queue PROVISION_QUEUE of every worker,
 * the workflow PROVISION_WORKFLOW (assignment callback
 * BASE_URL/twilio/taskrouter/assignment, also as fallback) routing a task
 * with a `dedicated_agent` attribute to the worker whose `identity` matches
 * for PROVISION_DEDICATED_TIMEOUT_S seconds and then to the whole queue,
 * and a worker for each agent without one (FriendlyName = identity,
 * attributes identity, contact_uri client:<identity>, name).  A resource is
 * looked up first by its SID (TWILIO_WORKSPACE_SID / TWILIO_WORKFLOW_SID,
 * then the ones stored by an earlier run), then by FriendlyName, and
 * created only when missing; one that differs from what ramal needs is
 * updated.  Running it again changes nothing.
 */
#define PROVISION_WORKSPACE "ramal"
#define PROVISION_QUEUE "equipe"
#define PROVISION_WORKFLOW "ramal"
#define PROVISION_DEDICATED_TIMEOUT_S 20
/* Reservation timeout: a little longer than the agent's leg rings. */
#define PROVISION_RESERVATION_TIMEOUT_S 30

/*
 * Run the provisioning with cfg (loaded by the caller; needs
 * TWILIO_ACCOUNT_SID and its credentials, BASE_URL, DATABASE_URL and
 * RAMAL_SECRET_KEY).  Applies the migrations, then talks to Twilio, and
 * only when every step succeeded stores the SIDs (taskrouter_config,
 * users.worker_sid) in one transaction.  Prints each resource as created,
 * updated or found on stdout, then the TWILIO_WORKSPACE_SID and
 * TWILIO_WORKFLOW_SID values to set; errors go to stderr as one clear line.
 * Returns the process exit status: 0 done, 1 failed (Twilio or database),
 * 2 configuration missing.  Not for use from a running server: it blocks
 * on Twilio and initialises libcurl and the database pool itself.
 */
int provision_run(const struct config *cfg);

#endif
