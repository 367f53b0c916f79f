#ifndef RAMAL_OUTBOUND_H
#define RAMAL_OUTBOUND_H

struct http_req;

/*
 * Outbound calls from the softphone (docs/call-flows.md, "Outbound").
 * Handlers are called by the HTTP core after the Twilio signature check;
 * thread-safe.
 */

/*
 * POST /twilio/voice/outbound — the TwiML App's VoiceUrl, requested when
 * a softphone calls device.connect({params: {To}}).  From must be
 * client:<identity> of an enabled agent of the signing account, else a
 * pt-BR refusal and <Hangup/>.  To is a phone number (normalised to E.164
 * by phone_normalize; refused with a spoken reason when invalid), or
 * client:<identity> / a bare identity of another agent of the tenant
 * (agent to agent, <Dial><Client>).  A number is dialled with the
 * agent's own DID as callerId, else the tenant's caller_id, else
 * TWILIO_CALLER_ID; the callee hears the disclaimer of that number
 * (<Number url=/twilio/voice/disclaimer>) before the bridge; the call is
 * recorded dual-channel.  The agent's calls row (direction outbound) is
 * committed before the answer.  Without the database: a spoken apology
 * and <Hangup/>, never a 5xx.
 *
 * ?step=done is the <Dial> action: <Dial><Conference> when a hold moved
 * the call into its conference (hold.c), else a short pt-BR message for
 * busy / no-answer / failed, and <Hangup/>.
 */
int outbound_voice(struct http_req *r);

/*
 * POST /twilio/voice/disclaimer[?caller=<E.164>] — the url of the
 * outbound <Number>: what the callee hears after answering and before
 * the bridge, the recording disclaimer of the caller ID's number (the
 * default one when unknown or without the database).
 */
int outbound_disclaimer(struct http_req *r);

/*
 * The degraded answers of /twilio/voice/outbound and /disclaimer (their
 * routes' .degraded): what is answered when the request's signature
 * cannot be checked (a subaccount's key while the database is down).
 * They read and store nothing.  outbound: the spoken apology that the
 * call cannot be placed now and <Hangup/> (?step=done: <Hangup/>);
 * disclaimer: the default disclaimer, to the callee, before the bridge.
 */
int outbound_degraded(struct http_req *r);
int outbound_disclaimer_degraded(struct http_req *r);

#endif
