/*
 * Outbound calls from the softphone: /twilio/voice/outbound and the
 * callee's disclaimer.  See include/calls/outbound.h and docs/call-flows.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "callflow.h"
#include "db.h"
#include "hold.h"
#include "http.h"
#include "log.h"
#include "outbound.h"
#include "phone.h"
#include "status.h"
#include "store_call.h"
#include "store_callbacks.h"
#include "store_outbound.h"
#include "twiml.h"
#include "twparam.h"
#include "util.h"
#include "voice.h"

#define URL_MAX 2048
#define DIAL_TIMEOUT "30"

static const char not_agent[] =
    "Desculpe, este ramal não está autorizado a fazer ligações. "
    "Entre em contato com o administrador.";
static const char db_down[] =
    "Desculpe, não foi possível completar a sua ligação agora. "
    "Por favor, tente novamente em instantes.";
static const char no_caller_id[] =
    "Desculpe, não há um número de origem configurado para as suas "
    "ligações. Entre em contato com o administrador.";
static const char no_to[] = "Nenhum número foi discado.";
static const char msg_busy[] = "O número chamado está ocupado.";
static const char msg_no_answer[] = "O número chamado não atendeu.";
static const char msg_failed[] = "Não foi possível completar a ligação.";

static void
refuse(struct twiml *t, const char *text)
{
	callflow_say(t, text);
	twiml_leaf(t, "Hangup", NULL, NULL);
}

/* The <Dial> action of ?step=done. */
static int
dial_done(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	const char *status = form_get(f, "DialCallStatus");
	struct db_conn *c;
	struct twiml t;

	if (status == NULL || status[0] == '\0' || strlen(status) > 32)
		status = "unknown";
	twiml_init(&t);
	c = db_acquire();
	if (c != NULL && twparam_sid(form_get(f, "CallSid"), "CA")) {
		if (store_outbound_dial_done(c, form_get(f, "AccountSid"),
			form_get(f, "CallSid"), status) == DB_FOREIGN) {
			/* another tenant's call (logged): nothing to say */
			db_release(c);
			callflow_refused(&t);
			return callflow_reply(r, &t, db_down);
		}
		if (hold_answer_conference(c, cfg, f, &t) == 1) {
			db_release(c);
			return callflow_reply(r, &t, db_down);
		}
	}
	db_release(c);
	log_kv(LOG_INFO, "outbound call ended", "dial_status", status, NULL);
	if (strcmp(status, "busy") == 0)
		callflow_say(&t, msg_busy);
	else if (strcmp(status, "no-answer") == 0)
		callflow_say(&t, msg_no_answer);
	else if (strcmp(status, "failed") == 0)
		callflow_say(&t, msg_failed);
	twiml_leaf(&t, "Hangup", NULL, NULL);
	return callflow_reply(r, &t, db_down);
}

/* Has s a letter or '_': a bare identity rather than a number. */
static int
looks_like_identity(const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    *s == '_')
			return 1;
	return 0;
}

int
outbound_voice(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	const char *step = http_req_query(r, "step");
	const char *account = form_get(f, "AccountSid");
	const char *call_sid = form_get(f, "CallSid");
	const char *from = form_get(f, "From");
	const char *to = form_get(f, "To");
	const char *identity = NULL, *callee = NULL, *why = NULL, *caller_id;
	char e164[PHONE_E164_MAX], action[URL_MAX], rec[URL_MAX],
	    status_cb[URL_MAX], disc[URL_MAX], q[64], received_at[32],
	    speech[256], client_from[140], line[PHONE_E164_MAX];
	struct store_outbound_agent a;
	struct store_outbound_call oc;
	struct db_conn *c = NULL;
	struct twiml t;
	enum db_result res;
	const char *call_status = form_get(f, "CallStatus");
	int st_rank;

	if (step != NULL && strcmp(step, "done") == 0)
		return dial_done(r);
	util_rfc3339_now(received_at, sizeof(received_at));
	e164[0] = '\0';
	twiml_init(&t);
	if (from != NULL && strncmp(from, "client:", 7) == 0 &&
	    twparam_identity(from + 7))
		identity = from + 7;
	if (identity == NULL || !twparam_sid(call_sid, "CA")) {
		log_kv(LOG_WARN, "outbound call refused: not from a softphone",
		    "from", from, NULL);
		refuse(&t, not_agent);
		return callflow_reply(r, &t, db_down);
	}
	if ((c = db_acquire()) == NULL) {
		log_kv(LOG_ERROR, "outbound call refused: database unavailable",
		    "agent", identity, NULL);
		refuse(&t, db_down);
		return callflow_reply(r, &t, db_down);
	}
	res = store_outbound_agent(c, account, identity, &a);
	if (res == DB_NOTFOUND || (res == DB_OK && a.disabled)) {
		log_kv(LOG_WARN,
		    "outbound call refused: unknown or disabled agent", "agent",
		    identity, NULL);
		refuse(&t, not_agent);
		goto out;
	}
	if (res != DB_OK)
		goto down;

	/* Whom to call: another agent, or a number. */
	if (to == NULL || to[0] == '\0') {
		refuse(&t, no_to);
		goto out;
	}
	if (strncmp(to, "client:", 7) == 0)
		callee = to + 7;
	else if (looks_like_identity(to))
		callee = to;
	if (callee == NULL &&
	    phone_normalize(to, e164, sizeof(e164), NULL, &why) != 0 &&
	    twparam_identity(to)) {
		/* digits only, yet no number: perhaps an extension */
		res = store_outbound_client(c, account, to);
		if (res == DB_OK)
			callee = to;
		else if (res != DB_NOTFOUND)
			goto down;
	}
	if (callee != NULL) {
		res = twparam_identity(callee)
		    ? store_outbound_client(c, account, callee)
		    : DB_NOTFOUND;
		if (res == DB_NOTFOUND || strcmp(callee, identity) == 0) {
			log_kv(LOG_INFO, "outbound call: no such agent", "to",
			    to, NULL);
			refuse(&t,
			    "Desculpe, não há um ramal ativo com esse nome.");
			goto out;
		}
		if (res != DB_OK)
			goto down;
	} else if (e164[0] == '\0') {
		log_kv(LOG_INFO, "outbound call: invalid number", "to", to,
		    "why", why, NULL);
		snprintf(speech, sizeof(speech),
		    "Número inválido: %s. Verifique o número e tente de novo.",
		    why ? why : "formato desconhecido");
		refuse(&t, speech);
		goto out;
	}

	caller_id = NULL;
	/* A call back (docs/alerts.md): the number the caller had called. */
	if (callee == NULL &&
	    store_callbacks_line(c, account, form_get(f, "Callback"), e164,
		line, sizeof(line)) == DB_OK)
		caller_id = line;
	else if (callee == NULL) {
		if (a.did[0] != '\0')
			caller_id = a.did;
		else if (a.caller_id[0] != '\0')
			caller_id = a.caller_id;
		else if (cfg->twilio_caller_id != NULL &&
		    cfg->twilio_account_sid != NULL &&
		    strcmp(account, cfg->twilio_account_sid) == 0)
			caller_id = cfg->twilio_caller_id;
		if (caller_id == NULL) {
			log_kv(LOG_WARN,
			    "outbound call refused: no caller ID (no DID, no "
			    "tenants.caller_id, no TWILIO_CALLER_ID)",
			    "agent", identity, NULL);
			refuse(&t, no_caller_id);
			goto out;
		}
	}

	/* The row first, committed: then the answer. */
	st_rank = status_rank(call_status);
	if (st_rank < 0 || st_rank > 3) {
		call_status = "ringing";
		st_rank = 2;
	}
	snprintf(client_from, sizeof(client_from), "client:%s",
	    callee ? callee : "");
	oc.account_sid = account;
	oc.call_sid = call_sid;
	oc.from = caller_id ? caller_id : from;
	oc.to = callee ? client_from : e164;
	oc.agent_user_id = a.id;
	oc.caller_id = caller_id;
	oc.dialled = to;
	oc.bridge = callee ? "client" : "outbound";
	oc.status = call_status;
	oc.rank = st_rank;
	oc.received_at = received_at;
	res = store_outbound_call(c, &oc);
	if (res == DB_FOREIGN) {
		/* another tenant's CallSid: logged by the store */
		refuse(&t, not_agent);
		goto out;
	}
	if (res != DB_OK)
		goto down;

	if (callflow_url(action, sizeof(action), cfg, "%s%s",
		PATH_VOICE_OUTBOUND, "?step=done") != 0 ||
	    callflow_url(rec, sizeof(rec), cfg, "%s", PATH_RECORDING) != 0 ||
	    callflow_url(status_cb, sizeof(status_cb), cfg, "%s",
		PATH_STATUS) != 0)
		goto down;
	twiml_open(&t, "Dial", "action", action, "method", "POST", "timeout",
	    DIAL_TIMEOUT, "answerOnBridge", "true", "record",
	    "record-from-answer-dual", "recordingStatusCallback", rec,
	    "recordingStatusCallbackMethod", "POST",
	    "recordingStatusCallbackEvent", "completed absent", "callerId",
	    caller_id, NULL);
	if (callee != NULL) {
		/* From stays client:<identity>: no callerId for a Client */
		twiml_open(&t, "Client", "statusCallback", status_cb,
		    "statusCallbackMethod", "POST", "statusCallbackEvent",
		    "initiated ringing answered completed", NULL);
		twiml_leaf(&t, "Identity", callee, NULL);
		twiml_close(&t);
		log_kv(LOG_INFO, "outbound call to an agent", "agent", identity,
		    "to", callee, NULL);
	} else {
		/* caller_id is +digits: %2B keeps the + through the query */
		snprintf(q, sizeof(q), "?caller=%%2B%s", caller_id + 1);
		if (callflow_url(disc, sizeof(disc), cfg, "%s%s",
			PATH_VOICE_DISCLAIMER, q) != 0)
			goto down;
		twiml_leaf(&t, "Number", e164, "url", disc, "method", "POST",
		    "statusCallback", status_cb, "statusCallbackMethod", "POST",
		    "statusCallbackEvent",
		    "initiated ringing answered completed", NULL);
		log_kv(LOG_INFO, "outbound call", "agent", identity, "to", e164,
		    "caller_id", caller_id, NULL);
	}
	twiml_close(&t);
	goto out;

down:
	log_kv(LOG_ERROR, "outbound call refused: database error", "agent",
	    identity, NULL);
	twiml_cleanup(&t);
	twiml_init(&t);
	refuse(&t, db_down);
out:
	db_release(c);
	return callflow_reply(r, &t, db_down);
}

int
outbound_disclaimer(struct http_req *r)
{
	const char *caller = http_req_query(r, "caller");
	const char *account = form_get(http_req_form(r), "AccountSid");
	struct store_number num;
	struct db_conn *c;
	struct twiml t;
	int have = 0;

	memset(&num, 0, sizeof(num));
	twiml_init(&t);
	if (caller != NULL && (c = db_acquire()) != NULL) {
		have = store_call_number(c, account, caller, &num) == DB_OK;
		db_release(c);
	}
	if (voice_disclaimer(&t, have ? &num : NULL) == 0)
		twiml_leaf(&t, "Pause", NULL, "length", "1", NULL);
	store_number_cleanup(&num);
	return callflow_reply(r, &t, db_down);
}

/*
 * Degraded answers (the routes' .degraded): the request's signature
 * cannot be checked, so nothing is read or stored.  The agent hears that
 * the call cannot be placed now (an <Enqueue> would queue the agent as a
 * customer); the callee hears the default disclaimer, which the recorded
 * bridge needs and a Number url document allows.
 */
int
outbound_degraded(struct http_req *r)
{
	const char *step = http_req_query(r, "step");
	struct twiml t;

	twiml_init(&t);
	if (step != NULL && strcmp(step, "done") == 0)
		twiml_leaf(&t, "Hangup", NULL, NULL);
	else
		refuse(&t, db_down);
	return callflow_reply(r, &t, db_down);
}

int
outbound_disclaimer_degraded(struct http_req *r)
{
	struct twiml t;

	twiml_init(&t);
	voice_disclaimer(&t, NULL);
	return callflow_reply(r, &t, db_down);
}
