/*
 * Twilio voice webhooks.
 */
#include <stdio.h>
#include <string.h>

#include "form.h"
#include "http.h"
#include "log.h"
#include "twiml.h"
#include "util.h"
#include "voice.h"

#define VOICE_LANG "pt-BR"
#define VOICE_NAME "Polly.Camila"

static const char fallback_sorry[] =
    "Desculpe, não conseguimos completar o seu atendimento agora. "
    "Por favor, deixe o seu nome, telefone e mensagem após o sinal, "
    "e retornaremos o contato.";
static const char fallback_nothing[] =
    "Não recebemos a sua mensagem. Por favor, ligue novamente mais tarde.";
static const char fallback_thanks[] =
    "Obrigado. A sua mensagem foi registrada e retornaremos em breve. "
    "Até logo.";

static int
reply(struct http_req *r, struct twiml *t)
{
	size_t len;
	char *doc = twiml_finish(t, &len);

	twiml_cleanup(t);
	if (doc == NULL)
		return -1;
	return http_reply_twiml(r, doc, len);
}

int
voice_fallback(struct http_req *r)
{
	const struct form *f = http_req_form(r);
	const char *step = http_req_query(r, "step");
	struct twiml t;
	char action[512];

	twiml_init(&t);
	if (step != NULL && strcmp(step, "recorded") == 0) {
		log_kv(LOG_INFO, "fallback message recorded", "recording",
		    form_get(f, "RecordingSid"), "duration",
		    form_get(f, "RecordingDuration"), NULL);
		twiml_leaf(&t, "Say", fallback_thanks, "language", VOICE_LANG,
		    "voice", VOICE_NAME, NULL);
		twiml_leaf(&t, "Hangup", NULL, NULL);
		return reply(r, &t);
	}
	log_kv(LOG_WARN, "voice fallback answered", "from", form_get(f, "From"),
	    "to", form_get(f, "To"), "error_code", form_get(f, "ErrorCode"),
	    "error_url", form_get(f, "ErrorUrl"), NULL);
	snprintf(action, sizeof(action),
	    "%s/twilio/voice/fallback?step=recorded",
	    http_req_config(r)->base_url);
	twiml_leaf(&t, "Say", fallback_sorry, "language", VOICE_LANG, "voice",
	    VOICE_NAME, NULL);
	twiml_leaf(&t, "Record", NULL, "action", action, "method", "POST",
	    "maxLength", "120", "timeout", "10", "finishOnKey", "#", "playBeep",
	    "true", NULL);
	twiml_leaf(&t, "Say", fallback_nothing, "language", VOICE_LANG, "voice",
	    VOICE_NAME, NULL);
	twiml_leaf(&t, "Hangup", NULL, NULL);
	return reply(r, &t);
}
