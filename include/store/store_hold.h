#ifndef RAMAL_STORE_HOLD_H
#define RAMAL_STORE_HOLD_H

#include <stddef.h>

#include <libpq-fe.h>

#include "db.h"

/*
 * Store helpers of hold by conference escalation (docs/call-flows.md,
 * "Hold"): the calls rows a hold request is about, the anchor's mark,
 * the conference events and the hold job's reads and writes.
 *
 * Functions on a pooled connection (struct db_conn *) run the named
 * statements of store_hold_statements[] (merged by store.c); those named
 * store_hold_job_* run on a job's own connection (PGconn *, j->pg), which
 * has no prepared statements, and log a failed query.  None opens or ends
 * a transaction.  Strings are borrowed; NULL means SQL NULL.  Text
 * fields of the rows are "" for SQL NULL and cut to their size.  Each
 * returns a db_result; DB_NOTFOUND when the statement found no row.
 * Thread-safe as far as each thread uses its own connection.
 */
extern const struct db_stmt store_hold_statements[];

#define STORE_HOLD_SID_LEN 35 /* a CallSid or ConferenceSid, with NUL */
#define STORE_HOLD_CONF_NAME_MAX 64 /* a conference name, with NUL */

/* One calls row as the hold logic reads it. */
struct store_hold_leg {
	long long id;
	char call_sid[STORE_HOLD_SID_LEN];
	char parent_call_sid[STORE_HOLD_SID_LEN];
	char direction[24];
	char routing[24];
	char bridge[16]; /* dedicated, queue, outbound, client; "" */
	long long agent_user_id; /* 0 when none */
	char status[24];
	int status_rank;
	char from[64];
	char to[140];
	char reservation_sid[40];
	char conference_name[STORE_HOLD_CONF_NAME_MAX];
	char conference_state[16];
	char agent_call_sid[STORE_HOLD_SID_LEN];
	char other_call_sid[STORE_HOLD_SID_LEN];
	int hold_wanted;
	int hold_confirmed;
	char caller_id[64];
	char created_at[48];
	char held_call_sid[STORE_HOLD_SID_LEN];
};

/* The leg call_sid of tenant tenant_id into *out (zeroed first). */
enum db_result store_hold_leg(struct db_conn *c, long long tenant_id,
    const char *call_sid, struct store_hold_leg *out);

/* The newest row of tenant_id whose agent leg is agent_call_sid. */
enum db_result store_hold_leg_by_agent(struct db_conn *c, long long tenant_id,
    const char *agent_call_sid, struct store_hold_leg *out);

/* The newest child leg of parent_call_sid in tenant_id. */
enum db_result store_hold_leg_child(struct db_conn *c, long long tenant_id,
    const char *parent_call_sid, struct store_hold_leg *out);

/* The id of the user identity of tenant_id into *id (0 when none). */
enum db_result store_hold_user(struct db_conn *c, long long tenant_id,
    const char *identity, long long *id);

/*
 * The conference name of leg call_sid of account_sid while the call is
 * being moved into (or is in) its conference, into name[namelen].
 * DB_NOTFOUND when it is not; DB_INVALID when the name does not fit.
 */
enum db_result store_hold_escalated(struct db_conn *c, const char *account_sid,
    const char *call_sid, char *name, size_t namelen);

/* A hold (or unhold) asked for on an anchor row. */
struct store_hold_mark {
	long long anchor_id; /* calls.id of the anchor */
	const char *anchor_sid; /* its CallSid */
	int hold; /* 1 hold, 0 unhold */
	const char *bridge; /* kept when the row has one */
	const char *agent_call_sid; /* NULL: unchanged; kept when set */
	const char *other_call_sid; /* likewise */
	const char *held_call_sid; /* the leg to hold; NULL: the default */
};

/*
 * Mark the anchor: hold_wanted, and on a hold of a call not yet in a
 * conference, its conference name and state 'requested' (an unhold never
 * does).  *escalated is 1 when the row has a conference state afterwards.
 * DB_NOTFOUND when the anchor is gone or its conference ended.
 */
enum db_result store_hold_mark(struct db_conn *c,
    const struct store_hold_mark *m, int *escalated);

/* The anchor of a conference, as its events need it. */
struct store_hold_anchor {
	long long id;
	char call_sid[STORE_HOLD_SID_LEN];
	long long tenant_id;
	char bridge[16];
	char other_call_sid[STORE_HOLD_SID_LEN];
	int hold_wanted;
	char conference_state[16];
	char held_call_sid[STORE_HOLD_SID_LEN]; /* the party to hold */
};

/*
 * The anchor of conference name of account_sid into *out, its
 * conference_sid filled in when it had none.  DB_NOTFOUND when no row
 * has that conference.
 */
enum db_result store_hold_conf_anchor(struct db_conn *c,
    const char *account_sid, const char *name, const char *conference_sid,
    struct store_hold_anchor *out);

/* One participant event of a conference. */
struct store_hold_participant {
	long long tenant_id;
	const char *conference_sid;
	const char *conference_name;
	const char *call_sid;
	int joined; /* participant-join */
	int left; /* participant-leave */
	int hold; /* 1, 0, or -1: unchanged */
	int muted; /* 1, 0, or -1: unchanged */
	long sequence; /* SequenceNumber, -1 when none */
	const char *event_time; /* RFC 3339 */
};

/*
 * Store a participant event (idempotent; hold and mute move only with a
 * newer SequenceNumber, a leave is final) and set *hold and *left to
 * what the participant's row says afterwards.  DB_NOTFOUND, writing
 * nothing, when the conference's rows are another tenant's.
 */
enum db_result store_hold_conf_participant(struct db_conn *c,
    const struct store_hold_participant *p, int *hold, int *left);

/*
 * The anchor anchor_id after an event: conference state (NULL:
 * unchanged; never back from 'ended') and confirmed hold (1, 0, or -1:
 * unchanged).
 */
enum db_result store_hold_conf_anchor_state(struct db_conn *c,
    long long anchor_id, const char *state, int hold_confirmed);

/* ---- the hold job, on its own connection ---- */

/*
 * Take the transaction-scoped advisory lock of anchor_sid: one hold job
 * at a time per call (the API's row updates never wait on it).
 */
enum db_result store_hold_job_lock(PGconn *pg, const char *anchor_sid);

/* What the hold job reads of its anchor. */
struct store_hold_job_call {
	char conference_name[STORE_HOLD_CONF_NAME_MAX];
	char conference_state[16];
	char bridge[16];
	char agent_call_sid[STORE_HOLD_SID_LEN];
	char other_call_sid[STORE_HOLD_SID_LEN];
	int hold_wanted;
	char held_call_sid[STORE_HOLD_SID_LEN];
};

/* The anchor anchor_sid into *out. */
enum db_result store_hold_job_call(PGconn *pg, const char *anchor_sid,
    struct store_hold_job_call *out);

/* A participant still in a conference. */
struct store_hold_job_participant {
	char conference_sid[STORE_HOLD_SID_LEN];
	int hold;
};

/*
 * The newest participant row of leg call_sid in conference name that has
 * not left, into *out.  DB_NOTFOUND when it has not joined (or left).
 */
enum db_result store_hold_job_participant(PGconn *pg, const char *name,
    const char *call_sid, struct store_hold_job_participant *out);

/* Set the hold of leg call_sid's rows in conference name. */
enum db_result store_hold_job_participant_hold(PGconn *pg, const char *name,
    const char *call_sid, int hold);

/* Set hold_confirmed of the call call_sid. */
enum db_result store_hold_job_confirm(PGconn *pg, const char *call_sid,
    int hold);

/* The anchor's leg was moved: 'requested' becomes 'redirected'. */
enum db_result store_hold_job_redirected(PGconn *pg, const char *anchor_sid);

/*
 * The leg could not be moved: clear a 'requested' mark (conference name
 * and state, hold_wanted) so the action handlers hang up, not join.
 */
enum db_result store_hold_job_clear(PGconn *pg, const char *anchor_sid);

#endif
