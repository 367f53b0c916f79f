#ifndef RAMAL_STORE_TENANT_H
#define RAMAL_STORE_TENANT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "secret.h"

/*
 * Store helpers of tenants (Twilio accounts ramal serves): the statements
 * of store_tenant_statements[] (merged by store.c).  Each function takes
 * a connection the caller holds.  Thread-safe as far as each thread uses
 * its own connection.
 */
extern const struct db_stmt store_tenant_statements[];

/*
 * Insert or update a tenant, sealing auth_token under key.  primary marks
 * the account of TWILIO_ACCOUNT_SID (any other primary is demoted in the
 * same transaction).  environment (NULL: "production") is taken only
 * when the tenant is new: an existing tenant keeps its own.  A db_result.
 */
enum db_result store_tenant_put(struct db_conn *c,
    const uint8_t key[SECRET_KEY_LEN], const char *account_sid,
    const char *friendly_name, const char *auth_token, int primary,
    const char *environment);

/* A tenant, whatever its status (store_tenant_get). */
struct store_tenant_info {
	char friendly_name[256];
	char environment[64]; /* "production", "staging"... */
	char status[16]; /* active, suspended, closed */
	int primary;
};

/* The tenant of account_sid into *t.  DB_NOTFOUND when there is none. */
enum db_result store_tenant_get(struct db_conn *c, const char *account_sid,
    struct store_tenant_info *t);

/*
 * The auth token of an active tenant, opened with key: a new string
 * (util_free_secret) in *token.  DB_NOTFOUND for an unknown, suspended or
 * closed account; DB_ERR when the sealed value does not open (wrong
 * RAMAL_SECRET_KEY).
 */
enum db_result store_tenant_token(struct db_conn *c,
    const uint8_t key[SECRET_KEY_LEN], const char *account_sid, char **token);

/* An active tenant, as listed by store_tenant_list. */
struct store_tenant_row {
	char *account_sid;
	char *friendly_name; /* "" when none */
	int primary;
};

/*
 * Every active tenant, the primary first, then by id: a new array of *n
 * entries in *out (free with store_tenant_list_free), NULL and 0 when
 * none.  A db_result.
 */
enum db_result store_tenant_list(struct db_conn *c,
    struct store_tenant_row **out, size_t *n);

void store_tenant_list_free(struct store_tenant_row *v, size_t n);

#endif
