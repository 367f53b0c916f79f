#ifndef RAMAL_STORE_NUMBER_H
#define RAMAL_STORE_NUMBER_H

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

#endif
