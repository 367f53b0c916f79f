#ifndef RAMAL_STORE_NUMBER_H
#define RAMAL_STORE_NUMBER_H

#include <stddef.h>

#include "db.h"

/*
 * The tenants' phone numbers (DIDs) as `ramal number` keeps them: the
 * statements of store_number_statements[], merged by store_statements().
 * Every function takes a connection the caller holds and runs one
 * statement; strings are borrowed.  Thread-safe as far as each thread uses
 * its own connection.
 */
extern const struct db_stmt store_number_statements[];

/*
 * A number to add or update.  NULL strings (and ring_timeout_s 0,
 * voicemail -1) keep what the number has, or take the default of a new
 * number: ring timeout 20 s, disclaimer in pt-BR with Polly.Camila,
 * voicemail on.
 */
struct store_number_in {
	const char *e164;
	const char *sid; /* PN... */
	const char *label;
	int ring_timeout_s;
	const char *disclaimer_text;
	const char *disclaimer_language;
	const char *disclaimer_voice;
	const char *disclaimer_audio_url;
	int voicemail; /* 1 on, 0 off, -1 unchanged */
};

/*
 * Add or update the number n->e164 of the tenant of account_sid.
 * DB_NOTFOUND: no such account, or the number belongs to another one.
 */
enum db_result store_number_put(struct db_conn *c, const char *account_sid,
    const struct store_number_in *n);

/*
 * Make the number ring the agent identity first (dedicated routing), or no
 * one when identity is NULL.  DB_NOTFOUND: no such number in the tenant,
 * or no such agent.
 */
enum db_result store_number_assign(struct db_conn *c, const char *account_sid,
    const char *e164, const char *identity);

/* One number of store_number_list (strings borrowed for the callback). */
struct store_number_row {
	const char *e164;
	const char *label;
	const char *owner; /* the owner's identity, "" when none */
	int ring_timeout_s;
	int voicemail;
	const char *sid; /* "" when unknown */
};

typedef void (*store_number_fn)(void *arg, const struct store_number_row *row);

/*
 * Call fn for every number of the tenant of account_sid, by number.
 * DB_OK (also when there is none) or the failure.
 */
enum db_result store_number_list(struct db_conn *c, const char *account_sid,
    store_number_fn fn, void *arg);

/* A phone number (DID) and its owner agent, as the call flows need it. */
struct store_number {
	long long id;
	char *label; /* "" when none */
	int ring_timeout_s;
	char *disclaimer_text; /* NULL: the default text */
	char *disclaimer_language;
	char *disclaimer_voice;
	char *disclaimer_audio_url; /* NULL: speak the text */
	int voicemail_enabled;
	char *owner_identity; /* NULL: no owner agent */
	int owner_available; /* status 'available' and not disabled */
};

/* Free the strings of n (NULL-safe); n may be filled again afterwards. */
void store_number_cleanup(struct store_number *n);


#endif
