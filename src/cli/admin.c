/*
 * Operator commands: tenants, agents and numbers.  See include/cli/admin.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "admin.h"
#include "auth.h"
#include "cmdline.h"
#include "prompt.h"
#include "db.h"
#include "migrate.h"
#include "store.h"
#include "store_auth.h"
#include "store_number.h"
#include "store_tenant.h"
#include "store_user.h"
#include "twparam.h"
#include "util.h"

#define USAGE CMDLINE_USAGE

static const char *
tenant_of(const struct config *cfg, const char *account)
{
	if (account != NULL)
		return account;
	if (cfg->twilio_account_sid == NULL)
		fprintf(stderr,
		    "ramal: no account: set TWILIO_ACCOUNT_SID or "
		    "pass --account AC...\n");
	return cfg->twilio_account_sid;
}

/* Migrate and open a one-connection pool.  NULL (printed) on failure. */
static struct db_conn *
admin_connect(const struct config *cfg)
{
	struct db_conn *c;

	if (migrate_run(cfg->database_url) < 0 ||
	    db_init(cfg->database_url, 1, 5000, cfg->db_statement_timeout_ms,
		store_statements()) != 0) {
		fprintf(stderr, "ramal: database unreachable\n");
		return NULL;
	}
	c = db_acquire();
	if (c == NULL) {
		fprintf(stderr, "ramal: database unreachable\n");
		db_shutdown();
	}
	return c;
}

void
admin_close(struct db_conn *c)
{
	db_release(c);
	db_shutdown();
}

/* admin_connect, and the main account exists before `serve` ever ran. */
struct db_conn *
admin_open(const struct config *cfg)
{
	struct db_conn *c = admin_connect(cfg);

	if (c != NULL && cfg->twilio_account_sid != NULL &&
	    store_tenant_put(c, cfg->secret_key, cfg->twilio_account_sid, NULL,
		cfg->twilio_auth_token, 1, cfg->ramal_environment) != DB_OK) {
		fprintf(stderr, "ramal: cannot store the main account\n");
		admin_close(c);
		return NULL;
	}
	return c;
}

/* The default identity: the part of the email before '@', made safe. */
static void
identity_from_email(const char *email, char *out, size_t outlen)
{
	twparam_identity_make_safe(email, strcspn(email, "@"), out, outlen);
}

/*
 * The identity of a new user into out: --identity when given (refused,
 * with the safe identity it would make, when it has other characters
 * than letters, digits and _), else the default from the email.  0, or
 * -1 after saying why.
 */
static int
new_identity(const char *given, const char *email, char *out, size_t outlen)
{
	if (given == NULL)
		identity_from_email(email, out, outlen);
	else if (twparam_identity_safe(given)) {
		snprintf(out, outlen, "%s", given);
		return 0;
	} else {
		twparam_identity_make_safe(given, strlen(given), out, outlen);
		fprintf(stderr,
		    "ramal: --identity %s: a Voice identity may contain only "
		    "letters, digits and _ (at most 121; Twilio's rule, and "
		    "TaskRouter expressions do not support hyphens)%s%s\n",
		    given, out[0] != '\0' ? "; use --identity " : "", out);
		return -1;
	}
	if (!twparam_identity_safe(out)) {
		fprintf(stderr,
		    "ramal: no identity can be made from the email %s: give "
		    "one with --identity (letters, digits and _)\n",
		    email);
		return -1;
	}
	return 0;
}

static const char *
db_reason(enum db_result res)
{
	switch (res) {
	case DB_CONFLICT:
		return "already exists";
	case DB_INVALID:
		return "invalid value (see the log)";
	case DB_UNAVAILABLE:
		return "database unreachable";
	default:
		return "database error (see the log)";
	}
}

/* Read a new password (stdin or the terminal) and hash it.  0 / -1. */
static int
new_password_hash(int from_stdin, char *hash, size_t len)
{
	char *pw = prompt_password(from_stdin, 1);
	int rc;

	if (pw == NULL)
		return -1;
	rc = auth_password_hash(pw, hash, len);
	util_free_secret(pw);
	if (rc != 0)
		fprintf(stderr, "ramal: cannot hash the password\n");
	return rc;
}

static int
tenant_add(const struct config *cfg, const char *sid, const char *name)
{
	struct db_conn *c;
	char *token;
	enum db_result res;
	int primary;

	if ((token = prompt_secret("Auth token: ")) == NULL) {
		fprintf(stderr, "ramal: tenant add: no auth token on stdin\n");
		return 1;
	}
	if ((c = admin_connect(cfg)) == NULL) {
		util_free_secret(token);
		return 1;
	}
	primary = cfg->twilio_account_sid != NULL &&
	    strcmp(sid, cfg->twilio_account_sid) == 0;
	res = store_tenant_put(c, cfg->secret_key, sid, name, token, primary,
	    primary ? cfg->ramal_environment : NULL);
	admin_close(c);
	util_free_secret(token);
	if (res != DB_OK) {
		fprintf(stderr, "ramal: tenant add: could not save %s\n", sid);
		return 1;
	}
	printf("ramal: tenant %s saved\n", sid);
	return 0;
}

int
admin_tenant(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "name", 1, NULL } };
	const char *pos[2];
	struct config cfg;
	char err[256];
	int status;

	if (cmdline_parse(argc, argv, o, 1, pos, 2, err, sizeof(err)) != 0)
		return cmdline_usage_error("tenant", "add", "tenant add: %s",
		    err);
	if (pos[0] == NULL)
		return cmdline_usage_error("tenant", NULL,
		    "tenant: missing subcommand");
	if (strcmp(pos[0], "add") != 0)
		return cmdline_usage_error("tenant", NULL,
		    "tenant: unknown subcommand %s", pos[0]);
	if (pos[1] == NULL)
		return cmdline_usage_error("tenant", "add",
		    "tenant add: missing AccountSid");
	if (strlen(pos[1]) != 34 || strncmp(pos[1], "AC", 2) != 0 ||
	    strspn(pos[1] + 2, "0123456789abcdefABCDEF") != 32) {
		fprintf(stderr,
		    "ramal: tenant add: %s is not an account SID "
		    "(AC + 32 hex digits)\n",
		    pos[1]);
		return USAGE;
	}
	cmdline_config(&cfg, cmdline_need_db);
	status = tenant_add(&cfg, pos[1], o[0].value);
	config_cleanup(&cfg);
	return status;
}

/* What `create-user` was asked for (strings borrowed from argv). */
struct new_user {
	const char *email, *name, *role, *account;
	char identity[128];
	int password_stdin;
};

static int
create_user(const struct config *cfg, const struct new_user *u)
{
	char hash[AUTH_STORED_MAX] = "";
	struct db_conn *c;
	const char *account;
	long long id;
	enum db_result res;

	if ((account = tenant_of(cfg, u->account)) == NULL)
		return USAGE;
	/* No flag and no terminal: created without a password. */
	if ((u->password_stdin || isatty(STDIN_FILENO)) &&
	    new_password_hash(u->password_stdin, hash, sizeof(hash)) != 0)
		return 1;
	if ((c = admin_open(cfg)) == NULL)
		return 1;
	res = store_user_create(c, account, u->email, u->name, u->role,
	    u->identity, &id);
	if (res == DB_OK && hash[0] != '\0' &&
	    store_auth_set_password_id(c, id, hash) != DB_OK)
		fprintf(stderr,
		    "ramal: the password was not set; set it with `ramal "
		    "user password %s`\n",
		    u->identity);
	admin_close(c);
	if (res == DB_NOTFOUND) {
		fprintf(stderr,
		    "ramal: unknown account %s (add it with "
		    "`ramal tenant add`)\n",
		    account);
		return 1;
	}
	if (res != DB_OK) {
		fprintf(stderr, "ramal: cannot create %s: %s\n", u->email,
		    res == DB_CONFLICT ? "that email or identity is taken"
				       : db_reason(res));
		return 1;
	}
	printf("ramal: user %s created (identity %s, role %s)\n", u->email,
	    u->identity, u->role);
	if (hash[0] == '\0')
		printf("ramal: no password yet: %s cannot sign in until `ramal "
		       "user password %s`\n",
		    u->email, u->identity);
	return 0;
}

int
admin_create_user(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "email", 1, NULL }, { "name", 1, NULL },
		{ "identity", 1, NULL }, { "role", 1, NULL },
		{ "account", 1, NULL }, { "password-stdin", 0, NULL } };
	const size_t no = sizeof(o) / sizeof(o[0]);
	struct new_user u;
	struct config cfg;
	char err[256];
	int status;

	if (cmdline_parse(argc, argv, o, no, NULL, 0, err, sizeof(err)) != 0)
		return cmdline_usage_error("create-user", NULL,
		    "create-user: %s", err);
	memset(&u, 0, sizeof(u));
	u.email = cmdline_opt(o, no, "email");
	u.name = cmdline_opt(o, no, "name");
	u.role = cmdline_opt(o, no, "role");
	u.account = cmdline_opt(o, no, "account");
	u.password_stdin = cmdline_opt(o, no, "password-stdin") != NULL;
	if (u.role == NULL)
		u.role = "agent";
	if (u.email == NULL || strchr(u.email, '@') == NULL || u.name == NULL ||
	    *u.name == '\0')
		return cmdline_usage_error("create-user", NULL,
		    "create-user: --email (with an @) and --name are "
		    "required");
	if (strcmp(u.role, "agent") != 0 && strcmp(u.role, "supervisor") != 0 &&
	    strcmp(u.role, "admin") != 0) {
		fprintf(stderr,
		    "ramal: --role must be agent, supervisor or "
		    "admin\n");
		return USAGE;
	}
	if (new_identity(cmdline_opt(o, no, "identity"), u.email, u.identity,
		sizeof(u.identity)) != 0)
		return USAGE;
	cmdline_config(&cfg, cmdline_need_db);
	status = create_user(&cfg, &u);
	config_cleanup(&cfg);
	return status;
}

/* A listing on stdout: its header line, then one line per row. */
struct listing {
	const char *header;
	int started;
};

static void
listing_start(struct listing *l)
{
	if (!l->started)
		printf("%s\n", l->header);
	l->started = 1;
}

/* The end of a listing: the header even when there was no row. */
static int
listing_end(struct listing *l, enum db_result res)
{
	if (res != DB_OK) {
		fprintf(stderr, "ramal: cannot list: %s\n", db_reason(res));
		return 1;
	}
	listing_start(l);
	return 0;
}

static void
print_user(void *arg, const struct store_user_row *u)
{
	listing_start(arg);
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u->identity, u->email, u->name,
	    u->role, u->status, u->worker_sid, u->disabled ? "yes" : "no");
}

static void
print_number(void *arg, const struct store_number_row *n)
{
	listing_start(arg);
	printf("%s\t%s\t%s\t%d\t%s\t%s\n", n->e164, n->label, n->owner,
	    n->ring_timeout_s, n->voicemail ? "on" : "off", n->sid);
}

static int
user_list(const struct config *cfg, const char *account)
{
	struct listing l = { "identity\temail\tname\trole\tstatus\t"
			     "worker_sid\tdisabled",
		0 };
	struct db_conn *c;
	enum db_result res;

	if ((c = admin_open(cfg)) == NULL)
		return 1;
	res = store_user_list(c, account, print_user, &l);
	admin_close(c);
	return listing_end(&l, res);
}

static int
user_status(const struct config *cfg, const char *account, const char *identity,
    const char *status)
{
	struct db_conn *c;
	enum db_result res;

	if ((c = admin_open(cfg)) == NULL)
		return 1;
	res = store_user_set_status(c, account, identity, status);
	admin_close(c);
	if (res != DB_OK) {
		fprintf(stderr, "ramal: %s: %s\n", identity,
		    res == DB_NOTFOUND ? "no such user" : db_reason(res));
		return 1;
	}
	printf("ramal: %s is %s\n", identity, status);
	return 0;
}

/* Set the password of the user whose identity or email is who. */
static int
user_password(const struct config *cfg, const char *account, const char *who,
    int from_stdin)
{
	char hash[AUTH_STORED_MAX];
	struct db_conn *c;
	enum db_result res;

	if (new_password_hash(from_stdin, hash, sizeof(hash)) != 0)
		return 1;
	if ((c = admin_open(cfg)) == NULL)
		return 1;
	res = store_auth_set_password(c, account, who, hash);
	admin_close(c);
	if (res != DB_OK) {
		fprintf(stderr, "ramal: %s: %s\n", who,
		    res == DB_NOTFOUND ? "no such user" : db_reason(res));
		return 1;
	}
	printf("ramal: password of %s set; its sessions are signed out\n", who);
	return 0;
}

/* The arity of each `user` subcommand: its positional arguments. */
static int
user_args_ok(const char **pos)
{
	if (strcmp(pos[0], "list") == 0)
		return pos[1] == NULL;
	if (strcmp(pos[0], "status") == 0)
		return pos[1] != NULL && pos[2] != NULL;
	return pos[1] != NULL && pos[2] == NULL; /* password */
}

int
admin_user(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "account", 1, NULL },
		{ "password-stdin", 0, NULL } };
	const char *pos[3], *sub, *account;
	struct config cfg;
	char err[256];
	int status = USAGE;

	if (cmdline_parse(argc, argv, o, 2, pos, 3, err, sizeof(err)) != 0)
		return cmdline_usage_error("user",
		    cmdline_sub("user", argc, argv), "user: %s", err);
	if ((sub = pos[0]) == NULL)
		return cmdline_usage_error("user", NULL,
		    "user: missing subcommand");
	if (strcmp(sub, "list") != 0 && strcmp(sub, "status") != 0 &&
	    strcmp(sub, "password") != 0)
		return cmdline_usage_error("user", NULL,
		    "user: unknown subcommand %s", sub);
	if (!user_args_ok(pos))
		return cmdline_usage_error("user", sub,
		    "user %s: wrong number of arguments", sub);
	if (strcmp(sub, "status") == 0 && strcmp(pos[2], "available") != 0 &&
	    strcmp(pos[2], "busy") != 0 && strcmp(pos[2], "wrapup") != 0 &&
	    strcmp(pos[2], "offline") != 0) {
		fprintf(stderr,
		    "ramal: status must be available, busy, wrapup "
		    "or offline\n");
		return USAGE;
	}
	cmdline_config(&cfg, cmdline_need_db);
	if ((account = tenant_of(&cfg, o[0].value)) == NULL)
		goto out;
	if (strcmp(sub, "list") == 0)
		status = user_list(&cfg, account);
	else if (strcmp(sub, "status") == 0)
		status = user_status(&cfg, account, pos[1], pos[2]);
	else
		status =
		    user_password(&cfg, account, pos[1], o[1].value != NULL);
out:
	config_cleanup(&cfg);
	return status;
}

static int
number_add(const struct config *cfg, const char *account,
    const struct store_number_in *n, const char *owner)
{
	struct db_conn *c;
	enum db_result res;
	int status = 1;

	if ((c = admin_open(cfg)) == NULL)
		return 1;
	res = store_number_put(c, account, n);
	if (res != DB_OK) {
		fprintf(stderr, "ramal: cannot save %s: %s\n", n->e164,
		    res == DB_NOTFOUND
			? "unknown account, or the number belongs to another "
			  "account"
			: db_reason(res));
		goto out;
	}
	if (owner != NULL &&
	    store_number_assign(c, account, n->e164,
		strcmp(owner, "none") == 0 ? NULL : owner) != DB_OK) {
		fprintf(stderr, "ramal: no agent with identity %s\n", owner);
		goto out;
	}
	printf("ramal: number %s saved\n", n->e164);
	status = 0;
out:
	admin_close(c);
	return status;
}

static int
number_assign(const struct config *cfg, const char *account, const char *num,
    const char *who)
{
	const char *identity = strcmp(who, "none") == 0 ? NULL : who;
	struct db_conn *c;
	enum db_result res;

	if ((c = admin_open(cfg)) == NULL)
		return 1;
	res = store_number_assign(c, account, num, identity);
	admin_close(c);
	if (res != DB_OK) {
		fprintf(stderr, "ramal: cannot assign %s: %s\n", num,
		    res == DB_NOTFOUND ? "unknown number or agent"
				       : db_reason(res));
		return 1;
	}
	printf("ramal: number %s %s %s\n", num,
	    identity ? "now rings" : "is no longer dedicated",
	    identity ? identity : "");
	return 0;
}

static int
number_list(const struct config *cfg, const char *account)
{
	struct listing l = {
		"number\tlabel\towner\tring_timeout_s\tvoicemail\tsid", 0
	};
	struct db_conn *c;
	enum db_result res;

	if ((c = admin_open(cfg)) == NULL)
		return 1;
	res = store_number_list(c, account, print_number, &l);
	admin_close(c);
	return listing_end(&l, res);
}

/* The options of `number add` into n; 0, or a usage error (printed). */
static int
number_fields(struct cmdline_opt *o, size_t no, struct store_number_in *n)
{
	const char *voicemail = cmdline_opt(o, no, "voicemail");
	const char *timeout = cmdline_opt(o, no, "ring-timeout");
	const char *audio = cmdline_opt(o, no, "disclaimer-audio");

	if (voicemail != NULL && strcmp(voicemail, "on") != 0 &&
	    strcmp(voicemail, "off") != 0) {
		fprintf(stderr, "ramal: --voicemail must be on or off\n");
		return USAGE;
	}
	if (timeout != NULL &&
	    (atoi(timeout) < 5 || atoi(timeout) > 120 ||
		strspn(timeout, "0123456789") != strlen(timeout))) {
		fprintf(stderr,
		    "ramal: --ring-timeout must be 5 to 120 "
		    "seconds\n");
		return USAGE;
	}
	if (audio != NULL && strncmp(audio, "https://", 8) != 0 &&
	    strncmp(audio, "http://", 7) != 0) {
		fprintf(stderr,
		    "ramal: --disclaimer-audio must be an http(s) "
		    "URL\n");
		return USAGE;
	}
	n->sid = cmdline_opt(o, no, "sid");
	n->label = cmdline_opt(o, no, "label");
	n->ring_timeout_s = timeout != NULL ? atoi(timeout) : 0;
	n->disclaimer_text = cmdline_opt(o, no, "disclaimer");
	n->disclaimer_language = cmdline_opt(o, no, "language");
	n->disclaimer_voice = cmdline_opt(o, no, "voice");
	n->disclaimer_audio_url = audio;
	n->voicemail = voicemail ? strcmp(voicemail, "on") == 0 : -1;
	return 0;
}

int
admin_number(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "label", 1, NULL }, { "owner", 1, NULL },
		{ "sid", 1, NULL }, { "ring-timeout", 1, NULL },
		{ "disclaimer", 1, NULL }, { "disclaimer-audio", 1, NULL },
		{ "voice", 1, NULL }, { "language", 1, NULL },
		{ "voicemail", 1, NULL }, { "account", 1, NULL } };
	const size_t no = sizeof(o) / sizeof(o[0]);
	const char *pos[3], *sub, *account;
	struct store_number_in n;
	struct config cfg;
	char num[20], err[256];
	int status = USAGE;

	if (cmdline_parse(argc, argv, o, no, pos, 3, err, sizeof(err)) != 0)
		return cmdline_usage_error("number",
		    cmdline_sub("number", argc, argv), "number: %s", err);
	if ((sub = pos[0]) == NULL)
		return cmdline_usage_error("number", NULL,
		    "number: missing subcommand");
	if (strcmp(sub, "list") != 0 && strcmp(sub, "add") != 0 &&
	    strcmp(sub, "assign") != 0)
		return cmdline_usage_error("number", NULL,
		    "number: unknown subcommand %s", sub);
	memset(&n, 0, sizeof(n));
	if (strcmp(sub, "list") == 0) {
		if (pos[1] != NULL)
			return cmdline_usage_error("number", sub,
			    "number list: unexpected argument %s", pos[1]);
	} else {
		if (pos[1] == NULL)
			return cmdline_usage_error("number", sub,
			    "number %s: missing number", sub);
		if (account_e164(pos[1], num, sizeof(num)) != 0)
			return cmdline_usage_error("number", sub,
			    "%s is not an E.164 number (+55...)", pos[1]);
		if (strcmp(sub, "assign") == 0 && pos[2] == NULL)
			return cmdline_usage_error("number", sub,
			    "number assign: missing IDENTITY (or none)");
		if (strcmp(sub, "add") == 0 && pos[2] != NULL)
			return cmdline_usage_error("number", sub,
			    "number add: unexpected argument %s", pos[2]);
		if (strcmp(sub, "add") == 0 && number_fields(o, no, &n) != 0)
			return USAGE;
		n.e164 = num;
	}
	cmdline_config(&cfg, cmdline_need_db);
	if ((account = tenant_of(&cfg, cmdline_opt(o, no, "account"))) == NULL)
		goto out;
	if (strcmp(sub, "list") == 0)
		status = number_list(&cfg, account);
	else if (strcmp(sub, "add") == 0)
		status =
		    number_add(&cfg, account, &n, cmdline_opt(o, no, "owner"));
	else
		status = number_assign(&cfg, account, num, pos[2]);
out:
	config_cleanup(&cfg);
	return status;
}
