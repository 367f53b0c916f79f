"""The queue path end to end against TaskRouter's documented behaviour
(ramaltest.taskrouter plays TaskRouter and Voice, the fake Twilio keeps
the workspace's tasks, reservations and workers): inbound -> <Enqueue> ->
assignment callback -> `call` instruction -> whisper -> bridge -> the
call ends -> the task is completed and the agent can take the next one."""

import threading
import time

import pytest

from ramaltest.database import Db
from ramaltest.harness import slow_factor
from ramaltest.server import RamalFactory
from ramaltest.taskrouter import TaskRouterSide
from ramaltest.voice import SERVER_ENV, WORKFLOW_SID, call_params, follow, spool_files, twiml, wait_for, with_params

RAMAL_ENV = dict(SERVER_ENV, TWILIO_WORKFLOW_SID=WORKFLOW_SID, JOB_WORKERS="1", TWILIO_CALLER_ID="+551130009999")


@pytest.fixture
def tr(env, webhook, fake_twilio):
    srv, db = env
    side = TaskRouterSide(srv, db, webhook, fake_twilio)
    yield side
    assert fake_twilio.take_unexpected() == []


def bridged_call(tr, **agent):
    """A queued caller bridged to an agent: (queued, offer, leg, agent)."""
    uid, ident, wk = tr.agent(**agent)
    nid, did = tr.number()
    q = tr.inbound(did)
    offer = tr.offer(q)
    assert offer is not None and offer.instruction is not None
    leg = tr.answer(offer, q)
    return q, offer, leg, (uid, ident, wk, did)


# defect 1 ------------------------------------------------------------------


def test_the_reservation_is_accepted_once_and_the_agent_is_bridged(tr):
    q, offer, leg, _ = bridged_call(tr)
    assert tr.ws.errors == [], tr.ws.errors
    assert leg.dropped is None and leg.bridged
    r = tr.ws.reservation(offer.wr)
    assert (r["status"], r["accepted_by"]) == ("accepted", "dial-queue")
    assert tr.ws.task(q.wt)["status"] == "assigned"


# defect 3 ------------------------------------------------------------------


def test_the_agent_leg_of_a_queued_call_has_its_row(tr):
    q, offer, leg, (uid, ident, wk, did) = bridged_call(tr)
    db = tr.db
    row = db.call(leg.call_sid, "status", "direction", "to_number", "answered_at")
    assert row is not None, "no calls row for the agent's leg"
    assert row["status"] == "in-progress" and row["direction"] == "outbound-api"
    assert row["to_number"] == "client:" + ident and row["answered_at"] is not None
    assert db.call(q.call_sid, "agent_call_sid")["agent_call_sid"] == leg.call_sid
    tr.hangup(leg, duration=42)
    row = db.call(leg.call_sid, "status", "duration_s")
    assert row == {"status": "completed", "duration_s": 42}


# defect 2 ------------------------------------------------------------------


def test_the_task_is_completed_when_the_call_ends_and_the_agent_gets_the_next(tr):
    q, offer, leg, (uid, ident, wk, did) = bridged_call(tr)
    # while the call lasts the task holds the worker's capacity
    q2 = tr.inbound(did)
    assert tr.offer(q2) is None
    tr.hangup(leg)
    assert tr.wait_task(q.wt, "completed"), tr.ws.task(q.wt)
    assert tr.ws.reservation(offer.wr)["status"] == "completed"
    posts = tr.fake.requests_to("POST", "/Tasks/" + q.wt + "$")
    assert [dict(p.form)["AssignmentStatus"] for p in posts] == ["completed"]
    # the next caller reaches the same agent
    offer2 = tr.offer(q2)
    assert offer2 is not None and offer2.worker == wk
    leg2 = tr.answer(offer2, q2)
    assert leg2.bridged and tr.ws.errors == []


@pytest.fixture(scope="module")
def wrapup_env(start_with_db):
    return start_with_db(**dict(RAMAL_ENV, WRAPUP_S="60"))


def test_wrap_up_holds_the_agent_until_it_ends(wrapup_env, webhook, fake_twilio):
    srv, db = wrapup_env
    tr = TaskRouterSide(srv, db, webhook, fake_twilio)
    user, wk = tr.signed_in_agent()
    nid, did = tr.number()
    q = tr.inbound(did)
    offer = tr.offer(q)
    assert offer.worker == wk
    leg = tr.answer(offer, q)
    assert leg.bridged
    tr.hangup(leg)
    # in wrap-up: the task still holds the worker, no next call yet
    deadline = time.monotonic() + 10 * slow_factor()
    while db.one("SELECT status FROM users WHERE id = %s", (user.id,))[0] != "wrapup":
        assert time.monotonic() < deadline, "the agent never went to wrap-up"
        time.sleep(0.1)
    # TaskRouter has the task wrapping up (assigned -> wrapping)
    assert tr.ws.task(q.wt)["status"] == "wrapping"
    assert tr.ws.reservation(offer.wr)["status"] == "wrapping"
    q2 = tr.inbound(did)
    assert tr.offer(q2) is None
    # the agent ends it from the softphone
    r = user.request("POST", "/api/agents/me/wrapup/end")
    assert r.status_code == 200, r.text
    assert r.json() == {"id": user.id, "status": "available"}
    assert tr.wait_task(q.wt, "completed"), tr.ws.task(q.wt)
    posts = fake_twilio.requests_to("POST", "/Tasks/" + q.wt + "$")
    assert [dict(p.form)["AssignmentStatus"] for p in posts] == ["wrapping", "completed"]
    assert tr.ws.errors == []
    assert db.one("SELECT status FROM users WHERE id = %s", (user.id,))[0] == "available"
    offer2 = tr.offer(q2)
    assert offer2 is not None and offer2.worker == wk
    # not in wrap-up any more
    assert user.request("POST", "/api/agents/me/wrapup/end").status_code == 409
    assert fake_twilio.take_unexpected() == []


@pytest.fixture(scope="module")
def short_wrapup_env(start_with_db):
    return start_with_db(**dict(RAMAL_ENV, WRAPUP_S="2", RAMAL_JOB_POLL_MS="50"))


def test_wrap_up_ends_by_itself_after_wrapup_s(short_wrapup_env, webhook, fake_twilio):
    """WRAPUP_S=2: the task is wrapping from the call's end, completed two
    seconds later without the agent doing anything, and the agent is
    available and offered the next call."""
    srv, db = short_wrapup_env
    tr = TaskRouterSide(srv, db, webhook, fake_twilio)
    user, wk = tr.signed_in_agent()
    nid, did = tr.number()
    q = tr.inbound(did)
    offer = tr.offer(q)
    leg = tr.answer(offer, q)
    assert leg.bridged
    ended = time.monotonic()
    tr.hangup(leg)
    assert tr.wait_task(q.wt, "wrapping", within=5), tr.ws.task(q.wt)
    assert tr.wait_task(q.wt, "completed", within=15), tr.ws.task(q.wt)
    assert time.monotonic() - ended >= 2
    assert tr.ws.reservation(offer.wr)["status"] == "completed"
    posts = fake_twilio.requests_to("POST", "/Tasks/" + q.wt + "$")
    assert [(dict(p.form)["AssignmentStatus"], dict(p.form)["Reason"]) for p in posts] == [
        ("wrapping", "call ended"), ("completed", "wrap-up ended")]
    assert wait_for(lambda: db.one("SELECT status FROM users WHERE id = %s", (user.id,))[0] == "available", 5)
    q2 = tr.inbound(did)
    offer2 = tr.offer(q2)
    assert offer2 is not None and offer2.worker == wk
    assert tr.ws.errors == []


# defect 10 -----------------------------------------------------------------


def test_a_phone_worker_is_called_from_a_number_of_the_account(tr):
    q, offer, leg, (uid, ident, wk, did) = bridged_call(tr, contact_uri="+5511912345678")
    assert offer.instruction["to"] == "+5511912345678"
    assert offer.instruction["from"] == did
    assert leg.bridged and tr.ws.errors == []


# defect 7 ------------------------------------------------------------------


def test_an_overflowed_call_is_not_offered_again_to_the_agent_who_missed_it(tr):
    webhook, srv, db = tr.webhook, tr.srv, tr.db
    owner, owner_ident, owner_wk = tr.agent()
    other, other_ident, other_wk = tr.agent()
    nid, did = db.add_number(owner=owner, label="Vendas")
    tr.numbers.add(did)
    params = call_params(srv.account_sid, did)
    root = twiml(webhook, srv, "/twilio/voice/inbound", params)
    assert root.find("Dial/Client/Identity").text == owner_ident
    out = follow(webhook, srv, root.find("Dial").get("action"),
                 with_params(params, DialCallStatus="no-answer", CallStatus="in-progress"))
    q = tr.enqueue(params, out)
    # the owner is still Available in TaskRouter (they just did not pick up)
    tr.ws.set_activity(other_wk, tr.ws.activities["Offline"])
    offer = tr.offer(q)
    r = tr.ws.reservation(offer.wr)
    assert r["step"] == "team", "the dedicated step offered the call again, for its whole timeout, to %s" % (
        "the agent who did not answer" if r["worker"] == owner_wk else r["worker"])
    # with the team, anyone available may take it (here, only the owner is)
    tr.ws.timeout(offer.wr)
    tr.ws.set_activity(other_wk, tr.ws.activities["Available"])
    tr.ws.set_activity(owner_wk, tr.ws.activities["Offline"])
    offer = tr.offer(q)
    assert offer.worker == other_wk and tr.answer(offer, q).bridged


# defect 8 ------------------------------------------------------------------


def test_the_assignment_answers_within_budget_with_a_slow_database(tr, pg):
    """A test transaction holds a lock on the reservations table for 4 s:
    the callback answers within ~1 s and records the assignment after."""
    uid, ident, wk = tr.agent()
    nid, did = tr.number()
    q = tr.inbound(did)
    conn = pg.connect(tr.srv.dbname)
    locked = threading.Event()

    def hold():
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("LOCK TABLE reservations IN EXCLUSIVE MODE")
            locked.set()
            time.sleep(4)
            cur.execute("COMMIT")

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert locked.wait(10)
        offer = tr.offer(q)
        assert offer.instruction is not None, tr.ws.errors
        assert offer.took < 1.5 * slow_factor(), "assignment took %.2f s" % offer.took
        assert offer.instruction["instruction"] == "call"
    finally:
        t.join()
        conn.close()
    # the bookkeeping happened afterwards
    deadline = time.monotonic() + 15 * slow_factor()
    rows = []
    while time.monotonic() < deadline:
        rows = tr.db.all("SELECT status, worker_sid FROM reservations WHERE reservation_sid = %s", (offer.wr,))
        if rows:
            break
        time.sleep(0.2)
    assert rows and rows[0][1] == wk, [r for r in tr.srv.records() if "assignment" in r.get("msg", "")
                                       or "spool" in r.get("msg", "")]


# the last notes' gap (a) ---------------------------------------------------


@pytest.mark.outage
def test_the_task_is_completed_when_the_call_ends_during_an_outage(private_pg, tmp_path, fake_twilio_server,
                                                                    webhook):
    """The database is down when the bridged call ends: the leg's
    `completed` status callback is spooled, and when the database is back
    its replay still queues the task's completion; TaskRouter frees the
    agent for the next call."""
    factory = RamalFactory(private_pg, fake_twilio_server)
    fake_twilio_server.reset()
    try:
        srv = factory.start(**dict(RAMAL_ENV, SPOOL_DIR=str(tmp_path), DB_ACQUIRE_TIMEOUT_MS="500",
                                   RAMAL_JOB_POLL_MS="50"))
        tr = TaskRouterSide(srv, Db(private_pg, srv), webhook, fake_twilio_server)
        q, offer, leg, (uid, ident, wk, did) = bridged_call(tr)
        assert leg.bridged and tr.ws.task(q.wt)["status"] == "assigned"
        tr.db.close()
        private_pg.stop()
        tr.hangup(leg, duration=30)
        assert len(spool_files(str(tmp_path))) == 1, srv.log()[-2000:]
        private_pg.start()
        assert wait_for(lambda: spool_files(str(tmp_path)) == [], 20), srv.log()[-3000:]
        assert tr.wait_task(q.wt, "completed", within=20), (tr.ws.task(q.wt), srv.log()[-3000:])
        posts = fake_twilio_server.requests_to("POST", "/Tasks/" + q.wt + "$")
        assert [dict(p.form)["AssignmentStatus"] for p in posts] == ["completed"]
        tr.db = Db(private_pg, srv)
        assert tr.db.call(leg.call_sid, "status", "duration_s") == {"status": "completed", "duration_s": 30}
        tr.db.close()
        assert fake_twilio_server.take_unexpected() == []
    finally:
        factory.close()
        fake_twilio_server.reset()


@pytest.fixture(scope="module")
def short_statements_env(start_with_db):
    return start_with_db(**dict(RAMAL_ENV, DB_STATEMENT_TIMEOUT_MS="800", RAMAL_JOB_POLL_MS="50"))


def test_the_completion_is_kept_when_the_database_fails_after_the_status_is_stored(short_statements_env, webhook,
                                                                                   fake_twilio, pg):
    """The call's end is stored, then the database fails the queuing of
    the task's completion (here: the jobs table is locked past the
    statement timeout).  The callback is kept in the spool and its replay
    queues the completion once the database answers: the agent is not
    left holding a task forever (before, the completion was only logged
    as lost)."""
    srv, db = short_statements_env
    tr = TaskRouterSide(srv, db, webhook, fake_twilio)
    q, offer, leg, _ = bridged_call(tr)
    conn = pg.connect(srv.dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
            tr.hangup(leg, duration=20)
            # the call's end is stored while the jobs table is locked
            assert db.call(leg.call_sid, "status")["status"] == "completed"
            cur.execute("COMMIT")
    finally:
        conn.close()
    assert tr.wait_task(q.wt, "completed", within=20), (tr.ws.task(q.wt), [
        r for r in srv.records() if r.get("level") in ("warn", "error")][-10:])
    posts = fake_twilio.requests_to("POST", "/Tasks/" + q.wt + "$")
    assert [dict(p.form)["AssignmentStatus"] for p in posts] == ["completed"]
