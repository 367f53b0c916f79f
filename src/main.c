/*
 * ramal — command line and server start-up.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>

#include "admin.h"
#include "agents.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "db_group.h"
#include "doctor.h"
#include "events.h"
#include "hub.h"
#include "http.h"
#include "job.h"
#include "hold.h"
#include "jobkinds.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
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

#define EXIT_CONFIG 2
#define LOCAL_ENV "var/local.env" /* written by `make run` */
#define MIGRATE_WAIT_S 30
#define SPOOL_REPLAY_MS 2000

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: ramal <command>\n"
	    "\n"
	    "  serve                      run the server (applies migrations "
	    "first)\n"
	    "  migrate                    apply database migrations and exit\n"
	    "  worker                     run background jobs only (no HTTP)\n"
	    "  provision                  create or find the TaskRouter workspace,\n"
	    "                             activities, queue, workflow and workers\n"
	    "  doctor                     check this deployment against its\n"
	    "                             Twilio account (read only)\n"
	    "  tenant add <AccountSid> [--name NAME]\n"
	    "                             add or update a Twilio (sub)account;\n"
	    "                             its auth token is read from stdin\n"
	    "  create-user --email E --name N [--identity I] [--role R]\n"
	    "           [--password-stdin]\n"
	    "                             add an agent, supervisor or admin\n"
	    "  user password <IDENTITY|EMAIL> [--password-stdin]\n"
	    "                             set a password (signs the user out)\n"
	    "  user list                  list the users of the account\n"
	    "  user status <IDENTITY> available|busy|wrapup|offline\n"
	    "                             set an agent's status in ramal\n"
	    "  number add <+E164> [--label L] [--owner IDENTITY] ...\n"
	    "  number assign <+E164> <IDENTITY|none>\n"
	    "  number list                the account's numbers (DIDs)\n"
	    "  simulate inbound --to +E164 --from +E164 [--agent-answers |\n"
	    "           --no-answer | --abandon] [--url URL]\n"
	    "                             play a call against a running server\n"
	    "                             as Twilio would, signed\n"
	    "  simulate outbound --agent IDENTITY --to NUMBER [--no-answer]\n"
	    "           [--leave-up] [--url URL]\n"
	    "                             an agent's outbound call, as Twilio\n"
	    "                             would send it\n"
	    "  simulate hold --call CA... --email EMAIL [--password-stdin]\n"
	    "           [--account AC...] [--url URL]\n"
	    "                             sign in, hold and unhold a live call\n"
	    "  routes                     print the route table (method, path,\n"
	    "                             who may call it, where it runs)\n"
	    "  version                    print the version\n"
	    "\n"
	    "Configuration comes from the environment and ./.env; see "
	    ".env.example.\n");
}

/* Load .env and the environment; on error print one line and exit 2. */
static void
load_config(struct config *cfg, const char *const *required)
{
	char err[512];

	/* The environment wins, then .env, then what `make run` wrote. */
	if (config_read_dotenv(".env", err, sizeof(err)) != 0 ||
	    config_read_dotenv(LOCAL_ENV, err, sizeof(err)) != 0 ||
	    config_load(cfg, err, sizeof(err)) != 0)
		goto fail;
	for (; required && *required; required++)
		if (config_require(cfg, *required, err, sizeof(err)) != 0) {
			config_cleanup(cfg);
			goto fail;
		}
	log_init(cfg->log_level);
	return;
fail:
	fprintf(stderr, "ramal: %s\n", err);
	exit(EXIT_CONFIG);
}

static const char *const need_db[] = { "DATABASE_URL", "RAMAL_SECRET_KEY",
	NULL };

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
	    NULL, cfg->twilio_auth_token, 1);
	db_release(c);
	if (res != DB_OK)
		return -1;
	log_kv(LOG_INFO, "primary tenant ready", "account",
	    cfg->twilio_account_sid, NULL);
	return 0;
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

	load_config(&cfg, need_db);
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

	curl_global_init(CURL_GLOBAL_DEFAULT);
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
	if (tenant_init(&cfg) != 0)
		goto out_tenant;
	webui_init(cfg.web_dir);
	routes = routes_table(&nroutes);
	spool_set_verifier(webhook_verify_spooled);
	if (spool_init(cfg.spool_dir) != 0 ||
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
	curl_global_cleanup();
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
	load_config(&cfg, need_db);
	curl_global_init(CURL_GLOBAL_DEFAULT);
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
	curl_global_cleanup();
	config_cleanup(&cfg);
	return status;
}

static int
cmd_migrate(void)
{
	struct config cfg;
	int n;

	load_config(&cfg, need_db);
	n = migrate_run(cfg.database_url);
	config_cleanup(&cfg);
	if (n < 0)
		return 1;
	printf("ramal: %d migration(s) applied\n", n);
	return 0;
}

/* Read one line from stdin without echo when it is a terminal. */
static char *
read_secret_line(const char *prompt)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	char line[512];
	char *result = NULL;
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	if (fgets(line, sizeof(line), stdin) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n > 0)
			result = xstrdup(line);
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	OPENSSL_cleanse(line, sizeof(line));
	return result;
}

static int
cmd_tenant(int argc, char **argv)
{
	struct config cfg;
	struct db_conn *c;
	const char *sid, *name = NULL;
	char *token = NULL;
	int status = 1;
	enum db_result res;

	if (argc < 3 || strcmp(argv[1], "add") != 0) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	sid = argv[2];
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else {
			fprintf(stderr,
			    "ramal: tenant add: unknown option %s\n", argv[i]);
			return EXIT_CONFIG;
		}
	}
	if (strlen(sid) != 34 || strncmp(sid, "AC", 2) != 0 ||
	    strspn(sid + 2, "0123456789abcdefABCDEF") != 32) {
		fprintf(stderr,
		    "ramal: tenant add: %s is not an account SID "
		    "(AC + 32 hex digits)\n",
		    sid);
		return EXIT_CONFIG;
	}
	load_config(&cfg, need_db);
	token = read_secret_line("Auth token: ");
	if (token == NULL) {
		fprintf(stderr, "ramal: tenant add: no auth token on stdin\n");
		goto out;
	}
	if (migrate_run(cfg.database_url) < 0 ||
	    db_init(cfg.database_url, 1, 5000, cfg.db_statement_timeout_ms,
		store_statements()) != 0)
		goto out;
	c = db_acquire();
	if (c == NULL) {
		fprintf(stderr, "ramal: tenant add: database unreachable\n");
		goto out_db;
	}
	res = store_tenant_put(c, cfg.secret_key, sid, name, token,
	    cfg.twilio_account_sid != NULL &&
		strcmp(sid, cfg.twilio_account_sid) == 0);
	db_release(c);
	if (res != DB_OK) {
		fprintf(stderr, "ramal: tenant add: could not save %s\n", sid);
		goto out_db;
	}
	printf("ramal: tenant %s saved\n", sid);
	status = 0;
out_db:
	db_shutdown();
out:
	util_free_secret(token);
	config_cleanup(&cfg);
	return status;
}

/* `ramal doctor [--help]`. */
static int
cmd_doctor(int argc, char **argv)
{
	struct config cfg;
	int status;

	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		doctor_usage(stdout);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "ramal doctor: unexpected argument %s\n\n",
		    argv[1]);
		doctor_usage(stderr);
		return EXIT_CONFIG;
	}
	load_config(&cfg, need_db);
	status = doctor_run(&cfg);
	config_cleanup(&cfg);
	return status;
}

static int
cmd_admin(const char *cmd, int argc, char **argv)
{
	struct config cfg;
	int status;

	load_config(&cfg, need_db);
	if (strcmp(cmd, "create-user") == 0)
		status = admin_create_user(&cfg, argc, argv);
	else if (strcmp(cmd, "user") == 0)
		status = admin_user(&cfg, argc, argv);
	else
		status = admin_number(&cfg, argc, argv);
	config_cleanup(&cfg);
	return status;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve();
	if (strcmp(cmd, "migrate") == 0)
		return cmd_migrate();
	if (strcmp(cmd, "worker") == 0)
		return cmd_worker();
	if (strcmp(cmd, "provision") == 0) {
		struct config cfg;
		int status;

		load_config(&cfg, need_db);
		status = provision_run(&cfg);
		config_cleanup(&cfg);
		return status;
	}
	if (strcmp(cmd, "simulate") == 0) {
		struct config cfg;
		int status;

		load_config(&cfg, NULL);
		curl_global_init(CURL_GLOBAL_DEFAULT);
		status = simulate_main(&cfg, argc - 1, argv + 1);
		curl_global_cleanup();
		config_cleanup(&cfg);
		return status;
	}
	if (strcmp(cmd, "doctor") == 0)
		return cmd_doctor(argc - 1, argv + 1);
	if (strcmp(cmd, "tenant") == 0)
		return cmd_tenant(argc - 1, argv + 1);
	if (strcmp(cmd, "create-user") == 0 || strcmp(cmd, "user") == 0 ||
	    strcmp(cmd, "number") == 0)
		return cmd_admin(cmd, argc - 1, argv + 1);
	if (strcmp(cmd, "routes") == 0) {
		routes_print(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("ramal %s\n", ramal_version);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "ramal: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return EXIT_CONFIG;
}
