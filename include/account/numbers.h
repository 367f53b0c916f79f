#ifndef RAMAL_NUMBERS_H
#define RAMAL_NUMBERS_H

#include <stddef.h>

#include <jansson.h>

#include "account.h"

/*
 * A tenant's phone numbers (DIDs) at Twilio: search, buy, import,
 * release, list, owner and label (docs/numbers.md).  `ramal number` and
 * the admin API (/api/admin/numbers) both call these, so the rules are
 * the same: bad input is refused before anything is sent; a Twilio
 * failure leaves nothing half-stored; a number is stored with its SID as
 * soon as Twilio returns it; buying is idempotent by phone number.
 *
 * Each works on the tenant of an account_ctx (account.h), with its
 * connection and its blocking REST client: from a command or an admin
 * route on a worker thread, never from a webhook.  Results are new JSON
 * objects (json_decref them); failures fill the struct account_err.
 */

/* ---- search ---- */

struct numbers_query {
	const char *country; /* NULL: "BR"; only BR is supported */
	const char *ddd; /* two digits; required but for toll-free */
	const char *type; /* "local" (NULL), "mobile" or "toll-free" */
	const char *contains; /* digits right after the DDD (or 0800) */
	int limit; /* 0: 20; 1 to 50 */
};

/* Check a query without sending anything: OK or ACCOUNT_BAD_INPUT. */
enum account_status numbers_search_check(const struct numbers_query *q,
    struct account_err *e);

/*
 * Numbers Twilio has for sale (AvailablePhoneNumbers/BR/Local|Mobile|
 * TollFree.json, Contains=+55<DDD><contains>).  *out: {"country", "type",
 * "ddd", "uf", "state", "contains", "numbers": [{"phone_number",
 * "friendly_name", "locality", "region", "address_requirements",
 * "voice", "sms"}], "same_state": [{"ddd", "numbers": [...]}]}; when the
 * DDD has none, same_state holds what each other DDD of its state has
 * (at most 5 each), else it is empty.
 */
enum account_status numbers_search(struct account_ctx *x,
    const struct numbers_query *q, json_t **out, struct account_err *e);

/* ---- buy ---- */

struct numbers_buy {
	const char *phone_number; /* E.164 (separators allowed) */
	const char *bundle_sid; /* BU...; NULL: none (Twilio may refuse) */
	const char *address_sid; /* AD...; NULL: none */
	const char *label; /* NULL: none (new) / unchanged */
	const char *owner; /* an agent's identity; NULL: none / unchanged */
};

/* Check a purchase without sending anything: OK or ACCOUNT_BAD_INPUT. */
enum account_status numbers_buy_check(const struct numbers_buy *b,
    struct account_err *e);

/*
 * Buy b->phone_number for the tenant, or complete it: the account is
 * asked first (GET IncomingPhoneNumbers?PhoneNumber=); a number already
 * there is stored (and its webhooks pointed at BASE_URL) instead of
 * bought again.  Otherwise one POST IncomingPhoneNumbers.json with
 * PhoneNumber, BundleSid, AddressSid, FriendlyName and the webhooks
 * (VoiceUrl, VoiceFallbackUrl, StatusCallback, POST), and the number is
 * stored with its SID at once.  The owner must be an agent of the tenant
 * (checked before anything is sent).  *out: {"outcome": "bought" |
 * "found", "number": <numbers_list row>}.
 */
enum account_status numbers_buy(struct account_ctx *x,
    const struct numbers_buy *b, json_t **out, struct account_err *e);

/* ---- import ---- */

/*
 * Every IncomingPhoneNumber of the account (all pages) into the table:
 * new numbers are added with their SID, label (FriendlyName), bundle and
 * address; known ones get what they lack; then every number's webhooks
 * are pointed at BASE_URL (as sync-webhooks does, verified).  *out:
 * {"added": [e164], "completed": [e164], "unchanged": [e164],
 * "webhooks": [e164 updated], "missing": [e164 of the table that the
 * account does not have]}.
 */
enum account_status numbers_import(struct account_ctx *x, json_t **out,
    struct account_err *e);

/* ---- release ---- */

/*
 * Release the number (E.164 or PN SID) of the tenant: refused while it is
 * an agent's dedicated line unless force.  DELETE at Twilio, then the
 * row; a number Twilio no longer has (404, or not on the account) only
 * loses its row, so a run cut short is completed by the next.  *out:
 * {"phone_number", "sid", "twilio": "released" | "already gone"}.
 */
enum account_status numbers_release(struct account_ctx *x, const char *number,
    int force, json_t **out, struct account_err *e);

/* ---- list and update ---- */

/*
 * The tenant's numbers: {"numbers": [{"sid", "phone_number", "label",
 * "owner", "bundle_sid", "bundle_status", "address_sid",
 * "ring_timeout_s", "voicemail", "webhooks":
 * {"voice_url", "voice_fallback_url", "status_callback", "read_at",
 * "at_base_url": true | false | null}}], "webhooks_from": "stored" |
 * "twilio", "base_url"}.  With read_twilio the webhooks are read from
 * Twilio now (and stored); otherwise they are what the last buy,
 * import, sync or read stored (null when never read).
 */
enum account_status numbers_list(struct account_ctx *x, int read_twilio,
    json_t **out, struct account_err *e);

/*
 * Change the owner (an agent's identity; "" for none; NULL unchanged)
 * and/or the label (NULL unchanged) of the number (E.164 or PN SID).
 * Nothing at Twilio.  *out: the number's numbers_list row.
 */
enum account_status numbers_update(struct account_ctx *x, const char *number,
    const char *owner, const char *label, json_t **out, struct account_err *e);

/*
 * The numbers_list row of one number (E.164 or PN SID) into *out.
 * NOT_FOUND when the tenant has none.
 */
enum account_status numbers_get(struct account_ctx *x, const char *number,
    json_t **out, struct account_err *e);

#endif
