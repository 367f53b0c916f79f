/*
 * The usage of every command, help, and loading the configuration.  See
 * include/cli/cmdline.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "log.h"

#define LOCAL_ENV "var/local.env" /* written by `make run` */
#define SUMMARY_COL 29 /* where the overview's descriptions start */

const char *const cmdline_need_db[] = { "DATABASE_URL", "RAMAL_SECRET_KEY",
	NULL };

/*
 * One form of a command.  args and what may hold '\n' where a line
 * breaks; help is what `--help` adds after the summary (options), or NULL.
 */
struct form_usage {
	const char *cmd;
	const char *sub; /* NULL: the command has no subcommands */
	const char *args;
	const char *what;
	const char *help;
};

static const struct form_usage forms[] = {
	{ "serve", NULL, "", "run the server (applies migrations first)",
	    "  Needs DATABASE_URL and RAMAL_SECRET_KEY; stops on SIGTERM or "
	    "SIGINT.\n" },
	{ "migrate", NULL, "", "apply database migrations and exit", NULL },
	{ "worker", NULL, "", "run background jobs only (no HTTP)", NULL },
	{ "provision", NULL, "",
	    "create or find the TaskRouter workspace,\n"
	    "activities, queue, workflow and workers",
	    "  Needs TWILIO_ACCOUNT_SID and its credentials, BASE_URL,\n"
	    "  DATABASE_URL and RAMAL_SECRET_KEY.  Running it again changes "
	    "nothing.\n" },
	{ "doctor", NULL, "",
	    "check this deployment against its Twilio\n"
	    "account (read only)",
	    "  One line per check, with what to do when it fails; exit 0 "
	    "only\n"
	    "  when all pass.  Needs the same settings as `serve`.\n" },
	{ "tenant", "add", "<AccountSid> [--name NAME]",
	    "add or update a Twilio (sub)account;\n"
	    "its auth token is read from stdin",
	    "  --name NAME         the account's friendly name\n" },
	{ "create-user", NULL,
	    "--email E --name N [--identity I] [--role R]\n"
	    "[--password-stdin]",
	    "add an agent, supervisor or admin",
	    "  --identity I        the Voice SDK identity (default: the "
	    "email\n"
	    "                      before the @)\n"
	    "  --role R            agent (default), supervisor or admin\n"
	    "  --password-stdin    read the password from stdin (else it is "
	    "asked\n"
	    "                      twice on a terminal; with neither, the "
	    "user\n"
	    "                      cannot sign in until `ramal user "
	    "password`)\n" },
	{ "user", "password", "<IDENTITY|EMAIL> [--password-stdin]",
	    "set a password (signs the user out)",
	    "  --password-stdin    read the password from stdin (else it is "
	    "asked\n"
	    "                      twice on the terminal)\n" },
	{ "user", "list", "", "list the users of the account", NULL },
	{ "user", "status", "<IDENTITY> available|busy|wrapup|offline",
	    "set an agent's status in ramal", NULL },
	{ "number", "add",
	    "<+E164> [--label L] [--owner IDENTITY] [--sid PN...]\n"
	    "[--ring-timeout S] [--disclaimer TEXT]\n"
	    "[--disclaimer-audio URL] [--voice V] [--language L]\n"
	    "[--voicemail on|off]",
	    "add or update a number (DID)",
	    "  --owner IDENTITY    the agent it rings first (none: nobody)\n"
	    "  --ring-timeout S    how long the owner rings, 5 to 120 s "
	    "(default 20)\n"
	    "  --disclaimer TEXT   the recording disclaimer said to callers\n"
	    "  --disclaimer-audio URL\n"
	    "                      an http(s) recording played instead\n"
	    "  --voice V           the disclaimer's voice (Polly.Camila)\n"
	    "  --language L        the disclaimer's language (pt-BR)\n"
	    "  --voicemail on|off  offer voicemail when nobody answers "
	    "(on)\n" },
	{ "number", "assign", "<+E164> <IDENTITY|none>",
	    "make a number ring an agent first, or nobody", NULL },
	{ "number", "list", "[--twilio]",
	    "the account's numbers: SID, label, owner,\n"
	    "bundle, and whether their webhooks point here",
	    "  --twilio            read the webhooks from Twilio now (else: as "
	    "stored\n"
	    "                      by the last buy, import, sync or read)\n" },
	{ "number", "search",
	    "--ddd DD [--type local|mobile|toll-free]\n"
	    "[--contains DIGITS] [--limit N] [--country BR]",
	    "numbers Twilio has for sale in a DDD\n"
	    "(or the rest of its state when it has none)",
	    "  --ddd DD            the area code (11 São Paulo, 21 Rio...); "
	    "none\n"
	    "                      for toll-free\n"
	    "  --type T            local (default), mobile or toll-free\n"
	    "  --contains DIGITS   the digits right after the DDD (3003 "
	    "finds\n"
	    "                      +55 11 3003-....)\n"
	    "  --limit N           at most N numbers, 1 to 50 (20)\n" },
	{ "number", "buy",
	    "<+E164> [--bundle BU...] [--address AD...]\n"
	    "[--label L] [--owner IDENTITY] [--force]",
	    "buy a number with its webhooks at BASE_URL\n"
	    "(a second run completes, never buys twice)",
	    "  --bundle BU...      the approved regulatory bundle (Brazilian\n"
	    "                      numbers need one: Twilio error 21649)\n"
	    "  --address AD...     the address, for numbers that need one\n"
	    "  --label L           the number's name (also its FriendlyName)\n"
	    "  --owner IDENTITY    the agent it rings first\n"
	    "  --force             even on a tenant of another environment\n" },
	{ "number", "import", "[--force]",
	    "take every number of the account into\n"
	    "ramal, webhooks pointed at BASE_URL",
	    "  --force             even on a tenant of another environment\n" },
	{ "number", "release", "<+E164|PN...> [--force]",
	    "give a number back to Twilio and drop it",
	    "  --force             even an agent's dedicated line, or a tenant "
	    "of\n"
	    "                      another environment\n" },
	{ "sync-webhooks", NULL,
	    "[--account AC...|--all] [--dry-run] [--force]",
	    "point numbers, TwiML App and TaskRouter\n"
	    "callbacks at BASE_URL (shows the diff first)",
	    "  --account AC...     that tenant (default: TWILIO_ACCOUNT_SID)\n"
	    "  --all               every tenant of this RAMAL_ENVIRONMENT\n"
	    "  --dry-run           print the diff and change nothing\n"
	    "  --force             also tenants of another environment\n"
	    "  Each resource is read again after its update; a field Twilio "
	    "did\n"
	    "  not take fails the command (exit 1).\n" },
	{ "simulate", "inbound",
	    "--to +E164 --from +E164 [--agent-answers |\n"
	    "--no-answer | --abandon] [--url URL]",
	    "play a call against a running server\n"
	    "as Twilio would, signed",
	    NULL },
	{ "simulate", "outbound",
	    "--agent IDENTITY --to NUMBER [--no-answer]\n"
	    "[--leave-up] [--url URL]",
	    "an agent's outbound call, as Twilio\n"
	    "would send it",
	    "  --leave-up          stop once the callee answered (the call "
	    "stays up)\n" },
	{ "simulate", "hold",
	    "--call CA... --email EMAIL [--password-stdin]\n"
	    "[--account AC...] [--url URL]",
	    "sign in, hold and unhold a live call",
	    "  --password-stdin    read the password from stdin (else it is "
	    "asked\n"
	    "                      on the terminal)\n"
	    "  --account AC...     the account to sign in to\n" },
	{ "routes", NULL, "",
	    "print the route table (method, path,\n"
	    "who may call it, where it runs)",
	    NULL },
	{ "version", NULL, "", "print the version", NULL },
	{ "help", NULL, "[COMMAND [SUBCOMMAND]]",
	    "print this, or the usage of a command", NULL },
};

/* What every form of a command takes, printed once after them. */
#define ACCOUNT_HELP \
	"  --account AC...     act on this subaccount's tenant (default:\n" \
	"                      TWILIO_ACCOUNT_SID)\n"
#define URL_HELP \
	"  --url URL           the server (default http://127.0.0.1:PORT)\n"

static const struct {
	const char *cmd;
	const char *text;
} notes[] = {
	{ "create-user", ACCOUNT_HELP },
	{ "user", ACCOUNT_HELP },
	{ "number", ACCOUNT_HELP },
	{ "simulate", URL_HELP },
};

#define NFORMS (sizeof(forms) / sizeof(forms[0]))

/* Print s with every line after the first indented by indent spaces. */
static void
print_lines(FILE *fp, const char *s, int indent)
{
	for (const char *p = s; *p != '\0';) {
		size_t n = strcspn(p, "\n");

		fprintf(fp, "%.*s", (int)n, p);
		p += n;
		if (*p == '\n' && *++p != '\0')
			fprintf(fp, "\n%*s", indent, "");
	}
	fputc('\n', fp);
}

/* "cmd sub args" with its continuation lines indented by indent. */
static void
print_synopsis(FILE *fp, const struct form_usage *f, int indent)
{
	char head[64];

	snprintf(head, sizeof(head), "%s%s%s%s", f->cmd, f->sub ? " " : "",
	    f->sub ? f->sub : "", f->args[0] ? " " : "");
	fputs(head, fp);
	print_lines(fp, f->args, indent);
}

/* One form as the overview shows it. */
static void
print_summary(FILE *fp, const struct form_usage *f)
{
	char head[SUMMARY_COL + 1];
	int n;

	n = snprintf(head, sizeof(head), "  %s%s%s%s%s", f->cmd,
	    f->sub ? " " : "", f->sub ? f->sub : "", f->args[0] ? " " : "",
	    f->args);
	if (n >= 0 && n < SUMMARY_COL - 1 && strchr(f->args, '\n') == NULL) {
		fprintf(fp, "%-*s", SUMMARY_COL, head);
	} else {
		fputs("  ", fp);
		print_synopsis(fp, f, 11);
		fprintf(fp, "%*s", SUMMARY_COL, "");
	}
	print_lines(fp, f->what, SUMMARY_COL);
}

static int
is_sub(const char *cmd, const char *sub)
{
	for (size_t i = 0; i < NFORMS; i++)
		if (strcmp(forms[i].cmd, cmd) == 0 && forms[i].sub != NULL &&
		    sub != NULL && strcmp(forms[i].sub, sub) == 0)
			return 1;
	return 0;
}

int
cmdline_known(const char *cmd)
{
	for (size_t i = 0; cmd != NULL && i < NFORMS; i++)
		if (strcmp(forms[i].cmd, cmd) == 0)
			return 1;
	return 0;
}

int
cmdline_usage(FILE *fp, const char *cmd, const char *sub)
{
	int nforms = 0;

	if (cmd == NULL) {
		fprintf(fp, "usage: ramal <command> [--help]\n\n");
		for (size_t i = 0; i < NFORMS; i++)
			print_summary(fp, &forms[i]);
		fprintf(fp,
		    "\n`ramal <command> --help` prints a command's usage; "
		    "create-user, user and\nnumber act on a subaccount with "
		    "--account AC... (default: TWILIO_ACCOUNT_SID).\n"
		    "Configuration comes from the environment and ./.env; see "
		    ".env.example.\n");
		return 0;
	}
	if (!cmdline_known(cmd))
		return -1;
	if (!is_sub(cmd, sub))
		sub = NULL;
	for (size_t i = 0; i < NFORMS; i++) {
		const struct form_usage *f = &forms[i];

		if (strcmp(f->cmd, cmd) != 0 ||
		    (sub != NULL && strcmp(f->sub, sub) != 0))
			continue;
		fprintf(fp, "%s",
		    nforms == 0 ? "usage: ramal " : "       ramal ");
		print_synopsis(fp, f, 17);
		nforms++;
	}
	for (size_t i = 0; i < NFORMS; i++) {
		const struct form_usage *f = &forms[i];

		if (strcmp(f->cmd, cmd) != 0 ||
		    (sub != NULL && strcmp(f->sub, sub) != 0))
			continue;
		fputc('\n', fp);
		if (f->sub != NULL)
			fprintf(fp, "%s %s: ", f->cmd, f->sub);
		for (const char *p = f->what; *p != '\0'; p++)
			fputc(*p == '\n' ? ' ' : *p, fp);
		fputc('\n', fp);
		if (f->help != NULL)
			fprintf(fp, "%s", f->help);
	}
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		if (strcmp(notes[i].cmd, cmd) == 0)
			fprintf(fp, "%s%s",
			    nforms > 1 ? "\nevery form takes:\n" : "",
			    notes[i].text);
	return 0;
}

int
cmdline_parse(int argc, char **argv, struct cmdline_opt *opts, size_t nopts,
    const char **pos, int npos, char *err, size_t errlen)
{
	int np = 0;

	for (int i = 0; i < npos; i++)
		pos[i] = NULL;
	for (int i = 1; i < argc; i++) {
		size_t k;

		if (strncmp(argv[i], "--", 2) != 0) {
			if (np >= npos) {
				snprintf(err, errlen, "unexpected argument %s",
				    argv[i]);
				return -1;
			}
			pos[np++] = argv[i];
			continue;
		}
		for (k = 0; k < nopts; k++)
			if (strcmp(argv[i] + 2, opts[k].name) == 0)
				break;
		if (k == nopts) {
			snprintf(err, errlen, "unknown option %s", argv[i]);
			return -1;
		}
		if (!opts[k].has_value) {
			opts[k].value = "";
			continue;
		}
		if (i + 1 >= argc) {
			snprintf(err, errlen, "%s needs a value", argv[i]);
			return -1;
		}
		opts[k].value = argv[++i];
	}
	return 0;
}

const char *
cmdline_opt(const struct cmdline_opt *opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opts[i].value;
	return NULL;
}

int
cmdline_help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

const char *
cmdline_sub(const char *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			return is_sub(cmd, argv[i]) ? argv[i] : NULL;
	return NULL;
}

int
cmdline_usage_error(const char *cmd, const char *sub, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fputs("ramal: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputs("\n\n", stderr);
	}
	cmdline_usage(stderr, cmd, sub);
	return CMDLINE_USAGE;
}

void
cmdline_config(struct config *cfg, const char *const *required)
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
	exit(CMDLINE_USAGE);
}
