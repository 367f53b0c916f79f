"""Hold and unhold (POST /api/calls/{sid}/hold, /unhold, GET /api/calls/{sid})
for the three bridges ramal makes: inbound dedicated (<Dial><Client>),
inbound from the queue (<Dial><Queue> via TaskRouter) and outbound
(<Dial><Number>).  The webhooks are driven as Twilio would send them; the
jobs run in the server and their REST requests reach the fake Twilio API,
which checks every form against the OpenAPI data.

The first hold moves the call into a conference: a Calls update with
Twiml for the leg that does not own the <Dial>, then the owner's action
webhook answers the same <Dial><Conference>; once the held party has
joined, a Participants update with Hold=true and the hold music.  Later
holds only toggle the participant."""

import secrets
import time
import xml.etree.ElementTree as ET

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ramaltest import harness
from ramaltest.database import Db
from ramaltest.harness import sid
from ramaltest.server import RamalFactory, new_session
from ramaltest.voice import (INBOUND, OVERFLOW, QUEUE_EXIT, RECORDING, SERVER_ENV, STATUS, WHISPER, WORKFLOW_SID,
                             call_params, check_rest_twiml, follow, tags, twiml, wait_for)

OUTBOUND = "/twilio/voice/outbound"
CONFERENCE = "/twilio/conference"
HOLD_MUSIC = "/twilio/voice/hold"
PASSWORD = "correct horse battery staple"
CALLER_ID = "+551140001234"


# the module's server (conftest's env fixture)
RAMAL_ENV = dict(SERVER_ENV, JOB_WORKERS="1", RAMAL_JOB_POLL_MS="50", TWILIO_CALLER_ID=CALLER_ID,
                 TWILIO_WORKFLOW_SID=WORKFLOW_SID)


# --------------------------------------------------------------------------
# helpers


def agent(srv, db, role="agent", status="available"):
    """A user made by the operator CLI, signed in: (users.id, identity, bearer token)."""
    ident = "ag_" + secrets.token_hex(4)
    r = harness.run_cli(["create-user", "--email", ident + "@example.com", "--name", "Agente " + ident,
                         "--role", role, "--identity", ident, "--password-stdin"], srv.env, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    db.run("UPDATE users SET status = %s WHERE identity = %s", (status, ident))
    uid = db.one("SELECT id FROM users WHERE identity = %s", (ident,))[0]
    s = new_session()
    try:
        lr = s.post(srv.url + "/api/login", json={"email": ident + "@example.com", "password": PASSWORD}, timeout=30)
    finally:
        s.close()
    assert lr.status_code == 200, lr.text
    return uid, ident, lr.json()["token"]


def api(srv, method, path, token):
    s = new_session()
    try:
        return s.request(method, srv.url + path, headers={"Authorization": "Bearer " + token}, timeout=30)
    finally:
        s.close()


def status_cb(webhook, srv, call, status, seq, to, frm, parent=None, direction="outbound-dial"):
    p = {"AccountSid": srv.account_sid, "ApiVersion": "2010-04-01", "CallSid": call, "CallStatus": status,
         "SequenceNumber": str(seq), "Timestamp": "Mon, 23 Nov 2026 21:00:%02d +0000" % seq, "From": frm,
         "To": to, "Direction": direction, "CallbackSource": "call-progress-events"}
    if parent:
        p["ParentCallSid"] = parent
    r = webhook.post(srv, sorted(p.items()), path=STATUS)
    assert r.status_code == 200, r.text


def conf_event(webhook, srv, event, name, conf_sid, call=None, seq=0, hold="false"):
    p = {"AccountSid": srv.account_sid, "ConferenceSid": conf_sid, "FriendlyName": name,
         "StatusCallbackEvent": event, "SequenceNumber": str(seq), "Timestamp": "Mon, 23 Nov 2026 21:01:00 +0000"}
    if call:
        p.update(CallSid=call, Hold=hold, Muted="false", EndConferenceOnExit="true", StartConferenceOnEnter="true",
                 Coaching="false")
    r = webhook.post(srv, sorted(p.items()), path=CONFERENCE)
    assert r.status_code == 200, r.text


def rest(fake, path_part, n, within=10):
    """Wait for n POSTs whose path contains path_part; return them."""
    def got():
        reqs = [q for q in fake.requests_to("POST") if path_part in q.path]
        return reqs if len(reqs) >= n else None
    reqs = wait_for(got, within, step=0.05)
    assert reqs, "no POST to %s; saw %r" % (path_part, fake.requests)
    assert len(reqs) == n, reqs
    for q in reqs:
        assert not q.violations, q.violations
        assert 200 <= q.status < 300, q
    return reqs


def conference_of(el, srv, name):
    """<Dial><Conference> with the attributes every party gets."""
    assert tags(el) == ["Dial"], ET.tostring(el)
    confs = el[0].findall("Conference")
    assert len(confs) == 1 and len(el[0]) == 1
    c = confs[0]
    assert c.text == name
    assert c.get("startConferenceOnEnter") == "true"
    assert c.get("endConferenceOnExit") == "true"
    assert c.get("record") == "record-from-start"
    assert c.get("recordingStatusCallback") == srv.base_url + RECORDING
    assert c.get("statusCallback") == srv.base_url + CONFERENCE
    assert set(c.get("statusCallbackEvent").split()) >= {"start", "end", "join", "leave", "hold"}
    # the same document as Twilio's own helper library builds it
    want = VoiceResponse()
    d = want.dial()
    d.conference(name, start_conference_on_enter=True, end_conference_on_exit=True, beep=False,
                 record="record-from-start", recording_status_callback=srv.base_url + RECORDING,
                 recording_status_callback_method="POST", recording_status_callback_event="completed absent",
                 status_callback=srv.base_url + CONFERENCE, status_callback_method="POST",
                 status_callback_event="start end join leave hold")
    w = ET.fromstring(want.to_xml())
    assert w[0][0].attrib == c.attrib, (w[0][0].attrib, c.attrib)
    assert w[0].attrib == el[0].attrib
    return c


def hold_cycle(srv, db, fake, webhook, token, agent_leg, moved_leg, held_leg, anchor, action):
    """The whole hold story on one bridged call.  action(): the webhook of
    the <Dial>/<Enqueue> owner after the first bridge ended; returns its
    TwiML root."""
    name = "ramal-" + anchor
    conf = sid("CF")
    r = api(srv, "POST", "/api/calls/%s/hold" % agent_leg, token)
    assert r.status_code == 202, r.text
    assert r.json() == {"call_sid": agent_leg, "hold": True, "state": "pending"}

    # 1. the job moves the leg that does not own the <Dial> into the conference
    upd = rest(fake, "/Calls/%s.json" % moved_leg, 1)[0]
    form = upd.form_dict()
    assert set(form) == {"Twiml"}, form
    doc = check_rest_twiml(form["Twiml"][0])  # as Twilio reads a call's document
    assert doc.tag == "Response"
    conference_of(doc, srv, name)
    assert upd.path == "/2010-04-01/Accounts/%s/Calls/%s.json" % (srv.account_sid, moved_leg)

    # 2. the first bridge ended: the owner's action answers the same conference
    root = action()
    conference_of(root, srv, name)

    # 3. both join; once the held party is in, the job holds it
    conf_event(webhook, srv, "conference-start", name, conf, seq=0)
    conf_event(webhook, srv, "participant-join", name, conf, call=moved_leg, seq=1)
    conf_event(webhook, srv, "participant-join", name, conf, call=[l for l in (agent_leg, held_leg)
                                                                   if l != moved_leg][0], seq=2)
    part = "/Conferences/%s/Participants/%s.json" % (conf, held_leg)
    p = rest(fake, part, 1)[0]
    assert p.form_dict() == {"Hold": ["true"], "HoldUrl": [srv.base_url + HOLD_MUSIC], "HoldMethod": ["POST"]}
    assert wait_for(lambda: api(srv, "GET", "/api/calls/" + agent_leg, token).json()["hold_confirmed"], 5)
    g = api(srv, "GET", "/api/calls/" + agent_leg, token).json()
    assert g["hold"] is True and g["call_sid"] == agent_leg and g["conference"] == "active"
    conf_event(webhook, srv, "participant-hold", name, conf, call=held_leg, seq=4, hold="true")

    # the hold music Twilio fetches from HoldUrl
    m = twiml(webhook, srv, HOLD_MUSIC, [("AccountSid", srv.account_sid), ("CallSid", held_leg)])
    assert tags(m) == ["Play"] and m[0].get("loop") == "0" and m[0].text.startswith("http")

    # 4. unhold and hold again only toggle the participant
    r = api(srv, "POST", "/api/calls/%s/unhold" % agent_leg, token)
    assert r.status_code == 202 and r.json()["hold"] is False, r.text
    p = rest(fake, part, 2)[1]
    assert p.form_dict() == {"Hold": ["false"]}
    conf_event(webhook, srv, "participant-unhold", name, conf, call=held_leg, seq=5)
    assert wait_for(lambda: not api(srv, "GET", "/api/calls/" + agent_leg, token).json()["hold_confirmed"], 5)
    assert api(srv, "GET", "/api/calls/" + agent_leg, token).json()["hold"] is False

    r = api(srv, "POST", "/api/calls/%s/hold" % agent_leg, token)
    assert r.status_code == 202, r.text
    p = rest(fake, part, 3)[2]
    assert p.form_dict()["Hold"] == ["true"]
    # never a second move of the legs
    assert len([q for q in fake.requests_to("POST") if "/Calls/" in q.path]) == 1
    participants = db.all("SELECT call_sid, hold, left_at IS NULL FROM conference_participants"
                          " WHERE conference_sid = %s ORDER BY call_sid", (conf,))
    assert {c for c, _, _ in participants} == {agent_leg, held_leg} | {moved_leg}

    # 5. the conference ends: a hold is refused
    conf_event(webhook, srv, "participant-leave", name, conf, call=held_leg, seq=6)
    conf_event(webhook, srv, "conference-end", name, conf, seq=7)
    r = api(srv, "POST", "/api/calls/%s/unhold" % agent_leg, token)
    assert r.status_code == 409, r.text
    assert "error" in r.json() and "request_id" in r.json()


# --------------------------------------------------------------------------
# the three bridges


def test_hold_inbound_dedicated(env, fake_twilio, webhook):
    srv, db = env
    uid, ident, token = agent(srv, db)
    nid, did = db.add_number(owner=uid)
    params = call_params(srv.account_sid, did)
    caller = dict(params)["CallSid"]
    root = twiml(webhook, srv, INBOUND, params)
    client = root.find("Dial/Client")
    agent_leg = sid("CA")
    leg = sorted({"AccountSid": srv.account_sid, "CallSid": agent_leg, "ParentCallSid": caller,
                  "From": "+5511987654321", "To": "client:" + ident, "CallStatus": "in-progress",
                  "Direction": "outbound-dial"}.items())
    follow(webhook, srv, client.get("url"), leg)
    for seq, st in enumerate(("initiated", "ringing", "in-progress")):
        status_cb(webhook, srv, agent_leg, st, seq, "client:" + ident, "+5511987654321", parent=caller)

    g = api(srv, "GET", "/api/calls/" + agent_leg, token)
    assert g.status_code == 200, g.text
    g = g.json()
    assert g["hold"] is False and g["direction"] == "inbound" and g["bridge"] == "dedicated"
    assert g["status"] == "in-progress" and g["to"] == did

    def action():
        return twiml(webhook, srv, OVERFLOW, sorted(dict(params, DialCallStatus="completed",
                                                          CallStatus="in-progress").items()),
                     query="agent=" + ident)

    hold_cycle(srv, db, fake_twilio, webhook, token, agent_leg, moved_leg=agent_leg, held_leg=caller,
               anchor=caller, action=action)


def test_hold_inbound_from_queue(env, fake_twilio, webhook):
    srv, db = env
    uid, ident, token = agent(srv, db)
    nid, did = db.add_number()  # no owner: the queue
    params = call_params(srv.account_sid, did)
    caller = dict(params)["CallSid"]
    root = twiml(webhook, srv, INBOUND, params)
    assert root.find("Enqueue") is not None
    # TaskRouter's call instruction: Twilio calls the agent, whose whisper bridges
    agent_leg, wr, wt = sid("CA"), sid("WR"), sid("WT")
    leg = sorted({"AccountSid": srv.account_sid, "CallSid": agent_leg, "From": "+5511987654321",
                  "To": "client:" + ident, "CallStatus": "in-progress", "Direction": "outbound-api"}.items())
    w = twiml(webhook, srv, WHISPER, leg,
              query="reason=overflow&reservation=%s&task=%s&call=%s" % (wr, wt, caller))
    assert w.find("Dial/Queue").get("reservationSid") == wr
    # no status callbacks until the end: the `call` instruction reports only
    # `completed`, so the whisper alone makes the leg's row
    g = api(srv, "GET", "/api/calls/" + agent_leg, token).json()
    assert g["bridge"] == "queue" and g["anchor_call_sid"] == caller and g["bridged"] is True

    def action():
        return twiml(webhook, srv, QUEUE_EXIT, sorted(dict(params, QueueResult="bridged", QueueTime="12",
                                                            QueueSid=sid("QU"), CallStatus="in-progress").items()))

    hold_cycle(srv, db, fake_twilio, webhook, token, agent_leg, moved_leg=agent_leg, held_leg=caller,
               anchor=caller, action=action)


def out_params(srv, ident, to, call, **extra):
    p = {"AccountSid": srv.account_sid, "ApiVersion": "2010-04-01", "ApplicationSid": "AP" + "cd" * 16,
         "CallSid": call, "CallStatus": "ringing", "Caller": "client:" + ident, "Direction": "inbound",
         "From": "client:" + ident, "To": to}
    p.update(extra)
    return sorted(p.items())


def test_hold_outbound(env, fake_twilio, webhook):
    srv, db = env
    uid, ident, token = agent(srv, db, status="busy")
    agent_leg, callee = sid("CA"), sid("CA")
    root = twiml(webhook, srv, OUTBOUND, out_params(srv, ident, "(11) 98765-4321", agent_leg))
    assert root.find("Dial/Number").text == "+5511987654321"
    # before the callee answers: not bridged
    r = api(srv, "POST", "/api/calls/%s/hold" % agent_leg, token)
    assert r.status_code == 409, r.text
    for seq, st in enumerate(("initiated", "ringing", "in-progress")):
        status_cb(webhook, srv, callee, st, seq, "+5511987654321", CALLER_ID, parent=agent_leg)

    g = api(srv, "GET", "/api/calls/" + agent_leg, token).json()
    assert g["direction"] == "outbound" and g["to"] == "+5511987654321" and g["bridge"] == "outbound"

    def action():
        return twiml(webhook, srv, OUTBOUND, out_params(srv, ident, "(11) 98765-4321", agent_leg,
                                                        DialCallStatus="completed", CallStatus="in-progress"),
                     query="step=done")

    # outbound: the agent owns the <Dial>, so the callee is the leg moved
    hold_cycle(srv, db, fake_twilio, webhook, token, agent_leg, moved_leg=callee, held_leg=callee,
               anchor=agent_leg, action=action)


# --------------------------------------------------------------------------
# refusals


def test_hold_on_ended_call_is_409(env, fake_twilio, webhook):
    srv, db = env
    uid, ident, token = agent(srv, db)
    agent_leg, callee = sid("CA"), sid("CA")
    twiml(webhook, srv, OUTBOUND, out_params(srv, ident, "11987654321", agent_leg))
    for seq, st in enumerate(("initiated", "ringing", "in-progress", "completed")):
        status_cb(webhook, srv, callee, st, seq, "+5511987654321", CALLER_ID, parent=agent_leg)
    for verb in ("hold", "unhold"):
        r = api(srv, "POST", "/api/calls/%s/%s" % (agent_leg, verb), token)
        assert r.status_code == 409, r.text
        assert "ended" in r.json()["error"]
    assert api(srv, "GET", "/api/calls/" + agent_leg, token).json()["ended"] is True
    time.sleep(0.3)
    assert not [q for q in fake_twilio.requests if q.method == "POST"]


def test_hold_unknown_or_other_tenant_is_404(env, fake_twilio, webhook, pg):
    srv, db = env
    uid, ident, token = agent(srv, db)
    r = api(srv, "POST", "/api/calls/%s/hold" % sid("CA"), token)
    assert r.status_code == 404 and "request_id" in r.json()
    assert api(srv, "GET", "/api/calls/not-a-sid", token).status_code == 404
    # a live call of another tenant
    other = "AC" + secrets.token_hex(16)
    db.run("INSERT INTO tenants (account_sid, friendly_name, auth_token_enc)"
           " SELECT %s, 'outro', auth_token_enc FROM tenants WHERE account_sid = %s", (other, srv.account_sid))
    foreign = sid("CA")
    db.run("INSERT INTO calls (tenant_id, call_sid, direction, status, status_rank, bridge)"
           " SELECT id, %s, 'outbound', 'in-progress', 3, 'outbound' FROM tenants WHERE account_sid = %s",
           (foreign, other))
    for method, path in (("POST", "/api/calls/%s/hold"), ("POST", "/api/calls/%s/unhold"), ("GET", "/api/calls/%s")):
        r = api(srv, method, path % foreign, token)
        assert r.status_code == 404, r.text


def test_agent_cannot_hold_another_agents_call(env, fake_twilio, webhook):
    srv, db = env
    uid, ana, ana_token = agent(srv, db)
    _, bob, bob_token = agent(srv, db)
    _, sup, sup_token = agent(srv, db, role="supervisor")
    agent_leg, callee = sid("CA"), sid("CA")
    twiml(webhook, srv, OUTBOUND, out_params(srv, ana, "11987654321", agent_leg))
    for seq, st in enumerate(("initiated", "ringing", "in-progress")):
        status_cb(webhook, srv, callee, st, seq, "+5511987654321", CALLER_ID, parent=agent_leg)
    for method, path in (("POST", "/api/calls/%s/hold"), ("GET", "/api/calls/%s")):
        r = api(srv, method, path % agent_leg, bob_token)
        assert r.status_code == 403, r.text
    # a supervisor may, on the callee's leg too
    r = api(srv, "POST", "/api/calls/%s/hold" % callee, sup_token)
    assert r.status_code == 202, r.text
    rest(fake_twilio, "/Calls/%s.json" % callee, 1)
    assert db.call(agent_leg, "conference_name", "hold_wanted") == {"conference_name": "ramal-" + agent_leg,
                                                                   "hold_wanted": True}


def test_unauthenticated_is_401(env):
    srv, db = env
    s = new_session()
    try:
        r = s.post(srv.url + "/api/calls/%s/hold" % sid("CA"), timeout=10)
        assert r.status_code == 401
    finally:
        s.close()


def test_failed_move_clears_the_mark(env, fake_twilio, webhook):
    """The moved leg is already gone at Twilio (404): the mark is cleared so
    the owner's action hangs up instead of joining an empty conference."""
    srv, db = env
    uid, ident, token = agent(srv, db)
    agent_leg, callee = sid("CA"), sid("CA")
    twiml(webhook, srv, OUTBOUND, out_params(srv, ident, "11987654321", agent_leg))
    for seq, st in enumerate(("initiated", "ringing", "in-progress")):
        status_cb(webhook, srv, callee, st, seq, "+5511987654321", CALLER_ID, parent=agent_leg)
    fake_twilio.respond("POST", r"/Calls/%s\.json$" % callee, 404,
                        {"code": 20404, "message": "The requested resource was not found", "more_info": "",
                         "status": 404})
    assert api(srv, "POST", "/api/calls/%s/hold" % agent_leg, token).status_code == 202
    assert wait_for(lambda: db.call(agent_leg, "conference_name")["conference_name"] is None, 10)
    assert db.call(agent_leg, "hold_wanted")["hold_wanted"] is False
    root = twiml(webhook, srv, OUTBOUND, out_params(srv, ident, "11987654321", agent_leg,
                                                    DialCallStatus="completed"), query="step=done")
    assert tags(root) == ["Hangup"]


# --------------------------------------------------------------------------
# subaccounts


class AccountView:
    """The server as seen by another account: webhooks carry and are signed
    with that account's SID and auth token."""

    def __init__(self, srv, account_sid, auth_token):
        self._srv = srv
        self.account_sid = account_sid
        self.auth_token = auth_token

    def __getattr__(self, name):
        return getattr(self._srv, name)


def test_hold_on_a_subaccount_call_uses_its_credentials(env, fake_twilio, webhook):
    """A subaccount tenant's hold: the job reads the tenant's sealed auth
    token and acts on /Accounts/{subaccount}/ with the subaccount's own
    Basic credentials (the fake Twilio refuses anything else)."""
    srv, db = env
    sub, sub_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    r = harness.run_cli(["tenant", "add", sub, "--name", "Filial"], srv.env, input=sub_token + "\n")
    assert r.returncode == 0, r.stderr
    fake_twilio.add_account(sub, sub_token)
    sub_caller_id = "+551140009999"
    db.run("UPDATE tenants SET caller_id = %s WHERE account_sid = %s", (sub_caller_id, sub))
    ident = "sub_" + secrets.token_hex(4)
    r = harness.run_cli(["create-user", "--email", ident + "@example.com", "--name", "Filial " + ident,
                         "--identity", ident, "--account", sub, "--password-stdin"], srv.env, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    s = new_session()
    try:
        lr = s.post(srv.url + "/api/login", json={"email": ident + "@example.com", "password": PASSWORD,
                                                  "account": sub}, timeout=30)
    finally:
        s.close()
    assert lr.status_code == 200, lr.text
    token = lr.json()["token"]
    view = AccountView(srv, sub, sub_token)

    agent_leg, callee = sid("CA"), sid("CA")
    root = twiml(webhook, view, OUTBOUND, out_params(view, ident, "11987654321", agent_leg))
    assert root.find("Dial").get("callerId") == sub_caller_id
    for seq, st in enumerate(("initiated", "ringing", "in-progress")):
        status_cb(webhook, view, callee, st, seq, "+5511987654321", sub_caller_id, parent=agent_leg)
    assert api(srv, "POST", "/api/calls/%s/hold" % agent_leg, token).status_code == 202

    upd = rest(fake_twilio, "/Calls/%s.json" % callee, 1)[0]
    assert upd.path == "/2010-04-01/Accounts/%s/Calls/%s.json" % (sub, callee)
    assert upd.auth_user == sub
    root = twiml(webhook, view, OUTBOUND, out_params(view, ident, "11987654321", agent_leg,
                                                     DialCallStatus="completed", CallStatus="in-progress"),
                 query="step=done")
    conference_of(root, srv, "ramal-" + agent_leg)
    conf = sid("CF")
    conf_event(webhook, view, "participant-join", "ramal-" + agent_leg, conf, call=callee, seq=1)
    p = rest(fake_twilio, "/Participants/%s.json" % callee, 1)[0]
    assert p.path == "/2010-04-01/Accounts/%s/Conferences/%s/Participants/%s.json" % (sub, conf, callee)
    assert p.auth_user == sub and p.form_dict()["Hold"] == ["true"]
    assert wait_for(lambda: api(srv, "GET", "/api/calls/" + agent_leg, token).json()["hold_confirmed"], 5)
    # nothing went out under the primary account
    assert not [q for q in fake_twilio.requests_to("POST") if srv.account_sid in q.path]


# --------------------------------------------------------------------------
# the queued call's agent leg is linked by the whisper, not guessed


def test_queue_legs_are_linked_exactly_by_the_whisper(env, fake_twilio, webhook):
    """One agent with two queued callers bridged at once (say a second
    browser tab): each agent leg resolves to its own caller, and the
    caller's row names its own agent leg, whatever was created last."""
    srv, db = env
    uid, ident, token = agent(srv, db)
    _, sup, sup_token = agent(srv, db, role="supervisor")
    nid, did = db.add_number()  # the queue
    pairs = []
    for _ in range(2):
        params = call_params(srv.account_sid, did)
        caller = dict(params)["CallSid"]
        assert twiml(webhook, srv, INBOUND, params).find("Enqueue") is not None
        leg, wr, wt = sid("CA"), sid("WR"), sid("WT")
        p = sorted({"AccountSid": srv.account_sid, "CallSid": leg, "From": "+5511987654321",
                    "To": "client:" + ident, "CallStatus": "in-progress", "Direction": "outbound-api"}.items())
        twiml(webhook, srv, WHISPER, p, query="reason=overflow&reservation=%s&task=%s&call=%s" % (wr, wt, caller))
        pairs.append((caller, leg))
    (a, leg_a), (b, leg_b) = pairs
    assert db.call(a, "agent_call_sid") == {"agent_call_sid": leg_a}
    assert db.call(b, "agent_call_sid") == {"agent_call_sid": leg_b}
    for caller, leg in pairs:
        g = api(srv, "GET", "/api/calls/" + leg, token).json()
        assert g["anchor_call_sid"] == caller and g["agent_call_sid"] == leg and g["bridge"] == "queue", g
        # from the caller's side (a supervisor)
        g = api(srv, "GET", "/api/calls/" + caller, sup_token).json()
        assert g["anchor_call_sid"] == caller and g["agent_call_sid"] == leg, g
    # hold on the older call moves that call's own agent leg
    r = api(srv, "POST", "/api/calls/%s/hold" % leg_a, token)
    assert r.status_code == 202, r.text
    rest(fake_twilio, "/Calls/%s.json" % leg_a, 1)
    assert db.call(a, "conference_name")["conference_name"] == "ramal-" + a
    assert db.call(b, "conference_name")["conference_name"] is None
    time.sleep(0.3)
    assert not [q for q in fake_twilio.requests_to("POST") if leg_b in q.path]


# --------------------------------------------------------------------------
# conference events during a database outage


@pytest.mark.outage
def test_conference_events_are_spooled_while_the_database_is_down(private_pg, tmp_path, fake_twilio_server, webhook):
    """The conference starts while the database is down: its events are
    kept on disk (200 to Twilio), stored in order when it is back, and the
    hold they were waiting for is then done."""
    from ramaltest.voice import spool_files
    spool = str(tmp_path)
    fake_twilio_server.reset()
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(**dict(SERVER_ENV, JOB_WORKERS="1", RAMAL_JOB_POLL_MS="50", TWILIO_CALLER_ID=CALLER_ID,
                                   SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500"))
        db = Db(private_pg, srv)
        uid, ident, token = agent(srv, db)
        db.close()
        agent_leg, callee = sid("CA"), sid("CA")
        twiml(webhook, srv, OUTBOUND, out_params(srv, ident, "11987654321", agent_leg))
        for seq, st in enumerate(("initiated", "ringing", "in-progress")):
            status_cb(webhook, srv, callee, st, seq, "+5511987654321", CALLER_ID, parent=agent_leg)
        assert api(srv, "POST", "/api/calls/%s/hold" % agent_leg, token).status_code == 202
        rest(fake_twilio_server, "/Calls/%s.json" % callee, 1)
        name, conf = "ramal-" + agent_leg, sid("CF")
        # the agent's <Dial> action answers the conference while the database is up
        conference_of(twiml(webhook, srv, OUTBOUND, out_params(srv, ident, "11987654321", agent_leg,
                                                               DialCallStatus="completed"), query="step=done"),
                      srv, name)

        private_pg.stop()
        conf_event(webhook, srv, "conference-start", name, conf, seq=0)
        conf_event(webhook, srv, "participant-join", name, conf, call=callee, seq=1)
        conf_event(webhook, srv, "participant-join", name, conf, call=agent_leg, seq=2)
        assert len(spool_files(spool)) == 3
        assert "conference event spooled" in srv.log()
        time.sleep(0.5)
        assert not [q for q in fake_twilio_server.requests_to("POST") if "/Participants/" in q.path]

        private_pg.start()
        assert wait_for(lambda: spool_files(spool) == [], 20), srv.log()[-3000:]
        db = Db(private_pg, srv)
        try:
            assert db.call(agent_leg, "conference_sid", "conference_state") == {"conference_sid": conf,
                                                                                 "conference_state": "active"}
            rows = db.all("SELECT call_sid, joined_at IS NOT NULL FROM conference_participants"
                          " WHERE conference_sid = %s ORDER BY call_sid", (conf,))
            assert sorted(rows) == sorted([(callee, True), (agent_leg, True)])
            assert db.one("SELECT count(*) FROM call_events WHERE route = '/twilio/conference' AND replayed"
                          " AND params->>'ConferenceSid' = %s", (conf,)) == (3,)
            # the hold the join was waiting for
            p = rest(fake_twilio_server, "/Conferences/%s/Participants/%s.json" % (conf, callee), 1)[0]
            assert p.form_dict()["Hold"] == ["true"]
            assert wait_for(lambda: api(srv, "GET", "/api/calls/" + agent_leg, token).json()["hold_confirmed"], 10)
        finally:
            db.close()
    finally:
        factory.close()
        fake_twilio_server.reset()


# --------------------------------------------------------------------------
# agent to agent: the call is both agents'


def test_called_agent_may_hold_on_an_agent_to_agent_call(env, fake_twilio, webhook):
    """Ana calls Bob (<Dial><Client>).  Bob, with the CallSid his own SDK
    sees, may hold Ana: Bob's leg (not the <Dial> owner) is moved, Ana's
    action answers the conference, and Ana is the party held.  Ana then
    holding Bob moves the hold to Bob.  A third agent may not."""
    srv, db = env
    _, ana, ana_token = agent(srv, db, status="busy")
    _, bob, bob_token = agent(srv, db)
    _, carol, carol_token = agent(srv, db)
    ana_leg, bob_leg = sid("CA"), sid("CA")
    root = twiml(webhook, srv, OUTBOUND, out_params(srv, ana, "client:" + bob, ana_leg))
    assert [e.text for e in root.findall("Dial/Client/Identity")] == [bob]
    for seq, st in enumerate(("initiated", "ringing", "in-progress")):
        status_cb(webhook, srv, bob_leg, st, seq, "client:" + bob, "client:" + ana, parent=ana_leg)

    g = api(srv, "GET", "/api/calls/" + bob_leg, bob_token)
    assert g.status_code == 200, g.text
    assert g.json()["bridge"] == "client" and g.json()["anchor_call_sid"] == ana_leg
    for method, path in (("GET", "/api/calls/%s"), ("POST", "/api/calls/%s/hold")):
        assert api(srv, method, path % bob_leg, carol_token).status_code == 403
        assert api(srv, method, path % ana_leg, carol_token).status_code == 403

    r = api(srv, "POST", "/api/calls/%s/hold" % bob_leg, bob_token)
    assert r.status_code == 202, r.text
    assert r.json() == {"call_sid": bob_leg, "hold": True, "state": "pending"}
    name, conf = "ramal-" + ana_leg, sid("CF")
    upd = rest(fake_twilio, "/Calls/%s.json" % bob_leg, 1)[0]
    conference_of(check_rest_twiml(upd.form_dict()["Twiml"][0]), srv, name)
    conference_of(twiml(webhook, srv, OUTBOUND, out_params(srv, ana, "client:" + bob, ana_leg,
                                                           DialCallStatus="completed", CallStatus="in-progress"),
                        query="step=done"), srv, name)
    conf_event(webhook, srv, "conference-start", name, conf, seq=0)
    conf_event(webhook, srv, "participant-join", name, conf, call=bob_leg, seq=1)
    conf_event(webhook, srv, "participant-join", name, conf, call=ana_leg, seq=2)
    p = rest(fake_twilio, "/Participants/%s.json" % ana_leg, 1)[0]
    assert p.form_dict() == {"Hold": ["true"], "HoldUrl": [srv.base_url + HOLD_MUSIC], "HoldMethod": ["POST"]}
    assert wait_for(lambda: api(srv, "GET", "/api/calls/" + bob_leg, bob_token).json()["hold_confirmed"], 5)
    g = api(srv, "GET", "/api/calls/" + ana_leg, ana_token).json()
    assert g["hold"] is True and g["held_call_sid"] == ana_leg
    assert not [q for q in fake_twilio.requests_to("POST") if "/Participants/%s" % bob_leg in q.path]

    # Ana holds Bob: the hold moves from Ana to Bob
    r = api(srv, "POST", "/api/calls/%s/hold" % ana_leg, ana_token)
    assert r.status_code == 202, r.text
    p = rest(fake_twilio, "/Participants/%s.json" % bob_leg, 1)[0]
    assert p.form_dict()["Hold"] == ["true"]
    p = rest(fake_twilio, "/Participants/%s.json" % ana_leg, 2)[1]
    assert p.form_dict() == {"Hold": ["false"]}
    assert api(srv, "GET", "/api/calls/" + bob_leg, bob_token).json()["held_call_sid"] == bob_leg
    # either agent may unhold: the call is both of theirs
    r = api(srv, "POST", "/api/calls/%s/unhold" % bob_leg, bob_token)
    assert r.status_code == 202, r.text
    p = rest(fake_twilio, "/Participants/%s.json" % bob_leg, 2)[1]
    assert p.form_dict() == {"Hold": ["false"]}
    # only one move of a leg in all of it
    assert len([q for q in fake_twilio.requests_to("POST") if "/Calls/" in q.path]) == 1
