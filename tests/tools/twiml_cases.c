/*
 * Print TwiML documents built with our builder, for the cross-check
 * against Twilio's Python library (tests/py/twilio/test_twiml_compat.py):
 *
 *	=== <case-name>
 *	<?xml ...?><Response>...</Response>
 *
 * The builder escapes newlines, so each document is one line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "twiml.h"

#define BASE "https://ramal.example.com/twilio"

static int failures;

static void
emit(const char *name, struct twiml *t)
{
	char *doc;

	doc = twiml_finish(t, NULL);
	if (doc == NULL) {
		fprintf(stderr, "twiml_cases: %s: twiml_finish failed\n", name);
		failures++;
		return;
	}
	printf("=== %s\n%s\n", name, doc);
	free(doc);
}

static void
case_say_ptbr(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_leaf(&t, "Say",
	    "Ol\xc3\xa1! Esta liga\xc3\xa7\xc3\xa3o ser\xc3\xa1 gravada & "
	    "\"monitorada\" <para> garantir a qualidade \xe2\x80\x94 "
	    "S\xc3\xa3o Paulo, Jo\xc3\xa3o d'\xc3\x81vila.",
	    "language", "pt-BR", "voice", "Polly.Camila", NULL);
	emit("say_ptbr", &t);
}

static void
case_play_loop(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_leaf(&t, "Play", "https://cdn.example.com/hold.mp3?a=1&b=2",
	    "loop", "0", NULL);
	emit("play_loop", &t);
}

static void
case_dial_client_number(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_open(&t, "Dial", "action", BASE "/voice/overflow?line=1&try=2",
	    "timeout", "20", "answerOnBridge", "true", "record",
	    "record-from-answer-dual", "recordingStatusCallback",
	    BASE "/recording", "callerId", "+551130000000", NULL);
	twiml_open(&t, "Client", "url", BASE "/voice/whisper?agent=agent_1",
	    "statusCallback", BASE "/status", "statusCallbackEvent",
	    "initiated ringing answered completed", NULL);
	twiml_leaf(&t, "Identity", "agent_1", NULL);
	twiml_close(&t);
	twiml_leaf(&t, "Number", "+5511987654321", "url",
	    BASE "/voice/whisper?agent=agent_2", NULL);
	twiml_close(&t);
	emit("dial_client_number", &t);
}

static void
case_dial_number(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_open(&t, "Dial", "action", BASE "/voice/overflow", "timeout",
	    "20", "callerId", "+551130000000", NULL);
	twiml_leaf(&t, "Number", "+5511987654321", "url", BASE "/voice/whisper",
	    NULL);
	twiml_close(&t);
	emit("dial_number", &t);
}

static void
case_enqueue_task(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_open(&t, "Enqueue", "workflowSid",
	    "WW0123456789abcdef0123456789abcdef", "action",
	    BASE "/voice/queue-exit", "waitUrl", BASE "/voice/queue-wait",
	    NULL);
	twiml_leaf(&t, "Task", "{\"json\":\"with \\\"quotes\\\" & <tags>\"}",
	    NULL);
	twiml_close(&t);
	emit("enqueue_task", &t);
}

static void
case_record(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_leaf(&t, "Record", NULL, "maxLength", "120", "finishOnKey", "#",
	    "action", BASE "/voice/voicemail?step=done", "playBeep", "true",
	    NULL);
	emit("record", &t);
}

static void
case_voicemail(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_leaf(&t, "Say", "Please leave a message after the beep.",
	    "language", "en", NULL);
	twiml_leaf(&t, "Record", NULL, "maxLength", "120", "finishOnKey", "#",
	    "action", BASE "/voice/voicemail", "playBeep", "true", NULL);
	twiml_leaf(&t, "Hangup", NULL, NULL);
	emit("voicemail", &t);
}

static void
case_hangup(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_leaf(&t, "Hangup", NULL, NULL);
	emit("hangup", &t);
}

static void
case_redirect(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_leaf(&t, "Redirect", BASE "/voice/queue-wait?n=1&m=2", "method",
	    "POST", NULL);
	emit("redirect", &t);
}

static void
case_pause(void)
{
	struct twiml t;

	twiml_init(&t);
	twiml_leaf(&t, "Pause", NULL, "length", "2", NULL);
	emit("pause", &t);
}

static void
case_empty(void)
{
	struct twiml t;

	twiml_init(&t);
	emit("empty", &t);
}

int
main(void)
{
	case_say_ptbr();
	case_play_loop();
	case_dial_client_number();
	case_dial_number();
	case_enqueue_task();
	case_record();
	case_voicemail();
	case_hangup();
	case_redirect();
	case_pause();
	case_empty();
	if (fflush(stdout) != 0)
		return 1;
	return failures > 0 ? 1 : 0;
}
