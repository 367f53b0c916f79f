/*
 * Twilio voice webhooks: the inbound call, end to end.  See
 * include/calls/voice.h and docs/call-flows.md.
 *
 * Each handler that stores something does it through an apply_*()
 * function that takes the Twilio parameters (f) and the route's query
 * parameters (q, plus anything the handler decided that replay must
 * know), so the live request and the replay of a spooled one store the
 * same thing.  A spooled event's body is the raw Twilio body followed by
 * the q pairs, each name prefixed with "_q." (Twilio never sends a name
 * starting with '_').
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "paths.h"
#include "callflow.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "hold.h"
#include "log.h"
#include "spool.h"
#include "status.h"
#include "store_call.h"
#include "twiml.h"
#include "twparam.h"
#include "util.h"
#include "voice.h"

#define URL_MAX 2048
#define SPEECH_MAX 512
#define SPOOL_Q_PREFIX "_q."
#define MAX_SPOOLED_PAIRS 512
#define MAX_QUERY_PAIRS 64

static const char default_disclaimer[] =
    "Esta ligação poderá ser gravada para fins de qualidade.";
static const char unknown_number[] =
    "Desculpe, este número não está configurado para receber ligações. "
    "Por favor, verifique o número e ligue novamente.";
static const char vm_prompt[] =
    "No momento, nossos atendentes não podem atender. Por favor, deixe o "
    "seu nome, telefone e mensagem após o sinal. Para terminar, pressione "
    "a tecla sustenido ou desligue.";
static const char vm_nothing[] =
    "Não recebemos a sua mensagem. Por favor, ligue novamente mais tarde. "
    "Até logo.";
static const char vm_disabled[] =
    "Desculpe, no momento não podemos atender e esta linha não recebe "
    "mensagens. Por favor, ligue novamente mais tarde.";
static const char vm_thanks[] =
    "Obrigado. A sua mensagem foi registrada e retornaremos em breve. "
    "Até logo.";
static const char queue_leave[] =
    "Nossos atendentes continuam ocupados. Vamos encaminhar você para a "
    "caixa de mensagens.";
static const char queue_please_wait[] =
    "Por favor, aguarde: em breve você será atendido.";
static const char bridge_failed[] =
    "Não foi possível conectar esta ligação da fila.";
static const char fallback_sorry[] =
    "Desculpe, não conseguimos completar o seu atendimento agora. "
    "Por favor, deixe o seu nome, telefone e mensagem após o sinal, "
    "e retornaremos o contato.";
static const char fallback_hold[] =
    "Um momento, por favor. Vamos transferir a sua ligação para um de "
    "nossos atendentes.";
static const char fallback_nothing[] =
    "Não recebemos a sua mensagem. Por favor, ligue novamente mais tarde.";
static const char fallback_thanks[] =
    "Obrigado. A sua mensagem foi registrada e retornaremos em breve. "
    "Até logo.";

/* ---- small helpers ---- */

/* A non-negative decimal of at most max_digits digits. */
static int
valid_count(const char *s, size_t max_digits)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return n >= 1 && n <= max_digits && strspn(s, "0123456789") == n;
}

/* s as an integer when it is a count of at most 12 digits, else def. */
static long
count_or(const char *s, long def)
{
	return valid_count(s, 12) ? atol(s) : def;
}

static int
is_one_of(const char *s, const char *const *list)
{
	if (s == NULL)
		return 0;
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* Append s percent-encoded (RFC 3986 unreserved kept) to b.  0 / -1. */
static int
pct_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;

		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~')
			rc = buf_addc(b, (char)*p);
		else
			rc =
			    buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/*
 * The caller's number as a pt-BR voice should read it: a Brazilian
 * number as "DDD 1 1, 9 8 7 6 5, 4 3 2 1", any other digit by digit.
 */
static void
speak_number(const char *num, char *out, size_t outlen)
{
	struct buf b;
	const char *d;
	size_t n, split;

	out[0] = '\0';
	if (num == NULL || *num == '\0' || strcasestr(num, "anonymous") ||
	    strcasestr(num, "restricted") || strcasestr(num, "unknown") ||
	    strcmp(num, "+266696687") == 0) {
		snprintf(out, outlen, "número não identificado");
		return;
	}
	if (strncmp(num, "client:", 7) == 0) {
		snprintf(out, outlen, "ramal %s", num + 7);
		return;
	}
	d = num[0] == '+' ? num + 1 : num;
	n = strlen(d);
	if (n == 0 || strspn(d, "0123456789") != n || n > 20) {
		snprintf(out, outlen, "número não identificado");
		return;
	}
	buf_init(&b, outlen - 1);
	if (num[0] == '+' && strncmp(d, "55", 2) == 0 && (n == 12 || n == 13)) {
		/* +55 DDD then 8 (landline) or 9 (mobile) digits */
		d += 2;
		n -= 2;
		split = n - 4;
		buf_printf(&b, "DDD %c %c,", d[0], d[1]);
		for (size_t i = 2; i < n; i++)
			buf_printf(&b, "%s%c", i == split ? ", " : " ", d[i]);
	} else {
		for (size_t i = 0; i < n; i++)
			buf_printf(&b, "%s%c", i ? " " : "", d[i]);
	}
	snprintf(out, outlen, "%s", buf_cstr(&b));
	buf_cleanup(&b);
}

/* ---- replies ---- */

/* The number's disclaimer; the default one when num is NULL. */
static int
emit_disclaimer(struct twiml *t, const struct store_number *num)
{
	if (num == NULL) {
		callflow_say(t, default_disclaimer);
		return 1;
	}
	if (num->disclaimer_audio_url != NULL &&
	    num->disclaimer_audio_url[0] != '\0') {
		twiml_leaf(t, "Play", num->disclaimer_audio_url, NULL);
		return 1;
	}
	if (num->disclaimer_text != NULL && num->disclaimer_text[0] == '\0')
		return 0; /* explicitly none */
	twiml_leaf(t, "Say",
	    num->disclaimer_text ? num->disclaimer_text : default_disclaimer,
	    "language", num->disclaimer_language, "voice",
	    num->disclaimer_voice, NULL);
	return 1;
}

/*
 * The voicemail prompt and <Record>, or an apology when the number takes
 * no voicemail.
 */
static int
emit_voicemail(struct twiml *t, const struct config *cfg, int enabled)
{
	char action[URL_MAX], cb[URL_MAX];

	if (!enabled) {
		callflow_say(t, vm_disabled);
		twiml_leaf(t, "Hangup", NULL, NULL);
		return 0;
	}
	if (callflow_url(action, sizeof(action), cfg, "%s?step=done",
		PATH_VOICE_VOICEMAIL) != 0 ||
	    callflow_url(cb, sizeof(cb), cfg, "%s", PATH_RECORDING) != 0)
		return -1;
	callflow_say(t, vm_prompt);
	twiml_leaf(t, "Record", NULL, "action", action, "method", "POST",
	    "maxLength", "120", "timeout", "10", "finishOnKey", "#", "playBeep",
	    "true", "recordingStatusCallback", cb,
	    "recordingStatusCallbackMethod", "POST",
	    "recordingStatusCallbackEvent", "completed absent", NULL);
	callflow_say(t, vm_nothing);
	twiml_leaf(t, "Hangup", NULL, NULL);
	return 0;
}

/* What TaskRouter and the agents learn about a queued call. */
struct queue_task {
	const char *call_sid;
	const char *from;
	const char *to;
	const char *label;
	const char *agent; /* the dedicated agent, NULL when none */
	const char *account_sid;
	const char *reason;
	const char *dial_status;
};

/*
 * <Enqueue workflowSid> with the task's attributes, or voicemail when no
 * workflow is configured.  Returns 1 when it chose voicemail.
 */
static int
emit_queue(struct twiml *t, const struct config *cfg,
    const struct queue_task *task, int voicemail_enabled)
{
	char action[URL_MAX], wait[URL_MAX];
	json_t *attrs;
	char *body;

	if (cfg->twilio_workflow_sid == NULL) {
		log_kv(LOG_WARN,
		    "TWILIO_WORKFLOW_SID is not set: caller sent to voicemail "
		    "instead of the queue",
		    "reason", task->reason, NULL);
		emit_voicemail(t, cfg, voicemail_enabled);
		return 1;
	}
	if (callflow_url(action, sizeof(action), cfg, PATH_VOICE_QUEUE_EXIT) !=
		0 ||
	    callflow_url(wait, sizeof(wait), cfg, PATH_VOICE_QUEUE_WAIT) != 0) {
		emit_voicemail(t, cfg, voicemail_enabled);
		return 1;
	}
	/*
	 * dedicated_agent is always a string, "" when the line has no owner:
	 * the workflow routes on dedicated_agent != '' (provision.c), and
	 * TaskRouter's expressions know string, number and boolean constants,
	 * not null.
	 */
	attrs = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:s?}",
	    "type", "inbound", "call_sid", task->call_sid, "from", task->from,
	    "to", task->to, "line", task->label, "dedicated_agent",
	    task->agent != NULL ? task->agent : "", "account_sid",
	    task->account_sid, "reason", task->reason);
	if (attrs != NULL && task->dial_status != NULL)
		json_object_set_new(attrs, "dial_status",
		    json_string(task->dial_status));
	body = attrs ? json_dumps(attrs, JSON_COMPACT) : NULL;
	json_decref(attrs);
	twiml_open(t, "Enqueue", "workflowSid", cfg->twilio_workflow_sid,
	    "action", action, "method", "POST", "waitUrl", wait,
	    "waitUrlMethod", "POST", NULL);
	twiml_leaf(t, "Task", body ? body : "{}", NULL);
	twiml_close(t);
	free(body);
	return 0;
}

/* ---- the database, fail-fast within one request ---- */

/*
 * Forget the connection once it failed: the rest of the request answers
 * without the database instead of waiting on it again.
 */
static void
note_result(struct db_conn **c, enum db_result res)
{
	if (*c != NULL && res == DB_UNAVAILABLE) {
		db_release(*c);
		*c = NULL;
	}
}

/* What a database answer means for an event being stored. */
static enum outcome
stored(enum db_result res, const char *what)
{
	switch (res) {
	case DB_OK:
		return OUTCOME_DONE;
	case DB_NOTFOUND:
		log_kv(LOG_WARN, "not stored: unknown account", "what", what,
		    NULL);
		return OUTCOME_NEVER;
	case DB_INVALID:
	case DB_CONFLICT:
		log_kv(LOG_WARN, "not stored: invalid data", "what", what,
		    NULL);
		return OUTCOME_NEVER;
	case DB_FOREIGN: /* another tenant's call: logged by the store */
		return OUTCOME_REFUSED;
	default:
		return OUTCOME_LATER;
	}
}

/*
 * The route's query parameters as a form (for apply_* and the spool),
 * plus the extra pairs name, value, ..., NULL.
 */
__attribute__((sentinel)) static void
query_form(struct http_req *r, struct form *q, ...)
{
	const char *raw = http_req_rawquery(r);
	const char *n, *v;
	va_list ap;

	form_init(q);
	/* The core parsed this query already, so it cannot fail here. */
	if (form_parse(q, raw, strlen(raw), MAX_QUERY_PAIRS) != 0)
		form_cleanup(q);
	va_start(ap, q);
	while ((n = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v != NULL)
			form_add(q, n, v);
	}
	va_end(ap);
}

/*
 * Keep what this request would have stored, to be stored by the
 * route's replay (voice_*_replay) once the database answers.  0 / -1
 * (logged).
 */
static int
spool(struct http_req *r, const char *route, const char *received_at,
    const struct form *q)
{
	struct buf b;
	const char *body;
	size_t len;
	int rc = -1;

	body = http_req_body(r, &len);
	buf_init(&b, HTTP_BODY_MAX_TWILIO + 8192);
	if (buf_add(&b, body, len) != 0)
		goto out;
	for (size_t i = 0; i < q->n; i++) {
		if ((b.len > 0 && buf_addc(&b, '&') != 0) ||
		    buf_addstr(&b, SPOOL_Q_PREFIX) != 0 ||
		    pct_encode(&b, q->v[i].name) != 0 || buf_addc(&b, '=') ||
		    pct_encode(&b, q->v[i].value) != 0)
			goto out;
	}
	rc = spool_put(route, received_at, buf_cstr(&b), b.len);
out:
	if (rc == 0)
		log_kv(LOG_WARN, "voice webhook spooled: database unavailable",
		    "route", route, NULL);
	else
		log_kv(LOG_ERROR,
		    "voice webhook could not be spooled: its data "
		    "is lost",
		    "route", route, NULL);
	buf_cleanup(&b);
	return rc;
}

/* ---- what each route stores (live and replayed alike) ---- */

static const char *const routings[] = { "dedicated", "queue", "voicemail",
	"unknown-number", NULL };

/* The caller's leg from the inbound webhook's parameters. */
static void
inbound_fields(const struct form *f, const char *received_at,
    struct store_call_inbound *in)
{
	memset(in, 0, sizeof(*in));
	in->account_sid = form_get(f, "AccountSid");
	in->call_sid = form_get(f, "CallSid");
	in->from = form_get(f, "From");
	in->to = form_get(f, "To");
	in->status = form_get(f, "CallStatus");
	in->rank = status_rank(in->status);
	if (in->rank > 3)
		in->rank = -1; /* a final status is the callbacks' to tell */
	in->received_at = received_at;
}

/* A <Parameter> of a <Client> (the SDK's customParameters), if any. */
static void
client_param(struct twiml *t, const char *name, const char *value)
{
	if (value != NULL && value[0] != '\0')
		twiml_leaf(t, "Parameter", NULL, "name", name, "value", value,
		    NULL);
}

/* The routing voice_inbound_number stored for this number. */
static const char *
stored_routing(const struct store_number *num, const struct config *cfg,
    const char *to)
{
	if (num->id == 0 || to == NULL)
		return "unknown-number";
	if (num->owner_identity != NULL && num->owner_available)
		return "dedicated";
	return cfg->twilio_workflow_sid != NULL ? "queue" : "voicemail";
}

static enum outcome
apply_inbound(struct db_conn *c, const struct form *f, const struct form *q,
    const char *received_at)
{
	struct store_call_inbound in;
	enum db_result res;

	inbound_fields(f, received_at, &in);
	in.routing = form_get(q, "routing");
	in.disclaimer_played = form_get(q, "disclaimer") != NULL &&
	    strcmp(form_get(q, "disclaimer"), "1") == 0;
	if (!twparam_sid(in.call_sid, "CA") || !is_one_of(in.routing, routings))
		return stored(DB_INVALID, "inbound call");
	if (c == NULL)
		return OUTCOME_LATER;
	res = store_call_inbound(c, &in);
	return stored(res, "inbound call");
}

/*
 * The agent's leg of a TaskRouter `call` instruction: its row, from the
 * whisper, the first request on that leg (the instruction's status
 * callback reports only `completed`).  A db_result.
 */
static enum db_result
whisper_leg(struct db_conn *c, const struct form *f, const char *received_at,
    int replayed)
{
	struct store_call_status st;
	char *json = twparam_json(f);
	enum db_result res;

	if (json == NULL)
		return DB_INVALID;
	memset(&st, 0, sizeof(st));
	st.account_sid = form_get(f, "AccountSid");
	st.call_sid = form_get(f, "CallSid");
	st.direction = form_get(f, "Direction");
	st.from = form_get(f, "From");
	st.to = form_get(f, "To");
	st.status = form_get(f, "CallStatus");
	st.rank = status_rank(st.status);
	if (st.rank < 0 || st.rank > 3) {
		/* the leg answered: Twilio fetches the url only then */
		st.status = "in-progress";
		st.rank = status_rank(st.status);
	}
	st.sequence = -1;
	st.event_time = received_at;
	res = store_call_status(c, &st, PATH_VOICE_WHISPER, received_at, json,
	    replayed);
	free(json);
	return res;
}

/*
 * The whisper's marks on the caller's call: the agent (To client:<id>) and
 * the reservation; for a queue leg also the leg's own row.  *from and
 * *label (free()) get what the row knows.
 */
static enum outcome
apply_whisper(struct db_conn *c, const struct form *f, const struct form *q,
    const char *received_at, int replayed, char **from, char **label,
    char caller[35])
{
	const char *account = form_get(f, "AccountSid");
	const char *to = form_get(f, "To");
	const char *reason = form_get(q, "reason");
	const char *res_sid = form_get(q, "reservation");
	const char *task_sid = form_get(q, "task");
	const char *call = form_get(q, "call");
	const char *n = form_get(q, "n");
	const char *leg = form_get(f, "CallSid"); /* the agent's own leg */
	const char *identity = NULL;
	enum db_result res;

	*from = NULL;
	*label = NULL;
	caller[0] = '\0';
	if (to != NULL && strncmp(to, "client:", 7) == 0 &&
	    twparam_identity(to + 7))
		identity = to + 7;
	if (!twparam_sid(res_sid, "WR"))
		res_sid = NULL;
	if (!twparam_sid(task_sid, "WT"))
		task_sid = NULL;
	if (!valid_count(n, 18))
		n = NULL;
	if (!twparam_sid(leg, "CA"))
		leg = NULL;
	if (reason != NULL && strcmp(reason, "overflow") == 0) {
		if (twparam_sid(call, "CA"))
			snprintf(caller, 35, "%s", call);
	} else {
		call = form_get(f, "ParentCallSid");
		if (twparam_sid(call, "CA"))
			snprintf(caller, 35, "%s", call);
		/* a dedicated call has no reservation */
		res_sid = NULL;
		task_sid = NULL;
	}
	if (c == NULL)
		return caller[0] != '\0' || res_sid != NULL ? 1 : -1;
	if (res_sid != NULL && leg != NULL &&
	    (res = whisper_leg(c, f, received_at, replayed)) != DB_OK)
		return stored(res, "whisper (agent leg)");
	if (caller[0] == '\0' && res_sid != NULL) {
		res =
		    store_call_by_reservation(c, account, res_sid, caller, 35);
		if (res == DB_NOTFOUND) {
			log_kv(LOG_INFO,
			    "whisper: no call with this reservation yet",
			    "reservation", res_sid, NULL);
			return OUTCOME_DONE;
		}
		if (res != DB_OK)
			return stored(res, "whisper");
	}
	if (caller[0] == '\0')
		return OUTCOME_DONE; /* nothing to mark */
	res = store_call_agent(c, account, caller, identity, res_sid, task_sid,
	    n, leg, from, label);
	return stored(res, "whisper");
}

static enum outcome
apply_dial(struct db_conn *c, const struct form *f, const struct form *q)
{
	const char *call = form_get(f, "CallSid");
	const char *status = form_get(f, "DialCallStatus");
	const char *routing = form_get(q, "routing");

	if (!twparam_sid(call, "CA"))
		return stored(DB_INVALID, "dial result");
	if (status == NULL || *status == '\0' || strlen(status) > 32)
		status = "unknown";
	if (routing != NULL && strcmp(routing, "overflow") != 0 &&
	    strcmp(routing, "voicemail") != 0)
		routing = NULL;
	if (c == NULL)
		return OUTCOME_LATER;
	return stored(store_call_dial(c, form_get(f, "AccountSid"), call,
			  form_get(f, "From"), form_get(f, "To"), status,
			  routing),
	    "dial result");
}

static enum outcome
apply_queue_exit(struct db_conn *c, const struct form *f)
{
	const char *call = form_get(f, "CallSid");
	const char *result = form_get(f, "QueueResult");
	const char *qtime = form_get(f, "QueueTime");
	const char *qsid = form_get(f, "QueueSid");

	if (!twparam_sid(call, "CA"))
		return stored(DB_INVALID, "queue result");
	if (result == NULL || *result == '\0' || strlen(result) > 32)
		result = "unknown";
	if (!valid_count(qtime, 9))
		qtime = NULL;
	if (!twparam_sid(qsid, "QU"))
		qsid = NULL;
	if (c == NULL)
		return OUTCOME_LATER;
	return stored(store_call_queue_exit(c, form_get(f, "AccountSid"), call,
			  result, qtime, qsid, strcmp(result, "hangup") == 0),
	    "queue result");
}

static enum outcome
apply_voicemail(struct db_conn *c, const struct form *f,
    const char *received_at)
{
	struct store_voicemail v;
	const char *url = form_get(f, "RecordingUrl");

	memset(&v, 0, sizeof(v));
	v.account_sid = form_get(f, "AccountSid");
	v.call_sid = form_get(f, "CallSid");
	v.to = form_get(f, "To");
	v.from = form_get(f, "From");
	v.recording_sid = form_get(f, "RecordingSid");
	if (url != NULL &&
	    (strncmp(url, "https://", 8) == 0 ||
		strncmp(url, "http://", 7) == 0))
		v.recording_url = url;
	v.duration_s = form_get(f, "RecordingDuration");
	if (!valid_count(v.duration_s, 9))
		v.duration_s = NULL;
	v.received_at = received_at;
	if (!twparam_sid(v.call_sid, "CA") ||
	    !twparam_sid(v.recording_sid, "RE"))
		return stored(DB_INVALID, "voicemail");
	if (c == NULL)
		return OUTCOME_LATER;
	return stored(store_call_voicemail(c, &v), "voicemail");
}

/* ---- the spool's replays (routes.c gives each route its own) ---- */

enum replay_kind {
	REPLAY_INBOUND,
	REPLAY_WHISPER,
	REPLAY_OVERFLOW,
	REPLAY_QUEUE_EXIT,
	REPLAY_VOICEMAIL,
	REPLAY_RECORDING,
};

/* Store one event a voice handler spooled: its body, then its query. */
static enum outcome
replay(enum replay_kind kind, const char *route, const char *received_at,
    const char *body, size_t len)
{
	struct form f, q;
	struct db_conn *c = NULL;
	char *from = NULL, *label = NULL, caller[35];
	size_t plen = strlen(SPOOL_Q_PREFIX);
	enum outcome rc = OUTCOME_NEVER;

	form_init(&f);
	form_init(&q);
	if (form_parse(&f, body, len, MAX_SPOOLED_PAIRS) != 0)
		goto out;
	for (size_t i = 0; i < f.n; i++)
		if (strncmp(f.v[i].name, SPOOL_Q_PREFIX, plen) == 0)
			form_add(&q, f.v[i].name + plen, f.v[i].value);
	log_ctx_call(form_get(&f, "CallSid"));
	c = db_acquire();
	switch (kind) {
	case REPLAY_INBOUND:
		rc = apply_inbound(c, &f, &q, received_at);
		break;
	case REPLAY_WHISPER:
		rc = apply_whisper(c, &f, &q, received_at, 1, &from, &label,
		    caller);
		break;
	case REPLAY_OVERFLOW:
		rc = apply_dial(c, &f, &q);
		break;
	case REPLAY_QUEUE_EXIT:
		rc = apply_queue_exit(c, &f);
		break;
	case REPLAY_VOICEMAIL:
		rc = apply_voicemail(c, &f, received_at);
		break;
	case REPLAY_RECORDING:
		rc = voice_recording_apply(c, &f);
		break;
	}
	if (rc == OUTCOME_DONE)
		log_kv(LOG_INFO, "spooled voice webhook stored", "route", route,
		    NULL);
	log_ctx_call(NULL);
out:
	db_release(c);
	free(from);
	free(label);
	form_cleanup(&f);
	form_cleanup(&q);
	return rc;
}

enum outcome
voice_inbound_replay(const char *route, const char *received_at,
    const char *body, size_t len)
{
	return replay(REPLAY_INBOUND, route, received_at, body, len);
}

enum outcome
voice_whisper_replay(const char *route, const char *received_at,
    const char *body, size_t len)
{
	return replay(REPLAY_WHISPER, route, received_at, body, len);
}

enum outcome
voice_overflow_replay(const char *route, const char *received_at,
    const char *body, size_t len)
{
	return replay(REPLAY_OVERFLOW, route, received_at, body, len);
}

enum outcome
voice_queue_exit_replay(const char *route, const char *received_at,
    const char *body, size_t len)
{
	return replay(REPLAY_QUEUE_EXIT, route, received_at, body, len);
}

enum outcome
voice_voicemail_replay(const char *route, const char *received_at,
    const char *body, size_t len)
{
	return replay(REPLAY_VOICEMAIL, route, received_at, body, len);
}

enum outcome
voice_recording_replay(const char *route, const char *received_at,
    const char *body, size_t len)
{
	return replay(REPLAY_RECORDING, route, received_at, body, len);
}

/* ---- handlers ---- */

int
voice_inbound(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	const char *account = form_get(f, "AccountSid");
	const char *to = form_get(f, "To");
	struct store_number num;
	struct queue_task task;
	struct db_conn *c;
	struct twiml t;
	struct form q;
	enum db_result res = DB_UNAVAILABLE;
	const char *routing;
	char received_at[32], action[URL_MAX], whisper[URL_MAX],
	    rec_cb[URL_MAX], status_cb[URL_MAX], timeout[16];
	struct store_call_inbound in;
	int have_num = 0, stored = 0, played, rc, vm;

	memset(&num, 0, sizeof(num));
	util_rfc3339_now(received_at, sizeof(received_at));
	c = NULL;
	if (twparam_sid(form_get(f, "CallSid"), "CA")) {
		/*
		 * One statement finds the number and commits the caller's
		 * row with the routing the SQL decided by the same rules as
		 * the TwiML below (see voice_inbound_number).  It shares its
		 * commit with other webhooks of the moment (db_group.h), so
		 * no connection is held here.
		 */
		inbound_fields(f, received_at, &in);
		res = store_call_inbound_number(NULL, &in,
		    cfg->twilio_workflow_sid != NULL, &num);
		have_num = res == DB_OK;
		stored = res == DB_OK || res == DB_NOTFOUND;
		if (res == DB_FOREIGN) {
			twiml_init(&t);
			callflow_refused(&t);
			goto answer;
		}
		if (!stored && res != DB_UNAVAILABLE)
			c = db_acquire(); /* to store it as apply_inbound does */
	} else if ((c = db_acquire()) != NULL && to != NULL) {
		res = store_call_number(c, account, to, &num);
		note_result(&c, res);
		have_num = res == DB_OK;
	}

	twiml_init(&t);
	if (res == DB_NOTFOUND || (c != NULL && to == NULL)) {
		log_kv(LOG_WARN, "call to a number this account does not have",
		    "account", account, "to", to, "from", form_get(f, "From"),
		    NULL);
		routing = "unknown-number";
		played = 0;
		callflow_say(&t, unknown_number);
		twiml_leaf(&t, "Hangup", NULL, NULL);
		goto store;
	}
	if (!have_num)
		log_kv(LOG_WARN,
		    "inbound call answered without the database: default "
		    "disclaimer, then the queue",
		    "to", to, NULL);
	played = emit_disclaimer(&t, have_num ? &num : NULL);
	if (have_num && num.owner_identity != NULL && num.owner_available &&
	    callflow_url(action, sizeof(action), cfg, "%s?agent=%s",
		PATH_VOICE_OVERFLOW, num.owner_identity) == 0 &&
	    callflow_url(whisper, sizeof(whisper), cfg,
		"%s?reason=dedicated&n=%lld", PATH_VOICE_WHISPER,
		num.id) == 0 &&
	    callflow_url(rec_cb, sizeof(rec_cb), cfg, PATH_RECORDING) == 0 &&
	    callflow_url(status_cb, sizeof(status_cb), cfg, PATH_STATUS) == 0) {
		routing = "dedicated";
		snprintf(timeout, sizeof(timeout), "%d", num.ring_timeout_s);
		twiml_open(&t, "Dial", "action", action, "method", "POST",
		    "timeout", timeout, "answerOnBridge", "true", "record",
		    "record-from-answer-dual", "recordingStatusCallback",
		    rec_cb, "recordingStatusCallbackMethod", "POST",
		    "recordingStatusCallbackEvent", "completed absent", NULL);
		twiml_open(&t, "Client", "url", whisper, "method", "POST",
		    "statusCallback", status_cb, "statusCallbackMethod", "POST",
		    "statusCallbackEvent",
		    "initiated ringing answered completed", NULL);
		twiml_leaf(&t, "Identity", num.owner_identity, NULL);
		/* What the softphone's incoming popup shows. */
		client_param(&t, "caller", form_get(f, "From"));
		client_param(&t, "line", num.label);
		client_param(&t, "reason", "dedicated");
		twiml_close(&t);
		twiml_close(&t);
		log_kv(LOG_INFO, "inbound call: ringing the dedicated agent",
		    "agent", num.owner_identity, "to", to, NULL);
		goto store;
	}
	memset(&task, 0, sizeof(task));
	task.call_sid = form_get(f, "CallSid");
	task.from = form_get(f, "From");
	task.to = to;
	task.label = have_num ? num.label : NULL;
	task.agent = have_num ? num.owner_identity : NULL;
	task.account_sid = account;
	if (!have_num)
		task.reason = "degraded";
	else if (num.owner_identity != NULL)
		task.reason = "agent_unavailable";
	else
		task.reason = "queue";
	vm = emit_queue(&t, cfg, &task, have_num ? num.voicemail_enabled : 1);
	routing = vm ? "voicemail" : "queue";
	log_kv(LOG_INFO, "inbound call", "routing", routing, "reason",
	    task.reason, "to", to, NULL);

store:
	if (stored) {
		if (strcmp(routing, stored_routing(&num, cfg, to)) != 0)
			log_kv(LOG_ERROR,
			    "inbound call answered with another routing than "
			    "its row says (a URL longer than URL_MAX?)",
			    "routing", routing, NULL);
		goto answer;
	}
	query_form(r, &q, "routing", routing, "disclaimer", played ? "1" : "0",
	    NULL);
	rc = apply_inbound(c, f, &q, received_at);
	if (rc == OUTCOME_LATER)
		spool(r, PATH_VOICE_INBOUND, received_at, &q);
	form_cleanup(&q);
answer:
	db_release(c);
	store_number_cleanup(&num);
	return callflow_reply(r, &t, NULL);
}

int
voice_whisper(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	const char *reason = http_req_query(r, "reason");
	const char *res_sid = http_req_query(r, "reservation");
	int overflow = reason != NULL && strcmp(reason, "overflow") == 0;
	char *from = NULL, *label = NULL, caller[35], spoken[SPEECH_MAX],
	     cb[URL_MAX];
	char received_at[32];
	struct db_conn *c;
	struct form q;
	struct twiml t;
	struct buf text;
	const char *number;
	int rc;

	util_rfc3339_now(received_at, sizeof(received_at));
	query_form(r, &q, NULL);
	c = db_acquire();
	rc = apply_whisper(c, f, &q, received_at, 0, &from, &label, caller);
	if (rc == OUTCOME_LATER) {
		if (caller[0] != '\0' && form_get(&q, "call") == NULL)
			form_add(&q, "call", caller);
		spool(r, PATH_VOICE_WHISPER, received_at, &q);
	}
	db_release(c);
	twiml_init(&t);
	if (rc == OUTCOME_REFUSED) {
		/* another tenant's caller: this agent is never bridged */
		callflow_refused(&t);
		goto out;
	}

	/*
	 * On a dedicated leg From is the caller's own number; the TaskRouter
	 * call instruction passes the caller's number as from too.
	 */
	number = from != NULL ? from : form_get(f, "From");
	buf_init(&text, 2048);
	buf_addstr(&text, overflow ? "Transbordo da fila" : "Ligação dedicada");
	if (label != NULL && label[0] != '\0')
		buf_printf(&text, ", linha %s", label);
	if (number != NULL) {
		speak_number(number, spoken, sizeof(spoken));
		buf_printf(&text, ". Cliente: %s.", spoken);
	} else
		buf_addstr(&text, ".");

	callflow_say(&t, buf_cstr(&text));
	if (overflow) {
		if (!twparam_sid(res_sid, "WR") ||
		    callflow_url(cb, sizeof(cb), cfg, PATH_RECORDING) != 0) {
			log_kv(LOG_ERROR,
			    "overflow whisper without a valid reservation: "
			    "cannot bridge",
			    "reservation", res_sid, NULL);
			callflow_say(&t, bridge_failed);
			twiml_leaf(&t, "Hangup", NULL, NULL);
		} else {
			twiml_open(&t, "Dial", "record",
			    "record-from-answer-dual",
			    "recordingStatusCallback", cb,
			    "recordingStatusCallbackMethod", "POST",
			    "recordingStatusCallbackEvent", "completed absent",
			    NULL);
			twiml_leaf(&t, "Queue", NULL, "reservationSid", res_sid,
			    NULL);
			twiml_close(&t);
		}
	}
	buf_cleanup(&text);
out:
	form_cleanup(&q);
	free(from);
	free(label);
	return callflow_reply(r, &t, NULL);
}

/* DialCallStatus says the dedicated agent and the caller talked. */
static int
dial_answered(const char *status)
{
	return status != NULL &&
	    (strcmp(status, "completed") == 0 ||
		strcmp(status, "answered") == 0);
}

/*
 * The queue for a caller the dedicated agent did not take (num: the
 * called number, NULL when unknown).  1 when it chose voicemail.
 */
static int
emit_overflow_queue(struct http_req *r, struct twiml *t,
    const struct store_number *num)
{
	const struct form *f = http_req_form(r);
	const char *status = form_get(f, "DialCallStatus");
	const char *agent = http_req_query(r, "agent");
	struct queue_task task;

	memset(&task, 0, sizeof(task));
	task.call_sid = form_get(f, "CallSid");
	task.from = form_get(f, "From");
	task.to = form_get(f, "To");
	task.label = num != NULL ? num->label : NULL;
	/*
	 * No dedicated_agent: the workflow's dedicated step would offer the
	 * call first, for its whole timeout, to the agent who just did not
	 * answer.  The overflow goes to the team at once.
	 */
	task.agent = NULL;
	task.account_sid = form_get(f, "AccountSid");
	task.reason = "overflow";
	task.dial_status = status ? status : "unknown";
	log_kv(LOG_INFO, "dedicated agent did not take the call", "agent",
	    twparam_identity(agent) ? agent : NULL, "dial_status",
	    task.dial_status, NULL);
	return emit_queue(t, http_req_config(r), &task,
	    num != NULL ? num->voicemail_enabled : 1);
}

int
voice_overflow(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	const char *status = form_get(f, "DialCallStatus");
	struct store_number num;
	struct db_conn *c;
	struct form q;
	struct twiml t;
	enum db_result res = DB_UNAVAILABLE;
	char received_at[32];
	int answered, have_num = 0, rc, vm;

	memset(&num, 0, sizeof(num));
	util_rfc3339_now(received_at, sizeof(received_at));
	answered = dial_answered(status);
	c = db_acquire();
	twiml_init(&t);
	if (answered) {
		/* hold escalation (hold.c): the conference instead */
		if (hold_answer_conference(c, cfg, f, &t) != 1)
			twiml_leaf(&t, "Hangup", NULL, NULL);
		query_form(r, &q, NULL);
	} else {
		if (c != NULL && form_get(f, "To") != NULL) {
			res = store_call_number(c, form_get(f, "AccountSid"),
			    form_get(f, "To"), &num);
			note_result(&c, res);
			have_num = res == DB_OK;
		}
		vm = emit_overflow_queue(r, &t, have_num ? &num : NULL);
		query_form(r, &q, "routing", vm ? "voicemail" : "overflow",
		    NULL);
	}
	rc = apply_dial(c, f, &q);
	if (rc == OUTCOME_LATER)
		spool(r, PATH_VOICE_OVERFLOW, received_at, &q);
	if (rc == OUTCOME_REFUSED)
		callflow_refused(&t); /* neither the queue nor voicemail */
	form_cleanup(&q);
	db_release(c);
	store_number_cleanup(&num);
	return callflow_reply(r, &t, NULL);
}

int
voice_queue_wait(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	long qtime = count_or(form_get(f, "QueueTime"), 0);
	long pos = count_or(form_get(f, "QueuePosition"), 0);
	long avg = count_or(form_get(f, "AvgQueueTime"), 0);
	long t0 = count_or(http_req_query(r, "t0"), 0);
	long next = count_or(http_req_query(r, "next"), 0);
	long now = (long)time(NULL);
	char url[URL_MAX], msg[256];
	struct twiml t;

	/* A redirected wait document may lack QueueTime: t0 remembers. */
	if (t0 > 0 && t0 <= now && now - t0 > qtime)
		qtime = now - t0;
	twiml_init(&t);
	if (qtime >= cfg->queue_max_wait_s) {
		log_kv(LOG_INFO, "queue wait limit reached: offering voicemail",
		    "queue_time", form_get(f, "QueueTime"), NULL);
		callflow_say(&t, queue_leave);
		twiml_leaf(&t, "Leave", NULL, NULL);
		return callflow_reply(r, &t, NULL);
	}
	if (qtime >= next) {
		if (pos == 1)
			snprintf(msg, sizeof(msg), "Você é o próximo da fila.");
		else if (pos > 1)
			snprintf(msg, sizeof(msg), "Você é o %ldº da fila.",
			    pos);
		else
			msg[0] = '\0';
		if (msg[0] != '\0')
			callflow_say(&t, msg);
		if (avg >= 90 && pos > 1) {
			snprintf(msg, sizeof(msg),
			    "O tempo médio de espera é de cerca de %ld "
			    "minutos.",
			    (avg + 30) / 60);
			callflow_say(&t, msg);
		}
		callflow_say(&t, queue_please_wait);
		next = qtime + cfg->queue_announce_s;
	}
	twiml_leaf(&t, "Play", cfg->queue_music_url, NULL);
	/* Carry the state to the next wait document. */
	if (callflow_url(url, sizeof(url), cfg, "%s?t0=%ld&next=%ld",
		PATH_VOICE_QUEUE_WAIT, now - qtime, next) == 0)
		twiml_leaf(&t, "Redirect", url, "method", "POST", NULL);
	return callflow_reply(r, &t, NULL);
}

static const char *const queue_done[] = { "bridged", "bridging-in-process",
	"redirected", "redirected-from-bridged", NULL };

int
voice_queue_exit(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	const char *result = form_get(f, "QueueResult");
	struct store_number num;
	struct db_conn *c;
	struct form q;
	struct twiml t;
	enum db_result res;
	char received_at[32];
	int rc, enabled = 1;

	memset(&num, 0, sizeof(num));
	util_rfc3339_now(received_at, sizeof(received_at));
	query_form(r, &q, NULL);
	c = db_acquire();
	rc = apply_queue_exit(c, f);
	if (rc == OUTCOME_LATER) {
		note_result(&c, DB_UNAVAILABLE);
		spool(r, PATH_VOICE_QUEUE_EXIT, received_at, &q);
	}
	twiml_init(&t);
	if (rc == OUTCOME_REFUSED)
		callflow_refused(&t); /* another tenant's call: logged */
	else if (is_one_of(result, queue_done)) {
		log_kv(LOG_INFO, "call left the queue", "result", result,
		    "queue_time", form_get(f, "QueueTime"), NULL);
		/* hold escalation (hold.c): the conference instead */
		if (hold_answer_conference(c, cfg, f, &t) != 1)
			twiml_leaf(&t, "Hangup", NULL, NULL);
	} else if (result != NULL && strcmp(result, "hangup") == 0) {
		log_kv(LOG_INFO, "call abandoned in the queue", "call",
		    form_get(f, "CallSid"), "queue_time",
		    form_get(f, "QueueTime"), "to", form_get(f, "To"), NULL);
		twiml_leaf(&t, "Hangup", NULL, NULL);
	} else {
		log_kv(LOG_INFO, "call left the queue: voicemail", "result",
		    result, "queue_time", form_get(f, "QueueTime"), NULL);
		if (c != NULL && form_get(f, "To") != NULL) {
			res = store_call_number(c, form_get(f, "AccountSid"),
			    form_get(f, "To"), &num);
			if (res == DB_OK)
				enabled = num.voicemail_enabled;
		}
		emit_voicemail(&t, cfg, enabled);
	}
	form_cleanup(&q);
	db_release(c);
	store_number_cleanup(&num);
	return callflow_reply(r, &t, NULL);
}

int
voice_voicemail(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	const char *step = http_req_query(r, "step");
	struct store_number num;
	struct db_conn *c;
	struct form q;
	struct twiml t;
	char received_at[32];
	int rc, enabled = 1;

	memset(&num, 0, sizeof(num));
	util_rfc3339_now(received_at, sizeof(received_at));
	twiml_init(&t);
	c = db_acquire();
	if (step != NULL && strcmp(step, "done") == 0) {
		log_kv(LOG_INFO, "voicemail recorded", "recording",
		    form_get(f, "RecordingSid"), "duration",
		    form_get(f, "RecordingDuration"), NULL);
		rc = apply_voicemail(c, f, received_at);
		if (rc == OUTCOME_LATER) {
			query_form(r, &q, NULL);
			spool(r, PATH_VOICE_VOICEMAIL, received_at, &q);
			form_cleanup(&q);
		}
		if (rc == OUTCOME_REFUSED)
			callflow_refused(&t);
		else {
			callflow_say(&t, vm_thanks);
			twiml_leaf(&t, "Hangup", NULL, NULL);
		}
	} else {
		if (c != NULL && form_get(f, "To") != NULL &&
		    store_call_number(c, form_get(f, "AccountSid"),
			form_get(f, "To"), &num) == DB_OK)
			enabled = num.voicemail_enabled;
		emit_voicemail(&t, cfg, enabled);
	}
	db_release(c);
	store_number_cleanup(&num);
	return callflow_reply(r, &t, NULL);
}

int
voice_fallback(struct http_req *r)
{
	const struct config *cfg = http_req_config(r);
	const struct form *f = http_req_form(r);
	const char *step = http_req_query(r, "step");
	struct queue_task task;
	struct twiml t;
	char action[URL_MAX];

	twiml_init(&t);
	if (step != NULL && strcmp(step, "recorded") == 0) {
		log_kv(LOG_INFO, "fallback message recorded", "recording",
		    form_get(f, "RecordingSid"), "duration",
		    form_get(f, "RecordingDuration"), NULL);
		callflow_say(&t, fallback_thanks);
		twiml_leaf(&t, "Hangup", NULL, NULL);
		return callflow_reply(r, &t, NULL);
	}
	log_kv(LOG_WARN, "voice fallback answered", "from", form_get(f, "From"),
	    "to", form_get(f, "To"), "error_code", form_get(f, "ErrorCode"),
	    "error_url", form_get(f, "ErrorUrl"), NULL);
	if (cfg->twilio_workflow_sid != NULL) {
		memset(&task, 0, sizeof(task));
		task.call_sid = form_get(f, "CallSid");
		task.from = form_get(f, "From");
		task.to = form_get(f, "To");
		task.account_sid = form_get(f, "AccountSid");
		task.reason = "fallback";
		callflow_say(&t, fallback_hold);
		emit_queue(&t, cfg, &task, 1);
		return callflow_reply(r, &t, NULL);
	}
	if (callflow_url(action, sizeof(action), cfg, "%s?step=recorded",
		PATH_VOICE_FALLBACK) != 0)
		return -1;
	callflow_say(&t, fallback_sorry);
	twiml_leaf(&t, "Record", NULL, "action", action, "method", "POST",
	    "maxLength", "120", "timeout", "10", "finishOnKey", "#", "playBeep",
	    "true", NULL);
	callflow_say(&t, fallback_nothing);
	twiml_leaf(&t, "Hangup", NULL, NULL);
	return callflow_reply(r, &t, NULL);
}

/*
 * ---- degraded answers ----
 *
 * What each route answers when its request's signature cannot be checked
 * (a subaccount's key while the database is down; webhook.c): TwiML fit
 * for the context Twilio fetched it in, built from the request alone.
 * The request is unverified, so nothing is stored or spooled and nothing
 * is read from the database.
 */

int
voice_inbound_degraded(struct http_req *r)
{
	const struct form *f = http_req_form(r);
	struct queue_task task;
	struct twiml t;

	twiml_init(&t);
	emit_disclaimer(&t, NULL);
	memset(&task, 0, sizeof(task));
	task.call_sid = form_get(f, "CallSid");
	task.from = form_get(f, "From");
	task.to = form_get(f, "To");
	task.account_sid = form_get(f, "AccountSid");
	task.reason = "degraded";
	emit_queue(&t, http_req_config(r), &task, 1);
	return callflow_reply(r, &t, NULL);
}

int
voice_whisper_degraded(struct http_req *r)
{
	const char *reason = http_req_query(r, "reason");
	const char *res_sid = http_req_query(r, "reservation");
	char cb[URL_MAX];
	struct twiml t;

	twiml_init(&t);
	/*
	 * A queue leg still bridges: the reservation is in the URL.  A
	 * dedicated leg gets an empty document, and Twilio bridges when it
	 * ends; never the queue, which would enqueue the agent.
	 */
	if (reason != NULL && strcmp(reason, "overflow") == 0 &&
	    twparam_sid(res_sid, "WR") &&
	    callflow_url(cb, sizeof(cb), http_req_config(r), PATH_RECORDING) ==
		0) {
		callflow_say(&t, "Transbordo da fila.");
		twiml_open(&t, "Dial", "record", "record-from-answer-dual",
		    "recordingStatusCallback", cb,
		    "recordingStatusCallbackMethod", "POST",
		    "recordingStatusCallbackEvent", "completed absent", NULL);
		twiml_leaf(&t, "Queue", NULL, "reservationSid", res_sid, NULL);
		twiml_close(&t);
	}
	return callflow_reply(r, &t, NULL);
}

int
voice_overflow_degraded(struct http_req *r)
{
	struct twiml t;

	twiml_init(&t);
	if (dial_answered(form_get(http_req_form(r), "DialCallStatus")))
		twiml_leaf(&t, "Hangup", NULL, NULL);
	else
		emit_overflow_queue(r, &t, NULL);
	return callflow_reply(r, &t, NULL);
}

int
voice_queue_exit_degraded(struct http_req *r)
{
	const char *result = form_get(http_req_form(r), "QueueResult");
	struct twiml t;

	twiml_init(&t);
	if (is_one_of(result, queue_done) ||
	    (result != NULL && strcmp(result, "hangup") == 0))
		twiml_leaf(&t, "Hangup", NULL, NULL);
	else
		emit_voicemail(&t, http_req_config(r), 1);
	return callflow_reply(r, &t, NULL);
}

int
voice_voicemail_degraded(struct http_req *r)
{
	const char *step = http_req_query(r, "step");
	struct twiml t;

	twiml_init(&t);
	if (step != NULL && strcmp(step, "done") == 0) {
		callflow_say(&t, vm_thanks);
		twiml_leaf(&t, "Hangup", NULL, NULL);
	} else
		emit_voicemail(&t, http_req_config(r), 1);
	return callflow_reply(r, &t, NULL);
}

/* ---- for other voice modules (outbound.c) ---- */

int
voice_disclaimer(struct twiml *t, const struct store_number *num)
{
	return emit_disclaimer(t, num);
}
