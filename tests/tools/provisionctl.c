/*
 * provisionctl — run provision_run() as `ramal provision` will, for
 * tests/py/server/test_provision.py until main.c has the command.
 *
 *	provisionctl
 *	    load the configuration from the environment, provision, exit
 *	    with provision_run's status (2 on a configuration error)
 */
#include <stdio.h>

#include "config.h"
#include "log.h"
#include "provision.h"

int
main(void)
{
	struct config cfg;
	char err[512];
	int status;

	if (config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "provisionctl: %s\n", err);
		return 2;
	}
	log_init(cfg.log_level);
	status = provision_run(&cfg);
	config_cleanup(&cfg);
	return status;
}
