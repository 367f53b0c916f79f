"""Overflow of the dedicated <Dial>, the queue's wait music and
announcements, the queue's exit, and what happens without a TaskRouter
workflow (voicemail) or with the fallback URL."""

import re
import time
import xml.etree.ElementTree as ET

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ramaltest.harness import sid
from ramaltest.voice import (DEFAULT_DISCLAIMER, FALLBACK, INBOUND, QUEUE_EXIT, QUEUE_WAIT, RECORDING, SERVER_ENV,
                             VOICEMAIL, WORKFLOW_SID, assert_enqueue, assert_hangup_only, assert_say, assert_voicemail,
                             call_params, follow, query_of, tags, twiml, with_params)

MUSIC = "https://cdn.example.com/espera.mp3"


# the module's server (conftest's env fixture)
RAMAL_ENV = dict(TWILIO_WORKFLOW_SID=WORKFLOW_SID, QUEUE_ANNOUNCE_S="20", QUEUE_MAX_WAIT_S="120",
                 QUEUE_MUSIC_URL=MUSIC, **SERVER_ENV)


@pytest.fixture(scope="module")
def no_workflow(start_with_db):
    """(srv, db) of a second server, without TWILIO_WORKFLOW_SID."""
    return start_with_db(**SERVER_ENV)


def dedicated_call(srv, db, webhook, status="available"):
    uid, ident = db.add_user(status)
    nid, did = db.add_number(owner=uid, label="Vendas")
    params = call_params(srv.account_sid, did)
    root = twiml(webhook, srv, INBOUND, params)
    return params, root, ident, nid


# --------------------------------------------------------------------------
# /twilio/voice/overflow


@pytest.mark.parametrize("dial_status", ["no-answer", "busy", "failed", "canceled", None])
def test_unanswered_dedicated_call_overflows_to_the_queue(env, webhook, dial_status):
    srv, db = env
    params, root, ident, nid = dedicated_call(srv, db, webhook)
    call = dict(params)["CallSid"]
    action = root.find("Dial").get("action")
    extra = {"DialCallStatus": dial_status, "DialCallSid": sid("CA"), "DialCallDuration": "0",
             "CallStatus": "in-progress"}
    out = follow(webhook, srv, action, with_params(params, **extra))
    assert tags(out) == ["Enqueue"]
    attrs = assert_enqueue(out, srv)
    # dedicated_agent "" (as for a line without owner): the workflow's
    # dedicated step is for the first routing only, not for the agent who
    # just did not answer
    assert attrs == {"type": "inbound", "call_sid": call, "from": "+5511987654321", "to": dict(params)["To"],
                     "line": "Vendas", "dedicated_agent": "", "account_sid": srv.account_sid,
                     "reason": "overflow", "dial_status": dial_status or "unknown"}
    row = db.call(call, "routing", "dial_status", "phone_number_id")
    assert row == {"routing": "overflow", "dial_status": dial_status or "unknown", "phone_number_id": nid}


def same_tree(a, b):
    assert (a.tag, a.attrib, (a.text or "").strip()) == (b.tag, b.attrib, (b.text or "").strip())
    assert len(a) == len(b), (a.tag, tags(a), tags(b))
    for x, y in zip(a, b):
        same_tree(x, y)


def test_queue_and_voicemail_twiml_match_twilios_helper(env, no_workflow, webhook):
    """<Enqueue><Task> and <Record> as twilio.twiml.voice_response builds them."""
    srv, db = env
    params, root, ident, nid = dedicated_call(srv, db, webhook)
    out = follow(webhook, srv, root.find("Dial").get("action"), with_params(params, DialCallStatus="busy"))
    want = VoiceResponse()
    e = want.enqueue(None, action=srv.base_url + QUEUE_EXIT, method="POST", wait_url=srv.base_url + QUEUE_WAIT,
                     wait_url_method="POST", workflow_sid=WORKFLOW_SID)
    e.task(out.find("Enqueue/Task").text)
    same_tree(out, ET.fromstring(str(want)))

    srv2, db2 = no_workflow
    vm = twiml(webhook, srv2, VOICEMAIL, call_params(srv2.account_sid, "+551130000001"))
    want = VoiceResponse()
    want.say(vm[0].text, language="pt-BR", voice="Polly.Camila")
    want.record(action=srv2.base_url + VOICEMAIL + "?step=done", method="POST", max_length=120, timeout=10,
                finish_on_key="#", play_beep=True, recording_status_callback=srv2.base_url + RECORDING,
                recording_status_callback_method="POST", recording_status_callback_event="completed absent")
    want.say(vm[2].text, language="pt-BR", voice="Polly.Camila")
    want.hangup()
    same_tree(vm, ET.fromstring(str(want)))


@pytest.mark.parametrize("dial_status", ["completed", "answered"])
def test_answered_dedicated_call_hangs_up(env, webhook, dial_status):
    srv, db = env
    params, root, ident, nid = dedicated_call(srv, db, webhook)
    out = follow(webhook, srv, root.find("Dial").get("action"),
                 with_params(params, DialCallStatus=dial_status, DialCallDuration="75", CallStatus="in-progress"))
    assert_hangup_only(out)
    row = db.call(dict(params)["CallSid"], "routing", "dial_status")
    assert row == {"routing": "dedicated", "dial_status": dial_status}


# --------------------------------------------------------------------------
# /twilio/voice/queue-wait


def wait_params(srv, call, qtime, pos=2, size=3, avg=40):
    return sorted({"AccountSid": srv.account_sid, "CallSid": call, "QueueSid": sid("QU"),
                   "QueueTime": str(qtime), "QueuePosition": str(pos), "CurrentQueueSize": str(size),
                   "AvgQueueTime": str(avg), "MaxQueueSize": "1000", "CallStatus": "in-progress",
                   "From": "+5511987654321", "To": "+551130000000"}.items())


def test_queue_wait_announces_position_and_plays_music(env, webhook):
    srv, db = env
    call = sid("CA")
    root = twiml(webhook, srv, QUEUE_WAIT, wait_params(srv, call, 0, pos=2))
    t = tags(root)
    assert t[-2:] == ["Play", "Redirect"], t
    says = [assert_say(e) for e in root if e.tag == "Say"]
    assert any("Você é o 2º da fila" in s for s in says), says
    assert root.find("Play").text == MUSIC
    redirect = root.find("Redirect")
    assert redirect.get("method") == "POST"
    q = query_of(redirect.text)
    assert q["next"] == "20"
    t0 = int(q["t0"])
    assert abs(t0 - time.time()) < 5

    # the next loop, 10 s later: no announcement yet, just the music
    again = follow(webhook, srv, redirect.text, wait_params(srv, call, 10, pos=1))
    assert tags(again) == ["Play", "Redirect"]
    assert query_of(again.find("Redirect").text)["next"] == "20"

    # past the announcement interval: the position again
    later = follow(webhook, srv, again.find("Redirect").text, wait_params(srv, call, 21, pos=1))
    assert "Você é o próximo da fila." in [e.text for e in later if e.tag == "Say"]
    assert query_of(later.find("Redirect").text)["next"] == "41"


def test_queue_wait_announces_the_average_wait(env, webhook):
    srv, db = env
    root = twiml(webhook, srv, QUEUE_WAIT, wait_params(srv, sid("CA"), 0, pos=5, avg=240))
    text = " ".join(e.text for e in root if e.tag == "Say")
    assert "5º" in text and "4 minutos" in text


def test_queue_wait_offers_voicemail_after_the_limit(env, webhook):
    srv, db = env
    root = twiml(webhook, srv, QUEUE_WAIT, wait_params(srv, sid("CA"), 120))
    assert tags(root) == ["Say", "Leave"]
    assert_say(root[0], contains=("mensagens",))


def test_queue_wait_limit_counts_from_t0_without_queue_time(env, webhook):
    """A redirected wait document that lacks QueueTime still ends the wait."""
    srv, db = env
    t0 = int(time.time()) - 500
    params = with_params(wait_params(srv, sid("CA"), 0), QueueTime=None)
    root = twiml(webhook, srv, QUEUE_WAIT, params, "t0=%d&next=9999" % t0)
    assert tags(root)[-1] == "Leave"


# --------------------------------------------------------------------------
# /twilio/voice/queue-exit


def exit_params(params, result, qtime="37"):
    return with_params(params, QueueResult=result, QueueTime=qtime, QueueSid="QU" + "cd" * 16,
                       CallStatus="in-progress")


@pytest.mark.parametrize("result", ["bridged", "bridging-in-process", "redirected", "redirected-from-bridged"])
def test_queue_exit_after_a_conversation_hangs_up(env, webhook, result):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    root = twiml(webhook, srv, INBOUND, params)
    out = follow(webhook, srv, root.find("Enqueue").get("action"), exit_params(params, result))
    assert_hangup_only(out)
    row = db.call(dict(params)["CallSid"], "queue_result", "queue_time_s", "queue_sid", "abandoned")
    assert row == {"queue_result": result, "queue_time_s": 37, "queue_sid": "QU" + "cd" * 16, "abandoned": False}


def test_queue_exit_hangup_marks_the_call_abandoned(env, webhook):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    call = dict(params)["CallSid"]
    twiml(webhook, srv, INBOUND, params)
    out = twiml(webhook, srv, QUEUE_EXIT, exit_params(params, "hangup", "95"))
    assert_hangup_only(out)
    row = db.call(call, "queue_result", "queue_time_s", "abandoned", "routing")
    assert row == {"queue_result": "hangup", "queue_time_s": 95, "abandoned": True, "routing": "queue"}
    rec = srv.wait_log(lambda r: r.get("msg") == "call abandoned in the queue" and r.get("call") == call)
    assert rec["level"] == "info" and rec["queue_time"] == "95"


@pytest.mark.parametrize("result", ["leave", "queue-full", "error", "system-error", "something-new"])
def test_queue_exit_without_an_agent_goes_to_voicemail(env, webhook, result):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    twiml(webhook, srv, INBOUND, params)
    out = twiml(webhook, srv, QUEUE_EXIT, exit_params(params, result))
    assert_voicemail(out, srv)
    row = db.call(dict(params)["CallSid"], "queue_result", "abandoned")
    assert row == {"queue_result": result, "abandoned": False}


def test_queue_exit_to_a_line_without_voicemail(env, webhook):
    srv, db = env
    nid, did = db.add_number(voicemail_enabled=False)
    params = call_params(srv.account_sid, did)
    out = twiml(webhook, srv, QUEUE_EXIT, exit_params(params, "leave"))
    assert tags(out) == ["Say", "Hangup"]
    assert "Record" not in tags(out)


def test_the_whole_queue_path_ends_in_voicemail(env, webhook):
    """inbound -> queue-wait (limit) -> Leave -> queue-exit leave -> Record."""
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    root = twiml(webhook, srv, INBOUND, params)
    enq = root.find("Enqueue")
    wait = follow(webhook, srv, enq.get("waitUrl"), wait_params(srv, dict(params)["CallSid"], 130))
    assert tags(wait)[-1] == "Leave"
    out = follow(webhook, srv, enq.get("action"), exit_params(params, "leave", "130"))
    assert_voicemail(out, srv)
    assert db.call(dict(params)["CallSid"], "queue_result")["queue_result"] == "leave"


# --------------------------------------------------------------------------
# no TaskRouter workflow configured


def test_without_workflow_inbound_goes_to_voicemail(no_workflow, webhook):
    srv, db = no_workflow
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    root = twiml(webhook, srv, INBOUND, params)
    assert_say(root[0], DEFAULT_DISCLAIMER)
    assert "Enqueue" not in tags(root)
    assert_voicemail(root, srv)
    assert db.call(dict(params)["CallSid"], "routing")["routing"] == "voicemail"
    srv.wait_log(lambda r: r.get("level") == "warn" and "TWILIO_WORKFLOW_SID" in r.get("msg", ""))


def test_without_workflow_overflow_goes_to_voicemail(no_workflow, webhook):
    srv, db = no_workflow
    params, root, ident, nid = dedicated_call(srv, db, webhook)
    assert "Dial" in tags(root)
    out = follow(webhook, srv, root.find("Dial").get("action"), with_params(params, DialCallStatus="no-answer"))
    assert_voicemail(out, srv)
    row = db.call(dict(params)["CallSid"], "routing", "dial_status")
    assert row == {"routing": "voicemail", "dial_status": "no-answer"}


def test_default_queue_settings(no_workflow, webhook):
    srv, db = no_workflow
    root = twiml(webhook, srv, QUEUE_WAIT, wait_params(srv, sid("CA"), 0))
    assert re.match(r"^https?://", root.find("Play").text)
    assert query_of(root.find("Redirect").text)["next"] == "30"
    assert tags(twiml(webhook, srv, QUEUE_WAIT, wait_params(srv, sid("CA"), 299)))[-1] != "Leave"
    assert tags(twiml(webhook, srv, QUEUE_WAIT, wait_params(srv, sid("CA"), 300)))[-1] == "Leave"


# --------------------------------------------------------------------------
# the fallback URL


def test_fallback_puts_the_caller_in_the_queue(env, webhook):
    srv, db = env
    params = call_params(srv.account_sid, "+551130000000", ErrorCode="11200",
                         ErrorUrl=srv.base_url + INBOUND)
    root = twiml(webhook, srv, FALLBACK, params)
    assert tags(root) == ["Say", "Enqueue"]
    assert_say(root[0])
    attrs = assert_enqueue(root, srv)
    assert attrs["reason"] == "fallback" and attrs["call_sid"] == dict(params)["CallSid"]


def test_fallback_without_workflow_still_takes_a_message(no_workflow, webhook):
    srv, db = no_workflow
    root = twiml(webhook, srv, FALLBACK, call_params(srv.account_sid, "+551130000000"))
    assert "Record" in tags(root) and "Enqueue" not in tags(root)
    assert root.find("Record").get("action") == srv.base_url + FALLBACK + "?step=recorded"
    ET.tostring(root)
