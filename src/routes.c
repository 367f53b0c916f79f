/*
 * Every route ramal serves, in one table: its guard (who may call it),
 * where it runs, its body cap, its degraded answer and its spool replay.
 * Unmatched paths get 404 (GET and HEAD: the web UI's fallback), known
 * paths with another method 405 (see http.c).  Paths are named in
 * paths.h.
 */
#include <stdio.h>

#include "admin_numbers.h"
#include "agents.h"
#include "alerts_api.h"
#include "api_auth.h"
#include "api_calls.h"
#include "api_token.h"
#include "auth.h"
#include "callbacks_api.h"
#include "events.h"
#include "hold.h"
#include "ops.h"
#include "outbound.h"
#include "paths.h"
#include "routes.h"
#include "status.h"
#include "taskrouter.h"
#include "voice.h"
#include "webhook.h"
#include "webui.h"

/*
 * A Twilio webhook: signed by the account's auth token (the key of a
 * subaccount is in the database), where it runs, the answer given when
 * that key cannot be read (voice webhooks: TwiML fit for where Twilio
 * fetched it, made without the database: the caller kept in the queue or
 * voicemail, the waiting and held parties kept in music, an agent's or
 * callee's leg never enqueued), and how a spooled event of it is stored
 * later.
 */
#define TWILIO(p, h, run_, degraded_, replay_)                               \
	{ .method = "POST", .path = (p), .handler = (h),                     \
		.guard = webhook_guard, .run = (run_),                       \
		.degraded = (degraded_), .replay = (replay_) }
#define WORKER HTTP_RUN_WORKER

/*
 * The app's API: a signed-in user of at least the guard's role.  It and
 * /token answer pages of CORS_ALLOWED_ORIGINS (http.h, .cors); Twilio's
 * webhooks, the probes and the softphone's files never do.
 */
#define API(m, p, h, g)                                                      \
	{ .method = (m), .path = (p), .handler = (h), .guard = (g),          \
		.run = HTTP_RUN_WORKER, .body_max = HTTP_BODY_MAX_API,       \
		.cors = 1 }

static const struct http_route routes[] = {
	{ .method = "GET", .path = PATH_HEALTHZ, .handler = ops_healthz },
	{ .method = "GET", .path = PATH_READYZ, .handler = ops_readyz },
	{ .method = "GET", .path = PATH_METRICS, .handler = ops_metrics },

	/* path, handler, where it runs, degraded answer, spool replay */
	/* Static TwiML: never waits on the database. */
	TWILIO(PATH_VOICE_FALLBACK, voice_fallback, HTTP_RUN_INLINE,
	    voice_fallback, NULL),
	/* One group-committed write each (db_group.h). */
	TWILIO(PATH_STATUS, status_callback, HTTP_RUN_COMMIT, NULL,
	    status_replay),
	TWILIO(PATH_VOICE_INBOUND, voice_inbound, HTTP_RUN_COMMIT,
	    voice_inbound_degraded, voice_inbound_replay),
	TWILIO(PATH_TR_ASSIGNMENT, taskrouter_assignment, WORKER, NULL, NULL),
	/*
	 * Spool-only: the bookkeeping of an assignment answered before it
	 * was recorded (taskrouter.h), replayed under this name.  No client
	 * sends method SPOOL; one that did would meet the signature guard
	 * and the assignment handler, as on the real route.
	 */
	{ .method = "SPOOL", .path = PATH_TR_ASSIGNMENT_RECORD,
	    .handler = taskrouter_assignment, .guard = webhook_guard,
	    .run = WORKER, .replay = taskrouter_assignment_replay },
	TWILIO(PATH_TR_EVENTS, taskrouter_events, WORKER, NULL,
	    taskrouter_replay),
	TWILIO(PATH_VOICE_WHISPER, voice_whisper, WORKER,
	    voice_whisper_degraded, voice_whisper_replay),
	TWILIO(PATH_VOICE_OVERFLOW, voice_overflow, WORKER,
	    voice_overflow_degraded, voice_overflow_replay),
	TWILIO(PATH_VOICE_QUEUE_WAIT, voice_queue_wait, WORKER,
	    voice_queue_wait, NULL),
	TWILIO(PATH_VOICE_QUEUE_EXIT, voice_queue_exit, WORKER,
	    voice_queue_exit_degraded, voice_queue_exit_replay),
	TWILIO(PATH_VOICE_VOICEMAIL, voice_voicemail, WORKER,
	    voice_voicemail_degraded, voice_voicemail_replay),
	TWILIO(PATH_RECORDING, voice_recording, WORKER, NULL,
	    voice_recording_replay),
	TWILIO(PATH_VOICE_OUTBOUND, outbound_voice, WORKER, outbound_degraded,
	    NULL),
	TWILIO(PATH_VOICE_DISCLAIMER, outbound_disclaimer, WORKER,
	    outbound_disclaimer_degraded, NULL),
	TWILIO(PATH_VOICE_HOLD, hold_music, WORKER, hold_music, NULL),
	TWILIO(PATH_CONFERENCE, hold_conference_callback, WORKER, NULL,
	    hold_replay),

	/* Sign-in's hashes are CPU work: their own queue (http.h). */
	{ .method = "POST", .path = PATH_API_LOGIN, .handler = api_auth_login,
	    .body_max = HTTP_BODY_MAX_API, .run = HTTP_RUN_CPU, .cors = 1 },
	API("POST", PATH_API_LOGOUT, api_auth_logout, auth_guard_agent),
	API("GET", PATH_API_ME, api_auth_me, auth_guard_agent),
	{ .method = "GET", .path = PATH_TOKEN, .handler = api_token,
	    .guard = auth_guard_agent, .run = HTTP_RUN_WORKER, .cors = 1 },
	API("GET", PATH_API_CALL, api_calls_get, auth_guard_agent),
	API("POST", PATH_API_CALL_HOLD, api_calls_hold, auth_guard_agent),
	API("POST", PATH_API_CALL_UNHOLD, api_calls_unhold, auth_guard_agent),
	/* "me" before "*": the first matching route wins. */
	API("PUT", PATH_API_AGENT_ME_STATUS, agents_status_me,
	    auth_guard_agent),
	API("PUT", PATH_API_AGENT_STATUS, agents_status_other,
	    auth_guard_agent),
	API("POST", PATH_API_AGENT_ME_WRAPUP_END, agents_wrapup_end,
	    auth_guard_agent),
	API("GET", PATH_API_AGENTS, agents_list, auth_guard_supervisor),
	/* A ticket from this route opens the stream below once (EventSource
	 * cannot send Authorization). */
	API("POST", PATH_API_EVENTS_TICKET, events_ticket, auth_guard_agent),
	API("GET", PATH_API_EVENTS, events_handler, auth_guard_events),
	/* Numbers: Twilio is asked while an admin waits (admin_numbers.h). */
	API("GET", PATH_API_ADMIN_NUMBERS, admin_numbers_list, auth_guard_admin),
	API("POST", PATH_API_ADMIN_NUMBERS, admin_numbers_buy, auth_guard_admin),
	API("GET", PATH_API_ADMIN_NUMBERS_SEARCH, admin_numbers_search,
	    auth_guard_admin),
	API("PATCH", PATH_API_ADMIN_NUMBER, admin_numbers_update,
	    auth_guard_admin),
	API("DELETE", PATH_API_ADMIN_NUMBER, admin_numbers_release,
	    auth_guard_admin),
	API("GET", PATH_API_ALERTS, alerts_api_list, auth_guard_supervisor),
	API("GET", PATH_API_ADMIN_ALERT_RULES, alerts_api_rules_get,
	    auth_guard_admin),
	API("PUT", PATH_API_ADMIN_ALERT_RULES, alerts_api_rules_put,
	    auth_guard_admin),
	API("GET", PATH_API_CALLBACKS, callbacks_api_list, auth_guard_agent),
	API("POST", PATH_API_CALLBACKS_NEXT, callbacks_api_next,
	    auth_guard_agent),
	API("POST", PATH_API_CALLBACK_ASSIGN, callbacks_api_assign,
	    auth_guard_supervisor),
	API("POST", PATH_API_CALLBACK_CLOSE, callbacks_api_close,
	    auth_guard_agent),

	/* Last: the softphone's files and page paths (webui.h). */
	{ .method = "GET", .path = HTTP_FALLBACK, .handler = webui_serve },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const char *names[NROUTES];

const struct http_route *
routes_table(size_t *n)
{
	/* The last route, the softphone's, only when it was loaded. */
	*n = webui_count() > 0 ? NROUTES : NROUTES - 1;
	return routes;
}

const char *const *
routes_names(void)
{
	for (size_t i = 0; i < NROUTES; i++)
		names[i] = routes[i].path;
	return names;
}

/* Who may call a route, in words. */
static const char *
access_of(const struct http_route *rt)
{
	if (rt->guard == webhook_guard)
		return "twilio-signature";
	if (rt->guard == auth_guard_agent)
		return "signed-in";
	if (rt->guard == auth_guard_events)
		return "signed-in-or-ticket";
	if (rt->guard == auth_guard_supervisor)
		return "supervisor";
	if (rt->guard == auth_guard_admin)
		return "admin";
	return "open";
}

void
routes_print(FILE *fp)
{
	static const char *const runs[] = { "inline", "worker", "commit",
		"cpu" };

	for (size_t i = 0; i < NROUTES; i++)
		fprintf(fp, "%s\t%s\t%s\t%s%s%s%s\n", routes[i].method,
		    routes[i].path, access_of(&routes[i]), runs[routes[i].run],
		    routes[i].degraded != NULL ? "\tdegraded" : "",
		    routes[i].replay != NULL ? "\tspooled" : "",
		    routes[i].cors ? "\tcors" : "");
}
