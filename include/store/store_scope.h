#ifndef RAMAL_STORE_SCOPE_H
#define RAMAL_STORE_SCOPE_H

#include "db.h"

/*
 * Tenant scoping of what the webhooks store (sql/015_tenant_scope.sql).
 *
 * Twilio's SIDs are unique across accounts, so calls, recordings,
 * voicemails, tasks, reservations and conferences keep them under global
 * UNIQUE keys: a SID belongs to the tenant whose webhook stored it first.
 * A webhook signed by another account that names such a SID is refused:
 * the store helpers of the call flows then store nothing, log one warning
 * (STORE_SCOPE_REFUSED, with the SID, the request's account and the
 * owner's) and return DB_FOREIGN, which the handlers answer like invalid
 * data and never spool or retry.
 *
 * Every write keeps to this in SQL: an upsert's DO UPDATE has
 * "WHERE x.tenant_id = excluded.tenant_id", so another tenant's row is
 * never changed, and its SELECT has "AND NOT EXISTS (SELECT 1 FROM calls
 * o WHERE o.call_sid = $n AND o.tenant_id <> t.id)" (and the same for
 * the other SIDs it names), so nothing is inserted that points at
 * another tenant's call.  A write that so changed nothing returns no row
 * (DB_NOTFOUND), which store_scope_explain turns into DB_FOREIGN.
 */
extern const struct db_stmt store_scope_statements[]; /* merged by store.c */

/* The one warning of a refusal. */
#define STORE_SCOPE_REFUSED "callback for a call of another tenant refused"

/* The SIDs one request names; NULL for each it does not. */
struct store_scope {
	const char *account_sid; /* the request's (signed) AccountSid */
	const char *call_sid;
	const char *call_sid2; /* another leg: ParentCallSid, agent leg... */
	const char *recording_sid; /* in recordings or voicemails */
	const char *task_sid;
	const char *reservation_sid;
	const char *conference_name;
	const char *conference_sid;
	const char *worker_sid; /* a TaskRouter worker (users.worker_sid) */
};

/*
 * Does any SID of s belong to a tenant other than s->account_sid's?
 * DB_OK when none does (or the account is unknown), DB_FOREIGN when one
 * does (the warning is logged here, naming the first of them: a call
 * before a recording, a task, a reservation, a conference, a worker), or
 * the failure's db_result.
 */
enum db_result store_scope_check(struct db_conn *c,
    const struct store_scope *s);

/*
 * res, unless it is DB_NOTFOUND from a tenant-scoped write that found
 * its tenant: then store_scope_check(c, s) tells whether a SID of s is
 * another tenant's (DB_FOREIGN, logged) or not (DB_NOTFOUND again).
 */
enum db_result store_scope_explain(struct db_conn *c,
    const struct store_scope *s, enum db_result res);

/*
 * Log the refusal of what kind ("call", "recording", ...) sid, owned by
 * owner (NULL when not known), to account.  For statements that detect
 * the owner themselves (the group-committed ones).
 */
void store_scope_log(const char *kind, const char *sid, const char *account,
    const char *owner);

#endif
