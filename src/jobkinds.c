/*
 * The job handler table.  Handlers live with their feature; this file
 * only lists them, so `serve` and `worker` run the same set.
 */
#include "agents.h"
#include "bundles.h"
#include "alerts.h"
#include "hold.h"
#include "jobkinds.h"
#include "taskrouter.h"
#include "voice.h"

static const struct job_handler handlers[] = {
	{ "recording.archive", voice_job_recording_archive, 0 },
	{ HOLD_JOB_KIND, hold_job, 0 },
	{ AGENTS_JOB_ACTIVITY, agents_job_activity, 30 },
	{ TASKROUTER_JOB_COMPLETE, taskrouter_job_complete, 30 },
	{ BUNDLES_JOB_KIND, bundles_job, BUNDLES_JOB_TIMEOUT_S },
	{ ALERTS_JOB_DISPATCH, alerts_job_dispatch, 30 },
	{ ALERTS_JOB_DELIVER, alerts_job_deliver, 30 },
	{ ALERTS_JOB_DIGEST, alerts_job_digest, 30 },
	{ NULL, NULL, 0 },
};

const struct job_handler *
jobkinds_table(void)
{
	return handlers;
}
