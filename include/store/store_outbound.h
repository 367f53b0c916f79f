#ifndef RAMAL_STORE_OUTBOUND_H
#define RAMAL_STORE_OUTBOUND_H

#include "db.h"
#include "phone.h"

/*
 * Store helpers of the softphone's outbound calls (docs/call-flows.md,
 * section 8): the dialling agent, the called agent, the agent's leg and
 * the end of its <Dial>.  Each runs one named statement of
 * store_outbound_statements[] (merged by store.c) on a connection the
 * caller holds and returns a db_result; none opens a transaction.
 * Strings are borrowed; NULL means SQL NULL.  Thread-safe as far as each
 * thread uses its own connection.
 */
extern const struct db_stmt store_outbound_statements[];

/* The agent who dials. */
struct store_outbound_agent {
	long long id;
	int disabled;
	char did[PHONE_E164_MAX]; /* the agent's own number; "" when none */
	char caller_id[PHONE_E164_MAX]; /* the tenant's; "" when none */
};

/*
 * The user identity of account_sid into *out (zeroed first); did is the
 * number it owns with the lowest id.  DB_NOTFOUND when no such user.
 */
enum db_result store_outbound_agent(struct db_conn *c, const char *account_sid,
    const char *identity, struct store_outbound_agent *out);

/* DB_OK when identity is an enabled agent of account_sid, else DB_NOTFOUND. */
enum db_result store_outbound_client(struct db_conn *c, const char *account_sid,
    const char *identity);

/* The agent's leg of an outbound call. */
struct store_outbound_call {
	const char *account_sid;
	const char *call_sid;
	const char *from; /* the caller ID, or the softphone's From */
	const char *to; /* E.164, or client:<identity> */
	long long agent_user_id;
	const char *caller_id; /* NULL for a call to an agent */
	const char *dialled; /* what the agent typed */
	const char *bridge; /* outbound or client */
	const char *status; /* a CallStatus */
	int rank; /* status_rank() of status */
	const char *received_at; /* RFC 3339: started_at */
};

/*
 * Create the row of the agent's leg, or complete one a status callback
 * made first (its status moves only forward).  DB_NOTFOUND when the
 * tenant is unknown; DB_FOREIGN (logged, nothing written) when call_sid
 * is another tenant's.
 */
enum db_result store_outbound_call(struct db_conn *c,
    const struct store_outbound_call *oc);

/*
 * The <Dial> of call_sid ended with dial_status.  DB_NOTFOUND: no row;
 * DB_FOREIGN (logged, nothing written): another tenant's call.
 */
enum db_result store_outbound_dial_done(struct db_conn *c,
    const char *account_sid, const char *call_sid, const char *dial_status);

#endif
