/*
 * Operator commands: agents and numbers.  See include/cli/admin.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "auth.h"
#include "prompt.h"
#include "db.h"
#include "migrate.h"
#include "store.h"
#include "store_auth.h"
#include "twparam.h"
#include "util.h"

#define USAGE 2

struct opt {
	const char *name;
	int has_value;
	const char *value; /* "" for a flag that is present */
};

/*
 * Parse --name [value] options from argv[first..]; positional arguments go
 * to pos (at most npos).  -1 with a message on an unknown option.
 */
static int
parse_opts(int argc, char **argv, int first, struct opt *opts, size_t nopts,
    const char **pos, int npos)
{
	int np = 0;

	for (int i = first; i < argc; i++) {
		size_t k;

		if (strncmp(argv[i], "--", 2) != 0) {
			if (np >= npos) {
				fprintf(stderr,
				    "ramal: unexpected argument %s\n", argv[i]);
				return -1;
			}
			pos[np++] = argv[i];
			continue;
		}
		for (k = 0; k < nopts; k++)
			if (strcmp(argv[i] + 2, opts[k].name) == 0)
				break;
		if (k == nopts) {
			fprintf(stderr, "ramal: unknown option %s\n", argv[i]);
			return -1;
		}
		if (!opts[k].has_value) {
			opts[k].value = "";
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "ramal: %s needs a value\n", argv[i]);
			return -1;
		}
		opts[k].value = argv[++i];
	}
	for (; np < npos; np++)
		pos[np] = NULL;
	return 0;
}

static const char *
opt_get(const struct opt *opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opts[i].value;
	return NULL;
}

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

static void admin_close(struct db_conn *c);

/* Migrate and open a one-connection pool.  NULL (printed) on failure. */
static struct db_conn *
admin_open(const struct config *cfg)
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
		return NULL;
	}
	/* The main account exists before `serve` ever ran. */
	if (cfg->twilio_account_sid != NULL &&
	    store_tenant_put(c, cfg->secret_key, cfg->twilio_account_sid, NULL,
		cfg->twilio_auth_token, 1) != DB_OK) {
		fprintf(stderr, "ramal: cannot store the main account\n");
		admin_close(c);
		return NULL;
	}
	return c;
}

static void
admin_close(struct db_conn *c)
{
	db_release(c);
	db_shutdown();
}

/* "+55 (11) 3000-0000" → "+551130000000" in out; 0, or -1 if not E.164. */
static int
e164(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	if (in == NULL || *in != '+')
		return -1;
	out[n++] = '+';
	for (const char *p = in + 1; *p; p++) {
		if (strchr(" -().", *p) != NULL)
			continue;
		if (!isdigit((unsigned char)*p) || n + 1 >= outlen)
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	return (n >= 9 && n <= 16 && out[1] != '0') ? 0 : -1;
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

int
admin_create_user(const struct config *cfg, int argc, char **argv)
{
	struct opt o[] = { { "email", 1, NULL }, { "name", 1, NULL },
		{ "identity", 1, NULL }, { "role", 1, NULL },
		{ "account", 1, NULL }, { "password-stdin", 0, NULL } };
	const size_t no = sizeof(o) / sizeof(o[0]);
	const char *email, *name, *role, *account, *params[5];
	char identity[128], hash[AUTH_STORED_MAX] = "";
	struct db_conn *c;
	PGresult *r;
	enum db_result res;

	if (parse_opts(argc, argv, 1, o, no, NULL, 0) != 0)
		return USAGE;
	email = opt_get(o, no, "email");
	name = opt_get(o, no, "name");
	role = opt_get(o, no, "role");
	if (role == NULL)
		role = "agent";
	if (email == NULL || strchr(email, '@') == NULL || name == NULL ||
	    *name == '\0') {
		fprintf(stderr,
		    "usage: ramal create-user --email E --name N "
		    "[--identity I] [--role agent|supervisor|admin] "
		    "[--account AC...] [--password-stdin]\n");
		return USAGE;
	}
	if (strcmp(role, "agent") != 0 && strcmp(role, "supervisor") != 0 &&
	    strcmp(role, "admin") != 0) {
		fprintf(stderr,
		    "ramal: --role must be agent, supervisor or "
		    "admin\n");
		return USAGE;
	}
	if (new_identity(opt_get(o, no, "identity"), email, identity,
		sizeof(identity)) != 0)
		return USAGE;
	if ((account = tenant_of(cfg, opt_get(o, no, "account"))) == NULL)
		return USAGE;
	/* No flag and no terminal: created without a password. */
	if ((opt_get(o, no, "password-stdin") != NULL ||
		isatty(STDIN_FILENO)) &&
	    new_password_hash(opt_get(o, no, "password-stdin") != NULL, hash,
		sizeof(hash)) != 0)
		return 1;
	if ((c = admin_open(cfg)) == NULL)
		return 1;
	params[0] = account;
	params[1] = email;
	params[2] = name;
	params[3] = role;
	params[4] = identity;
	r = db_exec(c, "user_create", 5, params, &res);
	if (res == DB_OK && hash[0] != '\0' &&
	    store_auth_set_password_id(c,
		strtoll(PQgetvalue(r, 0, 0), NULL, 10), hash) != DB_OK)
		fprintf(stderr,
		    "ramal: the password was not set; set it with `ramal "
		    "user password %s`\n",
		    identity);
	PQclear(r);
	admin_close(c);
	if (res == DB_NOTFOUND) {
		fprintf(stderr,
		    "ramal: unknown account %s (add it with "
		    "`ramal tenant add`)\n",
		    account);
		return 1;
	}
	if (res != DB_OK) {
		fprintf(stderr, "ramal: cannot create %s: %s\n", email,
		    res == DB_CONFLICT ? "that email or identity is taken"
				       : db_reason(res));
		return 1;
	}
	printf("ramal: user %s created (identity %s, role %s)\n", email,
	    identity, role);
	if (hash[0] == '\0')
		printf("ramal: no password yet: %s cannot sign in until `ramal "
		       "user password %s`\n",
		    email, identity);
	return 0;
}

/* Print rows as tab-separated lines under a header. */
static void
print_rows(PGresult *r, const char *header)
{
	printf("%s\n", header);
	for (int i = 0; i < PQntuples(r); i++)
		for (int j = 0; j < PQnfields(r); j++)
			printf("%s%c", PQgetvalue(r, i, j),
			    j + 1 < PQnfields(r) ? '\t' : '\n');
}

static int
list(const struct config *cfg, const char *account, const char *stmt,
    const char *header)
{
	struct db_conn *c;
	PGresult *r;
	enum db_result res;
	const char *params[1] = { account };

	if ((c = admin_open(cfg)) == NULL)
		return 1;
	r = db_exec(c, stmt, 1, params, &res);
	if (res == DB_OK || res == DB_NOTFOUND)
		print_rows(r, header);
	PQclear(r);
	admin_close(c);
	return res == DB_OK || res == DB_NOTFOUND ? 0 : 1;
}

static int
user_status(const struct config *cfg, const char *account, const char *identity,
    const char *status)
{
	const char *params[3] = { account, identity, status };
	struct db_conn *c;
	enum db_result res;

	if (strcmp(status, "available") != 0 && strcmp(status, "busy") != 0 &&
	    strcmp(status, "wrapup") != 0 && strcmp(status, "offline") != 0) {
		fprintf(stderr,
		    "ramal: status must be available, busy, wrapup "
		    "or offline\n");
		return USAGE;
	}
	if ((c = admin_open(cfg)) == NULL)
		return 1;
	PQclear(db_exec(c, "user_set_status", 3, params, &res));
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

int
admin_user(const struct config *cfg, int argc, char **argv)
{
	struct opt o[] = { { "account", 1, NULL },
		{ "password-stdin", 0, NULL } };
	const char *pos[3], *account;

	if (parse_opts(argc, argv, 1, o, 2, pos, 3) != 0 || pos[0] == NULL)
		goto usage;
	if ((account = tenant_of(cfg, o[0].value)) == NULL)
		return USAGE;
	if (strcmp(pos[0], "list") == 0 && pos[1] == NULL)
		return list(cfg, account, "user_list",
		    "identity\temail\tname\trole\tstatus\tworker_sid\t"
		    "disabled");
	if (strcmp(pos[0], "status") == 0 && pos[1] != NULL && pos[2] != NULL)
		return user_status(cfg, account, pos[1], pos[2]);
	if (strcmp(pos[0], "password") == 0 && pos[1] != NULL && pos[2] == NULL)
		return user_password(cfg, account, pos[1], o[1].value != NULL);
usage:
	fprintf(stderr,
	    "usage: ramal user list [--account AC...]\n"
	    "       ramal user status <IDENTITY> available|busy|wrapup|offline\n"
	    "       ramal user password <IDENTITY|email> [--password-stdin]\n");
	return USAGE;
}

static int
number_add(const struct config *cfg, const char *account, const char *num,
    struct opt *o, size_t no)
{
	const char *params[10], *voicemail = opt_get(o, no, "voicemail");
	const char *owner = opt_get(o, no, "owner");
	const char *timeout = opt_get(o, no, "ring-timeout");
	const char *audio = opt_get(o, no, "disclaimer-audio");
	struct db_conn *c;
	enum db_result res;
	int status = 1;

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
	if ((c = admin_open(cfg)) == NULL)
		return 1;
	params[0] = account;
	params[1] = num;
	params[2] = opt_get(o, no, "sid");
	params[3] = opt_get(o, no, "label");
	params[4] = timeout;
	params[5] = opt_get(o, no, "disclaimer");
	params[6] = opt_get(o, no, "language");
	params[7] = opt_get(o, no, "voice");
	params[8] = audio;
	params[9] = voicemail
	    ? (strcmp(voicemail, "on") == 0 ? "true" : "false")
	    : NULL;
	PQclear(db_exec(c, "number_put", 10, params, &res));
	if (res != DB_OK) {
		fprintf(stderr, "ramal: cannot save %s: %s\n", num,
		    res == DB_NOTFOUND
			? "unknown account, or the number belongs to another "
			  "account"
			: db_reason(res));
		goto out;
	}
	if (owner != NULL) {
		params[2] = strcmp(owner, "none") == 0 ? NULL : owner;
		PQclear(db_exec(c, "number_assign", 3, params, &res));
		if (res != DB_OK) {
			fprintf(stderr, "ramal: no agent with identity %s\n",
			    owner);
			goto out;
		}
	}
	printf("ramal: number %s saved\n", num);
	status = 0;
out:
	admin_close(c);
	return status;
}

int
admin_number(const struct config *cfg, int argc, char **argv)
{
	struct opt o[] = { { "label", 1, NULL }, { "owner", 1, NULL },
		{ "sid", 1, NULL }, { "ring-timeout", 1, NULL },
		{ "disclaimer", 1, NULL }, { "disclaimer-audio", 1, NULL },
		{ "voice", 1, NULL }, { "language", 1, NULL },
		{ "voicemail", 1, NULL }, { "account", 1, NULL } };
	const size_t no = sizeof(o) / sizeof(o[0]);
	const char *pos[3], *account, *params[3];
	char num[20];
	struct db_conn *c;
	enum db_result res;

	if (parse_opts(argc, argv, 1, o, no, pos, 3) != 0 || pos[0] == NULL)
		goto usage;
	if ((account = tenant_of(cfg, opt_get(o, no, "account"))) == NULL)
		return USAGE;
	if (strcmp(pos[0], "list") == 0)
		return list(cfg, account, "number_list",
		    "number\tlabel\towner\tring_timeout_s\tvoicemail\tsid");
	if (pos[1] == NULL || e164(pos[1], num, sizeof(num)) != 0) {
		if (pos[1] != NULL)
			fprintf(stderr,
			    "ramal: %s is not an E.164 number "
			    "(+55...)\n",
			    pos[1]);
		goto usage;
	}
	if (strcmp(pos[0], "add") == 0)
		return number_add(cfg, account, num, o, no);
	if (strcmp(pos[0], "assign") != 0 || pos[2] == NULL)
		goto usage;
	if ((c = admin_open(cfg)) == NULL)
		return 1;
	params[0] = account;
	params[1] = num;
	params[2] = strcmp(pos[2], "none") == 0 ? NULL : pos[2];
	PQclear(db_exec(c, "number_assign", 3, params, &res));
	admin_close(c);
	if (res != DB_OK) {
		fprintf(stderr, "ramal: cannot assign %s: %s\n", num,
		    res == DB_NOTFOUND ? "unknown number or agent"
				       : db_reason(res));
		return 1;
	}
	printf("ramal: number %s %s %s\n", num,
	    params[2] ? "now rings" : "is no longer dedicated",
	    params[2] ? params[2] : "");
	return 0;
usage:
	fprintf(stderr,
	    "usage: ramal number add <+E164> [--label L] [--owner IDENTITY]\n"
	    "           [--sid PN...] [--ring-timeout S] [--disclaimer TEXT]\n"
	    "           [--disclaimer-audio URL] [--voice V] [--language L]\n"
	    "           [--voicemail on|off] [--account AC...]\n"
	    "       ramal number assign <+E164> <IDENTITY|none>\n"
	    "       ramal number list\n");
	return USAGE;
}
