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
	const char *bundle_sid; /* "" when none */
	const char *bundle_status; /* as last read (number_bundles); "" */
	const char *address_sid; /* "" when none */
	/*
	 * What ramal last read of its webhooks at Twilio: a JSON object as
	 * store_number_twilio stored it, "" when never read; and when
	 * (RFC 3339 UTC, "" when never).
	 */
	const char *hooks;
	const char *hooks_read_at;
};

typedef void (*store_number_fn)(void *arg, const struct store_number_row *row);

/*
 * Call fn for every number of the tenant of account_sid, by number.
 * DB_OK (also when there is none) or the failure.
 */
enum db_result store_number_list(struct db_conn *c, const char *account_sid,
    store_number_fn fn, void *arg);

/*
 * Call fn for the number of the tenant of account_sid whose E.164 is e164
 * (store_number_get) or whose SID is sid (store_number_by_sid).
 * DB_NOTFOUND when the tenant has no such number.
 */
enum db_result store_number_get(struct db_conn *c, const char *account_sid,
    const char *e164, store_number_fn fn, void *arg);
enum db_result store_number_by_sid(struct db_conn *c, const char *account_sid,
    const char *sid, store_number_fn fn, void *arg);

/*
 * A number as Twilio has it (IncomingPhoneNumbers), to store at once.
 * NULL fields keep what the row has (a new row: none).  label replaces the
 * label; label_default (FriendlyName, on import) is taken only by a new
 * row or one whose label is empty.
 */
struct store_number_twilio {
	const char *e164;
	const char *sid; /* PN... */
	const char *label;
	const char *label_default;
	const char *bundle_sid;
	const char *address_sid;
	const char *hooks; /* JSON object text; stamps hooks_read_at */
};

/*
 * Add or complete the number t->e164 of the tenant of account_sid.
 * DB_NOTFOUND: no such account, or the number belongs to another one;
 * DB_CONFLICT: its SID is already stored on another number.
 */
enum db_result store_number_twilio(struct db_conn *c, const char *account_sid,
    const struct store_number_twilio *t);

/* Store what was read of e164's webhooks (JSON object text), now. */
enum db_result store_number_hooks(struct db_conn *c, const char *account_sid,
    const char *e164, const char *hooks);

/*
 * The account whose tenant has the number e164, whichever it is, into
 * out[outlen].  DB_NOTFOUND when no tenant has it.
 */
enum db_result store_number_account(struct db_conn *c, const char *e164,
    char *out, size_t outlen);

/*
 * DB_OK when the tenant of account_sid has a user with this identity (the
 * owner a number may be given), DB_NOTFOUND when not.
 */
enum db_result store_number_agent(struct db_conn *c, const char *account_sid,
    const char *identity);

/* Delete the number e164 of the tenant.  DB_NOTFOUND when none. */
enum db_result store_number_delete(struct db_conn *c, const char *account_sid,
    const char *e164);

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
