/*
 * Apply compiled-in SQL migrations.  See include/core/migrate.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "log.h"
#include "migrate.h"
#include "util.h"

/* pg_advisory_lock key: "ramal" in ASCII, so other tools can spot it. */
#define MIGRATE_LOCK_KEY "491496816748"

static const char create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static int
exec_ok(PGconn *pg, const char *sql, const char *what)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		log_kv(LOG_ERROR, "migration step failed", "step", what,
		    "detail", PQresultErrorMessage(r), NULL);
	PQclear(r);
	return ok ? 0 : -1;
}

static void
checksum(const struct migration *m, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(m->sql, m->len, md, &mdlen, EVP_sha256(), NULL);
	util_hex_encode(out, md, 32);
}

/* 1 applied already (checksum equal), 0 not applied, -1 error. */
static int
already_applied(PGconn *pg, const struct migration *m, const char *sum)
{
	char ver[16];
	const char *params[1] = { ver };
	PGresult *r;
	int result = -1;

	snprintf(ver, sizeof(ver), "%d", m->version);
	r = PQexecParams(pg,
	    "SELECT checksum FROM schema_migrations WHERE version = $1", 1,
	    NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_kv(LOG_ERROR, "cannot read schema_migrations", "detail",
		    PQresultErrorMessage(r), NULL);
		goto out;
	}
	if (PQntuples(r) == 0) {
		result = 0;
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 0), sum) != 0) {
		log_kv(LOG_ERROR,
		    "migration changed after it was applied; add a new "
		    "migration instead of editing this one",
		    "migration", m->name, NULL);
		goto out;
	}
	result = 1;
out:
	PQclear(r);
	return result;
}

static int
apply_one(PGconn *pg, const struct migration *m, const char *sum)
{
	char ver[16];
	const char *params[3] = { ver, m->name, sum };
	PGresult *r;
	int ok;

	if (exec_ok(pg, "BEGIN", "begin") != 0)
		return -1;
	/* The file holds several statements: PQexec runs them all. */
	if (exec_ok(pg, m->sql, m->name) != 0)
		goto fail;
	snprintf(ver, sizeof(ver), "%d", m->version);
	r = PQexecParams(pg,
	    "INSERT INTO schema_migrations (version, name, checksum) "
	    "VALUES ($1, $2, $3)",
	    3, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok || exec_ok(pg, "COMMIT", "commit") != 0)
		goto fail;
	log_kv(LOG_INFO, "migration applied", "migration", m->name, NULL);
	return 0;
fail:
	exec_ok(pg, "ROLLBACK", "rollback");
	return -1;
}

int
migrate_run(const char *conninfo)
{
	const char *keys[] = { "dbname", "connect_timeout", "application_name",
		NULL };
	const char *vals[] = { conninfo, "5", "ramal-migrate", NULL };
	PGconn *pg;
	int applied = 0, result = -1, locked = 0;

	pg = PQconnectdbParams(keys, vals, 1);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		char why[256];

		snprintf(why, sizeof(why), "%s",
		    pg ? PQerrorMessage(pg) : "out of memory");
		why[strcspn(why, "\n")] = '\0';
		log_kv(LOG_ERROR, "cannot connect to the database", "why", why,
		    NULL);
		goto out;
	}
	if (exec_ok(pg, "SET client_min_messages = warning", "settings") != 0)
		goto out;
	if (exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
		"lock") != 0)
		goto out;
	locked = 1;
	if (exec_ok(pg, create_table, "schema_migrations") != 0)
		goto out;
	for (const struct migration *m = migrations; m->name != NULL; m++) {
		char sum[65];
		int done;

		checksum(m, sum);
		done = already_applied(pg, m, sum);
		if (done < 0)
			goto out;
		if (done)
			continue;
		if (apply_one(pg, m, sum) != 0)
			goto out;
		applied++;
	}
	result = applied;
out:
	if (locked)
		exec_ok(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")",
		    "unlock");
	PQfinish(pg);
	return result;
}
