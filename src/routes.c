/*
 * Every route ramal serves, in one table.  Unmatched paths get 404 (GET and
 * HEAD: the web UI's fallback), known paths with another method 405 (see
 * http.c).
 */
#include "agents.h"
#include "api_auth.h"
#include "api_calls.h"
#include "api_token.h"
#include "hold.h"
#include "events.h"
#include "ops.h"
#include "outbound.h"
#include "routes.h"
#include "status.h"
#include "taskrouter.h"
#include "voice.h"
#include "webui.h"

static const struct http_route routes[] = {
	{ "GET", "/healthz", ops_healthz, HTTP_AUTH_NONE, 0, 0 },
	{ "GET", "/readyz", ops_readyz, HTTP_AUTH_NONE, 0, 0 },
	{ "GET", "/metrics", ops_metrics, HTTP_AUTH_NONE, 0, 0 },
	/* Static TwiML: never waits on the database. */
	{ "POST", "/twilio/voice/fallback", voice_fallback, HTTP_AUTH_TWILIO, 0,
	    HTTP_RUN_INLINE },
	/* One group-committed write each (db_group.h). */
	{ "POST", "/twilio/status", status_callback, HTTP_AUTH_TWILIO, 0,
	    HTTP_RUN_COMMIT },
	{ "POST", "/twilio/taskrouter/assignment", taskrouter_assignment,
	    HTTP_AUTH_TWILIO, 0, 0 },
	{ "POST", "/twilio/taskrouter/events", taskrouter_events,
	    HTTP_AUTH_TWILIO, 0, 0 },
	{ "POST", "/twilio/voice/inbound", voice_inbound, HTTP_AUTH_TWILIO, 0,
	    HTTP_RUN_COMMIT },
	{ "POST", "/twilio/voice/whisper", voice_whisper, HTTP_AUTH_TWILIO, 0,
	    0 },
	{ "POST", "/twilio/voice/overflow", voice_overflow, HTTP_AUTH_TWILIO, 0,
	    0 },
	{ "POST", "/twilio/voice/queue-wait", voice_queue_wait,
	    HTTP_AUTH_TWILIO, 0, 0 },
	{ "POST", "/twilio/voice/queue-exit", voice_queue_exit,
	    HTTP_AUTH_TWILIO, 0, 0 },
	{ "POST", "/twilio/voice/voicemail", voice_voicemail, HTTP_AUTH_TWILIO,
	    0, 0 },
	{ "POST", "/twilio/recording", voice_recording, HTTP_AUTH_TWILIO, 0,
	    0 },
	{ "POST", "/twilio/voice/outbound", outbound_voice, HTTP_AUTH_TWILIO, 0,
	    0 },
	{ "POST", "/twilio/voice/disclaimer", outbound_disclaimer,
	    HTTP_AUTH_TWILIO, 0, 0 },
	{ "POST", "/twilio/voice/hold", hold_music, HTTP_AUTH_TWILIO, 0, 0 },
	{ "POST", "/twilio/conference", hold_conference_callback,
	    HTTP_AUTH_TWILIO, 0, 0 },
	{ "POST", "/api/login", api_auth_login, HTTP_AUTH_NONE, 0, 0 },
	{ "POST", "/api/logout", api_auth_logout, HTTP_AUTH_SESSION, 0, 0 },
	{ "GET", "/api/me", api_auth_me, HTTP_AUTH_SESSION, 0, 0 },
	{ "GET", "/token", api_token, HTTP_AUTH_SESSION, 0, 0 },
	{ "GET", "/api/calls/*", api_calls_get, HTTP_AUTH_SESSION, 0, 0 },
	{ "POST", "/api/calls/*/hold", api_calls_hold, HTTP_AUTH_SESSION, 0,
	    0 },
	{ "POST", "/api/calls/*/unhold", api_calls_unhold, HTTP_AUTH_SESSION, 0,
	    0 },
	/* "me" before "*": the first matching route wins. */
	{ "PUT", "/api/agents/me/status", agents_status_me, HTTP_AUTH_SESSION,
	    0, 0 },
	{ "PUT", "/api/agents/*/status", agents_status_other, HTTP_AUTH_SESSION,
	    0, 0 },
	{ "GET", "/api/agents", agents_list, HTTP_AUTH_SUPERVISOR, 0, 0 },
	{ "GET", "/api/events", events_handler, HTTP_AUTH_SESSION, 0, 0 },
	/* Last: the softphone's files and page paths (webui.h). */
	{ "GET", HTTP_FALLBACK, webui_serve, HTTP_AUTH_NONE, 0,
	    HTTP_RUN_INLINE },
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
