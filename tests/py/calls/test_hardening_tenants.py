"""Tenant scoping (issue #10, item 1): a webhook correctly signed by one
account that names a call (or a recording, task, reservation or
conference) of another account is refused and changes nothing.

Twilio's SIDs are unique across accounts, so a CallSid that ramal already
keeps under tenant A and that arrives signed by subaccount B is either a
forgery by B or a misconfiguration; either way A's rows must stay as they
are, no event of B is appended to A's call, B's request is refused (a
callback answered as invalid data, 400; a TwiML webhook <Hangup/>; the
assignment callback "reject"), and the log warns once, naming both
accounts.

Each test drives the owner's rows through its own signed webhooks, then
sends the foreign one, and compares the owner's rows before and after."""

import json
import os
import secrets

import pytest

from ramaltest import harness
from ramaltest.database import Db
from ramaltest.harness import sid
from ramaltest.server import RamalFactory, new_session
from ramaltest.voice import (INBOUND, OVERFLOW, QUEUE_EXIT, RECORDING, SERVER_ENV, STATUS, VOICEMAIL, WHISPER,
                             WORKFLOW_SID, call_params, post, recording_params, spool_files, tags, twiml, wait_for,
                             with_params)

OUTBOUND = "/twilio/voice/outbound"
CONFERENCE = "/twilio/conference"
TR_EVENTS = "/twilio/taskrouter/events"
TR_ASSIGN = "/twilio/taskrouter/assignment"
REFUSED = "callback for a call of another tenant refused"
T0 = 1795467600  # 2026-11-23T21:00:00Z


class Account:
    """The server as one account sees it: webhooks carry and are signed
    with that account's SID and auth token."""

    def __init__(self, srv, account_sid, auth_token):
        self._srv = srv
        self.account_sid = account_sid
        self.auth_token = auth_token

    def __getattr__(self, name):
        return getattr(self._srv, name)


# the module's server (conftest's env fixture)
RAMAL_ENV = dict(SERVER_ENV, TWILIO_WORKFLOW_SID=WORKFLOW_SID)


@pytest.fixture(scope="module")
def tenants(env):
    """The module's server (the primary account) with one subaccount
    tenant: (srv, db, primary, subaccount)."""
    srv, db = env
    sub, sub_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    r = harness.run_cli(["tenant", "add", sub, "--name", "Filial"], srv.env, input=sub_token + "\n")
    assert r.returncode == 0, r.stderr
    return srv, db, Account(srv, srv.account_sid, srv.auth_token), Account(srv, sub, sub_token)


@pytest.fixture(params=["sub-attacks-primary", "primary-attacks-sub"])
def both_ways(request, tenants):
    """(srv, db, owner, intruder) for both directions."""
    srv, db, primary, sub = tenants
    if request.param == "sub-attacks-primary":
        return srv, db, primary, sub
    return srv, db, sub, primary


@pytest.fixture
def a_b(tenants):
    """(srv, db, owner A = the primary, intruder B = the subaccount)."""
    srv, db, primary, sub = tenants
    return srv, db, primary, sub


# --------------------------------------------------------------------------
# helpers


def tenant(db, acct):
    return db.tenant_id(acct.account_sid)


def add_user(db, acct, status="available"):
    ident = "ag_" + secrets.token_hex(4)
    uid = db.one("INSERT INTO users (tenant_id, email, name, identity, status) VALUES (%s, %s, %s, %s, %s)"
                 " RETURNING id", (tenant(db, acct), ident + "@example.com", "Agente " + ident, ident, status))[0]
    return uid, ident


def add_number(db, acct, owner=None, label="Vendas"):
    e164 = "+5511%08d" % (int(secrets.token_hex(4), 16) % 10 ** 8)
    nid = db.one("INSERT INTO phone_numbers (tenant_id, e164, label, owner_user_id) VALUES (%s, %s, %s, %s)"
                 " RETURNING id", (tenant(db, acct), e164, label, owner))[0]
    return nid, e164


def row(db, table, key, value):
    """The whole row as JSON (updated_at included: a refused write touches
    nothing), or None."""
    r = db.one("SELECT to_jsonb(x) FROM %s x WHERE %s = %%s" % (table, key), (value,))
    return None if r is None else r[0]


def call_row(db, call):
    return row(db, "calls", "call_sid", call)


def events_of(db, call):
    """(tenant_id, route) of every call_events row of this CallSid."""
    return sorted(db.all("SELECT tenant_id, route FROM call_events WHERE call_sid = %s", (call,)))


def status_params(acct, call, status, seq, **extra):
    p = {"AccountSid": acct.account_sid, "ApiVersion": "2010-04-01", "CallSid": call, "CallStatus": status,
         "SequenceNumber": str(seq), "Timestamp": "Mon, 23 Nov 2026 21:00:%02d +0000" % seq,
         "From": "+5511987654321", "To": "+551130000000", "Direction": "inbound",
         "CallbackSource": "call-progress-events"}
    if status == "completed":
        p["CallDuration"] = "42"
    p.update(extra)
    return sorted((k, v) for k, v in p.items() if v is not None)


def assert_refused_logged(srv, intruder, owner, sid_):
    """The one warning of the refusal: both accounts and the SID."""
    rec = srv.wait_log(lambda r: r.get("msg") == REFUSED and sid_ in r["_line"])
    assert rec["level"] == "warn", rec
    assert rec.get("account") == intruder.account_sid, rec
    assert rec.get("owner") == owner.account_sid, rec
    return rec


def assert_hangup(root):
    assert tags(root) == ["Hangup"], tags(root)


def inbound_call(webhook, db, acct, owner_agent=False, status="ringing"):
    """An inbound call of acct through its own signed webhook; its CallSid."""
    uid = None
    if owner_agent:
        uid, _ = add_user(db, acct)
    _, did = add_number(db, acct, owner=uid)
    params = call_params(acct.account_sid, did, CallStatus=status)
    twiml(webhook, acct, INBOUND, params)
    return dict(params)["CallSid"]


# --------------------------------------------------------------------------
# /twilio/status: the reproduction


def test_status_callback_of_another_tenant_changes_nothing(both_ways, webhook):
    """ringing signed by A, then completed with SequenceNumber=9 signed by B:
    A's row stays ringing, with no end, and B's callback is not kept."""
    srv, db, a, b = both_ways
    call = sid("CA")
    post(webhook, a, STATUS, status_params(a, call, "ringing", 1))
    before = call_row(db, call)
    assert before["status"] == "ringing" and before["tenant_id"] == tenant(db, a)
    assert events_of(db, call) == [(tenant(db, a), STATUS)]

    r = webhook.post(b, status_params(b, call, "completed", 9), path=STATUS)
    after = call_row(db, call)
    assert after == before
    assert after["status"] == "ringing" and after["ended_at"] is None and after["duration_s"] is None
    assert events_of(db, call) == [(tenant(db, a), STATUS)], "B's callback was appended to A's call"
    assert r.status_code == 400, (r.status_code, r.text)
    assert_refused_logged(srv, b, a, call)
    # nothing was spooled for later either: the refusal is final
    assert "status callback spooled" not in srv.log()

    # A's own callbacks still move the row
    post(webhook, a, STATUS, status_params(a, call, "completed", 2))
    assert call_row(db, call)["status"] == "completed"


def test_status_callback_with_an_unknown_status_is_refused_too(a_b, webhook):
    """A status ramal does not know is kept as an event only, but not on
    another tenant's call."""
    srv, db, a, b = a_b
    call = sid("CA")
    post(webhook, a, STATUS, status_params(a, call, "ringing", 1))
    before = call_row(db, call)
    r = webhook.post(b, status_params(b, call, "dancing", 5), path=STATUS)
    assert call_row(db, call) == before
    assert events_of(db, call) == [(tenant(db, a), STATUS)]
    assert r.status_code == 400, r.text
    assert_refused_logged(srv, b, a, call)


def test_status_callback_naming_another_tenants_parent_is_refused(a_b, webhook):
    """A child leg of B whose ParentCallSid is A's call is not stored."""
    srv, db, a, b = a_b
    parent = sid("CA")
    post(webhook, a, STATUS, status_params(a, parent, "in-progress", 1))
    child = sid("CA")
    r = webhook.post(b, status_params(b, child, "ringing", 1, ParentCallSid=parent), path=STATUS)
    assert call_row(db, child) is None
    assert events_of(db, child) == []
    assert r.status_code == 400, r.text
    assert_refused_logged(srv, b, a, parent)


# --------------------------------------------------------------------------
# the voice webhooks


def test_inbound_webhook_of_another_tenant_changes_nothing(a_b, webhook):
    """A status callback of A made the row first; B's inbound webhook with
    the same CallSid neither completes it (routing, B's number) nor moves
    its status."""
    srv, db, a, b = a_b
    call = sid("CA")
    post(webhook, a, STATUS, status_params(a, call, "initiated", 0))
    before = call_row(db, call)
    assert before["routing"] is None
    _, b_did = add_number(db, b)
    root = twiml(webhook, b, INBOUND, call_params(b.account_sid, b_did, call_sid=call, CallStatus="in-progress"))
    assert call_row(db, call) == before
    assert events_of(db, call) == [(tenant(db, a), STATUS)]
    assert_hangup(root)
    assert_refused_logged(srv, b, a, call)


@pytest.mark.parametrize("reason", ["dedicated", "overflow"])
def test_whisper_of_another_tenant_does_not_mark_the_call(a_b, webhook, reason):
    """B's agent leg naming A's caller: A's row gets no agent of B, no
    agent leg, no reservation; B's agent is hung up, never bridged."""
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a, owner_agent=True)
    before = call_row(db, call)
    _, b_ident = add_user(db, b)
    leg = sid("CA")
    p = {"AccountSid": b.account_sid, "ApiVersion": "2010-04-01", "CallSid": leg, "CallStatus": "in-progress",
         "Direction": "outbound-dial", "From": "+5511987654321", "To": "client:" + b_ident}
    if reason == "dedicated":
        p["ParentCallSid"] = call
        q = "reason=dedicated"
    else:
        q = "reason=overflow&reservation=%s&task=%s&call=%s" % (sid("WR"), sid("WT"), call)
    root = twiml(webhook, b, WHISPER, sorted(p.items()), q)
    after = call_row(db, call)
    assert after == before
    assert after["agent_user_id"] is None and after["agent_call_sid"] is None
    assert_hangup(root)
    assert_refused_logged(srv, b, a, call)


def test_overflow_of_another_tenant_keeps_dial_status_and_routing(a_b, webhook):
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a, owner_agent=True)
    before = call_row(db, call)
    assert before["routing"] == "dedicated" and before["dial_status"] is None
    p = with_params(call_params(b.account_sid, "+551130000000", call_sid=call), DialCallStatus="no-answer",
                    CallStatus="in-progress")
    root = twiml(webhook, b, OVERFLOW, p, "agent=ana")
    assert call_row(db, call) == before
    assert_hangup(root)
    assert_refused_logged(srv, b, a, call)


def test_queue_exit_of_another_tenant_keeps_queue_result(a_b, webhook):
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    before = call_row(db, call)
    assert before["routing"] == "queue"
    p = with_params(call_params(b.account_sid, "+551130000000", call_sid=call), QueueResult="hangup",
                    QueueTime="37", QueueSid=sid("QU"), CallStatus="in-progress")
    root = twiml(webhook, b, QUEUE_EXIT, p)
    after = call_row(db, call)
    assert after == before
    assert after["queue_result"] is None and after["abandoned"] is False
    assert_hangup(root)
    assert_refused_logged(srv, b, a, call)


def test_outbound_webhook_of_another_tenant_does_not_take_the_call(a_b, webhook):
    """B's softphone call carrying A's CallSid: A's row keeps its
    direction, agent and numbers; B's agent hears a refusal."""
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    db.run("UPDATE tenants SET caller_id = '+551140007777' WHERE account_sid = %s", (b.account_sid,))
    _, b_ident = add_user(db, b)
    before = call_row(db, call)
    p = {"AccountSid": b.account_sid, "ApiVersion": "2010-04-01", "ApplicationSid": "AP" + "cd" * 16,
         "CallSid": call, "CallStatus": "ringing", "Caller": "client:" + b_ident, "Direction": "inbound",
         "From": "client:" + b_ident, "To": "11987654321"}
    root = twiml(webhook, b, OUTBOUND, sorted(p.items()))
    assert call_row(db, call) == before
    assert "Dial" not in tags(root) and tags(root)[-1] == "Hangup", tags(root)
    assert_refused_logged(srv, b, a, call)


# --------------------------------------------------------------------------
# recordings and voicemails (RecordingSid is unique across accounts too)


def test_recording_callback_of_another_tenant_changes_nothing(a_b, webhook):
    """B's completed callback for A's in-progress recording neither
    completes it (URL, duration) nor queues its archive job."""
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    rec = sid("RE")
    post(webhook, a, RECORDING, recording_params(a.account_sid, call, rec, status="in-progress",
                                                 RecordingUrl=None))
    before = row(db, "recordings", "recording_sid", rec)
    assert before["status"] == "in-progress"
    r = webhook.post(b, recording_params(b.account_sid, sid("CA"), rec), path=RECORDING)
    assert row(db, "recordings", "recording_sid", rec) == before
    assert db.all("SELECT id FROM jobs WHERE dedupe_key = %s", (rec,)) == []
    assert r.status_code == 400, r.text
    assert_refused_logged(srv, b, a, rec)


def test_recording_of_another_tenants_call_is_refused(a_b, webhook):
    """A new RecordingSid of B whose CallSid is A's call: no recording of
    A's call is kept under B."""
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    rec = sid("RE")
    r = webhook.post(b, recording_params(b.account_sid, call, rec), path=RECORDING)
    assert row(db, "recordings", "recording_sid", rec) is None
    assert db.all("SELECT id FROM jobs WHERE dedupe_key = %s", (rec,)) == []
    assert r.status_code == 400, r.text
    assert_refused_logged(srv, b, a, call)


def voicemail_done(acct, call, rec, to="+551130000000"):
    p = call_params(acct.account_sid, to, call_sid=call, CallStatus="in-progress")
    return with_params(p, RecordingSid=rec, RecordingDuration="17", Digits="#",
                       RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/%s/Recordings/%s"
                       % (acct.account_sid, rec))


def test_voicemail_naming_another_tenants_recording_is_refused(a_b, webhook):
    """B's voicemail with A's RecordingSid: no voicemail row, and A's
    recording is not linked to anything of B."""
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    rec = sid("RE")
    post(webhook, a, RECORDING, recording_params(a.account_sid, call, rec))
    before = row(db, "recordings", "recording_sid", rec)
    root = twiml(webhook, b, VOICEMAIL, voicemail_done(b, sid("CA"), rec), "step=done")
    assert row(db, "voicemails", "recording_sid", rec) is None
    assert row(db, "recordings", "recording_sid", rec) == before
    assert_hangup(root)
    assert_refused_logged(srv, b, a, rec)


def test_voicemail_of_another_tenants_call_is_refused(a_b, webhook):
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    rec = sid("RE")
    root = twiml(webhook, b, VOICEMAIL, voicemail_done(b, call, rec), "step=done")
    assert row(db, "voicemails", "recording_sid", rec) is None
    assert db.all("SELECT id FROM voicemails WHERE call_sid = %s", (call,)) == []
    assert_hangup(root)
    assert_refused_logged(srv, b, a, call)


def test_voicemail_of_another_tenant_keeps_the_owners_voicemail(a_b, webhook):
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    rec = sid("RE")
    # A's <Record> action without the URL and duration (both optional)
    twiml(webhook, a, VOICEMAIL, with_params(voicemail_done(a, call, rec), RecordingUrl=None,
                                             RecordingDuration=None), "step=done")
    before = row(db, "voicemails", "recording_sid", rec)
    assert before["tenant_id"] == tenant(db, a) and before["recording_url"] is None
    root = twiml(webhook, b, VOICEMAIL, voicemail_done(b, sid("CA"), rec), "step=done")
    assert row(db, "voicemails", "recording_sid", rec) == before
    assert_hangup(root)
    assert_refused_logged(srv, b, a, rec)


# --------------------------------------------------------------------------
# TaskRouter (task and reservation SIDs of A's workspace sent by B)


def tr_event(acct, etype, ts, **fields):
    p = {"AccountSid": acct.account_sid, "WorkspaceSid": "WS" + "1" * 32, "WorkspaceName": "ramal",
         "EventType": etype, "EventDescription": etype, "Sid": sid("EV"), "Timestamp": str(ts),
         "TimestampMs": str(ts * 1000)}
    p.update(fields)
    return sorted(p.items())


def a_task(webhook, db, a, call):
    """A's task and reservation for call, through A's own events."""
    wt, wr, worker = sid("WT"), sid("WR"), sid("WK")
    db.run("INSERT INTO users (tenant_id, email, name, identity, worker_sid) VALUES (%s, %s, 'W', %s, %s)",
           (tenant(db, a), worker.lower() + "@example.com", "w" + worker[2:12], worker))
    attrs = json.dumps({"call_sid": call, "from": "+5511987654321", "to": "+551130000000"})
    task = dict(TaskSid=wt, TaskAttributes=attrs, TaskAge="1", TaskPriority="0",
                WorkflowSid="WW" + "2" * 32, TaskQueueSid="WQ" + "3" * 32)
    res = dict(task, ReservationSid=wr, WorkerSid=worker, WorkerName="x", ResourceType="reservation",
               ResourceSid=wr, WorkerAttributes='{"identity": "x"}')
    for p in (tr_event(a, "task.created", T0, ResourceType="task", ResourceSid=wt, TaskAssignmentStatus="pending",
                       **task),
              tr_event(a, "reservation.created", T0 + 1, TaskAssignmentStatus="reserved", **res)):
        post(webhook, a, TR_EVENTS, p)
    return wt, wr, task, res


def tr_rows(db, wt, wr):
    return (row(db, "tasks", "task_sid", wt), row(db, "reservations", "reservation_sid", wr))


def tr_events_of(db, acct):
    return db.one("SELECT count(*) FROM taskrouter_events WHERE tenant_id = %s", (tenant(db, acct),))[0]


def test_taskrouter_events_of_another_tenant_change_nothing(a_b, webhook):
    """B's events for A's task and reservation (with B's own call in the
    attributes) move neither; B keeps no event of them."""
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    wt, wr, task, res = a_task(webhook, db, a, call)
    before, before_call = tr_rows(db, wt, wr), call_row(db, call)
    assert before[0]["assignment_status"] == "reserved" and before[1]["status"] == "pending"
    b_events = tr_events_of(db, b)
    b_attrs = json.dumps({"call_sid": sid("CA"), "from": "+5511987654321"})
    events = (tr_event(b, "task.canceled", T0 + 50, ResourceType="task", ResourceSid=wt,
                       **dict(task, TaskAttributes=b_attrs, TaskAssignmentStatus="canceled",
                              TaskCanceledReason="intruder")),
              tr_event(b, "reservation.rejected", T0 + 50, TaskAssignmentStatus="pending",
                       **dict(res, TaskAttributes=b_attrs, WorkerSid=sid("WK"))))
    codes = [webhook.post(b, p, path=TR_EVENTS).status_code for p in events]
    assert tr_rows(db, wt, wr) == before
    assert call_row(db, call) == before_call
    assert tr_events_of(db, b) == b_events
    assert codes == [400, 400]
    assert_refused_logged(srv, b, a, wt)


def test_taskrouter_task_of_another_tenants_call_is_refused(a_b, webhook):
    """A new task of B whose call_sid is A's call: no task, no link."""
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    before = call_row(db, call)
    wt = sid("WT")
    attrs = json.dumps({"call_sid": call, "from": "+5511987654321"})
    r = webhook.post(b, tr_event(b, "task.created", T0, ResourceType="task", ResourceSid=wt, TaskSid=wt,
                                 TaskAttributes=attrs, TaskAssignmentStatus="pending"), path=TR_EVENTS)
    assert row(db, "tasks", "task_sid", wt) is None
    assert call_row(db, call) == before
    assert r.status_code == 400, r.text
    assert_refused_logged(srv, b, a, call)


def test_taskrouter_assignment_of_another_tenant_is_rejected(a_b, webhook):
    """B's assignment callback for A's reservation: rejected, A's task and
    reservation unchanged, no call.incoming for B's worker."""
    srv, db, a, b = a_b
    call = inbound_call(webhook, db, a)
    wt, wr, task, res = a_task(webhook, db, a, call)
    before = tr_rows(db, wt, wr)
    worker = sid("WK")
    p = {"AccountSid": b.account_sid, "WorkspaceSid": sid("WS"), "WorkflowSid": sid("WW"),
         "TaskQueueSid": sid("WQ"), "WorkerSid": worker,
         "WorkerAttributes": json.dumps({"identity": "bob", "contact_uri": "client:bob"}),
         "TaskSid": wt, "ReservationSid": wr, "TaskAge": "7", "TaskPriority": "0", "Timestamp": str(T0 + 60),
         "TaskAttributes": json.dumps({"call_sid": sid("CA"), "from": "+5511987654321", "to": "+551130000000"})}
    r = webhook.post(b, sorted(p.items()), path=TR_ASSIGN)
    assert r.status_code == 200, r.text
    assert r.json() == {"instruction": "reject"}
    assert tr_rows(db, wt, wr) == before
    assert db.all("SELECT id FROM taskrouter_events WHERE tenant_id = %s AND resource_sid = %s",
                  (tenant(db, b), wr)) == []
    # the task is named first (then the reservation): both are A's
    assert_refused_logged(srv, b, a, wt)


# --------------------------------------------------------------------------
# conferences and hold


def held_call(webhook, db, a, b):
    """A's inbound call escalated for hold: the anchor (A's caller) in its
    conference with two participants (the caller held), through A's own
    conference events.  And B's own escalated call, whose conference name
    B may legitimately send.  Returns (anchor, agent leg, CF of A, B's
    conference name)."""
    anchor = inbound_call(webhook, db, a, owner_agent=True)
    agent_leg = sid("CA")
    db.run("UPDATE calls SET bridge = 'dedicated', agent_call_sid = %s, other_call_sid = %s, hold_wanted = true,"
           " conference_name = 'ramal-' || call_sid, conference_state = 'redirected' WHERE call_sid = %s",
           (agent_leg, anchor, anchor))
    cf = sid("CF")
    name = "ramal-" + anchor
    for seq, (event, leg, hold) in enumerate((("participant-join", agent_leg, "false"),
                                               ("participant-join", anchor, "true")), start=1):
        conf_event(webhook, a, event, name, cf, leg, seq, hold)
    b_anchor = sid("CA")
    db.run("INSERT INTO calls (tenant_id, call_sid, direction, bridge, conference_name, conference_state)"
           " VALUES (%s, %s, 'inbound', 'dedicated', 'ramal-' || %s, 'active')", (tenant(db, b), b_anchor, b_anchor))
    return anchor, agent_leg, cf, "ramal-" + b_anchor


def conf_event(webhook, acct, event, name, conf_sid, call=None, seq=0, hold="false", expect=200):
    p = {"AccountSid": acct.account_sid, "ConferenceSid": conf_sid, "FriendlyName": name,
         "StatusCallbackEvent": event, "SequenceNumber": str(seq), "Timestamp": "Mon, 23 Nov 2026 21:01:00 +0000"}
    if call:
        p.update(CallSid=call, Hold=hold, Muted="false", EndConferenceOnExit="true", StartConferenceOnEnter="true",
                 Coaching="false")
    r = webhook.post(acct, sorted(p.items()), path=CONFERENCE)
    if expect is not None:
        assert r.status_code == expect, (r.status_code, r.text)
    return r.status_code


def hold_state(db, anchor, cf):
    parts = db.all("SELECT to_jsonb(p) FROM conference_participants p WHERE conference_sid = %s ORDER BY id", (cf,))
    jobs = db.all("SELECT kind, account_sid FROM jobs WHERE kind = 'call.hold' AND payload->>'call_sid' = %s",
                  (anchor,))
    return call_row(db, anchor), [p[0] for p in parts], sorted(jobs)


def test_conference_event_for_another_tenants_participant_is_refused(a_b, webhook):
    """B sends participant-unhold with A's ConferenceSid and A's held
    caller under B's own conference name: A's participant stays held, no
    hold job is queued, no event of B is kept on A's call."""
    srv, db, a, b = a_b
    anchor, agent_leg, cf, b_name = held_call(webhook, db, a, b)
    before = hold_state(db, anchor, cf)
    assert [p["hold"] for p in before[1]] == [False, True]
    events_before = events_of(db, anchor)
    code = conf_event(webhook, b, "participant-unhold", b_name, cf, anchor, 50, "false", expect=None)
    assert hold_state(db, anchor, cf) == before
    assert events_of(db, anchor) == events_before
    assert code == 400
    assert_refused_logged(srv, b, a, anchor)


def test_conference_event_for_another_tenants_conference_is_refused(a_b, webhook):
    """A's ConferenceSid alone (a leg with no calls row) is enough to
    refuse; so is A's conference name."""
    srv, db, a, b = a_b
    anchor, agent_leg, cf, b_name = held_call(webhook, db, a, b)
    before = hold_state(db, anchor, cf)
    # the agent leg has no calls row: only the conference says it is A's
    code = conf_event(webhook, b, "participant-hold", b_name, cf, agent_leg, 51, "true", expect=None)
    assert hold_state(db, anchor, cf) == before
    assert code == 400
    assert_refused_logged(srv, b, a, cf)
    # A's conference name with B's own (new) conference and leg
    other = sid("CA")
    codes = [conf_event(webhook, b, "conference-end", "ramal-" + anchor, sid("CF"), None, 52, expect=None),
             conf_event(webhook, b, "participant-leave", "ramal-" + anchor, sid("CF"), other, 53, expect=None)]
    assert hold_state(db, anchor, cf) == before
    assert events_of(db, other) == []
    assert codes == [400, 400]
    assert_refused_logged(srv, b, a, "ramal-" + anchor)


def test_hold_api_of_another_tenant_sees_no_call(a_b, webhook):
    """The hold API is scoped by the signed-in user's tenant: B's
    supervisor gets 404 for A's call, whatever its state (this already
    held before the webhooks were scoped; kept as the API's half)."""
    srv, db, a, b = a_b
    anchor, agent_leg, cf, _ = held_call(webhook, db, a, b)
    before = hold_state(db, anchor, cf)
    ident = "sup_" + secrets.token_hex(4)
    r = harness.run_cli(["create-user", "--email", ident + "@example.com", "--name", "Sup", "--role", "supervisor",
                         "--identity", ident, "--account", b.account_sid, "--password-stdin"], srv.env,
                        input="correct horse battery staple\n")
    assert r.returncode == 0, r.stderr
    s = new_session()
    try:
        lr = s.post(srv.url + "/api/login", json={"email": ident + "@example.com",
                                                  "password": "correct horse battery staple",
                                                  "account": b.account_sid}, timeout=30)
        assert lr.status_code == 200, lr.text
        h = {"Authorization": "Bearer " + lr.json()["token"]}
        for method, path in (("GET", "/api/calls/" + anchor), ("POST", "/api/calls/%s/unhold" % anchor),
                             ("POST", "/api/calls/%s/hold" % agent_leg)):
            assert s.request(method, srv.url + path, headers=h, timeout=30).status_code == 404
    finally:
        s.close()
    assert hold_state(db, anchor, cf) == before


# --------------------------------------------------------------------------
# the spool: a refused callback is set aside, never retried


@pytest.mark.outage
def test_spooled_callback_of_another_tenant_is_set_aside(private_pg, tmp_path, fake_twilio_server, webhook):
    """The primary account's callbacks are spooled while the database is
    down (their signature needs no database).  One naming a subaccount's
    call is refused when it is replayed: moved to SPOOL_DIR/failed/, the
    owner's row unchanged, and the spool goes on with the next one."""
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", **SERVER_ENV)
        sub, sub_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        r = harness.run_cli(["tenant", "add", sub], srv.env, input=sub_token + "\n")
        assert r.returncode == 0, r.stderr
        owner, intruder = Account(srv, sub, sub_token), Account(srv, srv.account_sid, srv.auth_token)
        call, mine = sid("CA"), sid("CA")
        post(webhook, owner, STATUS, status_params(owner, call, "ringing", 1))
        db = Db(private_pg, srv)
        before = call_row(db, call)
        db.close()

        private_pg.stop()
        post(webhook, intruder, STATUS, status_params(intruder, call, "completed", 9))
        post(webhook, intruder, STATUS, status_params(intruder, mine, "completed", 9))
        assert len(spool_files(spool)) == 2

        private_pg.start()
        assert wait_for(lambda: spool_files(spool) == [], 20), srv.log()[-3000:]
        assert len(spool_files(os.path.join(spool, "failed"))) == 1
        db = Db(private_pg, srv)
        try:
            assert call_row(db, call) == before
            assert events_of(db, call) == [(tenant(db, owner), STATUS)]
            assert call_row(db, mine)["status"] == "completed"  # the next one was stored
        finally:
            db.close()
        assert_refused_logged(srv, intruder, owner, call)
    finally:
        factory.close()
