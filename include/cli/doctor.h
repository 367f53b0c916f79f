#ifndef RAMAL_DOCTOR_H
#define RAMAL_DOCTOR_H

#include <stdio.h>

#include "config.h"

/*
 * `ramal doctor`: check a deployment against its Twilio account, read only
 * (docs/doctor.md).
 *
 * Reads the configuration, the tenants, phone_numbers, users and
 * taskrouter_config tables (in one read-only transaction) and GETs Twilio's
 * resources: each account with its credentials, the API key, the TwiML
 * App, the numbers, the TaskRouter workspace, activities, queue, workflow
 * and workers.  Nothing is created or changed, at Twilio or in the
 * database, and no migration is applied.
 *
 * Prints one line per check on stdout, "ok   <what>" or
 * "FAIL <what>: <what to do>", then a summary and a closing line saying
 * what it cannot check (that BASE_URL is reachable from the internet, its
 * TLS).  A credential that fails is reported once: the resource checks
 * read with whichever of the auth token and the API key works, and a
 * subaccount's numbers with the main account's credentials when its own
 * token fails.  Secrets are never printed.
 */

/* The command's usage text on fp. */
void doctor_usage(FILE *fp);

/*
 * Run every check with cfg (loaded by the caller; DATABASE_URL and
 * RAMAL_SECRET_KEY required, the rest reported when missing).  Returns the
 * process exit status: 0 when every check passed, 1 otherwise.  Blocks on
 * Twilio and sets up libcurl and the database pool itself: not for a
 * running server.
 */
int doctor_run(const struct config *cfg);

#endif
