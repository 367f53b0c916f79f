#ifndef RAMAL_STORE_NUMBER_H
#define RAMAL_STORE_NUMBER_H

#include <stddef.h>

#include "db.h"

/*
 * Phone numbers (DIDs) of a tenant: the statements the operator commands
 * run (store_number_statements[], merged by store.c: number_put,
 * number_assign, number_list) and the row the call flows read
 * (store_call_number and store_call_inbound_number in store_call.h).
 */
extern const struct db_stmt store_number_statements[];

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

/* A number as `ramal number list` shows it, for store_number_list. */
struct store_number_row {
	char *e164;
	char *label; /* "" when none */
	char *sid; /* PN...; NULL when not stored */
};

/*
 * The numbers of account_sid, by E.164 (the number_list statement): a new
 * array of *n entries in *out (free with store_number_list_free), NULL and
 * 0 when none.  A db_result.
 */
enum db_result store_number_list(struct db_conn *c, const char *account_sid,
    struct store_number_row **out, size_t *n);

void store_number_list_free(struct store_number_row *v, size_t n);

#endif
