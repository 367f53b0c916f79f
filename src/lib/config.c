/*
 * Configuration: one table of environment variables, a .env reader, and
 * validation that names the variable that is wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "config.h"
#include "log.h"
#include "util.h"

#define OFF(f) offsetof(struct config, f)

/* Keep in step with .env.example (tests/unit/test_config.c checks it). */
static const struct config_var vars[] = {
	{ "PORT", CFG_INT, OFF(port), "8080", 0, 65535, NULL, 0,
	    "TCP port to listen on (0 picks a free one)" },
	{ "BIND_ADDRESS", CFG_STR, OFF(bind_address), "0.0.0.0", 0, 0, NULL, 0,
	    "IPv4 address to listen on" },
	{ "BASE_URL", CFG_BASE_URL, OFF(base_url), NULL, 0, 0, NULL, 0,
	    "public https URL Twilio calls (signatures are checked against it)" },
	{ "DATABASE_URL", CFG_DSN, OFF(database_url), NULL, 0, 0, NULL, 0,
	    "PostgreSQL connection URI" },
	{ "RAMAL_ENVIRONMENT", CFG_ENV, OFF(ramal_environment), "production", 0,
	    0, NULL, 0,
	    "this deployment's environment: Twilio set-up commands touch only "
	    "tenants of the same one" },
	{ "LOG_LEVEL", CFG_LEVEL, OFF(log_level), "info", 0, 0, NULL, 0,
	    "debug, info, warn or error" },
	{ "RAMAL_SECRET_KEY", CFG_KEY, OFF(secret_key_text), NULL, 0, 0, NULL,
	    CFG_SECRET,
	    "32-byte key (64 hex digits) that encrypts secrets at rest" },
	{ "TWILIO_ACCOUNT_SID", CFG_SID, OFF(twilio_account_sid), NULL, 0, 0,
	    "AC", 0, "main Twilio account SID" },
	{ "TWILIO_AUTH_TOKEN", CFG_STR, OFF(twilio_auth_token), NULL, 0, 0,
	    NULL, CFG_SECRET, "auth token of the main account" },
	{ "TWILIO_API_KEY_SID", CFG_SID, OFF(twilio_api_key_sid), NULL, 0, 0,
	    "SK", 0, "API key SID for access tokens and REST" },
	{ "TWILIO_API_KEY_SECRET", CFG_STR, OFF(twilio_api_key_secret), NULL, 0,
	    0, NULL, CFG_SECRET, "secret of that API key" },
	{ "TWILIO_TWIML_APP_SID", CFG_SID, OFF(twilio_twiml_app_sid), NULL, 0,
	    0, "AP", 0, "TwiML App the softphone dials through" },
	{ "TWILIO_WORKSPACE_SID", CFG_SID, OFF(twilio_workspace_sid), NULL, 0,
	    0, "WS", 0, "TaskRouter workspace" },
	{ "TWILIO_WORKFLOW_SID", CFG_SID, OFF(twilio_workflow_sid), NULL, 0, 0,
	    "WW", 0, "TaskRouter workflow for the queue" },
	{ "TWILIO_API_BASE", CFG_URL, OFF(twilio_api_base),
	    "https://api.twilio.com", 0, 0, NULL, 0, "Twilio REST base URL" },
	{ "TWILIO_TASKROUTER_BASE", CFG_URL, OFF(twilio_taskrouter_base),
	    "https://taskrouter.twilio.com", 0, 0, NULL, 0,
	    "TaskRouter REST base URL" },
	{ "TWILIO_NUMBERS_BASE", CFG_URL, OFF(twilio_numbers_base),
	    "https://numbers.twilio.com", 0, 0, NULL, 0,
	    "Numbers REST base URL (regulatory bundles)" },
	{ "TWILIO_CALLER_ID", CFG_E164, OFF(twilio_caller_id), NULL, 0, 0, NULL,
	    0,
	    "default caller ID (E.164) of outbound calls by agents without a "
	    "DID" },
	{ "S3_BUCKET", CFG_STR, OFF(s3_bucket), NULL, 0, 0, NULL, 0,
	    "bucket for archived recordings" },
	{ "S3_REGION", CFG_STR, OFF(s3_region), "us-east-1", 0, 0, NULL, 0,
	    "bucket region" },
	{ "S3_ENDPOINT", CFG_URL, OFF(s3_endpoint), NULL, 0, 0, NULL, 0,
	    "S3-compatible endpoint (R2, MinIO); AWS when unset" },
	{ "S3_ACCESS_KEY_ID", CFG_STR, OFF(s3_access_key_id), NULL, 0, 0, NULL,
	    0, "S3 access key id" },
	{ "S3_SECRET_ACCESS_KEY", CFG_STR, OFF(s3_secret_access_key), NULL, 0,
	    0, NULL, CFG_SECRET, "S3 secret access key" },
	{ "SLACK_WEBHOOK_URL", CFG_URL, OFF(slack_webhook_url), NULL, 0, 0,
	    NULL, CFG_SECRET, "Slack incoming webhook for alerts" },
	{ "WHATSAPP_FROM", CFG_WHATSAPP, OFF(whatsapp_from), NULL, 0, 0, NULL,
	    0, "WhatsApp sender, whatsapp:+E164" },
	{ "WHATSAPP_TO", CFG_WHATSAPP, OFF(whatsapp_to), NULL, 0, 0, NULL, 0,
	    "WhatsApp alert recipient, whatsapp:+E164" },
	{ "ALERT_SHORT_ABANDON_S", CFG_INT, OFF(alert_short_abandon_s), "5", 0,
	    600, NULL, 0,
	    "callers who hang up sooner in the queue raise no alert and no "
	    "callback" },
	{ "ALERT_MAX_ATTEMPTS", CFG_INT, OFF(alert_max_attempts), "6", 1, 20,
	    NULL, 0,
	    "tries of one alert delivery before it is given up (logged only)" },
	{ "ALERT_WEBHOOK_URL", CFG_URL, OFF(alert_webhook_url), NULL, 0, 0,
	    NULL, 0, "signed webhook that receives every alert as JSON" },
	{ "ALERT_WEBHOOK_SECRET", CFG_STR, OFF(alert_webhook_secret), NULL, 0,
	    0, NULL, CFG_SECRET,
	    "HMAC-SHA256 key of the X-Ramal-Signature header of that webhook" },
	{ "WHATSAPP_TEMPLATE_ABANDONED", CFG_SID,
	    OFF(whatsapp_template_abandoned), NULL, 0, 0, "HX", 0,
	    "approved WhatsApp template (ContentSid) for abandoned calls" },
	{ "WHATSAPP_TEMPLATE_MISSED_DEDICATED", CFG_SID,
	    OFF(whatsapp_template_missed_dedicated), NULL, 0, 0, "HX", 0,
	    "approved WhatsApp template for missed dedicated calls" },
	{ "WHATSAPP_TEMPLATE_VOICEMAIL", CFG_SID,
	    OFF(whatsapp_template_voicemail), NULL, 0, 0, "HX", 0,
	    "approved WhatsApp template for voicemails" },
	{ "WHATSAPP_TEMPLATE_FAILED", CFG_SID, OFF(whatsapp_template_failed),
	    NULL, 0, 0, "HX", 0,
	    "approved WhatsApp template for calls failed at Twilio" },
	{ "WHATSAPP_TEMPLATE_DEAD_JOB", CFG_SID,
	    OFF(whatsapp_template_dead_job), NULL, 0, 0, "HX", 0,
	    "approved WhatsApp template for dead background jobs" },
	{ "WHATSAPP_TEMPLATE_DIGEST", CFG_SID, OFF(whatsapp_template_digest),
	    NULL, 0, 0, "HX", 0,
	    "approved WhatsApp template for the digest after quiet hours" },
	{ "HTTP_THREADS", CFG_INT, OFF(http_threads), "4", 1, 256, NULL, 0,
	    "HTTP worker threads" },
	{ "HTTP_WORKERS", CFG_INT, OFF(http_workers), "4", 1, 256, NULL, 0,
	    "threads running database-backed routes, first come first "
	    "served (at most DB_POOL_SIZE)" },
	{ "HTTP_COMMIT_WORKERS", CFG_INT, OFF(http_commit_workers), "16", 1,
	    256, NULL, 0,
	    "threads running the inbound webhook and the status callback, "
	    "whose writes are group committed" },
	{ "HTTP_CPU_WORKERS", CFG_INT, OFF(http_cpu_workers), "2", 1, 64, NULL,
	    0,
	    "threads hashing sign-in passwords, at a lower priority than the "
	    "rest" },
	{ "HTTP_CPU_QUEUE", CFG_INT, OFF(http_cpu_queue), "32", 1, 4096, NULL,
	    0, "sign-ins waiting for those threads at most (beyond: 429)" },
	{ "HTTP_MAX_CONNECTIONS", CFG_INT, OFF(http_max_connections), "1024", 8,
	    65536, NULL, 0, "open client connections at most" },
	{ "HTTP_CONN_TIMEOUT", CFG_INT, OFF(http_conn_timeout), "30", 1, 3600,
	    NULL, 0, "seconds before an idle or stalled connection is closed" },
	{ "HTTP_HEAD_TIMEOUT_S", CFG_INT, OFF(http_head_timeout_s), "10", 1,
	    3600, NULL, 0,
	    "seconds a connection may take to send a request head (also how "
	    "long an idle keep-alive connection stays open)" },
	{ "HTTP_BODY_MIN_RATE", CFG_INT, OFF(http_body_min_rate), "1024", 0,
	    1000000000, NULL, 0,
	    "bytes/s a request body must average once it has taken "
	    "HTTP_HEAD_TIMEOUT_S (0: no minimum)" },
	{ "HTTP_MAX_PER_ADDRESS", CFG_INT, OFF(http_max_per_address), "-1", -1,
	    65536, NULL, 0,
	    "open connections per client address (0: no limit; -1: 64, or no "
	    "limit when TRUST_PROXY says a proxy is in front)" },
	{ "DB_POOL_SIZE", CFG_INT, OFF(db_pool_size), "8", 1, 200, NULL, 0,
	    "PostgreSQL connections at most" },
	{ "DB_GROUP_BATCHES", CFG_INT, OFF(db_group_batches), "2", 1, 64, NULL,
	    0,
	    "group-commit batches of webhook writes in flight at once (each "
	    "holds one connection)" },
	{ "DB_ACQUIRE_TIMEOUT_MS", CFG_INT, OFF(db_acquire_timeout_ms), "2000",
	    1, 60000, NULL, 0,
	    "wait for a free connection before answering 503" },
	{ "DB_STATEMENT_TIMEOUT_MS", CFG_INT, OFF(db_statement_timeout_ms),
	    "5000", 100, 600000, NULL, 0, "PostgreSQL statement_timeout" },
	{ "SHUTDOWN_TIMEOUT", CFG_INT, OFF(shutdown_timeout), "8", 1, 60, NULL,
	    0, "seconds to finish in-flight requests on SIGTERM" },
	{ "SPOOL_DIR", CFG_STR, OFF(spool_dir), "var/spool", 0, 0, NULL, 0,
	    "where callbacks wait on disk while the database is down" },
	{ "SPOOL_UNVERIFIED_MAX_FILES", CFG_INT,
	    OFF(spool_unverified_max_files), "500", 0, 100000, NULL, 0,
	    "callbacks whose signature cannot be checked yet kept on disk at "
	    "most (beyond: 503)" },
	{ "SPOOL_UNVERIFIED_MAX_BYTES", CFG_INT,
	    OFF(spool_unverified_max_bytes), "4194304", 0, 1073741824, NULL, 0,
	    "bytes of those callbacks kept on disk at most (beyond: 503)" },
	{ "WEB_DIR", CFG_STR, OFF(web_dir), NULL, 0, 0, NULL, 0,
	    "serve the softphone from this directory instead of the copy "
	    "built into ramal" },
	{ "QUEUE_ANNOUNCE_S", CFG_INT, OFF(queue_announce_s), "30", 10, 600,
	    NULL, 0, "seconds between queue position announcements" },
	{ "QUEUE_MAX_WAIT_S", CFG_INT, OFF(queue_max_wait_s), "300", 30, 3600,
	    NULL, 0, "seconds in the queue before voicemail is offered" },
	{ "WRAPUP_S", CFG_INT, OFF(wrapup_s), "0", 0, 3600, NULL, 0,
	    "seconds of wrap-up after a queued call (0: straight back)" },
	{ "QUEUE_MUSIC_URL", CFG_URL, OFF(queue_music_url),
	    "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3",
	    0, 0, NULL, 0,
	    "hold music played to callers waiting in the queue" },
	{ "JOB_WORKERS", CFG_INT, OFF(job_workers), "2", 0, 64, NULL, 0,
	    "background job threads in `serve` (0: leave jobs to `worker`)" },
	{ "SESSION_TTL_H", CFG_INT, OFF(session_ttl_h), "12", 1, 720, NULL, 0,
	    "hours a sign-in session lasts (fixed, from sign-in)" },
	{ "SESSION_MAX_PER_USER", CFG_INT, OFF(session_max_per_user), "10", 1,
	    1000, NULL, 0,
	    "live sessions a user keeps at most (a new sign-in revokes the "
	    "oldest)" },
	{ "TRUST_PROXY", CFG_INT, OFF(trust_proxy), "0", 0, 10, NULL, 0,
	    "proxies in front whose X-Forwarded-For is trusted (0: none)" },
	{ "TOKEN_TTL_S", CFG_INT, OFF(token_ttl_s), "3600",
	    CONFIG_TOKEN_TTL_MIN_S, 86400, NULL, 0,
	    "lifetime of the softphone's Voice access token, seconds" },
	{ "EVENTS_HEARTBEAT_S", CFG_INT, OFF(events_heartbeat_s), "15", 1, 300,
	    NULL, 0, "seconds between heartbeats on /api/events streams" },
	{ "EVENTS_TICKET_TTL_S", CFG_INT, OFF(events_ticket_ttl_s), "30", 1, 30,
	    NULL, 0,
	    "seconds a ticket of POST /api/events/ticket may be used (once)" },
	{ "CORS_ALLOWED_ORIGINS", CFG_ORIGINS, OFF(cors_allowed_origins), NULL,
	    0, 0, NULL, 0,
	    "origins (https://host[:port], comma-separated) whose pages may "
	    "call /token and /api" },
	{ "SESSION_CACHE_S", CFG_INT, OFF(session_cache_s), "5", 0, 60, NULL, 0,
	    "seconds a session look-up is cached (0: no cache)" },
	{ "TENANT_CACHE_S", CFG_INT, OFF(tenant_cache_s), "60", 1, 3600, NULL,
	    0,
	    "seconds a subaccount's signature key is used before it is read "
	    "again" },
	{ "TENANT_LOOKUP_BURST", CFG_INT, OFF(tenant_lookup_burst), "20", 1,
	    100000, NULL, 0,
	    "database look-ups of accounts not cached, at once (beyond: 403)" },
	{ "TENANT_LOOKUP_PER_S", CFG_INT, OFF(tenant_lookup_per_s), "5", 1,
	    100000, NULL, 0,
	    "look-ups of accounts not cached allowed per second after that" },
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0, NULL },
};

/* Why a variable's minimum is what it is, said when a value is below it. */
static const struct {
	const char *name, *why;
} min_whys[] = {
	{ "TOKEN_TTL_S",
	    "three times the softphone's token refresh margin (the "
	    "tokenRefreshMs of web/src/phone/voice.ts): a shorter lifetime "
	    "makes the Voice SDK renew its token over and over" },
};

static const char *
min_why(const char *name)
{
	for (size_t i = 0; i < sizeof(min_whys) / sizeof(min_whys[0]); i++)
		if (strcmp(min_whys[i].name, name) == 0)
			return min_whys[i].why;
	return NULL;
}

const struct config_var *
config_vars(void)
{
	return vars;
}

static const struct config_var *
var_find(const char *name)
{
	for (const struct config_var *v = vars; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

/* ---- .env ---- */

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Unquote a value in place; -1 on an unterminated quote. */
static int
dotenv_value(char *v)
{
	char *r, *w;

	if (*v == '\'') {
		r = strchr(v + 1, '\'');
		if (r == NULL)
			return -1;
		*r = '\0';
		memmove(v, v + 1, strlen(v + 1) + 1);
		return 0;
	}
	if (*v == '"') {
		for (r = v + 1, w = v; *r != '"'; r++) {
			if (*r == '\0')
				return -1;
			if (*r == '\\' && r[1] != '\0') {
				r++;
				*w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
			} else
				*w++ = *r;
		}
		*w = '\0';
		return 0;
	}
	/* Unquoted: a " #" starts a comment. */
	for (r = v; *r != '\0'; r++)
		if (*r == '#' && (r == v || r[-1] == ' ' || r[-1] == '\t')) {
			*r = '\0';
			break;
		}
	r = trim(v);
	memmove(v, r, strlen(r) + 1);
	return 0;
}

int
config_read_dotenv(const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char line[8192];
	int lineno = 0, result = -1;

	fp = fopen(path, "r");
	if (fp == NULL)
		return errno == ENOENT
		    ? 0
		    : (snprintf(err, errlen, "%s: %s", path, strerror(errno)),
			  -1);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s, *eq, *key;

		lineno++;
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "export ", 7) == 0)
			s = trim(s + 7);
		eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected NAME=value",
			    path, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(s);
		for (char *k = key; *k != '\0'; k++)
			if (!(isalnum((unsigned char)*k) || *k == '_')) {
				snprintf(err, errlen, "%s:%d: bad name", path,
				    lineno);
				goto out;
			}
		if (*key == '\0' || dotenv_value(trim(eq + 1)) != 0) {
			snprintf(err, errlen, "%s:%d: malformed line", path,
			    lineno);
			goto out;
		}
		if (setenv(key, trim(eq + 1), 0) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno,
			    strerror(errno));
			goto out;
		}
	}
	result = 0;
out:
	OPENSSL_cleanse(line, sizeof(line));
	fclose(fp);
	return result;
}

/* ---- validation ---- */

static int
is_http_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

/* scheme://host[:port] with nothing after; host non-empty. */
static int
is_base_url(const char *s)
{
	const char *h, *p;

	if (!is_http_url(s))
		return 0;
	h = strstr(s, "://") + 3;
	if (*h == '\0' || *h == ':' || *h == '/')
		return 0;
	for (p = h; *p != '\0'; p++) {
		if (*p == '?' || *p == '#' || *p == '@' || *p <= ' ')
			return 0;
		if (*p == '/' && p[1] != '\0')
			return 0; /* a path prefix is not supported */
	}
	/* An explicit port must be 1-65535 (the host may be [IPv6]). */
	p = strrchr(h, ':');
	if (p != NULL && strchr(p, ']') == NULL) {
		char *end;
		long port;

		errno = 0;
		port = strtol(p + 1, &end, 10);
		if (errno != 0 || end == p + 1 || port < 1 || port > 65535 ||
		    (*end != '\0' && strcmp(end, "/") != 0))
			return 0;
	}
	return 1;
}

static int
is_sid(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, 2) != 0 || strlen(s) != 34)
		return 0;
	for (int i = 2; i < 34; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
is_whatsapp(const char *s)
{
	if (strncmp(s, "whatsapp:", 9) == 0)
		s += 9;
	if (*s++ != '+' || *s == '0')
		return 0;
	size_t n = strspn(s, "0123456789");
	return s[n] == '\0' && n >= 8 && n <= 15;
}

static int
is_e164(const char *s)
{
	return strncmp(s, "whatsapp:", 9) != 0 && is_whatsapp(s);
}

/* ---- CORS origins ---- */

static int
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/*
 * One origin, s[0..n) already trimmed, appended normalised to b.  0, or
 * -1 with the reason in why.
 */
static int
origin_add(struct buf *b, const char *s, size_t n, char *why, size_t whylen)
{
	const char *p = s, *end = s + n, *host, *hend;
	int https;
	long port = 0;

	if (n == 1 && *s == '*') {
		snprintf(why, whylen,
		    "\"*\" is refused: the API is called with credentials "
		    "(Authorization: Bearer), so each origin must be listed, "
		    "like https://app.example.com");
		return -1;
	}
	if (memchr(s, '*', n) != NULL) {
		snprintf(why, whylen,
		    "\"%.*s\": no wildcards; list each origin exactly",
		    (int)(n > 80 ? 80 : n), s);
		return -1;
	}
	if (n > CONFIG_ORIGIN_LEN_MAX) {
		snprintf(why, whylen, "an origin is longer than %d characters",
		    CONFIG_ORIGIN_LEN_MAX);
		return -1;
	}
	if (n >= 8 && strncasecmp(p, "https://", 8) == 0) {
		https = 1;
		p += 8;
	} else if (n >= 7 && strncasecmp(p, "http://", 7) == 0) {
		https = 0;
		p += 7;
	} else {
		snprintf(why, whylen,
		    "\"%.*s\" is not an origin: want http:// or "
		    "https://host[:port]",
		    (int)(n > 80 ? 80 : n), s);
		return -1;
	}
	host = p;
	if (p < end && *p == '[') { /* an IPv6 literal */
		for (p++; p < end &&
		     (isxdigit((unsigned char)*p) || *p == ':' || *p == '.');)
			p++;
		if (p == end || *p != ']' || p == host + 1)
			goto bad_host;
		p++;
	} else {
		while (p < end && host_char(*p))
			p++;
		if (p == host || *host == '.' || *host == '-' || p[-1] == '.')
			goto bad_host;
	}
	hend = p;
	if (p < end && *p == ':') {
		const char *d = ++p;

		while (p < end && *p >= '0' && *p <= '9' && p - d < 6)
			port = port * 10 + (*p++ - '0');
		if (p == d || port < 1 || port > 65535) {
			snprintf(why, whylen,
			    "\"%.*s\": the port must be 1 to 65535",
			    (int)(n > 80 ? 80 : n), s);
			return -1;
		}
	}
	if (p < end && *p == '/' && p + 1 == end)
		p++; /* "https://host/": the origin of that page */
	if (p != end) {
		snprintf(why, whylen,
		    "\"%.*s\" is not an origin: no path, query or user, "
		    "only scheme://host[:port]",
		    (int)(n > 80 ? 80 : n), s);
		return -1;
	}
	if (port == (https ? 443 : 80))
		port = 0;
	if (b->len > 0)
		buf_addc(b, ',');
	buf_addstr(b, https ? "https://" : "http://");
	for (const char *h = host; h < hend; h++)
		buf_addc(b, (char)tolower((unsigned char)*h));
	if (port != 0)
		buf_printf(b, ":%ld", port);
	return 0;
bad_host:
	snprintf(why, whylen, "\"%.*s\": the host is not a name or address",
	    (int)(n > 80 ? 80 : n), s);
	return -1;
}

int
config_origins_normalise(const char *in, char *out, size_t outlen, char *why,
    size_t whylen)
{
	struct buf b;
	const char *p = in;
	int count = 0, result = -1;

	buf_init(&b, CONFIG_ORIGINS_MAX * (CONFIG_ORIGIN_LEN_MAX + 1));
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		const char *a = p, *e = p + n;

		while (a < e && (*a == ' ' || *a == '\t'))
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > a) {
			if (++count > CONFIG_ORIGINS_MAX) {
				snprintf(why, whylen, "more than %d origins",
				    CONFIG_ORIGINS_MAX);
				goto out;
			}
			if (origin_add(&b, a, (size_t)(e - a), why, whylen) !=
			    0)
				goto out;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (b.len + 1 > outlen) {
		snprintf(why, whylen, "too long");
		goto out;
	}
	memcpy(out, buf_cstr(&b), b.len + 1);
	result = 0;
out:
	buf_cleanup(&b);
	return result;
}

int
config_origin_allowed(const struct config *cfg, const char *origin)
{
	const char *p;
	size_t n;

	if (cfg->cors_allowed_origins == NULL || origin == NULL ||
	    (n = strlen(origin)) == 0 || n > CONFIG_ORIGIN_LEN_MAX)
		return 0;
	for (p = cfg->cors_allowed_origins; *p != '\0';) {
		size_t k = strcspn(p, ",");

		if (k == n && strncasecmp(p, origin, n) == 0)
			return 1;
		p += k;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int
set_value(struct config *cfg, const struct config_var *v, const char *val,
    char *err, size_t errlen)
{
	void *field = (char *)cfg + v->offset;
	char *end;
	long n;

	switch (v->kind) {
	case CFG_INT:
		errno = 0;
		n = strtol(val, &end, 10);
		if (errno == 0 && end != val && *end == '\0' && n < v->min &&
		    min_why(v->name) != NULL) {
			snprintf(err, errlen,
			    "%s: must be at least %ld, %s (got \"%.40s\")",
			    v->name, v->min, min_why(v->name), val);
			return -1;
		}
		if (errno != 0 || end == val || *end != '\0' || n < v->min ||
		    n > v->max) {
			snprintf(err, errlen,
			    "%s: must be an integer from %ld to %ld (got \"%.40s\")",
			    v->name, v->min, v->max, val);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	case CFG_LEVEL:
		n = log_level_parse(val);
		if (n < 0) {
			snprintf(err, errlen,
			    "%s: must be debug, info, warn or error (got \"%.40s\")",
			    v->name, val);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	case CFG_URL:
		if (!is_http_url(val)) {
			snprintf(err, errlen,
			    "%s: must be an http:// or https:// URL", v->name);
			return -1;
		}
		break;
	case CFG_BASE_URL:
		if (!is_base_url(val)) {
			snprintf(err, errlen,
			    "%s: must be like https://host[:port], without a path "
			    "(got \"%.80s\")",
			    v->name, val);
			return -1;
		}
		break;
	case CFG_SID:
		if (!is_sid(val, v->sid_prefix)) {
			snprintf(err, errlen,
			    "%s: must be %s followed by 32 hex digits (got \"%.40s\")",
			    v->name, v->sid_prefix, val);
			return -1;
		}
		break;
	case CFG_KEY:
		if (secret_key_parse(val, cfg->secret_key) != 0) {
			snprintf(err, errlen,
			    "%s: must be 32 bytes as 64 hex digits or base64 "
			    "(make one with: openssl rand -hex 32)",
			    v->name);
			return -1;
		}
		cfg->have_secret_key = 1;
		break;
	case CFG_DSN:
		if (strncmp(val, "postgres://", 11) != 0 &&
		    strncmp(val, "postgresql://", 13) != 0 &&
		    strchr(val, '=') == NULL) {
			snprintf(err, errlen,
			    "%s: must be a postgresql:// URI or a libpq "
			    "key=value string",
			    v->name);
			return -1;
		}
		break;
	case CFG_WHATSAPP:
		if (!is_whatsapp(val)) {
			snprintf(err, errlen,
			    "%s: must be whatsapp:+<country><number> (got \"%.40s\")",
			    v->name, val);
			return -1;
		}
		break;
	case CFG_E164:
		if (!is_e164(val)) {
			snprintf(err, errlen,
			    "%s: must be +<country><number>, 8 to 15 digits "
			    "(got \"%.40s\")",
			    v->name, val);
			return -1;
		}
		break;
	case CFG_ORIGINS: {
		size_t cap = CONFIG_ORIGINS_MAX * (CONFIG_ORIGIN_LEN_MAX + 1);
		char *norm = xmalloc(cap), why[200];

		if (config_origins_normalise(val, norm, cap, why,
			sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: %s", v->name, why);
			free(norm);
			return -1;
		}
		if (*norm == '\0') /* only commas and blanks: none */
			free(norm);
		else
			*(char **)field = norm;
		return 0;
	}
	case CFG_ENV:
		if (strlen(val) > 32 ||
		    strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
			strlen(val)) {
			snprintf(err, errlen,
			    "%s: must be a name of 1 to 32 lower-case letters, "
			    "digits, _ or - (got \"%.40s\")",
			    v->name, val);
			return -1;
		}
		break;
	case CFG_STR:
		break;
	}
	*(char **)field = xstrdup(val);
	return 0;
}

int
config_load(struct config *cfg, char *err, size_t errlen)
{
	const struct config_var *v;
	char buf[128];

	memset(cfg, 0, sizeof(*cfg));
	for (v = vars; v->name != NULL; v++) {
		const char *val = getenv(v->name);

		if (val != NULL && *val == '\0')
			val = NULL; /* NAME= means unset */
		if (val == NULL)
			val = v->def;
		if (val == NULL)
			continue;
		if (set_value(cfg, v, val, err, errlen) != 0)
			goto fail;
	}
	if (cfg->base_url == NULL) {
		snprintf(buf, sizeof(buf), "http://localhost:%d",
		    cfg->port == 0 ? 8080 : cfg->port);
		cfg->base_url = xstrdup(buf);
	} else {
		size_t n = strlen(cfg->base_url);

		if (n > 0 && cfg->base_url[n - 1] == '/')
			cfg->base_url[n - 1] = '\0';
	}
	if (cfg->twilio_account_sid != NULL && cfg->twilio_auth_token == NULL) {
		snprintf(err, errlen,
		    "TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set");
		goto fail;
	}
	if (cfg->twilio_auth_token != NULL && cfg->twilio_account_sid == NULL) {
		snprintf(err, errlen,
		    "TWILIO_ACCOUNT_SID: required when TWILIO_AUTH_TOKEN is set");
		goto fail;
	}
	if ((cfg->twilio_api_key_sid == NULL) !=
	    (cfg->twilio_api_key_secret == NULL)) {
		snprintf(err, errlen, "%s: required with %s",
		    cfg->twilio_api_key_sid ? "TWILIO_API_KEY_SECRET"
					    : "TWILIO_API_KEY_SID",
		    cfg->twilio_api_key_sid ? "TWILIO_API_KEY_SID"
					    : "TWILIO_API_KEY_SECRET");
		goto fail;
	}
	return 0;
fail:
	config_cleanup(cfg);
	return -1;
}

int
config_require(const struct config *cfg, const char *name, char *err,
    size_t errlen)
{
	const struct config_var *v = var_find(name);
	const void *field;

	if (v == NULL) {
		snprintf(err, errlen, "%s: unknown variable", name);
		return -1;
	}
	field = (const char *)cfg + v->offset;
	if (v->kind == CFG_INT || v->kind == CFG_LEVEL)
		return 0;
	if (*(char *const *)field != NULL)
		return 0;
	snprintf(err, errlen, "%s: required (%s; see .env.example)", name,
	    v->help);
	return -1;
}

void
config_log(const struct config *cfg)
{
	char num[16];
	char *shown;

	if (!log_enabled(LOG_DEBUG))
		return;
	for (const struct config_var *v = vars; v->name != NULL; v++) {
		const void *field = (const char *)cfg + v->offset;
		const char *val;

		shown = NULL;
		if (v->kind == CFG_INT) {
			snprintf(num, sizeof(num), "%d", *(const int *)field);
			val = num;
		} else if (v->kind == CFG_LEVEL) {
			static const char *const names[] = { "debug", "info",
				"warn", "error" };
			val = names[*(const int *)field];
		} else {
			val = *(char *const *)field;
			if (val != NULL && (v->flags & CFG_SECRET))
				val = "(set)";
			else if (val != NULL && v->kind == CFG_DSN)
				val = shown = config_redact_dsn(val);
		}
		log_kv(LOG_DEBUG, "config", "name", v->name, "value",
		    val ? val : "(unset)", NULL);
		free(shown);
	}
}

void
config_cleanup(struct config *cfg)
{
	for (const struct config_var *v = vars; v->name != NULL; v++) {
		char **field;

		if (v->kind == CFG_INT || v->kind == CFG_LEVEL)
			continue;
		field = (char **)((char *)cfg + v->offset);
		if (v->flags & CFG_SECRET)
			util_free_secret(*field);
		else
			free(*field);
		*field = NULL;
	}
	free(cfg->base_url); /* set above even when unset in the table */
	cfg->base_url = NULL;
	OPENSSL_cleanse(cfg->secret_key, sizeof(cfg->secret_key));
	cfg->have_secret_key = 0;
}

char *
config_redact_dsn(const char *dsn)
{
	struct buf b;
	const char *p, *at, *colon, *scheme_end;

	buf_init(&b, 4096);
	scheme_end = strstr(dsn, "://");
	if (scheme_end != NULL) {
		/* URI: user:password@host */
		at = strchr(scheme_end + 3, '@');
		colon = at
		    ? memchr(scheme_end + 3, ':', (size_t)(at - scheme_end - 3))
		    : NULL;
		if (colon != NULL) {
			buf_add(&b, dsn, (size_t)(colon - dsn) + 1);
			buf_addstr(&b, "***");
			buf_addstr(&b, at);
		} else
			buf_addstr(&b, dsn);
		/* ...and a password= query parameter. */
		p = strstr(buf_cstr(&b), "password=");
		if (p != NULL) {
			size_t keep = (size_t)(p - buf_cstr(&b)) + 9;
			const char *rest = strchr(p, '&');
			char *tail = rest ? xstrdup(rest) : xstrdup("");

			b.len = keep;
			b.ptr[keep] = '\0';
			buf_addstr(&b, "***");
			buf_addstr(&b, tail);
			free(tail);
		}
		return buf_take(&b, NULL);
	}
	/* key=value string */
	for (p = dsn; *p != '\0';) {
		if (strncmp(p, "password", 8) == 0) {
			const char *q = p + 8;

			while (*q == ' ')
				q++;
			if (*q == '=') {
				buf_add(&b, p, (size_t)(q - p) + 1);
				buf_addstr(&b, "***");
				q++;
				while (*q == ' ')
					q++;
				if (*q == '\'') {
					for (q++; *q != '\0' && *q != '\''; q++)
						if (*q == '\\' && q[1] != '\0')
							q++;
					if (*q == '\'')
						q++;
				} else
					while (*q != '\0' && *q != ' ')
						q++;
				p = q;
				continue;
			}
		}
		buf_addc(&b, *p++);
	}
	return buf_take(&b, NULL);
}
