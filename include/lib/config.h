#ifndef RAMAL_CONFIG_H
#define RAMAL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "secret.h"

/*
 * Configuration from the environment (and a .env file).  One table in
 * config.c names every variable with its type, default, bounds and whether
 * it is a secret; .env.example must list the same names (a unit test
 * compares them).  After config_load() the struct is read-only and shared
 * by every thread.
 */
struct config {
	int port;
	char *bind_address;
	char *base_url; /* no trailing slash */
	char *ramal_environment; /* "production", "staging"... */
	char *database_url;
	int log_level;
	char *secret_key_text;
	uint8_t secret_key[SECRET_KEY_LEN];
	int have_secret_key;

	char *twilio_account_sid;
	char *twilio_auth_token;
	char *twilio_api_key_sid;
	char *twilio_api_key_secret;
	char *twilio_twiml_app_sid;
	char *twilio_workspace_sid;
	char *twilio_workflow_sid;
	char *twilio_api_base;
	char *twilio_taskrouter_base;
	char *twilio_numbers_base;
	char *twilio_caller_id; /* E.164; NULL: none */

	char *s3_bucket;
	char *s3_region;
	char *s3_endpoint;
	char *s3_access_key_id;
	char *s3_secret_access_key;
	char *slack_webhook_url;
	char *whatsapp_from;
	char *whatsapp_to;
	/* alerts (docs/alerts.md) */
	int alert_short_abandon_s;
	int alert_max_attempts;
	char *alert_webhook_url;
	char *alert_webhook_secret;
	char *whatsapp_template_abandoned;
	char *whatsapp_template_missed_dedicated;
	char *whatsapp_template_voicemail;
	char *whatsapp_template_failed;
	char *whatsapp_template_dead_job;
	char *whatsapp_template_digest;

	int http_threads;
	int http_workers;
	int http_commit_workers;
	int http_cpu_workers;
	int http_cpu_queue;
	int http_max_connections;
	int http_conn_timeout;
	int http_head_timeout_s;
	int http_body_min_rate;
	int http_max_per_address; /* -1: by TRUST_PROXY */
	int db_pool_size;
	int db_group_batches;
	int db_acquire_timeout_ms;
	int db_statement_timeout_ms;
	int shutdown_timeout;
	char *spool_dir;
	int spool_unverified_max_files;
	int spool_unverified_max_bytes;
	char *web_dir;
	int queue_announce_s;
	int queue_max_wait_s;
	int wrapup_s; /* after a queued call, before the next one */
	char *queue_music_url;
	int job_workers;
	int token_ttl_s;
	int session_ttl_h;
	int session_max_per_user;
	int trust_proxy;
	int events_heartbeat_s;
	int events_ticket_ttl_s;
	/* CORS_ALLOWED_ORIGINS normalised: "https://a.example,http://b:8080"
	 * (lower-case scheme and host, no default port); NULL: none. */
	char *cors_allowed_origins;
	int session_cache_s;
	int tenant_cache_s;
	int tenant_lookup_burst;
	int tenant_lookup_per_s;
};

enum config_kind {
	CFG_INT,
	CFG_STR,
	CFG_URL, /* http:// or https:// */
	CFG_BASE_URL, /* scheme://host[:port], no path, query or fragment */
	CFG_LEVEL, /* debug | info | warn | error */
	CFG_SID, /* two-letter prefix + 32 hex digits */
	CFG_KEY, /* RAMAL_SECRET_KEY: 32 bytes as hex or base64 */
	CFG_DSN, /* a libpq connection URI or keyword string */
	CFG_WHATSAPP, /* whatsapp:+E164 or +E164 */
	CFG_E164, /* +<country><number>, 8-15 digits */
	CFG_ORIGINS, /* comma-separated http(s)://host[:port], no "*" */
	CFG_ENV, /* a name: [a-z0-9_-], 1 to 32 */
};

#define CFG_SECRET 0x1 /* never logged, wiped at exit */

struct config_var {
	const char *name;
	enum config_kind kind;
	size_t offset; /* into struct config */
	const char *def; /* NULL: unset by default */
	long min, max; /* CFG_INT bounds */
	const char *sid_prefix; /* CFG_SID */
	int flags;
	const char *help; /* one line, as in .env.example */
};

/*
 * The softphone's token refresh margin: web/src/phone/voice.ts sets the
 * Voice SDK's tokenRefreshMs to this many seconds, so tokenWillExpire
 * fires that long before the access token expires (tests/unit/lib/
 * test_config.c keeps the two in step).  A token living less than the
 * margin is "about to expire" as soon as it arrives, and the SDK asks for
 * another at once, in a loop; TOKEN_TTL_S must leave room, so its floor
 * is three times the margin.
 */
#define CONFIG_SOFTPHONE_REFRESH_S 60
#define CONFIG_TOKEN_TTL_MIN_S (3 * CONFIG_SOFTPHONE_REFRESH_S)

/* CORS_ALLOWED_ORIGINS: origins at most, and the longest one. */
#define CONFIG_ORIGINS_MAX 32
#define CONFIG_ORIGIN_LEN_MAX 255

/* The table, ending with a NULL name (borrowed, static). */
const struct config_var *config_vars(void);

/*
 * Read KEY=VALUE lines from path into the environment without overriding
 * variables already set.  A missing file is fine (0).  -1 with a message in
 * err on a malformed line.
 */
int config_read_dotenv(const char *path, char *err, size_t errlen);

/*
 * Fill cfg from the environment by the table.  0, or -1 with
 * "NAME: what is wrong" in err.  On -1, cfg is cleaned up.
 */
int config_load(struct config *cfg, char *err, size_t errlen);

/*
 * 0 when the named variable has a value, -1 with "NAME: required ..." in
 * err otherwise.
 */
int config_require(const struct config *cfg, const char *name, char *err,
    size_t errlen);

/*
 * Log every variable at debug level: its value, "(set)" for a secret,
 * the DSN with its password masked.
 */
void config_log(const struct config *cfg);

/*
 * 1 when origin (an Origin header's value) is one of
 * CORS_ALLOWED_ORIGINS, compared without regard to case; 0 otherwise
 * (also for NULL, "" or "null").  Thread-safe (reads cfg only).
 */
int config_origin_allowed(const struct config *cfg, const char *origin);

/*
 * Normalise a CORS_ALLOWED_ORIGINS value into out[outlen]: each entry
 * trimmed, scheme and host lower-cased, a default port (:443 for https,
 * :80 for http) and a lone trailing "/" dropped, empty entries skipped,
 * joined by ",".  0, or -1 with the reason (without the variable's name)
 * in why: "*", a scheme other than http or https, a path, query,
 * fragment or user, a bad host or port, too many or too long.
 */
int config_origins_normalise(const char *in, char *out, size_t outlen,
    char *why, size_t whylen);

/* Free the strings and wipe the secrets. */
void config_cleanup(struct config *cfg);

/*
 * A copy of a libpq URI or keyword string with any password replaced by
 * "***", for log lines (free()).
 */
char *config_redact_dsn(const char *dsn);

#endif
