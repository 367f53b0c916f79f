#ifndef RAMAL_MIGRATE_H
#define RAMAL_MIGRATE_H

#include <stddef.h>

/*
 * Schema migrations: sql/NNN_name.sql, compiled into the binary by
 * scripts/embed-sql.sh, applied in order of NNN.
 */
struct migration {
	int version;
	const char *name; /* "001_tenants" */
	const char *sql;
	size_t len;
};

/* The compiled-in list, ending with a NULL name. */
extern const struct migration migrations[];

/*
 * Apply every migration not yet recorded in schema_migrations, each in its
 * own transaction, under a session advisory lock so that instances starting
 * together apply each one once.  A migration whose recorded checksum
 * differs from the compiled one is an error (an applied file was edited).
 * Uses its own connection to conninfo.  Returns the number applied, or -1
 * (logged).
 */
int migrate_run(const char *conninfo);

#endif
