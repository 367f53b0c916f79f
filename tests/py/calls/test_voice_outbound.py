"""/twilio/voice/outbound: the softphone's calls out (device.connect with To).
Only an enabled agent of the signing account may dial; numbers in every
Brazilian format are normalised to E.164; the caller ID is the agent's own
DID, else the tenant's default; the callee hears the disclaimer before the
bridge; dual-channel recording; agent-to-agent by identity; the calls row
is committed before the answer."""

import xml.etree.ElementTree as ET

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ramaltest import harness
from ramaltest.database import Db
from ramaltest.harness import sid
from ramaltest.server import RamalFactory
from ramaltest.voice import (DEFAULT_DISCLAIMER, RECORDING, SERVER_ENV, STATUS, assert_say, follow, query_of, tags,
                             twiml)

OUTBOUND = "/twilio/voice/outbound"
DISCLAIMER = "/twilio/voice/disclaimer"
DEFAULT_CALLER_ID = "+551140001234"
APP_SID = "AP" + "cd" * 16


# the module's server (conftest's env fixture)
RAMAL_ENV = dict(TWILIO_CALLER_ID=DEFAULT_CALLER_ID, **SERVER_ENV)


def out_params(account_sid, identity, to, call_sid=None, **extra):
    """What Twilio posts to the TwiML App's VoiceUrl for device.connect({params: {To}})."""
    p = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "ApplicationSid": APP_SID,
        "CallSid": call_sid or sid("CA"),
        "CallStatus": "ringing",
        "Called": "",
        "Caller": "client:" + identity,
        "Direction": "inbound",
        "From": "client:" + identity,
        "To": to,
    }
    return sorted(harness.overlay(p, extra).items())


def dial_of(root, srv, caller_id):
    """The <Dial> of an outbound answer, its common attributes checked."""
    assert tags(root) == ["Dial"], ET.tostring(root)
    dial = root[0]
    assert dial.get("action") == srv.base_url + OUTBOUND + "?step=done"
    assert dial.get("method") == "POST"
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallback") == srv.base_url + RECORDING
    assert dial.get("recordingStatusCallbackEvent") == "completed absent"
    assert dial.get("callerId") == caller_id
    return dial


def number_of(dial, srv):
    nums = dial.findall("Number")
    assert len(nums) == 1 and len(dial) == 1, ET.tostring(dial)
    n = nums[0]
    assert n.get("url", "").startswith(srv.base_url + DISCLAIMER + "?"), n.attrib
    assert n.get("method") == "POST"
    assert n.get("statusCallback") == srv.base_url + STATUS
    assert n.get("statusCallbackEvent") == "initiated ringing answered completed"
    return n


def refused(root, contains=()):
    assert tags(root) == ["Say", "Hangup"], ET.tostring(root)
    return assert_say(root[0], contains=contains)


# --------------------------------------------------------------------------
# a known agent dials a number


def test_agent_dials_number_with_own_did(env, webhook):
    srv, db = env
    uid, ident = db.add_user("available")
    nid, did = db.add_number(owner=uid, label="Ramal Ana", disclaimer_text="Ligação gravada, viu?")
    params = out_params(srv.account_sid, ident, "(11) 98765-4321")
    call = dict(params)["CallSid"]
    root = twiml(webhook, srv, OUTBOUND, params)

    dial = dial_of(root, srv, did)
    num = number_of(dial, srv)
    assert num.text == "+5511987654321"
    assert query_of(num.get("url")) == {"caller": did}
    # the same document as Twilio's own helper library builds it
    want = VoiceResponse()
    d = want.dial(action=srv.base_url + OUTBOUND + "?step=done", method="POST", timeout=30, answer_on_bridge=True,
                  record="record-from-answer-dual", recording_status_callback=srv.base_url + RECORDING,
                  recording_status_callback_method="POST", recording_status_callback_event="completed absent",
                  caller_id=did)
    d.number("+5511987654321", url=num.get("url"), method="POST", status_callback=srv.base_url + STATUS,
             status_callback_method="POST", status_callback_event="initiated ringing answered completed")
    w = ET.fromstring(want.to_xml())
    assert w[0].attrib == dial.attrib and w[0][0].attrib == num.attrib and w[0][0].text == num.text

    # the row was committed before the answer went out
    row = db.call(call, "direction", "from_number", "to_number", "agent_user_id", "caller_id", "dialled",
                  "bridge", "status")
    assert row == {"direction": "outbound", "from_number": did, "to_number": "+5511987654321",
                   "agent_user_id": uid, "caller_id": did, "dialled": "(11) 98765-4321",
                   "bridge": "outbound", "status": "ringing"}

    # what the callee hears before the bridge: that number's disclaimer
    callee = sid("CA")
    d = follow(webhook, srv, num.get("url"),
               out_params(srv.account_sid, ident, "+5511987654321", call_sid=callee,
                          From=did, Caller=did, ParentCallSid=call, Direction="outbound-dial",
                          CallStatus="in-progress", ApplicationSid=None))
    assert tags(d) == ["Say"]
    assert_say(d[0], "Ligação gravada, viu?")


def test_default_caller_id_and_default_disclaimer(env, webhook):
    srv, db = env
    uid, ident = db.add_user("busy")
    # a DID of someone else must not be used
    other, _ = db.add_user()
    db.add_number(owner=other)
    params = out_params(srv.account_sid, ident, "+55 21 2555-1234")
    root = twiml(webhook, srv, OUTBOUND, params)
    dial = dial_of(root, srv, DEFAULT_CALLER_ID)
    num = number_of(dial, srv)
    assert num.text == "+552125551234"
    assert db.call(dict(params)["CallSid"], "caller_id")["caller_id"] == DEFAULT_CALLER_ID
    # the default number is no DID of the tenant: the default disclaimer
    d = follow(webhook, srv, num.get("url"), out_params(srv.account_sid, ident, "+552125551234"))
    assert tags(d) == ["Say"]
    assert_say(d[0], DEFAULT_DISCLAIMER)


def test_tenant_caller_id_beats_the_configuration(env, webhook):
    srv, db = env
    uid, ident = db.add_user()
    db.run("UPDATE tenants SET caller_id = '+551130009999' WHERE account_sid = %s", (srv.account_sid,))
    try:
        root = twiml(webhook, srv, OUTBOUND, out_params(srv.account_sid, ident, "11987654321"))
        dial_of(root, srv, "+551130009999")
    finally:
        db.run("UPDATE tenants SET caller_id = NULL WHERE account_sid = %s", (srv.account_sid,))


@pytest.mark.parametrize("dialled,e164", [
    ("+55 11 98765-4321", "+5511987654321"),
    ("55 11 987654321", "+5511987654321"),
    ("011987654321", "+5511987654321"),
    ("(11) 98765-4321", "+5511987654321"),
    ("11987654321", "+5511987654321"),
    ("1133334444", "+551133334444"),
    ("(11) 8765-4321", "+5511987654321"),  # the ninth digit put back
    ("0 21 11 98765 4321", "+5511987654321"),  # carrier selection
    ("0 15 21 2555 1234", "+552125551234"),
    ("+1 415 555 0100", "+14155550100"),
    ("+351 21 123 4567", "+351211234567"),
])
def test_brazilian_formats(env, webhook, dialled, e164):
    srv, db = env
    uid, ident = db.add_user()
    params = out_params(srv.account_sid, ident, dialled)
    root = twiml(webhook, srv, OUTBOUND, params)
    num = number_of(dial_of(root, srv, DEFAULT_CALLER_ID), srv)
    assert num.text == e164
    assert db.call(dict(params)["CallSid"], "to_number")["to_number"] == e164


@pytest.mark.parametrize("dialled,reason", [
    ("98765-4321", "DDD"),
    ("(20) 3333-4444", "DDD"),
    ("(11) 1333-4444", "começar"),
    ("0800 123 4567", "0800"),
    ("190", "curtos"),
    ("+55 11 9876", "dígitos"),
    ("+1234", "internacional"),
    ("11 98765-4321 ramal 2", "ramal"),  # letters: not an agent either
])
def test_invalid_number_is_refused_with_a_reason(env, webhook, dialled, reason):
    srv, db = env
    uid, ident = db.add_user()
    params = out_params(srv.account_sid, ident, dialled)
    root = twiml(webhook, srv, OUTBOUND, params)
    text = refused(root)
    assert reason in text, text
    assert db.call(dict(params)["CallSid"]) is None


def test_unknown_or_disabled_identity_is_refused(env, webhook):
    srv, db = env
    for identity in ("ninguem_" + sid("")[:6], db.add_user(disabled=True)[1]):
        params = out_params(srv.account_sid, identity, "11987654321")
        text = refused(twiml(webhook, srv, OUTBOUND, params), contains=("não está autorizado",))
        assert text
        assert db.call(dict(params)["CallSid"]) is None
    # not a softphone at all
    uid, ident = db.add_user()
    params = out_params(srv.account_sid, ident, "11987654321", From="+5511999990000", Caller="+5511999990000")
    refused(twiml(webhook, srv, OUTBOUND, params), contains=("não está autorizado",))


def test_agent_of_another_tenant_is_refused(env, webhook, pg):
    srv, db = env
    other_account = "AC" + sid("")[2:34].ljust(32, "0")
    db.run("INSERT INTO tenants (account_sid, friendly_name, auth_token_enc)"
           " SELECT %s, 'outro', auth_token_enc FROM tenants WHERE account_sid = %s",
           (other_account, srv.account_sid))
    tid = db.one("SELECT id FROM tenants WHERE account_sid = %s", (other_account,))[0]
    db.run("INSERT INTO users (tenant_id, email, name, identity, status) VALUES (%s, 'x@outro.com', 'X', 'de_fora', 'available')",
           (tid,))
    # signed by our account, the identity exists only in the other tenant
    refused(twiml(webhook, srv, OUTBOUND, out_params(srv.account_sid, "de_fora", "11987654321")),
            contains=("não está autorizado",))


def test_no_caller_id_at_all_is_refused(pg, fake_twilio_server, webhook):
    factory = RamalFactory(pg, fake_twilio_server)
    try:
        srv = factory.start(**SERVER_ENV)
        db = Db(pg, srv)
        uid, ident = db.add_user()
        params = out_params(srv.account_sid, ident, "11987654321")
        refused(twiml(webhook, srv, OUTBOUND, params), contains=("número de origem",))
        # agent-to-agent needs no caller ID
        _, bob = db.add_user(identity="bob_" + sid("")[2:8])
        root = twiml(webhook, srv, OUTBOUND, out_params(srv.account_sid, ident, "client:" + bob))
        assert tags(root) == ["Dial"]
        db.close()
    finally:
        factory.close()


# --------------------------------------------------------------------------
# agent to agent


@pytest.mark.parametrize("form", ["client:{}", "{}"])
def test_agent_to_agent(env, webhook, form):
    srv, db = env
    uid, ana = db.add_user()
    _, bob = db.add_user(identity="bob_" + sid("")[2:8])
    params = out_params(srv.account_sid, ana, form.format(bob))
    root = twiml(webhook, srv, OUTBOUND, params)
    assert tags(root) == ["Dial"]
    dial = root[0]
    assert dial.get("callerId") is None  # From stays client:<ana>
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("action") == srv.base_url + OUTBOUND + "?step=done"
    assert tags(dial) == ["Client"]
    client = dial[0]
    assert client.get("statusCallback") == srv.base_url + STATUS
    assert [e.text for e in client.findall("Identity")] == [bob]
    row = db.call(dict(params)["CallSid"], "direction", "to_number", "bridge", "agent_user_id")
    assert row == {"direction": "outbound", "to_number": "client:" + bob, "bridge": "client",
                   "agent_user_id": uid}


def test_agent_to_unknown_or_self(env, webhook):
    srv, db = env
    uid, ana = db.add_user()
    _, off = db.add_user(disabled=True)
    for to in ("client:ninguem", "ninguem", "client:" + ana, "client:" + off):
        refused(twiml(webhook, srv, OUTBOUND, out_params(srv.account_sid, ana, to)), contains=("ramal",))


# --------------------------------------------------------------------------
# the end of the dial


@pytest.mark.parametrize("status,words", [("busy", "ocupado"), ("no-answer", "não atendeu"),
                                          ("failed", "Não foi possível")])
def test_dial_done_says_why(env, webhook, status, words):
    srv, db = env
    uid, ident = db.add_user()
    params = out_params(srv.account_sid, ident, "11987654321")
    call = dict(params)["CallSid"]
    twiml(webhook, srv, OUTBOUND, params)
    root = twiml(webhook, srv, OUTBOUND, out_params(srv.account_sid, ident, "11987654321", call_sid=call,
                                                    DialCallStatus=status, CallStatus="in-progress"),
                 query="step=done")
    assert tags(root) == ["Say", "Hangup"]
    assert_say(root[0], contains=(words,))
    assert db.call(call, "dial_status")["dial_status"] == status


def test_dial_done_completed_hangs_up(env, webhook):
    srv, db = env
    uid, ident = db.add_user()
    params = out_params(srv.account_sid, ident, "11987654321")
    call = dict(params)["CallSid"]
    twiml(webhook, srv, OUTBOUND, params)
    root = twiml(webhook, srv, OUTBOUND, out_params(srv.account_sid, ident, "11987654321", call_sid=call,
                                                    DialCallStatus="completed"), query="step=done")
    assert tags(root) == ["Hangup"]


def test_unsigned_is_refused(env, webhook):
    srv, db = env
    r = webhook.post(srv, out_params(srv.account_sid, "ana", "11987654321"), path=OUTBOUND, signature="bad")
    assert r.status_code == 403


@pytest.mark.outage
def test_database_down_apology_not_500(private_pg, fake_twilio_server, webhook, tmp_path):
    cluster = private_pg
    factory = RamalFactory(cluster, fake_twilio_server)
    try:
        srv = factory.start(TWILIO_CALLER_ID=DEFAULT_CALLER_ID, DB_ACQUIRE_TIMEOUT_MS="500",
                            SPOOL_DIR=str(tmp_path), **SERVER_ENV)
        db = Db(cluster, srv)
        uid, ident = db.add_user()
        db.close()
        cluster.stop()
        r = webhook.post(srv, out_params(srv.account_sid, ident, "11987654321"), path=OUTBOUND)
        assert r.status_code == 200, r.text
        root = ET.fromstring(r.content)
        refused(root, contains=("não foi possível completar",))
        # the end of the dial too
        r = webhook.post(srv, out_params(srv.account_sid, ident, "11987654321", DialCallStatus="completed"),
                         path=OUTBOUND, query="step=done")
        assert r.status_code == 200 and tags(ET.fromstring(r.content)) == ["Hangup"], r.text
    finally:
        factory.close()
