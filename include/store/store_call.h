#ifndef RAMAL_STORE_CALL_H
#define RAMAL_STORE_CALL_H

#include <libpq-fe.h>

#include "db.h"
#include "store_number.h"

/*
 * Typed store helpers of calls: the raw callbacks (call_events), the
 * status callbacks' upsert, and the inbound call flows (numbers, the
 * calls row as the TwiML webhooks learn about it, voicemails and
 * recordings).  Each takes a connection the caller holds (db_acquire) and
 * runs one or two of the named statements of store_call_statements[]
 * (merged by store.c); none opens a transaction of its own.  Strings are
 * borrowed from the caller unless said otherwise; NULL means SQL NULL.
 * Thread-safe as far as each thread uses its own connection.
 *
 * Every write is tenant-scoped (store_scope.h): when a SID it names (the
 * call, a parent or agent leg, a recording, reservation or task) is
 * another tenant's, it changes nothing, logs STORE_SCOPE_REFUSED and
 * returns DB_FOREIGN.
 */
extern const struct db_stmt store_call_statements[];

/*
 * Append one raw callback to call_events (params_json: a JSON object of
 * the parameters).  A db_result; DB_FOREIGN (nothing appended) when
 * call_sid is another tenant's; DB_OK, storing nothing, when the account
 * is unknown.
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
 * CallSid.  A db_result; DB_FOREIGN when the call or its parent is
 * another tenant's (neither the row nor the event is written).
 */
enum db_result store_call_status(struct db_conn *c,
    const struct store_call_status *s, const char *route,
    const char *received_at, const char *params_json, int replayed);

/*
 * The number e164 of the tenant account_sid, into *out (owned: call
 * store_number_cleanup).  DB_NOTFOUND when the tenant has no such number;
 * *out is then zeroed.
 */
enum db_result store_call_number(struct db_conn *c, const char *account_sid,
    const char *e164, struct store_number *out);

/* The caller's leg as /twilio/voice/inbound saw it. */
struct store_call_inbound {
	const char *account_sid;
	const char *call_sid;
	const char *from;
	const char *to; /* the DID: links phone_number_id */
	const char *routing; /* dedicated, queue, voicemail, unknown-number */
	int disclaimer_played;
	const char *status; /* a CallStatus; NULL: ringing */
	int rank; /* status_rank() of status */
	const char *received_at; /* RFC 3339 */
};

/*
 * The inbound webhook's one round trip: look the number in->to up (as
 * store_call_number) and write the caller's row (as store_call_inbound)
 * with the routing decided from it: unknown-number, dedicated (an owner
 * who is available), else queue when have_workflow, else voicemail;
 * in->routing and in->disclaimer_played are ignored.  DB_NOTFOUND when
 * the number (the row is stored as unknown-number) or the tenant (nothing
 * stored) is unknown; DB_FOREIGN (nothing stored) when the CallSid is
 * another tenant's; *out as store_call_number.  c NULL: committed
 * through the group commit (db_group.h), keyed by the CallSid.
 */
enum db_result store_call_inbound_number(struct db_conn *c,
    const struct store_call_inbound *in, int have_workflow,
    struct store_number *out);

/*
 * Create or complete the caller's calls row (ON CONFLICT on call_sid, so a
 * status callback that came first is completed, never overwritten: the
 * status only moves forward and a routing already set is kept).
 * DB_NOTFOUND when the tenant is unknown.
 */
enum db_result store_call_inbound(struct db_conn *c,
    const struct store_call_inbound *in);

/*
 * The outcome of the dedicated <Dial>: dial_status, and routing when not
 * NULL (e.g. "overflow").  Creates the row when missing.  DB_NOTFOUND
 * when the tenant is unknown.
 */
enum db_result store_call_dial(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *from, const char *to,
    const char *dial_status, const char *routing);

/*
 * The <Enqueue> action: QueueResult, QueueTime (NULL when absent),
 * QueueSid (NULL when absent), and abandoned (1 sets the flag; it is never
 * cleared).  Creates the row when missing.  DB_NOTFOUND when the tenant is
 * unknown.
 */
enum db_result store_call_queue_exit(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *result, const char *queue_time_s,
    const char *queue_sid, int abandoned);

/*
 * What the agent's whisper learnt about the caller's call: the agent (by
 * Voice SDK identity, NULL: unchanged), the TaskRouter reservation and
 * task (NULL: unchanged) and the number id (text, NULL: unchanged; only
 * fills an empty phone_number_id) and the agent's own leg (agent_call_sid,
 * the whisper's CallSid; NULL: unchanged; the hold API's link between the
 * two legs).  Creates the row when missing.  On DB_OK, *from
 * and *label are new strings (free()) with the caller's number and the
 * line's label, or NULL when unknown.  DB_FOREIGN when either leg, the
 * reservation or the task is another tenant's.
 */
enum db_result store_call_agent(struct db_conn *c, const char *account_sid,
    const char *call_sid, const char *identity, const char *reservation_sid,
    const char *task_sid, const char *number_id, const char *agent_call_sid,
    char **from, char **label);

/*
 * The CallSid of the tenant's newest call with this reservation, into
 * out[outlen].  DB_NOTFOUND when none; DB_FOREIGN (logged) when the
 * reservation is another tenant's.
 */
enum db_result store_call_by_reservation(struct db_conn *c,
    const char *account_sid, const char *reservation_sid, char *out,
    size_t outlen);

/* A voicemail as the <Record> action reports it. */
struct store_voicemail {
	const char *account_sid;
	const char *call_sid;
	const char *to; /* the DID: links phone_number_id */
	const char *from;
	const char *recording_sid;
	const char *recording_url;
	const char *duration_s;
	const char *received_at; /* RFC 3339: created_at */
};

/*
 * Store a voicemail (idempotent on recording_sid) and link the recording
 * row with the same RecordingSid when it exists (and is the same
 * tenant's).  DB_NOTFOUND when the tenant is unknown; DB_FOREIGN when
 * the call or the RecordingSid is another tenant's.
 */
enum db_result store_call_voicemail(struct db_conn *c,
    const struct store_voicemail *v);

/* One recording status callback. */
struct store_recording {
	const char *account_sid;
	const char *recording_sid;
	const char *call_sid;
	const char *url;
	const char *status; /* in-progress, completed, absent, failed */
	int rank; /* store_recording_rank(status) */
	const char *channels; /* "1" or "2" */
	const char *duration_s;
	const char *source;
	const char *track;
	const char *started_at; /* RFC 3339 */
	const char *error_code;
};

/* in-progress 0; completed, absent, failed 1; -1 for anything else. */
int store_recording_rank(const char *status);

/*
 * Upsert a recording row, order-safe (the status never moves back, and
 * the values of the furthest status win), linked to its voicemail when
 * one has the same RecordingSid.  *archive is set to 1 when this call
 * moved a completed recording's archive_state from NULL to 'queued': the
 * caller then queues the archive job in the same transaction.
 * DB_NOTFOUND when the tenant is unknown; DB_FOREIGN when the recording
 * (or a voicemail of that RecordingSid) or its call is another tenant's.
 */
enum db_result store_call_recording(struct db_conn *c,
    const struct store_recording *rec, int *archive);

/*
 * Set archive_state of recording_sid on a plain libpq connection (a job
 * handler's j->pg), from 'queued' or NULL (or the same state again).
 * DB_OK, DB_NOTFOUND (no such recording, or it is already further), or
 * the failure's db_result.
 */
enum db_result store_call_archive_state_pg(PGconn *pg,
    const char *recording_sid, const char *state);

#endif
