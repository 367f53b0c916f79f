#ifndef RAMAL_STORE_H
#define RAMAL_STORE_H

#include "db.h"
#include "secret.h"

/*
 * The SQL ramal runs, as named prepared statements, and small typed
 * helpers over them.  Every function takes a connection the caller holds
 * (db_acquire) so a handler decides its own transaction boundaries.
 */

/*
 * The statement table for db_init(), ending with a NULL name: this file's
 * statements and those of the modules below, merged on the first call
 * (call it once, before threads start).
 */
const struct db_stmt *store_statements(void);

/* Statement tables of the call-flow and TaskRouter stores (NULL-ended). */
extern const struct db_stmt store_call_statements[];
extern const struct db_stmt store_tr_statements[];
extern const struct db_stmt store_auth_statements[]; /* store_auth.h */
extern const struct db_stmt store_events_statements[]; /* store_events.h */

/*
 * Insert or update a tenant, sealing auth_token under key.  primary marks
 * the account of TWILIO_ACCOUNT_SID (any other primary is demoted in the
 * same transaction).  A db_result.
 */
enum db_result store_tenant_put(struct db_conn *c,
    const uint8_t key[SECRET_KEY_LEN], const char *account_sid,
    const char *friendly_name, const char *auth_token, int primary);

/*
 * The auth token of an active tenant, opened with key: a new string
 * (util_free_secret) in *token.  DB_NOTFOUND for an unknown, suspended or
 * closed account; DB_ERR when the sealed value does not open (wrong
 * RAMAL_SECRET_KEY).
 */
enum db_result store_tenant_token(struct db_conn *c,
    const uint8_t key[SECRET_KEY_LEN], const char *account_sid, char **token);

/*
 * Append one raw callback to call_events (params_json: a JSON object of
 * the parameters).  A db_result.
 */
enum db_result store_call_event(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *route, const char *received_at,
    const char *params_json, int replayed);

/*
 * The SET items of a calls upsert (aliased c) that move its status only
 * forward: to a greater (status_rank, last_sequence, status) triple, so
 * any arrival order of the same callbacks gives the same row.
 */
#define STORE_CALL_STATUS_FORWARD \
	" status = CASE WHEN (excluded.status_rank, excluded.last_sequence," \
	"  excluded.status) > (c.status_rank, c.last_sequence, c.status)" \
	"  THEN excluded.status ELSE c.status END," \
	" status_rank = GREATEST(c.status_rank, excluded.status_rank),"

/* One status callback, as text (NULL = absent). */
struct store_call_status {
	const char *account_sid;
	const char *call_sid;
	const char *parent_call_sid;
	const char *direction;
	const char *from;
	const char *to;
	const char *status; /* Twilio's CallStatus */
	int rank; /* status_rank() of status */
	long sequence; /* SequenceNumber, -1 when absent */
	const char *event_time; /* RFC 3339 */
	const char *duration_s; /* CallDuration */
	const char *sip_response_code;
	const char *answered_by;
};

/*
 * Store one status callback in one statement: append its raw event (as
 * store_call_event) and move the call's row forward (created when it does
 * not exist yet).  Idempotent and order-safe: see call_status_upsert.
 * c NULL: committed through the group commit (db_group.h), keyed by the
 * CallSid.  A db_result.
 */
enum db_result store_call_status(struct db_conn *c,
    const struct store_call_status *s, const char *route,
    const char *received_at, const char *params_json, int replayed);

#endif
