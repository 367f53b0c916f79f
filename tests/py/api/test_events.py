"""Live events: GET /api/events (Server-Sent Events) fed by the events table
and LISTEN/NOTIFY.  Users sign in as they would (CLI + /api/login); the
database is written only to play what Twilio's callbacks or another
server would change (calls, tasks) when no route does it."""

import json
import re
import socket
import time

import pytest

from ramaltest import harness
from ramaltest.agents import User, give_worker
from ramaltest.database import db
from ramaltest.harness import sid
from ramaltest.server import random_account_sid, random_token
from ramaltest.sse import SSE

EVENTS = "/twilio/taskrouter/events"


@pytest.fixture
def srv(ramal_factory):
    return ramal_factory.start(EVENTS_HEARTBEAT_S="1")


def is_event(kind, **data):
    def pred(ev):
        return ev.get("event") == kind and all(ev["data"].get(k) == v for k, v in data.items())
    return pred


def test_stream_headers_retry_and_own_status(srv):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    try:
        assert s.status == 200, s.body
        assert s.headers["Content-Type"] == "text/event-stream"
        assert s.headers["Cache-Control"] == "no-store"
        assert s.headers["Transfer-Encoding"] == "chunked"
        r = ana.set_status("available")
        assert r.status_code == 200, r.text
        ev = s.wait_for(is_event("status"))
        assert ev is not None, "no status event"
        assert ev["data"] == {"user_id": ana.id, "status": "available", "since": r.json()["since"]}
        assert isinstance(ev["id"], int) and ev["id"] > 0
        assert s.retry == 3000
        # an agent never gets the supervisors' events
        assert [e for e in s.events(0.5) if e.get("event") in ("agent", "queue")] == []
    finally:
        s.close()


def test_unauthenticated_is_refused(srv):
    s = SSE(srv)
    assert s.status == 401
    s = SSE(srv, token="x" * 43)
    assert s.status == 401


def test_heartbeat_comments(srv):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    try:
        # EVENTS_HEARTBEAT_S=1: one a second, never two at once
        hb = [s.next(5.0, comments=True) for _ in range(3)]
        assert [e and e.get("comment") for e in hb] == ["hb", "hb", "hb"]
        assert all(b["t"] - a["t"] > 0.5 for a, b in zip(hb, hb[1:]))
    finally:
        s.close()


def test_supervisor_sees_agents_and_queue_agent_sees_only_own(srv, pg):
    sup = User(srv, role="supervisor")
    ana = User(srv)
    bia = User(srv)
    s_sup = SSE(srv, token=sup.token)
    s_ana = SSE(srv, token=ana.token)
    try:
        assert bia.set_status("busy").status_code == 200
        ev = s_sup.wait_for(is_event("agent", id=bia.id))
        assert ev is not None
        assert ev["data"]["status"] == "busy" and ev["data"]["since"].endswith("Z")

        # a task enters the queue, then is assigned: queue size 1, then 0
        task = sid("WT")
        db(srv, pg, "INSERT INTO tasks (tenant_id, task_sid, assignment_status, status_rank)"
                    " VALUES (%s, %s, 'pending', 0)", (sup.tenant_id, task))
        assert s_sup.wait_for(is_event("queue", size=1)) is not None
        db(srv, pg, "UPDATE tasks SET assignment_status = 'assigned', status_rank = 2"
                    " WHERE task_sid = %s", (task,))
        assert s_sup.wait_for(is_event("queue", size=0)) is not None

        # bia's change reached ana neither as status nor as agent: the
        # first thing ana gets is her own change, and nothing follows
        assert ana.set_status("available").status_code == 200
        got = s_ana.take(1) + s_ana.events(0.5)
        assert [(e["event"], e["data"]["user_id"]) for e in got] == [("status", ana.id)]
    finally:
        s_sup.close()
        s_ana.close()


def test_other_tenant_events_never_arrive(srv, pg):
    sub = random_account_sid()
    r = harness.run_cli(["tenant", "add", sub, "--name", "Filial"], srv.env, input=random_token() + "\n")
    assert r.returncode == 0, r.stderr
    sup_other = User(srv, role="supervisor", account=sub)
    other = User(srv, account=sub)
    sup = User(srv, role="supervisor")
    s = SSE(srv, token=sup.token)
    s_other = SSE(srv, token=sup_other.token)
    try:
        assert other.set_status("available").status_code == 200
        assert s_other.wait_for(is_event("agent", id=other.id)) is not None
        assert s.events(1.0) == []
    finally:
        s.close()
        s_other.close()


def test_call_ended_for_the_agent(srv, pg):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    try:
        call = sid("CA")
        db(srv, pg, "INSERT INTO calls (tenant_id, call_sid, agent_user_id, status, status_rank)"
                    " VALUES (%s, %s, %s, 'in-progress', 3)", (ana.tenant_id, call, ana.id))
        db(srv, pg, "UPDATE calls SET status = 'completed', status_rank = 4, duration_s = 42"
                    " WHERE call_sid = %s", (call,))
        ev = s.wait_for(is_event("call.ended"))
        assert ev["data"] == {"call_sid": call, "status": "completed", "duration_s": 42}
        # a call without an agent sends nothing
        other = sid("CA")
        db(srv, pg, "INSERT INTO calls (tenant_id, call_sid, status, status_rank)"
                    " VALUES (%s, %s, 'completed', 4)", (ana.tenant_id, other))
        assert s.events(0.8) == []
    finally:
        s.close()


def test_last_event_id_replays_what_was_missed(srv):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    try:
        ana.set_status("available")
        first = s.wait_for(is_event("status", status="available"))
    finally:
        s.close()
    for st in ("busy", "offline", "available"):
        assert ana.set_status(st).status_code == 200
    s = SSE(srv, token=ana.token, last_event_id=first["id"])
    try:
        got = s.take(3) + s.events(0.5)
        assert [e["data"]["status"] for e in got] == ["busy", "offline", "available"]
        ids = [e["id"] for e in got]
        assert ids == sorted(ids) and ids[0] > first["id"]
    finally:
        s.close()
    # the query parameter works too (EventSource polyfills), and a live
    # event after the replay follows it
    s = SSE(srv, token=ana.token, query="?last_event_id=%d" % ids[1])
    try:
        assert [e["data"]["status"] for e in s.take(1) + s.events(0.5)] == ["available"]
        ana.set_status("busy")
        assert s.wait_for(is_event("status", status="busy")) is not None
    finally:
        s.close()
    s = SSE(srv, token=ana.token, last_event_id="12abc")
    assert s.status == 400


def test_cookie_session_works_for_eventsource(srv):
    ana = User(srv)
    s = SSE(srv, cookie=ana.token)
    try:
        assert s.status == 200, s.body
        ana.set_status("busy")
        assert s.wait_for(is_event("status", status="busy")) is not None
    finally:
        s.close()


def test_taskrouter_activity_update_reaches_the_stream(srv, pg, webhook):
    ana = User(srv)
    sup = User(srv, role="supervisor")
    worker = give_worker(srv, pg, ana)
    s = SSE(srv, token=ana.token)
    s_sup = SSE(srv, token=sup.token)
    try:
        now = int(time.time()) + 1
        p = {"AccountSid": srv.account_sid, "WorkspaceSid": sid("WS"), "EventType": "worker.activity.update",
             "Sid": sid("EV"), "Timestamp": str(now), "TimestampMs": str(now * 1000),
             "ResourceType": "worker", "ResourceSid": worker, "WorkerSid": worker,
             "WorkerActivityName": "Busy", "WorkerActivitySid": sid("WA"), "WorkerVersion": "7"}
        r = webhook.post(srv, sorted(p.items()), path=EVENTS)
        assert r.status_code == 200, r.text
        ev = s.wait_for(is_event("status"))
        assert ev is not None and ev["data"]["status"] == "busy" and ev["data"]["user_id"] == ana.id
        assert s_sup.wait_for(is_event("agent", id=ana.id, status="busy")) is not None
    finally:
        s.close()
        s_sup.close()


def test_queue_reservation_offers_call_incoming(srv, pg, webhook):
    ana = User(srv)
    bia = User(srv)
    worker = give_worker(srv, pg, ana)
    db(srv, pg, "INSERT INTO phone_numbers (tenant_id, e164, label) VALUES (%s, '+551130000001', 'Vendas')",
       (ana.tenant_id,))
    s = SSE(srv, token=ana.token)
    s_bia = SSE(srv, token=bia.token)
    try:
        call = sid("CA")
        task = {"from": "+5511987654321", "to": "+551130000001", "call_sid": call,
                "account_sid": srv.account_sid}
        p = {"AccountSid": srv.account_sid, "WorkspaceSid": sid("WS"), "WorkflowSid": sid("WW"),
             "TaskQueueSid": sid("WQ"), "WorkerSid": worker,
             "WorkerAttributes": json.dumps({"identity": ana.identity, "contact_uri": "client:" + ana.identity}),
             "TaskSid": sid("WT"), "TaskAttributes": json.dumps(task), "TaskAge": "3", "TaskPriority": "0",
             "ReservationSid": sid("WR"), "Timestamp": str(int(time.time()))}
        r = webhook.post(srv, sorted(p.items()), path="/twilio/taskrouter/assignment")
        assert r.status_code == 200 and r.json()["instruction"] == "call", r.text
        ev = s.wait_for(is_event("call.incoming"))
        assert ev is not None
        assert ev["data"] == {"call_sid": call, "from": "+5511987654321", "to": "+551130000001",
                              "line": "Vendas", "reason": "overflow"}
        assert [e for e in s_bia.events(0.8) if e.get("event") == "call.incoming"] == []
    finally:
        s.close()
        s_bia.close()


def test_two_instances_share_events(ramal_factory):
    a = ramal_factory.start()
    b = ramal_factory.start(DATABASE_URL=a.database_url, TWILIO_ACCOUNT_SID=a.account_sid,
                            TWILIO_AUTH_TOKEN=a.auth_token, RAMAL_SECRET_KEY=a.env["RAMAL_SECRET_KEY"])
    ana = User(a)
    sup = User(b, role="supervisor")
    s_a = SSE(a, token=ana.token)
    s_b = SSE(b, token=sup.token)
    s_b_ana = SSE(b, token=ana.token)
    try:
        # a change through instance b reaches ana on instance a
        assert sup.set_status("busy", who=ana.id).status_code == 200
        assert s_a.wait_for(is_event("status", status="busy")) is not None
        assert s_b_ana.wait_for(is_event("status", status="busy")) is not None
        # and ana's change on a reaches the supervisor on b
        assert ana.set_status("available").status_code == 200
        assert s_b.wait_for(is_event("agent", id=ana.id, status="available")) is not None
    finally:
        for s in (s_a, s_b, s_b_ana):
            s.close()


def test_shutdown_with_open_streams_is_quick(ramal_factory):
    srv = ramal_factory.start()
    ana = User(srv)
    streams = [SSE(srv, token=ana.token) for _ in range(20)]
    t0 = time.monotonic()
    rc = srv.stop()
    assert rc == 0
    assert time.monotonic() - t0 < 3
    for s in streams:
        assert s.closed.wait(2)


@pytest.mark.outage
def test_hub_reconnects_and_replays_what_it_missed(srv, pg):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    try:
        killed = db(srv, pg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             " WHERE application_name = 'ramal-events' AND datname = current_database()")
        assert killed == [(True,)]
        # written while the hub has no connection: delivered after it is back
        assert ana.set_status("busy").status_code == 200
        ev = s.wait_for(is_event("status", status="busy"), timeout=10)
        assert ev is not None
        srv.wait_log(lambda rec: rec.get("msg") == "events: listening again", timeout=10)
        assert ana.set_status("available").status_code == 200
        assert s.wait_for(is_event("status", status="available")) is not None
    finally:
        s.close()


def test_old_events_are_pruned_at_start(ramal_factory, pg):
    a = ramal_factory.start()
    ana = User(a)
    assert ana.set_status("busy").status_code == 200
    db(a, pg, "UPDATE events SET created_at = now() - interval '25 hours'")
    assert ana.set_status("available").status_code == 200
    a.stop()
    b = ramal_factory.start(DATABASE_URL=a.database_url, TWILIO_ACCOUNT_SID=a.account_sid,
                            TWILIO_AUTH_TOKEN=a.auth_token, RAMAL_SECRET_KEY=a.env["RAMAL_SECRET_KEY"])
    b.wait_log(lambda rec: rec.get("msg") == "events: old events deleted", timeout=10)
    rows = db(b, pg, "SELECT type, data->>'status' FROM events ORDER BY id")
    assert rows == [("status", "available"), ("agent", "available")]


@pytest.mark.slow
def test_streams_are_capped_so_webhooks_keep_connections(ramal_factory):
    srv = ramal_factory.start(HTTP_MAX_CONNECTIONS="8")
    ana = User(srv)
    streams = [SSE(srv, token=ana.token) for _ in range(6)]  # 3/4 of 8
    try:
        assert [s.status for s in streams] == [200] * 6
        extra = SSE(srv, token=ana.token)
        assert extra.status == 503
        assert extra.headers["Retry-After"] == "10"
        assert json.loads(extra.body)["error"] == "too many event streams"
        # other routes still answer
        assert ana.request("GET", "/api/me").status_code == 200
        samples = harness.parse_metrics(ana.request("GET", "/metrics").text)
        assert harness.metric(samples, "ramal_events_streams") == 6
        streams.pop().close()
        deadline = time.monotonic() + 5
        while True:
            s = SSE(srv, token=ana.token)
            if s.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        streams.append(s)
        assert s.status == 200, s.body
    finally:
        for s in streams:
            s.close()


def insert_events(srv, pg, user, n, audience="user"):
    """n events in one transaction (a burst), as the triggers would write them."""
    db(srv, pg, "INSERT INTO events (tenant_id, user_id, audience, type, data)"
                " SELECT %s, %s, %s, 'queue', jsonb_build_object('size', g) FROM generate_series(1, %s) g",
       (user.tenant_id, user.id if audience == "user" else None, audience, n))


def test_a_burst_in_one_transaction_arrives_whole(srv, pg):
    sup = User(srv, role="supervisor")
    s = SSE(srv, token=sup.token)
    try:
        insert_events(srv, pg, sup, 600, audience="supervisors")
        got = [e["data"]["size"] for e in s.take(600, timeout=30) + s.events(0.5)]
        assert got == list(range(1, 601))
        assert not s.closed.is_set()
    finally:
        s.close()


def test_replay_of_more_than_a_page_ends_the_stream_and_resumes(srv, pg):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    try:
        assert ana.set_status("busy").status_code == 200
        mark = s.wait_for(is_event("status"))["id"]
    finally:
        s.close()
    bia = User(srv)
    s_bia = SSE(srv, token=bia.token)
    insert_events(srv, pg, ana, 300)
    # the hub is through those notifications once a later one arrives (they
    # come in order), so what follows is replay only
    assert bia.set_status("busy").status_code == 200
    assert s_bia.wait_for(is_event("status")) is not None
    s_bia.close()
    # first page: 200 events, then the stream ends (the browser reconnects)
    s = SSE(srv, token=ana.token, last_event_id=mark)
    first = s.take(200)
    assert s.closed.wait(10)
    assert s.events(0.2) == []
    assert [e["data"]["size"] for e in first] == list(range(1, 201))
    # the reconnect with the last id gets the rest and stays open
    s = SSE(srv, token=ana.token, last_event_id=first[-1]["id"])
    try:
        rest = s.take(100) + s.events(0.5)
        assert [e["data"]["size"] for e in rest] == list(range(201, 301))
        assert not s.closed.is_set()
    finally:
        s.close()


def dechunk(body):
    """The payload of a complete chunked body."""
    out, i = b"", 0
    while True:
        j = body.index(b"\r\n", i)
        size = int(body[i:j], 16)
        if size == 0:
            return out
        out += body[j + 2:j + 2 + size]
        assert body[j + 2 + size:j + 4 + size] == b"\r\n"
        i = j + 4 + size


@pytest.mark.slow
def test_a_client_that_stops_reading_is_cut_off(srv, pg):
    """Memory stays bounded: a stream that falls a queue (1024 events)
    behind is ended, and the client catches up by replay."""
    sup = User(srv, role="supervisor")
    ana = User(srv)
    s_ana = SSE(srv, token=ana.token)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.connect(("127.0.0.1", srv.port))
    sock.sendall(("GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                  % sup.token).encode())
    time.sleep(0.3)
    # far more than the kernel's socket buffers (4 MB at most) and the queue hold
    n = 150000
    insert_events(srv, pg, sup, n, audience="supervisors")
    srv.wait_log(lambda rec: rec.get("msg") == "events: slow client disconnected", timeout=60)
    # the client reads again: what was buffered, then the end of the response
    # (the last chunk; the connection itself may stay open for another request)
    sock.settimeout(30)
    data = b""
    while not data.endswith(b"\r\n0\r\n\r\n"):
        chunk = sock.recv(1 << 20)
        assert chunk, "connection closed before the end of the stream"
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    text = dechunk(body)
    ids = [int(x) for x in re.findall(rb"(?m)^id: (\d+)$", text)]
    assert 0 < len(ids) < n
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    # the last event is whole: its data line and the blank line
    assert re.search(rb'data: \{"size": \d+\}\n\n$', text), text[-200:]
    # once the hub is through the burst (notifications come in order: an
    # agent's own event after it arrives last), a reconnect from the last id
    # replays the next page
    assert ana.set_status("busy").status_code == 200
    assert s_ana.wait_for(is_event("status"), timeout=60) is not None
    s_ana.close()
    s = SSE(srv, token=sup.token, last_event_id=ids[-1])
    try:
        page = s.take(200)
        assert [e["id"] for e in page] == list(range(ids[-1] + 1, ids[-1] + 201))
    finally:
        s.close()
