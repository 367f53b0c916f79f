"""TaskRouter callbacks: the assignment instruction (/twilio/taskrouter/
assignment) and the workspace events (/twilio/taskrouter/events), signed
with Twilio's own RequestValidator."""

import json
import os
import secrets
import time
import urllib.parse

import pytest

from ramaltest.server import BASE_URL, RamalFactory

ASSIGN = "/twilio/taskrouter/assignment"
EVENTS = "/twilio/taskrouter/events"
T0 = 1795467600  # 2026-11-23T21:00:00Z


def sid(prefix):
    return prefix + secrets.token_hex(16)


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


class Agents:
    def __init__(self, srv, conn):
        self.srv = srv
        self.conn = conn

    def add(self, identity, name="Agente", status="offline"):
        worker = sid("WK")
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO users (tenant_id, email, name, identity, worker_sid, status, status_since)"
                " SELECT id, %s, %s, %s, %s, %s, '2026-01-01T00:00:00Z' FROM tenants WHERE account_sid = %s"
                " RETURNING id",
                (identity + "@example.com", name, identity, worker, status, self.srv.account_sid))
            return cur.fetchone()[0], worker

    def status(self, worker):
        with self.conn.cursor() as cur:
            cur.execute("SELECT status, status_since FROM users WHERE worker_sid = %s", (worker,))
            st, since = cur.fetchone()
            return st, since.isoformat()


@pytest.fixture(scope="module")
def tr(pg, module_factory, tmp_path_factory):
    spool = str(tmp_path_factory.mktemp("spool"))
    srv = module_factory.start(LOG_LEVEL="debug", SPOOL_DIR=spool)
    conn = pg.connect(srv.dbname)
    conn.autocommit = True
    yield srv, conn, Agents(srv, conn)
    conn.close()


def query(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def assignment_params(account, worker_attrs, task_attrs, **extra):
    p = {
        "AccountSid": account,
        "WorkspaceSid": sid("WS"),
        "WorkflowSid": sid("WW"),
        "TaskQueueSid": sid("WQ"),
        "WorkerSid": sid("WK"),
        "WorkerAttributes": json.dumps(worker_attrs),
        "TaskSid": sid("WT"),
        "TaskAttributes": json.dumps(task_attrs),
        "TaskAge": "7",
        "TaskPriority": "0",
        "ReservationSid": sid("WR"),
        "Timestamp": str(T0),
    }
    p.update(extra)
    return p


def voice_task(account, call=None):
    return {"from": "+5511987654321", "to": "+551130000000", "call_sid": call or sid("CA"),
            "account_sid": account, "api_version": "2010-04-01", "direction": "inbound",
            "caller_country": "BR", "called_city": "São Paulo"}


def post_assignment(webhook, srv, params):
    t0 = time.monotonic()
    r = webhook.post(srv, sorted(params.items()), path=ASSIGN)
    return r, time.monotonic() - t0


# --------------------------------------------------------------------------
# assignment


def test_assignment_calls_the_agent_with_the_whisper(tr, webhook):
    srv, conn, agents = tr
    _, worker = agents.add("ana_" + secrets.token_hex(3))
    task = voice_task(srv.account_sid)
    p = assignment_params(srv.account_sid, {"identity": "ana", "contact_uri": "client:ana", "name": "Ana"},
                          task, WorkerSid=worker)
    r, took = post_assignment(webhook, srv, p)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    assert took < 5
    body = r.json()
    assert body["instruction"] == "call"
    assert body["to"] == "client:ana"
    assert body["from"] == "+5511987654321"
    # the whisper's <Dial><Queue reservationSid> accepts: once (14215)
    assert "accept" not in body
    assert body["timeout"] == 20
    assert body["status_callback_url"] == BASE_URL + "/twilio/status"
    u = urllib.parse.urlsplit(body["url"])
    assert "%s://%s%s" % (u.scheme, u.netloc, u.path) == BASE_URL + "/twilio/voice/whisper"
    q = dict(urllib.parse.parse_qsl(u.query))
    assert q == {"reason": "overflow", "reservation": p["ReservationSid"], "task": p["TaskSid"],
                 "call": task["call_sid"]}

    # recorded: reservation (worker, task, call), the task, the raw callback
    rows = query(conn, "SELECT task_sid, worker_sid, call_sid, status FROM reservations"
                       " WHERE reservation_sid = %s", p["ReservationSid"])
    assert rows == [(p["TaskSid"], worker, task["call_sid"], "pending")]
    rows = query(conn, "SELECT call_sid, assignment_status, attributes, workflow_sid FROM tasks"
                       " WHERE task_sid = %s", p["TaskSid"])
    assert rows == [(task["call_sid"], "reserved", task, p["WorkflowSid"])]
    rows = query(conn, "SELECT event_type, params->>'ReservationSid' FROM taskrouter_events"
                       " WHERE resource_sid = %s", p["ReservationSid"])
    assert rows == [("assignment", p["ReservationSid"])]


def test_assignment_rings_client_identity_without_contact_uri(tr, webhook):
    srv, _, _ = tr
    p = assignment_params(srv.account_sid, {"identity": "bruno.1", "name": "Bruno"}, voice_task(srv.account_sid))
    r, _ = post_assignment(webhook, srv, p)
    assert r.status_code == 200 and r.json()["to"] == "client:bruno.1"


@pytest.mark.parametrize("task", [
    {"type": "chat", "channel": "sms", "from": "+5511987654321"},  # not a voice task
    {"call_sid": "CA" + "0" * 32},  # no caller
    {"call_sid": "CA" + "0" * 32, "from": ""},
])
def test_assignment_rejects_what_it_cannot_call(tr, webhook, task):
    srv, _, _ = tr
    p = assignment_params(srv.account_sid, {"identity": "ana", "contact_uri": "client:ana"}, task)
    r, _ = post_assignment(webhook, srv, p)
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    assert r.json() == {"instruction": "reject"}
    srv.wait_log(lambda rec: rec.get("msg") == "TaskRouter reservation rejected"
                 and rec.get("reservation") == p["ReservationSid"])


def test_assignment_rejects_a_worker_without_an_address(tr, webhook):
    srv, _, _ = tr
    p = assignment_params(srv.account_sid, {"name": "Sem Nome", "contact_uri": "client:bad name"},
                          voice_task(srv.account_sid))
    r, _ = post_assignment(webhook, srv, p)
    assert r.json() == {"instruction": "reject"}


def test_assignment_with_a_bad_signature_is_refused(tr, webhook):
    srv, conn, _ = tr
    p = assignment_params(srv.account_sid, {"identity": "ana"}, voice_task(srv.account_sid))
    r = webhook.post(srv, sorted(p.items()), path=ASSIGN, token=secrets.token_hex(16))
    assert r.status_code == 403
    r = webhook.post(srv, sorted(p.items()), path=ASSIGN, signature=False)
    assert r.status_code == 403
    assert query(conn, "SELECT count(*) FROM reservations WHERE reservation_sid = %s",
                 p["ReservationSid"]) == [(0,)]


@pytest.mark.outage
def test_answers_with_the_database_down(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info", SPOOL_DIR=spool)
        private_pg.stop()
        task = voice_task(srv.account_sid)
        p = assignment_params(srv.account_sid, {"identity": "ana", "contact_uri": "client:ana"}, task)
        r, took = post_assignment(webhook, srv, p)
        assert r.status_code == 200, r.text
        assert took < 5
        body = r.json()
        assert (body["instruction"], body["to"], body["from"]) == ("call", "client:ana", task["from"])
        assert "reservation=" + p["ReservationSid"] in body["url"]

        # an event is acknowledged and kept on disk until the database is back
        ev = {"AccountSid": srv.account_sid, "EventType": "worker.activity.update",
              "WorkerSid": sid("WK"), "WorkerActivityName": "Available", "Timestamp": str(T0)}
        r = webhook.post(srv, sorted(ev.items()), path=EVENTS)
        assert r.status_code == 200, r.text
        files = [f for f in os.listdir(spool) if f.endswith(".ev")]
        assert len(files) == 1
        with open(os.path.join(spool, files[0]), "rb") as f:
            assert EVENTS.encode() in f.read()
    finally:
        factory.close()


# --------------------------------------------------------------------------
# events


def event(srv, etype, ts, **fields):
    p = {"AccountSid": srv.account_sid, "WorkspaceSid": "WS" + "1" * 32, "WorkspaceName": "ramal",
         "EventType": etype, "EventDescription": etype, "Sid": sid("EV"), "Timestamp": str(ts),
         "TimestampMs": str(ts * 1000)}
    p.update(fields)
    return p


def post_events(webhook, srv, events):
    for p in events:
        r = webhook.post(srv, sorted(p.items()), path=EVENTS)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].split(";")[0] == "application/json"


def activity(srv, worker, name, ts, version=None, previous="Offline"):
    f = dict(ResourceType="worker", ResourceSid=worker, WorkerSid=worker, WorkerName="x",
             WorkerActivityName=name, WorkerActivitySid=sid("WA"), WorkerPreviousActivitySid=sid("WA"),
             WorkerPreviousActivityName=previous, WorkerTimeInPreviousActivity="5",
             WorkerAttributes='{"identity": "x"}')
    if version is not None:
        f["WorkerVersion"] = str(version)
    return event(srv, "worker.activity.update", ts, **f)


def test_worker_activity_moves_the_agent_status(tr, webhook):
    srv, _, agents = tr
    _, worker = agents.add("carla_" + secrets.token_hex(3))
    for i, (name, status) in enumerate([("Available", "available"), ("Busy", "busy"),
                                        ("Wrap-up", "wrapup"), ("Offline", "offline"),
                                        ("Available", "available")]):
        post_events(webhook, srv, [activity(srv, worker, name, T0 + 10 * i, version=i + 2)])
        assert agents.status(worker) == (status, iso(T0 + 10 * i))
    # a later event with the same activity keeps status_since
    post_events(webhook, srv, [activity(srv, worker, "Available", T0 + 100, version=20)])
    assert agents.status(worker) == ("available", iso(T0 + 40))


def test_older_worker_events_never_win(tr, webhook):
    srv, _, agents = tr
    _, worker = agents.add("davi_" + secrets.token_hex(3))
    post_events(webhook, srv, [activity(srv, worker, "Busy", T0 + 20, version=7)])
    post_events(webhook, srv, [activity(srv, worker, "Available", T0 + 10, version=6)])
    assert agents.status(worker) == ("busy", iso(T0 + 20))
    # the version decides even when the clock says otherwise
    post_events(webhook, srv, [activity(srv, worker, "Offline", T0 + 5, version=8)])
    assert agents.status(worker)[0] == "offline"
    # without versions, the event time decides
    _, w2 = agents.add("edu_" + secrets.token_hex(3))
    post_events(webhook, srv, [activity(srv, w2, "Wrap-up", T0 + 30), activity(srv, w2, "Busy", T0 + 29)])
    assert agents.status(w2) == ("wrapup", iso(T0 + 30))
    # an unknown activity is kept as an event only
    post_events(webhook, srv, [activity(srv, w2, "Almoço", T0 + 40)])
    assert agents.status(w2)[0] == "wrapup"


def task_life(srv, worker, call_sid):
    """One voice task's events, in the order TaskRouter sends them."""
    wt, wr = sid("WT"), sid("WR")
    attrs = json.dumps({"call_sid": call_sid, "from": "+5511987654321", "to": "+551130000000"})
    task = dict(TaskSid=wt, TaskAttributes=attrs, TaskAge="1", TaskPriority="0",
                WorkflowSid="WW" + "2" * 32, TaskQueueSid="WQ" + "3" * 32)
    res = dict(task, ReservationSid=wr, WorkerSid=worker, WorkerName="x", ResourceType="reservation",
               ResourceSid=wr, WorkerAttributes='{"identity": "x"}')
    evs = [
        event(srv, "task.created", T0, ResourceType="task", ResourceSid=wt, TaskAssignmentStatus="pending", **task),
        event(srv, "reservation.created", T0 + 1, TaskAssignmentStatus="reserved", **res),
        event(srv, "reservation.accepted", T0 + 9, TaskAssignmentStatus="assigned", **res),
        event(srv, "reservation.wrapup", T0 + 70, TaskAssignmentStatus="wrapping", **res),
        event(srv, "reservation.completed", T0 + 80, TaskAssignmentStatus="completed",
              TaskCompletedReason="call ended", **res),
        event(srv, "task.completed", T0 + 80, ResourceType="task", ResourceSid=wt,
              TaskAssignmentStatus="completed", TaskCompletedReason="call ended", **task),
    ]
    return wt, wr, evs


def add_call(conn, srv, call_sid):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO calls (tenant_id, call_sid, direction) SELECT id, %s, 'inbound'"
                    " FROM tenants WHERE account_sid = %s", (call_sid, srv.account_sid))


def task_state(conn, wt, wr):
    t = query(conn, "SELECT assignment_status, reason, call_sid, task_queue_sid FROM tasks WHERE task_sid = %s", wt)
    r = query(conn, "SELECT status, worker_sid, task_sid, call_sid FROM reservations WHERE reservation_sid = %s", wr)
    return t, r


@pytest.mark.parametrize("order", [
    [0, 1, 2, 3, 4, 5],
    [5, 4, 3, 2, 1, 0],
    [2, 0, 5, 1, 3, 4],
])
def test_tasks_and_reservations_in_any_order(tr, webhook, order):
    srv, conn, agents = tr
    user_id, worker = agents.add("fabi_" + secrets.token_hex(3))
    call = sid("CA")
    add_call(conn, srv, call)
    wt, wr, evs = task_life(srv, worker, call)
    post_events(webhook, srv, [evs[i] for i in order])
    t, r = task_state(conn, wt, wr)
    assert t == [("completed", "call ended", call, "WQ" + "3" * 32)]
    assert r == [("completed", worker, wt, call)]
    rows = query(conn, "SELECT task_sid, reservation_sid, agent_user_id FROM calls WHERE call_sid = %s", call)
    assert rows == [(wt, wr, user_id)]
    n = query(conn, "SELECT count(*) FROM taskrouter_events WHERE params->>'TaskSid' = %s", wt)
    assert n == [(6,)]


def test_duplicates_are_idempotent_and_kept_raw(tr, webhook):
    srv, conn, agents = tr
    _, worker = agents.add("gil_" + secrets.token_hex(3))
    call = sid("CA")
    wt, wr, evs = task_life(srv, worker, call)
    post_events(webhook, srv, evs[:3])
    before = task_state(conn, wt, wr)
    assert before == ([("assigned", None, call, "WQ" + "3" * 32)], [("accepted", worker, wt, call)])
    post_events(webhook, srv, evs[:3] + evs[:3])
    assert task_state(conn, wt, wr) == before
    assert query(conn, "SELECT count(*) FROM taskrouter_events WHERE params->>'TaskSid' = %s", wt) == [(9,)]


def test_a_task_goes_back_to_pending_when_its_reservation_is_rejected(tr, webhook):
    srv, conn, agents = tr
    _, worker = agents.add("hugo_" + secrets.token_hex(3))
    call = sid("CA")
    wt, wr, evs = task_life(srv, worker, call)
    rejected = dict(evs[1], EventType="reservation.rejected", TaskAssignmentStatus="pending",
                    Timestamp=str(T0 + 5), TimestampMs=str((T0 + 5) * 1000), Sid=sid("EV"))
    post_events(webhook, srv, [rejected, evs[0], evs[1]])
    assert task_state(conn, wt, wr) == ([("pending", None, call, "WQ" + "3" * 32)],
                                        [("rejected", worker, wt, call)])
    # and a late, older event never reopens a finished task
    post_events(webhook, srv, [evs[5], evs[2]])
    assert task_state(conn, wt, wr)[0][0][0] == "completed"


def test_unknown_events_are_stored_and_acknowledged(tr, webhook):
    srv, conn, _ = tr
    p = event(srv, "workflow.target-matched", T0, ResourceType="workflow", ResourceSid=sid("WW"))
    post_events(webhook, srv, [p])
    rows = query(conn, "SELECT event_type, resource_type, event_at, params->>'Sid' FROM taskrouter_events"
                       " WHERE event_sid = %s", p["Sid"])
    assert len(rows) == 1
    assert rows[0][0:2] == ("workflow.target-matched", "workflow")
    assert rows[0][2].isoformat() == iso(T0)
    srv.wait_log(lambda rec: rec.get("msg") == "TaskRouter event stored only"
                 and rec.get("type") == "workflow.target-matched")


def test_events_with_a_bad_signature_are_refused(tr, webhook):
    srv, conn, agents = tr
    _, worker = agents.add("ines_" + secrets.token_hex(3))
    p = activity(srv, worker, "Available", T0 + 1000, version=99)
    r = webhook.post(srv, sorted(p.items()), path=EVENTS, signature="bm9wZQ==")
    assert r.status_code == 403
    r = webhook.post(srv, sorted(p.items()), path=EVENTS, token=secrets.token_hex(16))
    assert r.status_code == 403
    assert agents.status(worker)[0] == "offline"
    assert query(conn, "SELECT count(*) FROM taskrouter_events WHERE event_sid = %s", p["Sid"]) == [(0,)]
