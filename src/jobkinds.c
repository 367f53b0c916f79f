/*
 * The job handler table.  Handlers live with their feature; this file
 * only lists them, so `serve` and `worker` run the same set.
 */
#include "jobkinds.h"

static const struct job_handler handlers[] = {
	{ NULL, NULL, 0 },
};

const struct job_handler *
jobkinds_table(void)
{
	return handlers;
}
