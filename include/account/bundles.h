#ifndef RAMAL_BUNDLES_H
#define RAMAL_BUNDLES_H

#include <stddef.h>

#include "db.h"
#include "job.h"

/*
 * The regulatory bundles of the tenants' numbers, watched daily.
 *
 * Brazilian numbers are bought with a bundle Twilio approved; a bundle
 * that leaves twilio-approved (expired documents, a review) puts its
 * numbers at risk.  The job BUNDLES_JOB_KIND reads the status of every
 * bundle a number uses (GET numbers.twilio.com/v2/RegulatoryCompliance/
 * Bundles/{Sid}, with the credentials of the tenant whose numbers use
 * it), stores it (number_bundles: `ramal number list` and the admin API
 * show it), logs a warning for each bundle that is not twilio-approved,
 * and queues its own next run a day later.  `ramal serve` queues a run
 * at start when some number has a bundle, and so do `ramal number buy`
 * and `import` when they store one.  Runs are keyed by day, so a
 * restart queues no second chain.
 */
#define BUNDLES_JOB_KIND "numbers.bundles"
#define BUNDLES_PERIOD_S 86400
#define BUNDLES_JOB_TIMEOUT_S 300

/*
 * Queue a run now (dedupe key: the job kind and today's UTC date) when
 * some number of an active tenant uses a bundle; nothing otherwise.
 * DB_OK (queued, already queued, or nothing to watch) or the failure.
 */
enum db_result bundles_schedule(struct db_conn *c);

/* The job (jobkinds.c). */
int bundles_job(const struct job *j, char *err, size_t errlen);

#endif
