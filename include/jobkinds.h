#ifndef RAMAL_JOBKINDS_H
#define RAMAL_JOBKINDS_H

#include "job.h"

/*
 * Every kind of background job ramal runs, with its handler and timeout,
 * in one table (static, NULL-ended) for job_runner_start().
 */
const struct job_handler *jobkinds_table(void);

#endif
