/*
 * `ramal number ...` and `ramal sync-webhooks`.  See include/cli/number.h
 * and docs/numbers.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "account.h"
#include "admin.h"
#include "cmdline.h"
#include "db.h"
#include "hooks.h"
#include "number.h"
#include "numbers.h"
#include "store_tenant.h"
#include "util.h"

#define NOPTS(o) (sizeof(o) / sizeof((o)[0]))

/* The exit status of a failure. */
static int
exit_of(enum account_status s)
{
	switch (s) {
	case ACCOUNT_OK:
		return 0;
	case ACCOUNT_BAD_INPUT:
		return CMDLINE_USAGE;
	default:
		return 1;
	}
}

/* Print e as the one line of a failed command; its exit status. */
static int
failed(const char *cmd, const struct account_err *e)
{
	fprintf(stderr, "ramal: %s: %s\n", cmd, e->msg);
	return exit_of(e->status);
}

/* A string member, or dflt when absent or null. */
static const char *
str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : dflt;
}

/* A command's tenant, connection and context.  0, or an exit status. */
struct session {
	struct config cfg;
	struct db_conn *db;
	struct account_ctx x;
	int have_cfg;
};

static int
session_open(struct session *s, const char *cmd, const char *account, int force)
{
	struct account_err e;

	memset(s, 0, sizeof(*s));
	cmdline_config(&s->cfg, cmdline_need_db);
	s->have_cfg = 1;
	if (account == NULL)
		account = s->cfg.twilio_account_sid;
	if (account == NULL) {
		fprintf(stderr,
		    "ramal: %s: no account: set TWILIO_ACCOUNT_SID or pass "
		    "--account AC...\n",
		    cmd);
		return CMDLINE_USAGE;
	}
	if ((s->db = admin_open(&s->cfg)) == NULL)
		return 1;
	if (account_open(&s->x, &s->cfg, s->db, account, &e) != ACCOUNT_OK)
		return failed(cmd, &e);
	s->x.force = force;
	return 0;
}

static void
session_close(struct session *s)
{
	account_close(&s->x);
	if (s->db != NULL)
		admin_close(s->db);
	if (s->have_cfg)
		config_cleanup(&s->cfg);
}

/* A --account value must be an account SID: 0, or a usage error. */
static int
account_ok(const char *cmd, const char *account)
{
	if (account == NULL ||
	    (strlen(account) == 34 && strncmp(account, "AC", 2) == 0 &&
		strspn(account + 2, "0123456789abcdefABCDEF") == 32))
		return 0;
	fprintf(stderr,
	    "ramal: %s: --account %s is not an account SID (AC + 32 hex "
	    "digits)\n",
	    cmd, account);
	return CMDLINE_USAGE;
}

/* ---- search ---- */

static void
print_available(const json_t *list)
{
	size_t i;
	json_t *v;

	printf("number\tlocality\tregion\taddress_requirements\tsms\n");
	json_array_foreach(list, i, v)
	{
		printf("%s\t%s\t%s\t%s\t%s\n", str(v, "phone_number", ""),
		    str(v, "locality", ""), str(v, "region", ""),
		    str(v, "address_requirements", "none"),
		    json_is_true(json_object_get(v, "sms")) ? "yes" : "no");
	}
}

static void
print_same_state(const json_t *r)
{
	const json_t *same = json_object_get(r, "same_state");
	size_t i, k;
	json_t *d, *n;

	if (json_array_size(same) == 0) {
		printf("no other DDD in %s\n", str(r, "uf", ""));
		return;
	}
	printf("other DDDs of %s (%s):\n", str(r, "uf", ""),
	    str(r, "state", ""));
	json_array_foreach(same, i, d)
	{
		const json_t *nums = json_object_get(d, "numbers");

		printf("  %s: ", str(d, "ddd", ""));
		if (json_array_size(nums) == 0)
			printf("none");
		json_array_foreach(nums, k, n)
		{
			printf("%s%s", k ? ", " : "",
			    str(n, "phone_number", ""));
		}
		printf("\n");
	}
}

static int
cmd_search(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "country", 1, NULL }, { "ddd", 1, NULL },
		{ "type", 1, NULL }, { "contains", 1, NULL },
		{ "limit", 1, NULL }, { "account", 1, NULL } };
	struct numbers_query q;
	struct account_err e;
	struct session s;
	const char *pos[2], *limit;
	json_t *r = NULL;
	char err[256];
	int status;

	if (cmdline_parse(argc, argv, o, NOPTS(o), pos, 2, err, sizeof(err)) !=
		0 ||
	    (pos[1] != NULL &&
		snprintf(err, sizeof(err), "unexpected argument %s", pos[1])))
		return cmdline_usage_error("number", "search",
		    "number search: %s", err);
	memset(&q, 0, sizeof(q));
	q.country = cmdline_opt(o, NOPTS(o), "country");
	q.ddd = cmdline_opt(o, NOPTS(o), "ddd");
	q.type = cmdline_opt(o, NOPTS(o), "type");
	q.contains = cmdline_opt(o, NOPTS(o), "contains");
	limit = cmdline_opt(o, NOPTS(o), "limit");
	if (limit != NULL) {
		if (*limit == '\0' || strlen(limit) > 4 ||
		    strspn(limit, "0123456789") != strlen(limit) ||
		    atoi(limit) < 1) {
			fprintf(stderr,
			    "ramal: number search: --limit %s: 1 to 50\n",
			    limit);
			return CMDLINE_USAGE;
		}
		q.limit = atoi(limit);
	}
	if (account_ok("number search", cmdline_opt(o, NOPTS(o), "account")))
		return CMDLINE_USAGE;
	if (numbers_search_check(&q, &e) != ACCOUNT_OK)
		return failed("number search", &e);
	if ((status = session_open(&s, "number search",
		 cmdline_opt(o, NOPTS(o), "account"), 0)) != 0)
		goto out;
	if (numbers_search(&s.x, &q, &r, &e) != ACCOUNT_OK) {
		status = failed("number search", &e);
		goto out;
	}
	if (json_array_size(json_object_get(r, "numbers")) > 0)
		print_available(json_object_get(r, "numbers"));
	else if (q.ddd != NULL) {
		printf("ramal number search: Twilio has no %s numbers with DDD "
		       "%s (%s, %s)%s%s\n",
		    str(r, "type", ""), str(r, "ddd", ""), str(r, "state", ""),
		    str(r, "uf", ""), q.contains ? " containing " : "",
		    q.contains ? q.contains : "");
		print_same_state(r);
	} else
		printf("ramal number search: Twilio has no toll-free numbers "
		       "%s%s\n",
		    q.contains ? "containing " : "for now",
		    q.contains ? q.contains : "");
out:
	json_decref(r);
	session_close(&s);
	return status;
}

/* ---- buy ---- */

static int
cmd_buy(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "bundle", 1, NULL },
		{ "address", 1, NULL }, { "label", 1, NULL },
		{ "owner", 1, NULL }, { "account", 1, NULL },
		{ "force", 0, NULL } };
	struct numbers_buy b;
	struct account_err e;
	struct session s;
	const char *pos[3], *bought;
	json_t *r = NULL, *n;
	char err[256];
	int status;

	if (cmdline_parse(argc, argv, o, NOPTS(o), pos, 3, err, sizeof(err)) !=
		0 ||
	    (pos[2] != NULL &&
		snprintf(err, sizeof(err), "unexpected argument %s", pos[2])))
		return cmdline_usage_error("number", "buy", "number buy: %s",
		    err);
	if (pos[1] == NULL)
		return cmdline_usage_error("number", "buy",
		    "number buy: missing number (+55...)");
	memset(&b, 0, sizeof(b));
	b.phone_number = pos[1];
	b.bundle_sid = cmdline_opt(o, NOPTS(o), "bundle");
	b.address_sid = cmdline_opt(o, NOPTS(o), "address");
	b.label = cmdline_opt(o, NOPTS(o), "label");
	b.owner = cmdline_opt(o, NOPTS(o), "owner");
	if (account_ok("number buy", cmdline_opt(o, NOPTS(o), "account")))
		return CMDLINE_USAGE;
	if (numbers_buy_check(&b, &e) != ACCOUNT_OK)
		return failed("number buy", &e);
	if ((status = session_open(&s, "number buy",
		 cmdline_opt(o, NOPTS(o), "account"),
		 cmdline_opt(o, NOPTS(o), "force") != NULL)) != 0)
		goto out;
	if (numbers_buy(&s.x, &b, &r, &e) != ACCOUNT_OK) {
		status = failed("number buy", &e);
		goto out;
	}
	n = json_object_get(r, "number");
	bought = str(r, "outcome", "");
	if (strcmp(bought, "bought") == 0)
		printf("ramal: bought %s (%s) for account %s; its webhooks "
		       "point at %s\n",
		    str(n, "phone_number", ""), str(n, "sid", ""),
		    s.x.account_sid, s.cfg.base_url);
	else
		printf("ramal: %s (%s) is already on account %s: stored in "
		       "ramal, not bought again; its webhooks point at %s\n",
		    str(n, "phone_number", ""), str(n, "sid", ""),
		    s.x.account_sid, s.cfg.base_url);
out:
	json_decref(r);
	session_close(&s);
	return status;
}

/* ---- import ---- */

/* Print each E.164 of list as "<tag> <number><tail>"; how many. */
static size_t
print_each(const json_t *r, const char *key, const char *tag, const char *tail)
{
	const json_t *list = json_object_get(r, key);
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		printf("%-10s %s%s\n", tag, json_string_value(v), tail);
	}
	return json_array_size(list);
}

static int
cmd_import(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "account", 1, NULL },
		{ "force", 0, NULL } };
	struct account_err e;
	struct session s;
	const char *pos[2];
	json_t *r = NULL, *v;
	size_t added, completed, updated, i;
	char err[256], tail[ACCOUNT_URL_MAX + 32];
	int status;

	if (cmdline_parse(argc, argv, o, NOPTS(o), pos, 2, err, sizeof(err)) !=
		0 ||
	    (pos[1] != NULL &&
		snprintf(err, sizeof(err), "unexpected argument %s", pos[1])))
		return cmdline_usage_error("number", "import",
		    "number import: %s", err);
	if (account_ok("number import", cmdline_opt(o, NOPTS(o), "account")))
		return CMDLINE_USAGE;
	if ((status = session_open(&s, "number import",
		 cmdline_opt(o, NOPTS(o), "account"),
		 cmdline_opt(o, NOPTS(o), "force") != NULL)) != 0)
		goto out;
	if (numbers_import(&s.x, &r, &e) != ACCOUNT_OK) {
		status = failed("number import", &e);
		goto out;
	}
	snprintf(tail, sizeof(tail), " (webhooks now at %s)", s.cfg.base_url);
	added = print_each(r, "added", "added", "");
	completed = print_each(r, "completed", "completed", "");
	updated = print_each(r, "webhooks", "webhooks", tail);
	print_each(r, "missing", "missing",
	    " (in ramal's table, not on the account at Twilio)");
	print_each(r, "elsewhere", "elsewhere",
	    " (a number of another account in ramal)");
	json_array_foreach(json_object_get(r, "blocked"), i, v)
	{
		printf("%-10s %s: %s\n", "blocked", str(v, "phone_number", ""),
		    str(v, "why", ""));
	}
	if (added + completed + updated == 0)
		printf("ramal number import: account %s: no changes (%zu "
		       "numbers)\n",
		    s.x.account_sid,
		    json_array_size(json_object_get(r, "unchanged")));
	else
		printf("ramal number import: account %s: %zu added, %zu "
		       "completed, %zu unchanged, %zu webhooks updated\n",
		    s.x.account_sid, added, completed,
		    json_array_size(json_object_get(r, "unchanged")), updated);
out:
	json_decref(r);
	session_close(&s);
	return status;
}

/* ---- release ---- */

static int
cmd_release(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "account", 1, NULL },
		{ "force", 0, NULL } };
	struct account_err e;
	struct session s;
	const char *pos[3];
	json_t *r = NULL;
	char err[256];
	int status, force;

	if (cmdline_parse(argc, argv, o, NOPTS(o), pos, 3, err, sizeof(err)) !=
		0 ||
	    (pos[2] != NULL &&
		snprintf(err, sizeof(err), "unexpected argument %s", pos[2])))
		return cmdline_usage_error("number", "release",
		    "number release: %s", err);
	if (pos[1] == NULL)
		return cmdline_usage_error("number", "release",
		    "number release: missing number (+55... or PN...)");
	if (account_ok("number release", cmdline_opt(o, NOPTS(o), "account")))
		return CMDLINE_USAGE;
	force = cmdline_opt(o, NOPTS(o), "force") != NULL;
	if ((status = session_open(&s, "number release",
		 cmdline_opt(o, NOPTS(o), "account"), force)) != 0)
		goto out;
	if (numbers_release(&s.x, pos[1], force, &r, &e) != ACCOUNT_OK) {
		status = failed("number release", &e);
		goto out;
	}
	if (strcmp(str(r, "twilio", ""), "released") == 0)
		printf("ramal: released %s (%s) at Twilio and removed it from "
		       "ramal\n",
		    str(r, "phone_number", ""), str(r, "sid", ""));
	else
		printf("ramal: %s was already gone from account %s at Twilio; "
		       "removed it from ramal\n",
		    str(r, "phone_number", ""), s.x.account_sid);
out:
	json_decref(r);
	session_close(&s);
	return status;
}

/* ---- list ---- */

static int
cmd_list(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "account", 1, NULL },
		{ "twilio", 0, NULL } };
	struct account_err e;
	struct session s;
	const char *pos[2];
	json_t *r = NULL, *v;
	char err[256];
	size_t i;
	int status, twilio;

	if (cmdline_parse(argc, argv, o, NOPTS(o), pos, 2, err, sizeof(err)) !=
		0 ||
	    (pos[1] != NULL &&
		snprintf(err, sizeof(err), "unexpected argument %s", pos[1])))
		return cmdline_usage_error("number", "list", "number list: %s",
		    err);
	if (account_ok("number list", cmdline_opt(o, NOPTS(o), "account")))
		return CMDLINE_USAGE;
	twilio = cmdline_opt(o, NOPTS(o), "twilio") != NULL;
	if ((status = session_open(&s, "number list",
		 cmdline_opt(o, NOPTS(o), "account"), 0)) != 0)
		goto out;
	if (numbers_list(&s.x, twilio, &r, &e) != ACCOUNT_OK) {
		status = failed("number list", &e);
		goto out;
	}
	printf("number\tlabel\towner\tring_timeout_s\tvoicemail\tsid\tbundle\t"
	       "bundle_status\twebhooks\twebhooks_read\n");
	json_array_foreach(json_object_get(r, "numbers"), i, v)
	{
		const json_t *w = json_object_get(v, "webhooks");
		const json_t *at = json_object_get(w, "at_base_url");

		printf("%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n",
		    str(v, "phone_number", ""), str(v, "label", ""),
		    str(v, "owner", ""),
		    (int)json_integer_value(
			json_object_get(v, "ring_timeout_s")),
		    json_is_true(json_object_get(v, "voicemail")) ? "on"
								  : "off",
		    str(v, "sid", ""), str(v, "bundle_sid", ""),
		    str(v, "bundle_status", ""),
		    json_is_null(at)	   ? "unknown"
			: json_is_true(at) ? "base_url"
					   : "elsewhere",
		    str(w, "read_at", "never"));
	}
	fprintf(stderr,
	    "ramal number list: webhooks %s (\"base_url\": all three at "
	    "%s)\n",
	    twilio ? "as read from Twilio now"
		   : "as stored at the last buy, import, sync or --twilio read",
	    s.cfg.base_url);
out:
	json_decref(r);
	session_close(&s);
	return status;
}

int
number_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} subs[] = {
		{ "search", cmd_search },
		{ "buy", cmd_buy },
		{ "import", cmd_import },
		{ "release", cmd_release },
		{ "list", cmd_list },
	};
	const char *sub = argc > 1 ? argv[1] : NULL;

	for (size_t i = 0; sub != NULL && i < NOPTS(subs); i++)
		if (strcmp(sub, subs[i].name) == 0)
			return subs[i].run(argc, argv);
	/* add, assign, and the usage errors */
	return admin_number(argc, argv);
}

/* ---- sync-webhooks ---- */

static void
print_plan(const struct hooks_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct hooks_item *it = &p->v[i];
		char who[80];

		snprintf(who, sizeof(who), "%s %s%s%s",
		    hooks_kind_name(it->kind),
		    it->number[0] ? it->number : it->sid,
		    it->number[0] ? " " : "", it->number[0] ? it->sid : "");
		if (it->blocked != NULL) {
			printf("  %s: cannot be synced: %s\n", who,
			    it->blocked);
			continue;
		}
		for (int k = 0; k < it->nf; k++)
			if (it->f[k].differs)
				printf("  %s: %s %s -> %s\n", who,
				    it->f[k].param,
				    *it->f[k].have ? it->f[k].have : "(none)",
				    it->f[k].want);
	}
	for (size_t i = 0; i < p->nnotes; i++)
		printf("  note: %s\n", p->notes[i]);
}

/* One tenant: plan, print, apply.  0, or 1 when something failed. */
static int
sync_one(struct session *s, const char *account, int dry_run, int force,
    size_t *updated, size_t *right)
{
	struct account_ctx x;
	struct account_err e;
	struct hooks_plan p;
	size_t pending;
	int rc = 1;

	memset(&p, 0, sizeof(p));
	if (account_open(&x, &s->cfg, s->db, account, &e) != ACCOUNT_OK) {
		failed("sync-webhooks", &e);
		account_close(&x);
		return 1;
	}
	x.force = force;
	printf("account %s (%s%s):\n", account,
	    x.tenant.primary ? "main, " : "", x.tenant.environment);
	if (account_guard(&x, &e) != ACCOUNT_OK) {
		printf("  refused: another environment\n");
		failed("sync-webhooks", &e);
		goto out;
	}
	if (hooks_plan(&x, HOOKS_ALL, NULL, &p, &e) != ACCOUNT_OK) {
		failed("sync-webhooks", &e);
		goto out;
	}
	print_plan(&p);
	pending = hooks_pending(&p);
	printf("  %zu to update, %zu already at BASE_URL\n", pending,
	    p.n - pending);
	*right += p.n - pending;
	if (dry_run) {
		printf("  dry run: nothing was changed\n");
		*updated += pending;
		rc = p.problems > 0;
		goto out;
	}
	if (hooks_apply(&x, &p, &e) != ACCOUNT_OK) {
		for (size_t i = 0; i < p.n; i++)
			if (p.v[i].mismatch != NULL)
				printf("  FAILED %s %s%s%s: %s\n",
				    hooks_kind_name(p.v[i].kind),
				    p.v[i].number[0] ? p.v[i].number
						     : p.v[i].sid,
				    p.v[i].number[0] ? " " : "",
				    p.v[i].number[0] ? p.v[i].sid : "",
				    p.v[i].mismatch);
		failed("sync-webhooks", &e);
		goto out;
	}
	if (pending > 0)
		printf("  updated and verified: %zu\n", pending);
	*updated += pending;
	rc = p.problems > 0;
out:
	hooks_plan_free(&p);
	account_close(&x);
	return rc;
}

int
number_sync_webhooks(int argc, char **argv)
{
	struct cmdline_opt o[] = { { "account", 1, NULL }, { "all", 0, NULL },
		{ "dry-run", 0, NULL }, { "force", 0, NULL } };
	struct store_tenant_row *rows = NULL;
	struct session s;
	const char *account, *pos[1];
	size_t nrows = 0, updated = 0, right = 0;
	char err[256];
	int status = 0, all, dry, force;

	if (cmdline_parse(argc, argv, o, NOPTS(o), pos, 0, err, sizeof(err)) !=
	    0)
		return cmdline_usage_error("sync-webhooks", NULL,
		    "sync-webhooks: %s", err);
	account = cmdline_opt(o, NOPTS(o), "account");
	all = cmdline_opt(o, NOPTS(o), "all") != NULL;
	dry = cmdline_opt(o, NOPTS(o), "dry-run") != NULL;
	force = cmdline_opt(o, NOPTS(o), "force") != NULL;
	if (account != NULL && all)
		return cmdline_usage_error("sync-webhooks", NULL,
		    "sync-webhooks: --account and --all do not go together");
	if (account_ok("sync-webhooks", account))
		return CMDLINE_USAGE;
	memset(&s, 0, sizeof(s));
	cmdline_config(&s.cfg, cmdline_need_db);
	s.have_cfg = 1;
	if (!all && account == NULL &&
	    (account = s.cfg.twilio_account_sid) == NULL) {
		fprintf(stderr,
		    "ramal: sync-webhooks: no account: set TWILIO_ACCOUNT_SID, "
		    "pass --account AC... or --all\n");
		status = CMDLINE_USAGE;
		goto out;
	}
	if ((s.db = admin_open(&s.cfg)) == NULL) {
		status = 1;
		goto out;
	}
	printf("ramal sync-webhooks: BASE_URL %s, environment %s%s\n",
	    s.cfg.base_url, s.cfg.ramal_environment, dry ? " (dry run)" : "");
	if (!all) {
		status = sync_one(&s, account, dry, force, &updated, &right);
		goto done;
	}
	if (store_tenant_list(s.db, &rows, &nrows) != DB_OK) {
		fprintf(stderr,
		    "ramal: sync-webhooks: cannot read the "
		    "tenants (see the log)\n");
		status = 1;
		goto out;
	}
	for (size_t i = 0; i < nrows; i++) {
		struct store_tenant_info t;

		/* --all is every tenant of this environment. */
		if (!force &&
		    store_tenant_get(s.db, rows[i].account_sid, &t) == DB_OK &&
		    strcmp(t.environment, s.cfg.ramal_environment) != 0) {
			printf("account %s (%s): left out: another environment "
			       "(--force includes it)\n",
			    rows[i].account_sid, t.environment);
			continue;
		}
		status |= sync_one(&s, rows[i].account_sid, dry, force,
		    &updated, &right);
	}
done:
	if (status == 0)
		printf("ramal sync-webhooks: %s: %zu %s, %zu already at "
		       "BASE_URL\n",
		    dry ? "dry run" : "done", updated,
		    dry ? "would be updated" : "updated and verified", right);
	else
		fprintf(stderr,
		    "ramal sync-webhooks: not everything points at %s (see "
		    "above)\n",
		    s.cfg.base_url);
out:
	store_tenant_list_free(rows, nrows);
	session_close(&s);
	return status;
}
