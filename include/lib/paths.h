#ifndef RAMAL_PATHS_H
#define RAMAL_PATHS_H

/*
 * Every path ramal serves, named once.  routes.c maps them to handlers;
 * handlers use them to build the URLs they give Twilio (action, url,
 * statusCallback), the CLI to play Twilio's side.  A "*" segment matches
 * one path segment (http.h).
 */

/* Probes and metrics. */
#define PATH_HEALTHZ "/healthz"
#define PATH_READYZ "/readyz"
#define PATH_METRICS "/metrics"

/* Twilio's webhooks and callbacks (docs/call-flows.md). */
#define PATH_TWILIO "/twilio" /* the prefix of all below */
#define PATH_VOICE_INBOUND "/twilio/voice/inbound"
#define PATH_VOICE_WHISPER "/twilio/voice/whisper"
#define PATH_VOICE_OVERFLOW "/twilio/voice/overflow"
#define PATH_VOICE_QUEUE_WAIT "/twilio/voice/queue-wait"
#define PATH_VOICE_QUEUE_EXIT "/twilio/voice/queue-exit"
#define PATH_VOICE_VOICEMAIL "/twilio/voice/voicemail"
#define PATH_VOICE_FALLBACK "/twilio/voice/fallback"
#define PATH_VOICE_OUTBOUND "/twilio/voice/outbound"
#define PATH_VOICE_DISCLAIMER "/twilio/voice/disclaimer"
#define PATH_VOICE_HOLD "/twilio/voice/hold"
#define PATH_STATUS "/twilio/status"
#define PATH_RECORDING "/twilio/recording"
#define PATH_CONFERENCE "/twilio/conference"
#define PATH_TR_ASSIGNMENT "/twilio/taskrouter/assignment"
#define PATH_TR_EVENTS "/twilio/taskrouter/events"
/* Not a URL: the spool route of an assignment recorded after its answer. */
#define PATH_TR_ASSIGNMENT_RECORD "/twilio/taskrouter/assignment/record"

/* The softphone's and the app's API (docs/api.md). */
#define PATH_TOKEN "/token"
#define PATH_API "/api" /* the prefix of all below */
#define PATH_API_LOGIN "/api/login"
#define PATH_API_LOGOUT "/api/logout"
#define PATH_API_ME "/api/me"
#define PATH_API_CALL "/api/calls/*"
#define PATH_API_CALL_HOLD "/api/calls/*/hold"
#define PATH_API_CALL_UNHOLD "/api/calls/*/unhold"
#define PATH_API_AGENT_ME_STATUS "/api/agents/me/status"
#define PATH_API_AGENT_ME_WRAPUP_END "/api/agents/me/wrapup/end"
#define PATH_API_AGENT_STATUS "/api/agents/*/status"
#define PATH_API_AGENTS "/api/agents"
#define PATH_API_EVENTS "/api/events"
#define PATH_API_EVENTS_TICKET "/api/events/ticket"
#define PATH_API_ADMIN_NUMBERS "/api/admin/numbers"
#define PATH_API_ADMIN_NUMBERS_SEARCH "/api/admin/numbers/search"
#define PATH_API_ADMIN_NUMBER "/api/admin/numbers/*"
/* Alerts and the callback list (docs/alerts.md). */
#define PATH_API_ALERTS "/api/alerts"
#define PATH_API_ADMIN_ALERT_RULES "/api/admin/alert-rules"
#define PATH_API_CALLBACKS "/api/callbacks"
#define PATH_API_CALLBACKS_NEXT "/api/callbacks/next"
#define PATH_API_CALLBACK_ASSIGN "/api/callbacks/*/assign"
#define PATH_API_CALLBACK_CLOSE "/api/callbacks/*/close"

#endif
