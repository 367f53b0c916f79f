"""The TwiML model (ramaltest.twiml_model) refuses what real Twilio refuses,
with Twilio's error code, in the context Twilio fetches a document in; its
relaxations of Twilio's 2015 schema each let through what Twilio accepts
today and nothing more; and every route of a running server answers TwiML
the model accepts in that route's context (the harness checks every answer
a test receives; the tour below makes sure each context is met)."""

import pytest

from ramaltest import twiml_model as tm
from ramaltest.harness import sid
from ramaltest.voice import (DISCLAIMER, FALLBACK, HOLD, INBOUND, OUTBOUND, OVERFLOW, QUEUE_EXIT, QUEUE_WAIT,
                             STATUS, VOICEMAIL, WHISPER, WORKFLOW_SID, call_params, check_answer, context_of, tags,
                             with_params)

DECL = '<?xml version="1.0" encoding="UTF-8"?>'
WR = "WR" + "0a" * 16
WW = "WW" + "0b" * 16
SAY = '<Say language="pt-BR" voice="Polly.Camila">Olá</Say>'
BASE = "https://ramal.example.test"


def doc(body):
    return DECL + "<Response>" + body + "</Response>"


def refused(body, context):
    with pytest.raises(tm.TwimlError) as e:
        tm.check(doc(body) if not body.startswith("<?xml") else body, context)
    return e.value


# --------------------------------------------------------------------------
# documents real Twilio refuses

REFUSED = [
    # (id, context, body, Twilio's code, rule)
    ("enqueue-in-waiturl", tm.ENQUEUE_WAIT,
     '<Enqueue workflowSid="%s"><Task>{}</Task></Enqueue>' % WW, None, "enqueue-wait-verbs"),
    ("dial-in-waiturl", tm.ENQUEUE_WAIT, "<Dial><Number>+5511987654321</Number></Dial>", None,
     "enqueue-wait-verbs"),
    ("record-in-waiturl", tm.ENQUEUE_WAIT, "<Record/>", None, "enqueue-wait-verbs"),
    ("dial-in-whisper", tm.CALLED_PARTY, SAY + '<Dial><Queue reservationSid="%s"/></Dial>' % WR, 13201,
     "called-party-dial"),
    ("enqueue-in-whisper", tm.CALLED_PARTY, '<Enqueue workflowSid="%s"><Task>{}</Task></Enqueue>' % WW, None,
     "called-party-enqueue"),
    ("gather-with-dial", tm.CALL, "<Gather><Dial>+5511987654321</Dial></Gather>", 13320, "gather-nesting"),
    ("gather-with-hangup", tm.ENQUEUE_WAIT, "<Gather><Say>1</Say><Hangup/></Gather>", 13320, "gather-nesting"),
    ("dial-in-holdurl", tm.CONFERENCE_HOLD, "<Dial><Number>+5511987654321</Number></Dial>", 13238,
     "conference-hold-verbs"),
    ("hangup-in-holdurl", tm.CONFERENCE_HOLD, '<Play loop="0">https://x.test/m.mp3</Play><Hangup/>', 13238,
     "conference-hold-verbs"),
    ("gather-in-holdurl", tm.CONFERENCE_HOLD, "<Gather/>", 13238, "conference-hold-verbs"),
    ("record-in-holdurl", tm.CONFERENCE_HOLD, "<Record/>", 13238, "conference-hold-verbs"),
    ("enqueue-in-holdurl", tm.CONFERENCE_HOLD, '<Enqueue workflowSid="%s"><Task>{}</Task></Enqueue>' % WW, 13238,
     "conference-hold-verbs"),
    ("hangup-in-queue-url", tm.QUEUE_URL, "<Say>a</Say><Hangup/>", 14211, "queue-url-verbs"),
    ("unknown-verb", tm.CALL, "<Speak>Olá</Speak>", 12200, "unknown-verb"),
    ("lower-case-verb", tm.CALL, "<say>Olá</say>", 12200, "unknown-verb"),
    ("say-in-dial", tm.CALL, "<Dial><Say>a</Say></Dial>", 13215, "dial-nesting"),
    ("dial-record-yes", tm.CALL, '<Dial record="yes"><Number>+5511987654321</Number></Dial>', 13217,
     "dial-record"),
    ("play-loop-negative", tm.CALL, '<Play loop="-1">https://x.test/m.mp3</Play>', 13410, "play-loop"),
    ("say-loop-word", tm.CALL, '<Say loop="always">a</Say>', 13510, "say-loop"),
    ("gather-say-loop", tm.CALL, '<Gather><Say loop="x">a</Say></Gather>', 13322, "gather-say-loop"),
    ("queue-bad-reservation", tm.CALL, '<Dial><Queue reservationSid="WR123"/></Dial>', 14215,
     "queue-reservation-sid"),
    ("queue-task-sid-as-reservation", tm.CALL, '<Dial><Queue reservationSid="%s"/></Dial>' % ("WT" + "0a" * 16),
     14215, "queue-reservation-sid"),
    ("queue-by-name", tm.CALL, "<Dial><Queue>support</Queue></Dial>", None, "queue-by-reservation"),
    ("enqueue-bad-workflow", tm.CALL, '<Enqueue workflowSid="WW12"><Task>{}</Task></Enqueue>', 14220,
     "enqueue-workflow-sid"),
    ("enqueue-task-not-json", tm.CALL, '<Enqueue workflowSid="%s"><Task>{"a":</Task></Enqueue>' % WW, 14221,
     "enqueue-task-json"),
    ("enqueue-task-not-object", tm.CALL, '<Enqueue workflowSid="%s"><Task>[1]</Task></Enqueue>' % WW, 14221,
     "enqueue-task-json"),
    ("enqueue-two-tasks", tm.CALL, '<Enqueue workflowSid="%s"><Task>{}</Task><Task>{}</Task></Enqueue>' % WW,
     None, "enqueue-task"),
    ("enqueue-wait-method", tm.CALL, '<Enqueue waitUrlMethod="PUT">q</Enqueue>', 14206, "wait-url-method"),
    # bad schema values
    ("pause-negative", tm.CALL, '<Pause length="-1"/>', 12200, "schema"),
    ("say-unknown-voice", tm.CALL, '<Say voice="robot">a</Say>', 12200, "schema"),
    ("dial-timeout-word", tm.CALL, '<Dial timeout="soon"><Number>+5511987654321</Number></Dial>', 12200,
     "schema"),
    ("client-unknown-attribute", tm.CALL, '<Dial><Client whisper="x"><Identity>ana</Identity></Client></Dial>',
     12200, "schema"),
    ("client-bad-event", tm.CALL, '<Dial><Client statusCallbackEvent="ringing picked-up"><Identity>ana</Identity>'
     "</Client></Dial>", 12200, "schema"),
    ("conference-bad-event", tm.CALL, '<Dial><Conference statusCallbackEvent="start talk">c</Conference></Dial>',
     12200, "schema"),
    ("record-max-length-zero", tm.CALL, '<Record maxLength="0"/>', 12200, "schema"),
    # not a document
    ("not-xml", tm.CALL, DECL + "<Response><Say>a</Response>", 12100, "parse"),
    ("not-response", tm.CALL, DECL + "<Reply><Say>a</Say></Reply>", 12100, "root"),
]


@pytest.mark.parametrize("context, body, code, rule", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_with_twilios_code(context, body, code, rule):
    e = refused(body, context)
    assert (e.code, e.rule) == (code, rule), str(e)
    # the message names the context, the rule and where its source is
    assert tm.CONTEXTS[context] in str(e) and tm.RULES[rule].source in str(e)
    assert ("error %d" % code if code else "no Twilio error code") in str(e)


ACCEPTED = [
    ("waiturl-music", tm.ENQUEUE_WAIT, SAY + "<Play>https://x.test/m.mp3</Play><Redirect method=\"POST\">"
     "https://x.test/w</Redirect>"),
    ("waiturl-leave", tm.ENQUEUE_WAIT, SAY + "<Leave/>"),
    ("waiturl-gather-hangup", tm.ENQUEUE_WAIT, "<Gather><Say>a</Say><Pause/></Gather><Hangup/>"),
    ("whisper-gather-hangup", tm.CALLED_PARTY, "<Gather><Play>https://x.test/a.mp3</Play></Gather><Hangup/>"),
    ("whisper-empty", tm.CALLED_PARTY, ""),
    ("holdurl-music", tm.CONFERENCE_HOLD, '<Play loop="0">https://x.test/m.mp3</Play><Pause length="2"/>'),
    ("queue-url-say", tm.QUEUE_URL, SAY + "<Pause/>"),
    ("call-bridge", tm.CALL, SAY + '<Dial record="record-from-answer-dual"><Queue reservationSid="%s"/></Dial>' % WR),
    ("call-enqueue", tm.CALL, '<Enqueue workflowSid="%s" waitUrl="https://x.test/w" waitUrlMethod="POST">'
     '<Task>{"type":"inbound"}</Task></Enqueue>' % WW),
    ("callback-empty", tm.CALLBACK, ""),
]


@pytest.mark.parametrize("context, body", [r[1:] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED])
def test_accepted(context, body):
    assert tm.check(doc(body), context).tag == "Response"


def test_an_unknown_context_is_a_harness_error():
    with pytest.raises(ValueError):
        tm.check(doc(SAY), "whisper")


# --------------------------------------------------------------------------
# the schema's relaxations: each needed, none wider than what Twilio takes

RELAXATIONS = [
    # (what Twilio accepts today, a neighbouring value it does not)
    (SAY, '<Say language="pt-BR" voice="Camila">Olá</Say>'),
    ('<Say language="pt-BR" voice="Google.pt-BR-Standard-A">Olá</Say>', '<Say language="português">Olá</Say>'),
    ('<Dial answerOnBridge="true"><Number>+5511987654321</Number></Dial>',
     '<Dial answerOnBridge="yes"><Number>+5511987654321</Number></Dial>'),
    ('<Dial record="record-from-answer-dual" recordingStatusCallback="https://x.test/r" '
     'recordingStatusCallbackMethod="POST" recordingStatusCallbackEvent="completed absent">'
     '<Number>+5511987654321</Number></Dial>',
     '<Dial recordingStatusCallbackEvent="completed gone"><Number>+5511987654321</Number></Dial>'),
    ('<Dial><Client url="https://x.test/w" statusCallback="https://x.test/s" statusCallbackMethod="POST" '
     'statusCallbackEvent="initiated ringing answered completed"><Identity>ana</Identity>'
     '<Parameter name="caller" value="+5511987654321"/></Client></Dial>',
     '<Dial><Client><Identity>ana</Identity><Say>a</Say></Client></Dial>'),
    ('<Dial><Number url="https://x.test/d" statusCallback="https://x.test/s" '
     'statusCallbackEvent="initiated completed">+5511987654321</Number></Dial>',
     '<Dial><Number statusCallbackEvent="hold">+5511987654321</Number></Dial>'),
    ('<Dial><Conference record="record-from-start" beep="false" statusCallback="https://x.test/c" '
     'statusCallbackEvent="start end join leave hold" recordingStatusCallback="https://x.test/r" '
     'recordingStatusCallbackEvent="completed absent">c</Conference></Dial>',
     '<Dial><Conference record="record-from-answer-dual">c</Conference></Dial>'),
    ('<Record recordingStatusCallback="https://x.test/r" recordingStatusCallbackMethod="POST" '
     'recordingStatusCallbackEvent="completed absent"/>',
     '<Record recordingStatusCallbackEvent="done"/>'),
]


@pytest.mark.parametrize("today, wrong", RELAXATIONS, ids=[str(i) for i in range(len(RELAXATIONS))])
def test_each_relaxation_is_needed_and_no_wider(today, wrong):
    from lxml import etree

    strict = tm.strict_schema()
    assert not strict.validate(etree.fromstring(doc(today).encode())), "the 2015 schema takes it already"
    tm.check(doc(today), tm.CALL)
    e = refused(wrong, tm.CALL)
    assert e.code == 12200, str(e)


def test_the_schema_itself_is_unchanged_where_not_relaxed():
    """Elements and values the relaxations do not touch are as strict as
    Twilio's file: a <Say> voice of the old set, <Pause length> an int."""
    tm.check(doc('<Say voice="woman" language="en-gb">a</Say><Pause length="3"/>'), tm.CALL)
    assert refused('<Pause length="3s"/>', tm.CALL).code == 12200
    assert refused('<Redirect method="POST" extra="1">https://x.test</Redirect>', tm.CALL).code == 12200


# --------------------------------------------------------------------------
# URLs in an answer must lead to the route of their context


def test_links_are_checked_against_the_route_map():
    good = doc('<Enqueue workflowSid="%s" action="%s%s" waitUrl="%s%s"><Task>{}</Task></Enqueue>'
               % (WW, BASE, QUEUE_EXIT, BASE, QUEUE_WAIT))
    check_answer(INBOUND, "", good, BASE)
    for body, why in [
        ('<Enqueue workflowSid="%s" waitUrl="%s%s"><Task>{}</Task></Enqueue>' % (WW, BASE, INBOUND),
         "waitUrl"),
        ('<Dial><Client url="%s%s?reason=overflow"><Identity>a</Identity></Client></Dial>' % (BASE, WHISPER),
         "Client/@url"),
        ('<Dial action="%s%s"><Number>+5511987654321</Number></Dial>' % (BASE, QUEUE_WAIT), "Dial/@action"),
        ('<Dial><Number url="%s%s">+5511987654321</Number></Dial>' % (BASE, OUTBOUND), "Number/@url"),
        ('<Dial><Number url="https://elsewhere.test%s">+5511987654321</Number></Dial>' % DISCLAIMER, "BASE_URL"),
    ]:
        with pytest.raises(tm.TwimlError) as e:
            check_answer(INBOUND, "", doc(body), BASE)
        assert e.value.rule == "link-context" and why in str(e.value), str(e.value)
    # a <Redirect> in a waitUrl document stays a waitUrl document
    check_answer(QUEUE_WAIT, "", doc('<Redirect method="POST">%s%s?t0=1</Redirect>' % (BASE, QUEUE_WAIT)), BASE)
    with pytest.raises(tm.TwimlError):
        check_answer(QUEUE_WAIT, "", doc('<Redirect method="POST">%s%s</Redirect>' % (BASE, FALLBACK)), BASE)


def test_the_route_map():
    assert context_of(WHISPER, "reason=dedicated&n=3") == tm.CALLED_PARTY
    assert context_of(WHISPER, "reason=overflow&reservation=%s" % WR) == tm.CALL
    assert context_of(DISCLAIMER, "caller=%2B551130000000") == tm.CALLED_PARTY
    assert context_of(QUEUE_WAIT) == tm.ENQUEUE_WAIT and context_of(HOLD) == tm.CONFERENCE_HOLD
    for p in (INBOUND, FALLBACK, OVERFLOW, QUEUE_EXIT, VOICEMAIL, OUTBOUND):
        assert context_of(p) == tm.CALL
    with pytest.raises(AssertionError):
        context_of("/twilio/voice/unknown")


# --------------------------------------------------------------------------
# every route of a server, once, in its own context

RAMAL_ENV = {"TWILIO_WORKFLOW_SID": WORKFLOW_SID, "JOB_WORKERS": "0", "TWILIO_CALLER_ID": "+551130009999"}


def test_every_route_answers_twiml_of_its_context(env, webhook):
    """A tour of the voice routes, each answer checked explicitly in the
    context of its route (the Webhook checked it already)."""
    srv, db = env
    uid, ident = db.add_user("available")
    nid, did = db.add_number(owner=uid, label="Vendas")
    _, queue_did = db.add_number(label="Fila")
    seen = {}

    def answer(path, params, query="", expect=None):
        r = webhook.post(srv, params, path=path, query=query)
        assert r.status_code == 200, (path, r.text)
        ctx = context_of(path, query)
        root = tm.check(r.content, ctx)
        seen.setdefault(ctx, []).append(path)
        if expect is not None:
            assert ctx == expect, (path, ctx)
        return root

    caller = call_params(srv.account_sid, did)
    call = dict(caller)["CallSid"]
    root = answer(INBOUND, caller, expect=tm.CALL)
    assert tags(root) == ["Say", "Dial"]
    client = root.find("Dial/Client")
    leg = sorted({"AccountSid": srv.account_sid, "CallSid": sid("CA"), "ParentCallSid": call,
                  "CallStatus": "in-progress", "From": dict(caller)["From"], "To": "client:" + ident,
                  "Direction": "outbound-dial"}.items())
    w = answer(WHISPER, leg, client.get("url").split("?", 1)[1], expect=tm.CALLED_PARTY)
    assert tags(w) == ["Say"]
    out = answer(OVERFLOW, with_params(caller, DialCallStatus="no-answer"), "agent=" + ident, expect=tm.CALL)
    assert tags(out)[-1] == "Enqueue"
    answer(QUEUE_WAIT, with_params(caller, QueueTime="0", QueuePosition="2"), expect=tm.ENQUEUE_WAIT)
    answer(QUEUE_WAIT, with_params(caller, QueueTime="9999", QueuePosition="2"), expect=tm.ENQUEUE_WAIT)
    agent = sorted({"AccountSid": srv.account_sid, "CallSid": sid("CA"), "CallStatus": "in-progress",
                    "From": dict(caller)["From"], "To": "client:" + ident, "Direction": "outbound-api"}.items())
    bridge = answer(WHISPER, agent, "reason=overflow&reservation=%s&task=%s&call=%s" % (WR, sid("WT"), call),
                    expect=tm.CALL)
    assert tags(bridge) == ["Say", "Dial"]
    answer(QUEUE_EXIT, with_params(caller, QueueResult="bridged", QueueTime="9"), expect=tm.CALL)
    queued = call_params(srv.account_sid, queue_did)
    assert tags(answer(INBOUND, queued))[-1] == "Enqueue"
    vm = answer(QUEUE_EXIT, with_params(queued, QueueResult="leave", QueueTime="300"), expect=tm.CALL)
    assert "Record" in tags(vm)
    answer(VOICEMAIL, with_params(queued, RecordingSid=sid("RE"), RecordingDuration="3"), "step=done",
           expect=tm.CALL)
    answer(FALLBACK, with_params(queued, ErrorCode="11200"), expect=tm.CALL)
    out_leg = sorted({"AccountSid": srv.account_sid, "CallSid": sid("CA"), "From": "client:" + ident,
                      "To": "11987654321", "CallStatus": "ringing", "Direction": "inbound"}.items())
    dial = answer(OUTBOUND, out_leg, expect=tm.CALL)
    number = dial.find("Dial/Number")
    callee = sorted({"AccountSid": srv.account_sid, "CallSid": sid("CA"), "ParentCallSid": dict(out_leg)["CallSid"],
                     "From": did, "To": number.text, "CallStatus": "in-progress",
                     "Direction": "outbound-dial"}.items())
    answer(DISCLAIMER, callee, number.get("url").split("?", 1)[1], expect=tm.CALLED_PARTY)
    answer(OUTBOUND, with_params(out_leg, DialCallStatus="busy"), "step=done", expect=tm.CALL)
    answer(HOLD, callee, expect=tm.CONFERENCE_HOLD)
    answer(STATUS, sorted({"AccountSid": srv.account_sid, "CallSid": call, "CallStatus": "completed",
                           "SequenceNumber": "4"}.items()), expect=tm.CALLBACK)
    assert set(seen) == {tm.CALL, tm.CALLED_PARTY, tm.ENQUEUE_WAIT, tm.CONFERENCE_HOLD, tm.CALLBACK}, seen
