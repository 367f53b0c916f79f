"""/twilio/voice/inbound and /twilio/voice/whisper: the disclaimer, dedicated
routing to an available owner agent (whisper, dual-channel recording), the
queue otherwise, unknown numbers, and the calls row each one leaves."""

import xml.etree.ElementTree as ET

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ramaltest.database import random_did
from ramaltest.harness import sid
from ramaltest.voice import (DEFAULT_DISCLAIMER, INBOUND, OVERFLOW, RECORDING, SERVER_ENV, STATUS, WHISPER,
                             WORKFLOW_SID, assert_enqueue, assert_say, call_params, follow, post, tags, twiml,
                             with_params)


# the module's server (conftest's env fixture)
RAMAL_ENV = dict(TWILIO_WORKFLOW_SID=WORKFLOW_SID, **SERVER_ENV)


def same_tree(a, b):
    """Two elements equal as TwiML: tag, attributes, text, children."""
    assert a.tag == b.tag, (a.tag, b.tag)
    assert a.attrib == b.attrib, (a.tag, a.attrib, b.attrib)
    assert (a.text or "").strip() == (b.text or "").strip(), a.tag
    assert len(a) == len(b), (a.tag, tags(a), tags(b))
    for x, y in zip(a, b):
        same_tree(x, y)


# --------------------------------------------------------------------------
# dedicated routing


def test_available_owner_rings_with_whisper_and_dual_recording(env, webhook):
    srv, db = env
    uid, ident = db.add_user("available")
    nid, did = db.add_number(owner=uid, label="Vendas SP", ring_timeout_s=25)
    params = call_params(srv.account_sid, did)
    call = dict(params)["CallSid"]
    root = twiml(webhook, srv, INBOUND, params)

    assert tags(root) == ["Say", "Dial"]
    assert_say(root[0], DEFAULT_DISCLAIMER)
    dial = root[1]
    client = dial.find("Client")
    # The same document built with Twilio's own helper library.
    want = VoiceResponse()
    want.say(DEFAULT_DISCLAIMER, language="pt-BR", voice="Polly.Camila")
    d = want.dial(action=srv.base_url + OVERFLOW + "?agent=" + ident, method="POST", timeout=25,
                  answer_on_bridge=True, record="record-from-answer-dual",
                  recording_status_callback=srv.base_url + RECORDING, recording_status_callback_method="POST",
                  recording_status_callback_event="completed absent")
    c = d.client(url=client.get("url"), method="POST", status_callback=srv.base_url + STATUS,
                 status_callback_method="POST", status_callback_event="initiated ringing answered completed")
    c.identity(ident)
    # What the softphone's popup shows, as the SDK call's customParameters.
    c.parameter(name="caller", value="+5511987654321")
    c.parameter(name="line", value="Vendas SP")
    c.parameter(name="reason", value="dedicated")
    same_tree(root, ET.fromstring(str(want)))
    assert client.get("url") == srv.base_url + WHISPER + "?reason=dedicated&n=%d" % nid

    row = db.call(call)
    assert row == {"routing": "dedicated", "phone_number_id": nid, "direction": "inbound",
                   "from_number": "+5511987654321", "to_number": did, "disclaimer_played": True,
                   "status": "ringing"}


def test_number_disclaimer_text_language_and_voice(env, webhook):
    srv, db = env
    nid, did = db.add_number(disclaimer_text="Olá! Gravamos as ligações & cuidamos dos seus dados.",
                             disclaimer_voice="Polly.Vitoria")
    root = twiml(webhook, srv, INBOUND, call_params(srv.account_sid, did))
    assert_say(root[0], "Olá! Gravamos as ligações & cuidamos dos seus dados.", voice="Polly.Vitoria")


def test_number_disclaimer_audio_is_played(env, webhook):
    srv, db = env
    url = "https://cdn.example.com/aviso.mp3?v=1&x=2"
    nid, did = db.add_number(disclaimer_audio_url=url, disclaimer_text="ignored")
    root = twiml(webhook, srv, INBOUND, call_params(srv.account_sid, did))
    assert root[0].tag == "Play" and root[0].text == url
    assert "Say" not in tags(root)


def test_empty_disclaimer_text_means_none(env, webhook):
    srv, db = env
    nid, did = db.add_number(disclaimer_text="")
    params = call_params(srv.account_sid, did)
    root = twiml(webhook, srv, INBOUND, params)
    assert tags(root) == ["Enqueue"]
    assert db.call(dict(params)["CallSid"], "disclaimer_played")["disclaimer_played"] is False


# --------------------------------------------------------------------------
# straight to the queue


@pytest.mark.parametrize("status,disabled", [("busy", False), ("offline", False), ("wrapup", False),
                                             ("available", True)])
def test_unavailable_owner_goes_to_the_queue(env, webhook, status, disabled):
    srv, db = env
    uid, ident = db.add_user(status, disabled=disabled)
    nid, did = db.add_number(owner=uid, label="Suporte")
    params = call_params(srv.account_sid, did, frm="+5521912345678")
    call = dict(params)["CallSid"]
    root = twiml(webhook, srv, INBOUND, params)
    assert tags(root) == ["Say", "Enqueue"]
    assert_say(root[0], DEFAULT_DISCLAIMER)
    attrs = assert_enqueue(root, srv)
    assert attrs == {"type": "inbound", "call_sid": call, "from": "+5521912345678", "to": did,
                     "line": "Suporte", "dedicated_agent": ident, "account_sid": srv.account_sid,
                     "reason": "agent_unavailable"}
    assert "Dial" not in tags(root)
    row = db.call(call)
    assert row["routing"] == "queue" and row["phone_number_id"] == nid and row["disclaimer_played"] is True


def test_number_without_owner_goes_to_the_queue(env, webhook):
    srv, db = env
    nid, did = db.add_number(label="Geral")
    params = call_params(srv.account_sid, did)
    root = twiml(webhook, srv, INBOUND, params)
    attrs = assert_enqueue(root, srv)
    # "" rather than null: TaskRouter expressions have no null constant
    assert attrs["dedicated_agent"] == "" and attrs["reason"] == "queue" and attrs["line"] == "Geral"
    assert db.call(dict(params)["CallSid"], "routing")["routing"] == "queue"


def test_owner_of_another_tenant_never_rings(env, webhook):
    """A number's owner must belong to the number's own tenant."""
    srv, db = env
    other = db.one("INSERT INTO tenants (account_sid, auth_token_enc) VALUES (%s, 'v1:x') RETURNING id",
                   (sid("AC"),))[0]
    uid = db.one("INSERT INTO users (tenant_id, email, name, identity, status) VALUES"
                 " (%s, 'x@example.com', 'X', 'estranho', 'available') RETURNING id", (other,))[0]
    nid, did = db.add_number(owner=uid)
    root = twiml(webhook, srv, INBOUND, call_params(srv.account_sid, did))
    assert "Dial" not in tags(root)
    assert assert_enqueue(root, srv)["dedicated_agent"] == ""


# --------------------------------------------------------------------------
# unknown numbers


def test_unknown_number_apologises_and_hangs_up(env, webhook):
    srv, db = env
    did = random_did()
    params = call_params(srv.account_sid, did)
    call = dict(params)["CallSid"]
    root = twiml(webhook, srv, INBOUND, params)
    assert tags(root) == ["Say", "Hangup"]
    assert_say(root[0], contains=("número",))
    srv.wait_log(lambda rec: rec.get("level") == "warn" and rec.get("to") == did
                 and "number" in rec.get("msg", ""))
    assert db.call(call, "routing", "phone_number_id") == {"routing": "unknown-number", "phone_number_id": None}


def test_number_of_another_account_is_unknown_here(env, webhook):
    srv, db = env
    other = db.one("INSERT INTO tenants (account_sid, auth_token_enc) VALUES (%s, 'v1:x') RETURNING id",
                   (sid("AC"),))[0]
    did = random_did()
    db.run("INSERT INTO phone_numbers (tenant_id, e164) VALUES (%s, %s)", (other, did))
    root = twiml(webhook, srv, INBOUND, call_params(srv.account_sid, did))
    assert tags(root) == ["Say", "Hangup"]


# --------------------------------------------------------------------------
# the calls row and the status callbacks


def status_params(account_sid, call_sid, status, seq, did):
    return sorted({"AccountSid": account_sid, "CallSid": call_sid, "CallStatus": status,
                   "SequenceNumber": str(seq), "Direction": "inbound", "From": "+5511987654321", "To": did,
                   "Timestamp": "Mon, 23 Nov 2026 21:00:0%d +0000" % seq}.items())


def test_status_callback_first_then_inbound(env, webhook):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    call = dict(params)["CallSid"]
    post(webhook, srv, STATUS, status_params(srv.account_sid, call, "in-progress", 2, did))
    twiml(webhook, srv, INBOUND, params)
    row = db.call(call, "status", "last_sequence", "routing", "phone_number_id", "answered_at")
    assert row["status"] == "in-progress" and row["last_sequence"] == 2
    assert row["routing"] == "queue" and row["phone_number_id"] == nid
    assert row["answered_at"] is not None


def test_inbound_then_status_callbacks(env, webhook):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    call = dict(params)["CallSid"]
    twiml(webhook, srv, INBOUND, params)
    post(webhook, srv, STATUS, status_params(srv.account_sid, call, "ringing", 0, did))
    post(webhook, srv, STATUS, status_params(srv.account_sid, call, "completed", 3, did))
    # a repeated inbound webhook (Twilio retry) changes nothing
    twiml(webhook, srv, INBOUND, params)
    row = db.call(call, "status", "routing", "phone_number_id", "disclaimer_played")
    assert row == {"status": "completed", "routing": "queue", "phone_number_id": nid, "disclaimer_played": True}
    assert db.one("SELECT count(*) FROM calls WHERE call_sid = %s", (call,))[0] == 1


# --------------------------------------------------------------------------
# the whisper


def agent_leg(account_sid, parent, ident, caller="+5511987654321"):
    """Parameters of the request to a <Client url>: the agent's child leg."""
    return sorted({"AccountSid": account_sid, "CallSid": sid("CA"), "ParentCallSid": parent,
                   "CallStatus": "in-progress", "Direction": "outbound-dial", "From": caller,
                   "To": "client:" + ident, "Called": "client:" + ident, "ApiVersion": "2010-04-01"}.items())


def test_dedicated_whisper_says_line_caller_and_reason(env, webhook):
    srv, db = env
    uid, ident = db.add_user("available")
    nid, did = db.add_number(owner=uid, label="Vendas SP")
    params = call_params(srv.account_sid, did, frm="+5511987654321")
    call = dict(params)["CallSid"]
    root = twiml(webhook, srv, INBOUND, params)
    whisper_url = root.find("Dial/Client").get("url")

    w = follow(webhook, srv, whisper_url, agent_leg(srv.account_sid, call, ident))
    assert tags(w) == ["Say"], "a Client url document may not Dial"
    text = assert_say(w[0], contains=("Ligação dedicada", "Vendas SP", "DDD 1 1", "9 8 7 6 5", "4 3 2 1"))
    assert "+55" not in text
    assert db.call(call, "agent_user_id")["agent_user_id"] == uid


def test_overflow_whisper_bridges_to_the_queued_caller(env, webhook):
    srv, db = env
    uid, ident = db.add_user("available")
    nid, did = db.add_number(label="Financeiro")
    params = call_params(srv.account_sid, did, frm="+5531987650000")
    call = dict(params)["CallSid"]
    twiml(webhook, srv, INBOUND, params)
    wr, wt = sid("WR"), sid("WT")
    # as /twilio/taskrouter/assignment builds it
    q = "reason=overflow&reservation=%s&task=%s&call=%s" % (wr, wt, call)
    leg = with_params(agent_leg(srv.account_sid, None, ident, caller="+5531987650000"), ParentCallSid=None,
                      Direction="outbound-api")
    w = twiml(webhook, srv, WHISPER, leg, q)
    assert tags(w) == ["Say", "Dial"]
    assert_say(w[0], contains=("Transbordo da fila", "Financeiro", "DDD 3 1", "9 8 7 6 5, 0 0 0 0"))
    dial = w[1]
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallback") == srv.base_url + RECORDING
    assert dial.get("recordingStatusCallbackEvent") == "completed absent"
    queue = dial.findall("Queue")
    assert len(queue) == 1 and queue[0].get("reservationSid") == wr and not (queue[0].text or "").strip()
    row = db.call(call, "agent_user_id", "reservation_sid", "task_sid", "routing")
    assert row == {"agent_user_id": uid, "reservation_sid": wr, "task_sid": wt, "routing": "queue"}


def test_overflow_whisper_finds_the_call_by_reservation(env, webhook):
    srv, db = env
    uid, ident = db.add_user("available")
    nid, did = db.add_number(label="Cobrança")
    params = call_params(srv.account_sid, did, frm="+5511955554444")
    call = dict(params)["CallSid"]
    twiml(webhook, srv, INBOUND, params)
    wr = sid("WR")
    db.run("UPDATE calls SET reservation_sid = %s WHERE call_sid = %s", (wr, call))
    leg = with_params(agent_leg(srv.account_sid, None, ident), ParentCallSid=None, From="+551130000000")
    w = twiml(webhook, srv, WHISPER, leg, "reason=overflow&reservation=" + wr)
    assert_say(w[0], contains=("Cobrança", "9 5 5 5 5, 4 4 4 4"))
    assert w.find("Dial/Queue").get("reservationSid") == wr
    assert db.call(call, "agent_user_id")["agent_user_id"] == uid


def test_overflow_whisper_without_reservation_cannot_bridge(env, webhook):
    srv, db = env
    uid, ident = db.add_user("available")
    leg = with_params(agent_leg(srv.account_sid, None, ident), ParentCallSid=None)
    w = twiml(webhook, srv, WHISPER, leg, "reason=overflow&reservation=bogus")
    assert tags(w)[-1] == "Hangup" and "Dial" not in tags(w)


def test_whisper_speaks_any_caller(env, webhook):
    srv, db = env
    uid, ident = db.add_user("available")
    for caller, want in [("+14155550100", "1 4 1 5 5 5 5 0 1 0 0"), ("client:maria", "ramal maria"),
                         ("anonymous", "não identificado")]:
        leg = agent_leg(srv.account_sid, sid("CA"), ident, caller=caller)
        w = twiml(webhook, srv, WHISPER, leg, "reason=dedicated")
        assert_say(w[0], contains=(want,))


# --------------------------------------------------------------------------
# every new route checks the signature


@pytest.mark.parametrize("path", [INBOUND, WHISPER, OVERFLOW, "/twilio/voice/queue-wait",
                                  "/twilio/voice/queue-exit", "/twilio/voice/voicemail", RECORDING])
def test_unsigned_requests_are_refused(env, webhook, path):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    r = webhook.post(srv, params, path=path, signature="bm9wZQ==")
    assert r.status_code == 403
    assert db.call(dict(params)["CallSid"]) is None
    r = webhook.post(srv, params, path=path, token="0" * 32)
    assert r.status_code == 403
