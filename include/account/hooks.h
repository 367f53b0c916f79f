#ifndef RAMAL_HOOKS_H
#define RAMAL_HOOKS_H

#include <stddef.h>

#include <jansson.h>

#include "account.h"

/*
 * Webhook sync (deployment step 7; `ramal sync-webhooks`, and every
 * number ramal buys or imports): the URLs Twilio calls for a tenant,
 * pointed at this deployment's BASE_URL.
 *
 *   number      VoiceUrl, VoiceFallbackUrl, StatusCallback (and their
 *               methods, POST): /twilio/voice/inbound, /fallback, /status
 *   TwiML App   VoiceUrl (POST): /twilio/voice/outbound (the main
 *               account's TWILIO_TWIML_APP_SID)
 *   workspace   EventCallbackUrl: /twilio/taskrouter/events
 *   workflow    AssignmentCallbackUrl, FallbackAssignmentCallbackUrl:
 *               /twilio/taskrouter/assignment
 *
 * hooks_plan reads each resource (GETs only) and says which fields
 * differ; hooks_apply updates those (one POST each), reads each again
 * and reports any field Twilio did not take.  The numbers' webhooks as
 * read are stored (store_number_hooks) by hooks_apply, never by a plan
 * alone (a dry run changes nothing anywhere).
 */

enum hooks_kind {
	HOOKS_NUMBER,
	HOOKS_APP,
	HOOKS_WORKSPACE,
	HOOKS_WORKFLOW,
};

#define HOOKS_FIELDS_MAX 6

/* One URL or method of a resource. */
struct hooks_field {
	const char *param; /* the form name Twilio takes: "VoiceUrl" */
	const char *key; /* the member Twilio answers: "voice_url" */
	const char *want; /* borrowed from the context */
	char *have; /* what Twilio has (owned; "" when none) */
	int differs;
};

struct hooks_item {
	enum hooks_kind kind;
	char sid[35];
	char number[20]; /* HOOKS_NUMBER: its E.164 */
	enum twapi_host host;
	char path[256];
	struct hooks_field f[HOOKS_FIELDS_MAX];
	int nf;
	int changes; /* fields that differ */
	char *blocked; /* why sync cannot fix it (owned), or NULL */
	char *mismatch; /* hooks_apply: what Twilio did not take, or NULL */
	json_t *read; /* the resource as last read (owned) */
};

struct hooks_plan {
	struct hooks_item *v;
	size_t n, cap;
	char **notes; /* what was left alone and why (owned) */
	size_t nnotes;
	int problems; /* notes that are failures (a number Twilio lacks) */
};

/* What a plan covers. */
#define HOOKS_NUMBERS 0x1
#define HOOKS_APP_TASKROUTER 0x2
#define HOOKS_ALL (HOOKS_NUMBERS | HOOKS_APP_TASKROUTER)

/*
 * Read the tenant's resources (what: HOOKS_* flags; only_number: one
 * E.164 of the table, or NULL for all) into p (hooks_plan_free it in
 * every case).  Only GETs.  ACCOUNT_OK, or the failure of a read.
 */
enum account_status hooks_plan(struct account_ctx *x, int what,
    const char *only_number, struct hooks_plan *p, struct account_err *e);

/* Items that differ and can be updated. */
size_t hooks_pending(const struct hooks_plan *p);

/*
 * Update every item that differs (after account_guard), read each again
 * and store the numbers' webhooks.  ACCOUNT_OK when every field took;
 * ACCOUNT_TWILIO naming the first that did not (item->mismatch says it
 * for each).
 */
enum account_status hooks_apply(struct account_ctx *x, struct hooks_plan *p,
    struct account_err *e);

void hooks_plan_free(struct hooks_plan *p);

/* "number", "TwiML App", "TaskRouter workspace", "TaskRouter workflow". */
const char *hooks_kind_name(enum hooks_kind k);

/*
 * The webhooks of an IncomingPhoneNumber (Twilio's JSON) as ramal stores
 * them: a compact JSON object text (free()).
 */
char *hooks_of_number(const json_t *pn);

/*
 * Whether stored webhooks (a JSON object, hooks_of_number) point at this
 * deployment: 1 yes, 0 no, -1 unknown (NULL: never read).
 */
int hooks_at_base(const struct account_ctx *x, const json_t *hooks);

#endif
