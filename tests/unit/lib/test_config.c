/*
 * Configuration: the table against .env.example, validation messages,
 * .env parsing, DSN redaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static const char key_hex[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void
clear_env(void)
{
	for (const struct config_var *v = config_vars(); v->name; v++)
		unsetenv(v->name);
}

/* Names in .env.example, as NAME= at the start of a line. */
static int
example_has(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; (p = strstr(p, name)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '=')
			return 1;
	return 0;
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, fp) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(fp);
	return s;
}

static void
test_env_example_matches_table(void **state)
{
	char *text = read_file(".env.example");
	const char *p;

	(void)state;
	assert_non_null(text);
	for (const struct config_var *v = config_vars(); v->name; v++) {
		if (!example_has(text, v->name))
			fail_msg("%s is in the table but not in .env.example",
			    v->name);
		assert_non_null(v->help);
	}
	/* ...and every NAME= line of the example is in the table. */
	for (p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		char name[64];
		size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		int found = 0;

		if (n == 0 || p[n] != '=' || n >= sizeof(name))
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		for (const struct config_var *v = config_vars(); v->name; v++)
			found |= strcmp(v->name, name) == 0;
		if (!found)
			fail_msg("%s is in .env.example but not in the table",
			    name);
	}
	free(text);
}

static void
test_defaults(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	clear_env();
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.port, 8080);
	assert_string_equal(cfg.base_url, "http://localhost:8080");
	assert_string_equal(cfg.twilio_api_base, "https://api.twilio.com");
	assert_int_equal(cfg.http_conn_timeout, 30);
	assert_null(cfg.database_url);
	assert_int_equal(config_require(&cfg, "DATABASE_URL", err, sizeof(err)),
	    -1);
	assert_true(strncmp(err, "DATABASE_URL: required", 22) == 0);
	config_cleanup(&cfg);
}

static void
expect_error(const char *name, const char *value, const char *prefix)
{
	struct config cfg;
	char err[256] = "";

	clear_env();
	setenv(name, value, 1);
	if (config_load(&cfg, err, sizeof(err)) == 0) {
		config_cleanup(&cfg);
		fail_msg("%s=%s was accepted", name, value);
	}
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err,
		    prefix);
	assert_null(strchr(err, '\n'));
}

static void
test_bad_values(void **state)
{
	(void)state;
	expect_error("PORT", "abc", "PORT: must be an integer from 0 to 65535");
	expect_error("PORT", "70000", "PORT: must be an integer");
	expect_error("PORT", "80x", "PORT: must be an integer");
	expect_error("HTTP_THREADS", "0", "HTTP_THREADS: must be an integer");
	expect_error("LOG_LEVEL", "loud", "LOG_LEVEL: must be debug");
	expect_error("BASE_URL", "ramal.example.com", "BASE_URL: must be like");
	expect_error("BASE_URL", "https://x.example/app", "BASE_URL:");
	expect_error("TWILIO_ACCOUNT_SID", "AC123",
	    "TWILIO_ACCOUNT_SID: must be AC");
	expect_error("TWILIO_WORKSPACE_SID",
	    "WW0123456789abcdef0123456789abcdef", "TWILIO_WORKSPACE_SID:");
	expect_error("RAMAL_SECRET_KEY", "short",
	    "RAMAL_SECRET_KEY: must be 32");
	expect_error("DATABASE_URL", "mysql://x", "DATABASE_URL:");
	expect_error("WHATSAPP_TO", "+55 11 9999", "WHATSAPP_TO:");
	expect_error("TWILIO_API_BASE", "ftp://x", "TWILIO_API_BASE:");
	/* Below the floor: the reason, not only the range. */
	expect_error("TOKEN_TTL_S", "120",
	    "TOKEN_TTL_S: must be at least 180, three times the softphone's "
	    "token refresh margin");
	expect_error("TOKEN_TTL_S", "60", "TOKEN_TTL_S: must be at least 180");
	expect_error("TOKEN_TTL_S", "0", "TOKEN_TTL_S: must be at least 180");
	expect_error("TOKEN_TTL_S", "90000",
	    "TOKEN_TTL_S: must be an integer from 180 to 86400");
	expect_error("TOKEN_TTL_S", "2h", "TOKEN_TTL_S: must be an integer");
	/* A token without its account, and the reverse. */
	expect_error("TWILIO_AUTH_TOKEN", "abc",
	    "TWILIO_ACCOUNT_SID: required");
	expect_error("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef",
	    "TWILIO_AUTH_TOKEN: required");
}

static void
test_good_values(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	clear_env();
	setenv("PORT", "0", 1);
	setenv("BASE_URL", "https://ramal.example.com/", 1);
	setenv("RAMAL_SECRET_KEY", key_hex, 1);
	setenv("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789ABCDEF", 1);
	setenv("TWILIO_AUTH_TOKEN", "tok", 1);
	setenv("WHATSAPP_TO", "whatsapp:+5511999998888", 1);
	setenv("LOG_LEVEL", "", 1); /* empty = unset: the default */
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.port, 0);
	assert_string_equal(cfg.base_url, "https://ramal.example.com");
	assert_true(cfg.have_secret_key);
	assert_int_equal(cfg.secret_key[0], 0x00);
	assert_int_equal(cfg.secret_key[31], 0xff);
	assert_int_equal(cfg.log_level, 1);
	config_cleanup(&cfg);
	assert_null(cfg.twilio_auth_token);
}

static void
test_dotenv(void **state)
{
	char path[] = "/tmp/ramal-dotenv-XXXXXX";
	char err[256];
	int fd;
	FILE *fp;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("# comment\n"
	      "\n"
	      "RAMAL_T_PLAIN=value  # trailing comment\n"
	      "export RAMAL_T_EXPORTED=yes\n"
	      "RAMAL_T_DQ=\"a \\\"quoted\\\" # not a comment\"\n"
	      "RAMAL_T_SQ='single $x'\n"
	      "RAMAL_T_HASH=abc#def\n"
	      "RAMAL_T_KEPT=from-file\n",
	    fp);
	fclose(fp);
	unsetenv("RAMAL_T_PLAIN");
	setenv("RAMAL_T_KEPT", "from-env", 1);
	assert_int_equal(config_read_dotenv(path, err, sizeof(err)), 0);
	assert_string_equal(getenv("RAMAL_T_PLAIN"), "value");
	assert_string_equal(getenv("RAMAL_T_EXPORTED"), "yes");
	assert_string_equal(getenv("RAMAL_T_DQ"),
	    "a \"quoted\" # not a comment");
	assert_string_equal(getenv("RAMAL_T_SQ"), "single $x");
	assert_string_equal(getenv("RAMAL_T_HASH"), "abc#def");
	assert_string_equal(getenv("RAMAL_T_KEPT"), "from-env");

	fp = fopen(path, "w");
	fputs("GOOD=1\nthis line is wrong\n", fp);
	fclose(fp);
	assert_int_equal(config_read_dotenv(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
	assert_int_equal(config_read_dotenv(path, err, sizeof(err)), 0);
}

/*
 * TOKEN_TTL_S's floor is three times the softphone's refresh margin: the
 * tokenRefreshMs web/src/phone/voice.ts gives the Voice SDK (its default,
 * 10 s, when it sets none).
 */
static void
test_token_ttl_floor(void **state)
{
	struct config cfg;
	char err[256], *text = read_file("web/src/phone/voice.ts"), *p;
	long ms = 10000;

	(void)state;
	assert_non_null(text);
	if ((p = strstr(text, "tokenRefreshMs:")) != NULL) {
		char digits[32];
		size_t n = 0;

		for (p += strlen("tokenRefreshMs:");
		     *p && *p != ',' && *p != '\n' && n + 1 < sizeof(digits);
		     p++)
			if (*p >= '0' && *p <= '9')
				digits[n++] = *p;
		digits[n] = '\0';
		assert_true(n > 0);
		ms = strtol(digits, NULL, 10);
	}
	free(text);
	assert_int_equal(CONFIG_SOFTPHONE_REFRESH_S * 1000L, ms);
	assert_int_equal(CONFIG_TOKEN_TTL_MIN_S,
	    3 * CONFIG_SOFTPHONE_REFRESH_S);

	clear_env();
	setenv("TOKEN_TTL_S", "180", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.token_ttl_s, CONFIG_TOKEN_TTL_MIN_S);
	config_cleanup(&cfg);
	unsetenv("TOKEN_TTL_S");
}

static void
origins_ok(const char *in, const char *want)
{
	char out[CONFIG_ORIGINS_MAX * (CONFIG_ORIGIN_LEN_MAX + 1)], why[200];

	if (config_origins_normalise(in, out, sizeof(out), why, sizeof(why)) !=
	    0)
		fail_msg("\"%s\" refused: %s", in, why);
	assert_string_equal(out, want);
}

static void
origins_refused(const char *in, const char *reason)
{
	char out[CONFIG_ORIGINS_MAX * (CONFIG_ORIGIN_LEN_MAX + 1)], why[200];

	if (config_origins_normalise(in, out, sizeof(out), why, sizeof(why)) ==
	    0)
		fail_msg("\"%s\" accepted as \"%s\"", in, out);
	if (strstr(why, reason) == NULL)
		fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", in, why, reason);
}

/* CORS_ALLOWED_ORIGINS: normalised, and the values start-up refuses. */
static void
test_cors_origins(void **state)
{
	struct config cfg;
	char err[256], many[40 * 24] = "";

	(void)state;
	origins_ok("https://app.example.com", "https://app.example.com");
	origins_ok(" HTTPS://App.Example.COM:443/ , http://LOCALHOST:5173,,",
	    "https://app.example.com,http://localhost:5173");
	origins_ok("http://x.test:80,https://x.test:8443",
	    "http://x.test,https://x.test:8443");
	origins_ok("http://[::1]:8080", "http://[::1]:8080");
	origins_ok(" , ", "");
	origins_refused("*", "\"*\" is refused");
	origins_refused("https://a.test,*", "credentials");
	origins_refused("https://*.lovable.app", "no wildcards");
	origins_refused("https://a.test/app", "no path");
	origins_refused("https://a.test/?x=1", "no path");
	origins_refused("https://a.test#f", "no path");
	origins_refused("https://u@a.test", "no path");
	origins_refused("a.test", "want http:// or https://");
	origins_refused("null", "not an origin");
	origins_refused("ftp://a.test", "not an origin");
	origins_refused("https://", "host");
	origins_refused("https://.a.test", "host");
	origins_refused("https://[zz]", "host");
	origins_refused("https://a.test:0", "port");
	origins_refused("https://a.test:65536", "port");
	origins_refused("https://a.test:", "port");
	for (int i = 0; i <= CONFIG_ORIGINS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "https://h%d.test,", i);
	origins_refused(many, "more than 32 origins");

	clear_env();
	expect_error("CORS_ALLOWED_ORIGINS", "*",
	    "CORS_ALLOWED_ORIGINS: \"*\"");
	expect_error("CORS_ALLOWED_ORIGINS", "https://a.test/x",
	    "CORS_ALLOWED_ORIGINS: \"https://a.test/x\" is not an origin");
	expect_error("EVENTS_TICKET_TTL_S", "31",
	    "EVENTS_TICKET_TTL_S: must be an integer from 1 to 30");
	clear_env();
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_null(cfg.cors_allowed_origins);
	assert_int_equal(cfg.events_ticket_ttl_s, 30);
	assert_false(config_origin_allowed(&cfg, "https://a.test"));
	config_cleanup(&cfg);
	setenv("CORS_ALLOWED_ORIGINS", "https://A.test, http://b.test:8080", 1);
	assert_int_equal(config_load(&cfg, err, sizeof(err)), 0);
	assert_true(config_origin_allowed(&cfg, "https://a.test"));
	assert_true(config_origin_allowed(&cfg, "https://A.TEST"));
	assert_true(config_origin_allowed(&cfg, "http://b.test:8080"));
	assert_false(config_origin_allowed(&cfg, "http://b.test"));
	assert_false(config_origin_allowed(&cfg, "https://a.test.evil"));
	assert_false(config_origin_allowed(&cfg, "https://a.tes"));
	assert_false(config_origin_allowed(&cfg, "http://a.test"));
	assert_false(config_origin_allowed(&cfg, "null"));
	assert_false(config_origin_allowed(&cfg, ""));
	assert_false(config_origin_allowed(&cfg, NULL));
	config_cleanup(&cfg);
	unsetenv("CORS_ALLOWED_ORIGINS");
}

static void
test_redact(void **state)
{
	char *s;

	(void)state;
	s = config_redact_dsn(
	    "postgresql://u:s3cret@h:5432/db?sslmode=require");
	assert_string_equal(s, "postgresql://u:***@h:5432/db?sslmode=require");
	free(s);
	s = config_redact_dsn("postgresql:///db?host=/tmp&password=s3cret&x=1");
	assert_string_equal(s, "postgresql:///db?host=/tmp&password=***&x=1");
	free(s);
	s = config_redact_dsn("host=h password='s3 cret' dbname=d");
	assert_null(strstr(s, "s3"));
	assert_non_null(strstr(s, "dbname=d"));
	free(s);
	s = config_redact_dsn("postgresql://u@h/db");
	assert_string_equal(s, "postgresql://u@h/db");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_example_matches_table),
		cmocka_unit_test(test_token_ttl_floor),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_dotenv),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_cors_origins),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
