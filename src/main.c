/*
 * ramal — command line and server start-up.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "admin.h"
#include "agents.h"
#include "auth.h"
#include "bundles.h"
#include "cmdline.h"
#include "config.h"
#include "db.h"
#include "db_group.h"
#include "doctor.h"
#include "events.h"
#include "hub.h"
#include "http.h"
#include "job.h"
#include "hold.h"
#include "httpc.h"
#include "jobkinds.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "number.h"
#include "provision.h"
#include "routes.h"
#include "session_cache.h"
#include "simulate.h"
#include "spool.h"
#include "status.h"
#include "store.h"
#include "store_tenant.h"
#include "tenant.h"
#include "util.h"
#include "webhook.h"
#include "webui.h"

extern const char ramal_version[];

#define MIGRATE_WAIT_S 30
#define SPOOL_REPLAY_MS 2000

/*
 * Migrate, waiting up to MIGRATE_WAIT_S for the database to come up.
 * A SIGTERM/SIGINT (blocked, in set) meanwhile ends the wait: -2.
 */
static int
migrate_with_wait(const char *dsn, const sigset_t *set)
{
	uint64_t deadline = util_now_ms() + MIGRATE_WAIT_S * 1000;
	struct timespec pause = { 1, 0 };
	int n;

	while ((n = migrate_run(dsn)) < 0 && util_now_ms() < deadline) {
		if (sigtimedwait(set, NULL, &pause) > 0) {
			log_info("stopped while waiting for the database");
			return -2;
		}
	}
	return n;
}

/*
 * Migrate (waiting for the database to come up) and set up the pool.
 * 0 ready, 1 stopped by a signal meanwhile, -1 failed (logged).
 */
static int
open_database(const struct config *cfg, const sigset_t *set)
{
	switch (migrate_with_wait(cfg->database_url, set)) {
	case -2:
		return 1;
	case -1:
		log_errorx("database migrations failed; not starting");
		return -1;
	default:
		break;
	}
	if (db_init(cfg->database_url, cfg->db_pool_size,
		cfg->db_acquire_timeout_ms, cfg->db_statement_timeout_ms,
		store_statements()) != 0)
		return -1;
	db_group_init(cfg->db_group_batches < cfg->db_pool_size
		? cfg->db_group_batches
		: cfg->db_pool_size);
	return 0;
}

static int
seed_primary(const struct config *cfg)
{
	struct db_conn *c;
	enum db_result res;

	if (cfg->twilio_account_sid == NULL) {
		log_warnx("TWILIO_ACCOUNT_SID is not set: Twilio webhooks will "
			  "be refused until a tenant is added");
		return 0;
	}
	c = db_acquire();
	if (c == NULL)
		return -1;
	res = store_tenant_put(c, cfg->secret_key, cfg->twilio_account_sid,
	    NULL, cfg->twilio_auth_token, 1, cfg->ramal_environment);
	db_release(c);
	if (res != DB_OK)
		return -1;
	log_kv(LOG_INFO, "primary tenant ready", "account",
	    cfg->twilio_account_sid, NULL);
	return 0;
}

/* The daily bundle check starts here when numbers have bundles. */
static void
schedule_bundles(void)
{
	struct db_conn *c = db_acquire();

	if (c == NULL || bundles_schedule(c) != DB_OK)
		log_warnx("could not queue the regulatory bundle check");
	db_release(c);
}

static int
cmd_serve(void)
{
	struct config cfg;
	struct http_server *srv = NULL;
	struct job_runner *jobs = NULL;
	const struct http_route *routes;
	size_t nroutes;
	sigset_t set;
	int sig = 0, status = 1;
	char *dsn_shown;
	char port[8];

	/* Threads started below inherit the mask; only sigwait sees these. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	cmdline_config(&cfg, cmdline_need_db);
	dsn_shown = config_redact_dsn(cfg.database_url);
	log_kv(LOG_INFO, "starting", "version", ramal_version, "database",
	    dsn_shown, "base_url", cfg.base_url, NULL);
	free(dsn_shown);
	config_log(&cfg);
	/* Twilio's signatures do not stop a replay: only TLS does. */
	if (strncmp(cfg.base_url, "http://", 7) == 0 &&
	    auth_cookie_secure(cfg.base_url))
		log_warnx("BASE_URL is plain http on a public host: webhooks, "
			  "sign-ins and tokens would travel in clear (see "
			  "docs/security.md)");

	httpc_global_init();
	switch (open_database(&cfg, &set)) {
	case 1:
		status = 0;
		goto out_config;
	case -1:
		goto out_config;
	default:
		break;
	}
	if (seed_primary(&cfg) != 0) {
		log_errorx("cannot store the primary tenant; not starting");
		goto out_db;
	}
	schedule_bundles();
	if (tenant_init(&cfg) != 0)
		goto out_tenant;
	webui_init(cfg.web_dir);
	routes = routes_table(&nroutes);
	spool_set_verifier(webhook_verify_spooled);
	if (spool_init(cfg.spool_dir,
		&(struct spool_quota){
		    .unverified_max_files = cfg.spool_unverified_max_files,
		    .unverified_max_bytes = cfg.spool_unverified_max_bytes,
		}) != 0 ||
	    spool_start(routes, nroutes, SPOOL_REPLAY_MS) != 0) {
		log_errorx("cannot use SPOOL_DIR %s; not starting",
		    cfg.spool_dir);
		goto out_spool;
	}
	jobs = job_runner_start(cfg.database_url, cfg.job_workers,
	    jobkinds_table(), &cfg);
	if (jobs == NULL)
		goto out_spool;
	metrics_init(routes_names(), (int)nroutes);
	if (session_cache_init(cfg.session_cache_s) != 0)
		goto out_metrics;
	/* The stream first: it catches up before the cache trusts the hub. */
	if (events_start(&cfg) != 0 || session_cache_listen() != 0 ||
	    hub_start(cfg.database_url, cfg.events_heartbeat_s) != 0)
		goto out_events;
	srv = http_start(&cfg, routes, nroutes);
	if (srv == NULL)
		goto out_events;
	snprintf(port, sizeof(port), "%d", http_port(srv));
	log_kv(LOG_INFO, "listening", "port", port, "url", cfg.base_url, NULL);

	while (sigwait(&set, &sig) != 0)
		;
	log_kv(LOG_INFO, "shutting down", "signal",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	/* Streams end first: http_stop must not meet a suspended one. */
	events_stop();
	http_stop(srv, cfg.shutdown_timeout);
	status = 0;
out_events:
	if (status != 0)
		events_stop();
	hub_stop();
	events_cleanup();
out_metrics:
	session_cache_cleanup();
	metrics_cleanup();
	job_runner_stop(jobs, cfg.shutdown_timeout);
	if (status == 0)
		log_info("stopped");
out_spool:
	spool_stop();
	webui_cleanup();
out_tenant:
	tenant_cleanup();
out_db:
	db_shutdown();
out_config:
	httpc_global_cleanup();
	config_cleanup(&cfg);
	return status;
}

/* `ramal worker`: background jobs only, no HTTP. */
static int
cmd_worker(void)
{
	struct config cfg;
	struct job_runner *jobs = NULL;
	sigset_t set;
	int sig = 0, status = 1;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	cmdline_config(&cfg, cmdline_need_db);
	httpc_global_init();
	switch (open_database(&cfg, &set)) {
	case 1:
		status = 0;
		goto out;
	case -1:
		goto out;
	default:
		break;
	}
	jobs = job_runner_start(cfg.database_url,
	    cfg.job_workers > 0 ? cfg.job_workers : 2, jobkinds_table(), &cfg);
	if (jobs == NULL)
		goto out_db;
	log_kv(LOG_INFO, "worker running", "version", ramal_version, NULL);
	while (sigwait(&set, &sig) != 0)
		;
	log_kv(LOG_INFO, "shutting down", "signal",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	job_runner_stop(jobs, cfg.shutdown_timeout);
	status = 0;
	log_info("stopped");
out_db:
	db_shutdown();
out:
	httpc_global_cleanup();
	config_cleanup(&cfg);
	return status;
}

static int
cmd_migrate(void)
{
	struct config cfg;
	int n;

	cmdline_config(&cfg, cmdline_need_db);
	n = migrate_run(cfg.database_url);
	config_cleanup(&cfg);
	if (n < 0)
		return 1;
	printf("ramal: %d migration(s) applied\n", n);
	return 0;
}

/* ---- the command line ---- */

/* Commands without arguments: 0, or a usage error (printed, 2). */
static int
no_args(const char *cmd, int argc, char **argv)
{
	if (argc > 1)
		return cmdline_usage_error(cmd, NULL,
		    "%s: unexpected argument %s", cmd, argv[1]);
	return 0;
}

static int
run_serve(int argc, char **argv)
{
	return no_args("serve", argc, argv) != 0 ? CMDLINE_USAGE : cmd_serve();
}

static int
run_doctor(int argc, char **argv)
{
	struct config cfg;
	int status;

	if (no_args("doctor", argc, argv) != 0)
		return CMDLINE_USAGE;
	cmdline_config(&cfg, cmdline_need_db);
	status = doctor_run(&cfg);
	config_cleanup(&cfg);
	return status;
}

static int
run_migrate(int argc, char **argv)
{
	return no_args("migrate", argc, argv) != 0 ? CMDLINE_USAGE
						   : cmd_migrate();
}

static int
run_worker(int argc, char **argv)
{
	return no_args("worker", argc, argv) != 0 ? CMDLINE_USAGE
						  : cmd_worker();
}

static int
run_provision(int argc, char **argv)
{
	struct config cfg;
	int status;

	if (no_args("provision", argc, argv) != 0)
		return CMDLINE_USAGE;
	cmdline_config(&cfg, cmdline_need_db);
	status = provision_run(&cfg);
	config_cleanup(&cfg);
	return status;
}

static int
run_routes(int argc, char **argv)
{
	if (no_args("routes", argc, argv) != 0)
		return CMDLINE_USAGE;
	routes_print(stdout);
	return 0;
}

static int
run_version(int argc, char **argv)
{
	if (no_args("version", argc, argv) != 0)
		return CMDLINE_USAGE;
	printf("ramal %s\n", ramal_version);
	return 0;
}

/* `ramal help [COMMAND [SUBCOMMAND]]`, also as --help and -h. */
static int
run_help(int argc, char **argv)
{
	if (cmdline_help_asked(argc, argv)) {
		cmdline_usage(stdout, "help", NULL);
		return 0;
	}
	if (argc > 1 && !cmdline_known(argv[1]))
		return cmdline_usage_error("help", NULL,
		    "help: unknown command %s", argv[1]);
	if (argc > 3)
		return cmdline_usage_error("help", NULL,
		    "help: unexpected argument %s", argv[3]);
	cmdline_usage(stdout, argc > 1 ? argv[1] : NULL,
	    argc > 2 ? argv[2] : NULL);
	return 0;
}

static const struct {
	const char *name;
	const char *usage; /* the command cmdline_usage() knows it as */
	int (*run)(int argc, char **argv); /* argv[0]: the command word */
} commands[] = {
	{ "serve", "serve", run_serve },
	{ "migrate", "migrate", run_migrate },
	{ "worker", "worker", run_worker },
	{ "provision", "provision", run_provision },
	{ "doctor", "doctor", run_doctor },
	{ "tenant", "tenant", admin_tenant },
	{ "create-user", "create-user", admin_create_user },
	{ "user", "user", admin_user },
	{ "number", "number", number_main },
	{ "sync-webhooks", "sync-webhooks", number_sync_webhooks },
	{ "simulate", "simulate", simulate_main },
	{ "routes", "routes", run_routes },
	{ "version", "version", run_version },
	{ "--version", "version", run_version },
	{ "help", "help", run_help },
	{ "--help", "help", run_help },
	{ "-h", "help", run_help },
};

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL)
		return cmdline_usage_error(NULL, NULL, "no command given");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		/* Help needs no configuration, database or server. */
		if (commands[i].run != run_help &&
		    cmdline_help_asked(argc - 1, argv + 1)) {
			cmd = commands[i].usage;
			cmdline_usage(stdout, cmd,
			    cmdline_sub(cmd, argc - 1, argv + 1));
			return 0;
		}
		return commands[i].run(argc - 1, argv + 1);
	}
	return cmdline_usage_error(NULL, NULL, "unknown command '%s'", cmd);
}
