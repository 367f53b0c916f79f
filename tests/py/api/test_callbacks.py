"""The callback list (docs/alerts.md, docs/api.md): an abandoned call, a
missed dedicated call and a voicemail each open a callback once; agents
take the next one (never two agents the same one, however they race), a
supervisor assigns, the agent closes with a result, and a caller who
calls again and reaches an agent closes theirs."""

import random
import threading

import pytest

from ramaltest.agents import User
from ramaltest.alerts import abandon, caller_leg_status, inbound_call, leave_voicemail, status, wait_until
from ramaltest.harness import sid
from ramaltest.voice import WORKFLOW_SID, follow, twiml, with_params

OUTBOUND = "/twilio/voice/outbound"

RAMAL_ENV = dict(TWILIO_WORKFLOW_SID=WORKFLOW_SID, JOB_WORKERS="2", LOG_LEVEL="info")


def new_caller():
    """A mobile number: 9, then 1-9 (a 0 there is no Brazilian mobile)."""
    return "+55119%d" % random.randrange(10 ** 7, 10 ** 8)


def callback_of(db, call_sid=None, recording_sid=None, within=10.0):
    """The callback id a call (or voicemail) opened, once dispatched."""
    def look():
        if recording_sid:
            row = db.one("SELECT id FROM callbacks WHERE recording_sid = %s", (recording_sid,))
        else:
            row = db.one("SELECT id FROM callbacks WHERE call_sid = %s", (call_sid,))
        return row and row[0]
    got = wait_until(look, within)
    assert got, "no callback for %s" % (call_sid or recording_sid)
    return got


def abandoned_callback(srv, db, webhook, did, caller=None, queue_time=40):
    params, _ = inbound_call(webhook, srv, did, caller=caller or new_caller())
    abandon(webhook, srv, params, queue_time=queue_time)
    return callback_of(db, call_sid=dict(params)["CallSid"]), params


@pytest.fixture(scope="module")
def people(env):
    srv, db = env
    return {"sup": User(srv, role="supervisor"), "ana": User(srv), "bia": User(srv)}


@pytest.fixture
def clean(env):
    srv, db = env
    db.run("UPDATE callbacks SET state = 'canceled', closed_at = now() WHERE state IN ('open', 'in-progress')")
    return env


def test_each_event_opens_one_callback_listed_oldest_first(clean, people, webhook):
    srv, db = clean
    nid, did = db.add_number(label="Atendimento")
    first, p1 = abandoned_callback(srv, db, webhook, did)
    abandon(webhook, srv, p1, queue_time=40)  # Twilio again: nothing new
    params, _ = inbound_call(webhook, srv, did, caller=new_caller())
    rec = sid("RE")
    leave_voicemail(webhook, srv, params, rec)
    leave_voicemail(webhook, srv, params, rec)
    second = callback_of(db, recording_sid=rec)
    r = people["ana"].request("GET", "/api/callbacks")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["id"] for c in body["callbacks"]] == [first, second]
    assert body["open"] == 2 and body["in_progress"] == 0
    assert body["oldest_open_at"] == body["callbacks"][0]["created_at"]
    c = body["callbacks"][0]
    assert c["caller"] == dict(p1)["From"]  # agents call it back: the whole number
    assert (c["reason"], c["line"], c["line_number"], c["state"], c["attempts"], c["missed_calls"],
            c["assigned_to"]) == ("abandoned", "Atendimento", did, "open", 0, 1, None)
    assert body["callbacks"][1]["reason"] == "voicemail"
    assert body["callbacks"][1]["recording_sid"] == rec
    assert db.one("SELECT count(*) FROM callbacks WHERE call_sid = %s", (dict(p1)["CallSid"],))[0] == 1


def test_a_caller_missing_twice_has_one_callback(clean, people, webhook):
    srv, db = clean
    nid, did = db.add_number(label="Vendas")
    caller = new_caller()
    first, _ = abandoned_callback(srv, db, webhook, did, caller=caller)
    params, _ = inbound_call(webhook, srv, did, caller=caller)
    abandon(webhook, srv, params)
    assert wait_until(lambda: db.one("SELECT missed_calls FROM callbacks WHERE id = %s", (first,))[0] == 2, 10)
    assert db.one("SELECT count(*) FROM callbacks WHERE caller = %s", (caller,))[0] == 1


def test_missed_dedicated_call_opens_a_callback(clean, people, webhook):
    srv, db = clean
    uid, ident = db.add_user("available")
    nid, did = db.add_number(owner=uid, label="Dedicada")
    params, root = inbound_call(webhook, srv, did, caller=new_caller())
    follow(webhook, srv, root.find("Dial").get("action"), with_params(params, DialCallStatus="no-answer"))
    status(webhook, srv, caller_leg_status(srv.account_sid, params))
    cb = callback_of(db, call_sid=dict(params)["CallSid"])
    assert db.one("SELECT reason, line FROM callbacks WHERE id = %s", (cb,)) == ("missed-dedicated", "Dedicada")


def test_two_agents_never_take_the_same_callback(clean, env, webhook):
    srv, db = clean
    nid, did = db.add_number(label="Corrida")
    ids = [abandoned_callback(srv, db, webhook, did)[0] for _ in range(4)]
    crew = [User(srv) for _ in range(7)]
    start = threading.Barrier(len(crew))
    results = [None] * len(crew)

    def take(i):
        start.wait()
        results[i] = crew[i].request("POST", "/api/callbacks/next")

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(crew))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 4 + [404] * 3, [(r.status_code, r.text) for r in results]
    taken = {}
    for i, r in enumerate(results):
        if r.status_code == 200:
            cb = r.json()["callback"]
            assert cb["state"] == "in-progress" and cb["attempts"] == 1
            assert cb["assigned_to"]["id"] == crew[i].id
            taken[cb["id"]] = crew[i].id
        else:
            assert r.json()["error"] == "no callback is waiting"
    assert sorted(taken) == sorted(ids)
    rows = dict(db.all("SELECT id, assigned_user_id FROM callbacks WHERE id = ANY(%s)", (ids,)))
    assert rows == taken


def test_assign_then_take_then_close(clean, people, webhook):
    srv, db = clean
    sup, ana, bia = people["sup"], people["ana"], people["bia"]
    nid, did = db.add_number(label="Retorno")
    older, _ = abandoned_callback(srv, db, webhook, did)
    mine, _ = abandoned_callback(srv, db, webhook, did)
    # agents may not assign
    assert ana.request("POST", "/api/callbacks/%d/assign" % mine, json={"user_id": ana.id}).status_code == 403
    r = sup.request("POST", "/api/callbacks/%d/assign" % mine, json={"user_id": ana.id})
    assert r.status_code == 200, r.text
    assert r.json()["callback"]["assigned_to"]["id"] == ana.id
    # Ana gets hers first though it is newer; Bia the other one
    r = ana.request("POST", "/api/callbacks/next")
    assert r.json()["callback"]["id"] == mine
    assert bia.request("POST", "/api/callbacks/next").json()["callback"]["id"] == older
    # only the callback's agent (or a supervisor) closes it
    r = bia.request("POST", "/api/callbacks/%d/close" % mine, json={"result": "done"})
    assert r.status_code == 403
    r = ana.request("POST", "/api/callbacks/%d/close" % mine, json={"result": "no-answer"})
    assert r.status_code == 200, r.text
    c = r.json()["callback"]
    assert (c["state"], c["closed_reason"], c["attempts"]) == ("no-answer", "agent", 1)
    assert c["closed_at"] is not None
    assert ana.request("POST", "/api/callbacks/%d/close" % mine, json={"result": "done"}).status_code == 409
    assert sup.request("POST", "/api/callbacks/%d/assign" % mine, json={"user_id": bia.id}).status_code == 409
    r = sup.request("POST", "/api/callbacks/%d/close" % older, json={"result": "canceled"})
    assert r.status_code == 200 and r.json()["callback"]["state"] == "canceled"
    closed = ana.request("GET", "/api/callbacks", params={"state": "closed"}).json()["callbacks"]
    assert [c["id"] for c in closed[:2]] == [mine, older]


@pytest.mark.parametrize("path, body, code", [
    ("/api/callbacks/999999/close", {"result": "done"}, 404),
    ("/api/callbacks/abc/close", {"result": "done"}, 404),
    ("/api/callbacks/1/close", {"result": "maybe"}, 400),
    ("/api/callbacks/1/close", ["done"], 400),
    ("/api/callbacks/999999/assign", {"user_id": 1}, 404),
    ("/api/callbacks/1/assign", {"user_id": "ana"}, 400),
    ("/api/callbacks/1/assign", {}, 400),
])
def test_bad_callback_requests(clean, people, path, body, code):
    r = people["sup"].request("POST", path, json=body)
    assert r.status_code == code, r.text
    assert "error" in r.json()


def test_assign_to_someone_of_another_tenant_or_unknown(clean, people, webhook):
    srv, db = clean
    nid, did = db.add_number(label="Ninguem")
    cb, _ = abandoned_callback(srv, db, webhook, did)
    r = people["sup"].request("POST", "/api/callbacks/%d/assign" % cb, json={"user_id": 987654321})
    assert r.status_code == 400 and "no such enabled user" in r.json()["error"]
    r = people["sup"].request("POST", "/api/callbacks/%d/assign" % cb, json={"user_id": None})
    assert r.status_code == 200 and r.json()["callback"]["assigned_to"] is None


def test_list_parameters(clean, people):
    ana = people["ana"]
    assert ana.request("GET", "/api/callbacks", params={"state": "gone"}).status_code == 400
    assert ana.request("GET", "/api/callbacks", params={"limit": "0"}).status_code == 400
    assert ana.request("GET", "/api/callbacks", params={"state": "all", "limit": "5"}).status_code == 200


def test_a_returning_caller_who_reaches_an_agent_closes_the_callback(clean, people, webhook):
    srv, db = clean
    uid, ident = db.add_user("available")
    nid, did = db.add_number(owner=uid, label="Volta")
    qid, qdid = db.add_number(label="Fila volta")
    caller = new_caller()
    cb, first = abandoned_callback(srv, db, webhook, qdid, caller=caller)
    # another caller's callback stays open
    other, _ = abandoned_callback(srv, db, webhook, qdid)
    # the caller rings the dedicated line and the agent answers (the whisper)
    params, root = inbound_call(webhook, srv, did, caller=caller)
    call = dict(params)["CallSid"]
    client_url = root.find("Dial/Client").get("url")
    leg = sorted({"AccountSid": srv.account_sid, "CallSid": sid("CA"), "CallStatus": "in-progress",
                  "From": caller, "To": "client:" + ident, "Direction": "outbound-dial",
                  "ParentCallSid": call}.items())
    follow(webhook, srv, client_url, leg)
    row = db.one("SELECT state, closed_reason, closed_at IS NOT NULL FROM callbacks WHERE id = %s", (cb,))
    assert row == ("done", "caller-called-again", True)
    assert db.one("SELECT state FROM callbacks WHERE id = %s", (other,))[0] == "open"
    r = people["ana"].request("GET", "/api/callbacks", params={"state": "closed"})
    assert [c for c in r.json()["callbacks"] if c["id"] == cb][0]["closed_reason"] == "caller-called-again"


def outbound(srv, webhook, identity, to, **extra):
    """The TwiML App's VoiceUrl for device.connect({params: {To, Callback}})."""
    p = {"AccountSid": srv.account_sid, "ApiVersion": "2010-04-01", "ApplicationSid": "AP" + "cd" * 16,
         "CallSid": sid("CA"), "CallStatus": "ringing", "Called": "", "Caller": "client:" + identity,
         "Direction": "inbound", "From": "client:" + identity, "To": to}
    p.update(extra)
    return twiml(webhook, srv, OUTBOUND, sorted(p.items()))


def test_calling_back_shows_the_number_the_caller_called(clean, people, webhook):
    """The softphone's call back passes Callback=<id>: the caller ID is the
    line the caller called, not the agent's own DID (nor no caller ID)."""
    srv, db = clean
    ana = people["ana"]
    nid, did = db.add_number(label="Linha chamada")
    caller = new_caller()
    cb, _ = abandoned_callback(srv, db, webhook, did, caller=caller)
    assert ana.request("POST", "/api/callbacks/next").json()["callback"]["id"] == cb
    root = outbound(srv, webhook, ana.identity, caller, Callback=str(cb))
    assert root[0].tag == "Dial" and root[0].get("callerId") == did
    assert root.find("Dial/Number").text == caller
    # the Callback of another number, or of a closed callback, is not used:
    # Ana has no DID and the server no TWILIO_CALLER_ID, so she hears why
    refused = outbound(srv, webhook, ana.identity, new_caller(), Callback=str(cb))
    assert refused.find("Dial") is None
    ana.request("POST", "/api/callbacks/%d/close" % cb, json={"result": "done"})
    refused = outbound(srv, webhook, ana.identity, caller, Callback=str(cb))
    assert refused.find("Dial") is None
