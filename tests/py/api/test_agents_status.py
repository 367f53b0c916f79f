"""Agent status: PUT /api/agents/me/status, PUT /api/agents/{id}/status,
GET /api/agents, and the job that moves the TaskRouter Worker's activity
(its form checked by the fake Twilio against the OpenAPI data)."""

import re
import time

import pytest

from ramaltest import harness
from ramaltest.agents import User, give_worker, provision_taskrouter
from ramaltest.database import db
from ramaltest.harness import sid
from ramaltest.server import new_session, random_account_sid, random_token

SINCE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def srv(ramal_factory):
    return ramal_factory.start()


def error_text(r):
    body = r.json()
    assert set(body) == {"error", "request_id"}, body
    return body["error"]


def worker_updates(fake, sids, worker, n, timeout=10.0):
    """The first n POSTs to the worker's resource, waiting for them."""
    path = "/v1/Workspaces/%s/Workers/%s" % (sids["workspace"], worker)
    deadline = time.monotonic() + timeout
    while True:
        got = fake.requests_to("POST", "^" + re.escape(path) + "$")
        if len(got) >= n or time.monotonic() > deadline:
            return got


def user_row(srv, pg, uid):
    return db(srv, pg, "SELECT status, status_since FROM users WHERE id = %s", (uid,))[0]


def test_status_change_updates_db_and_the_worker(srv, pg, fake_twilio):
    sids = provision_taskrouter(srv, pg)
    ana = User(srv)
    worker = give_worker(srv, pg, ana)

    r = ana.set_status("available")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"id", "status", "since", "activity_sync"}
    assert (body["id"], body["status"], body["activity_sync"]) == (ana.id, "available", "pending")
    assert SINCE.match(body["since"])
    st, since = user_row(srv, pg, ana.id)
    assert st == "available"
    assert abs(since.timestamp() - time.time()) < 60

    got = worker_updates(fake_twilio, sids, worker, 1)
    assert len(got) == 1, fake_twilio.requests
    assert dict(got[0].form) == {"ActivitySid": sids["available"]}
    assert got[0].auth_user == srv.account_sid

    # busy and offline reject pending reservations (the agent cannot take them)
    for n, st in ((2, "busy"), (3, "offline")):
        assert ana.set_status(st).status_code == 200
        got = worker_updates(fake_twilio, sids, worker, n)
        assert len(got) == n
        assert dict(got[-1].form) == {"ActivitySid": sids[st], "RejectPendingReservations": "true"}
    assert user_row(srv, pg, ana.id)[0] == "offline"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = db(srv, pg, "SELECT count(*) FROM jobs WHERE kind = 'agent.activity' AND state = 'done'")
        if done == [(3,)]:
            break
        time.sleep(0.1)
    assert done == [(3,)]


def test_same_status_keeps_since(srv, pg):
    ana = User(srv)
    first = ana.set_status("busy").json()
    time.sleep(0.05)
    again = ana.set_status("busy").json()
    assert again["since"] == first["since"]


def test_without_a_worker_the_status_is_local(srv, pg, fake_twilio):
    provision_taskrouter(srv, pg)
    ana = User(srv)
    r = ana.set_status("available")
    assert r.status_code == 200, r.text
    assert r.json()["activity_sync"] == "none"
    assert user_row(srv, pg, ana.id)[0] == "available"
    time.sleep(0.5)
    assert fake_twilio.requests_to("POST", "/Workers/") == []
    assert db(srv, pg, "SELECT count(*) FROM jobs WHERE kind = 'agent.activity'") == [(0,)]


def test_offline_is_refused_during_a_live_call(srv, pg):
    ana = User(srv)
    assert ana.set_status("available").status_code == 200
    call = sid("CA")
    db(srv, pg, "INSERT INTO calls (tenant_id, call_sid, agent_user_id, status, status_rank)"
                " VALUES (%s, %s, %s, 'in-progress', 3)", (ana.tenant_id, call, ana.id))
    r = ana.set_status("offline")
    assert r.status_code == 409
    assert "call" in error_text(r)
    assert user_row(srv, pg, ana.id)[0] == "available"
    # the call is untouched, and busy is still allowed
    assert db(srv, pg, "SELECT status FROM calls WHERE call_sid = %s", (call,)) == [("in-progress",)]
    assert ana.set_status("busy").status_code == 200
    # a supervisor cannot force it either
    sup = User(srv, role="supervisor")
    assert sup.set_status("offline", who=ana.id).status_code == 409

    db(srv, pg, "UPDATE calls SET status = 'completed', status_rank = 4 WHERE call_sid = %s", (call,))
    r = ana.set_status("offline")
    assert r.status_code == 200, r.text
    assert user_row(srv, pg, ana.id)[0] == "offline"


def test_offline_is_refused_with_an_accepted_reservation(srv, pg):
    ana = User(srv)
    worker = give_worker(srv, pg, ana)
    task = sid("WT")
    db(srv, pg, "INSERT INTO tasks (tenant_id, task_sid, assignment_status, status_rank)"
                " VALUES (%s, %s, 'assigned', 2)", (ana.tenant_id, task))
    db(srv, pg, "INSERT INTO reservations (tenant_id, reservation_sid, task_sid, worker_sid, status,"
                " status_rank) VALUES (%s, %s, %s, %s, 'accepted', 1)",
       (ana.tenant_id, sid("WR"), task, worker))
    assert ana.set_status("offline").status_code == 409
    db(srv, pg, "UPDATE tasks SET assignment_status = 'completed', status_rank = 10 WHERE task_sid = %s",
       (task,))
    assert ana.set_status("offline").status_code == 200


def test_roles_and_tenants(srv, pg):
    ana = User(srv)
    bia = User(srv)
    sup = User(srv, role="supervisor")
    sub = random_account_sid()
    r = harness.run_cli(["tenant", "add", sub, "--name", "Filial"], srv.env, input=random_token() + "\n")
    assert r.returncode == 0, r.stderr
    sup_other = User(srv, role="supervisor", account=sub)

    # an agent acts only for itself (by id too)
    r = ana.set_status("busy", who=bia.id)
    assert r.status_code == 403, r.text
    assert ana.set_status("busy", who=ana.id).status_code == 200
    assert user_row(srv, pg, bia.id)[0] == "offline"
    # a supervisor acts on any agent of its tenant, not of another
    r = sup.set_status("available", who=bia.id)
    assert r.status_code == 200 and r.json()["id"] == bia.id
    assert user_row(srv, pg, bia.id)[0] == "available"
    r = sup_other.set_status("offline", who=bia.id)
    assert r.status_code == 404
    assert user_row(srv, pg, bia.id)[0] == "available"
    assert sup.set_status("busy", who=999999999).status_code == 404
    assert sup.set_status("busy", who="abc").status_code == 404

    # bad bodies
    for body in ({"status": "wrapup"}, {"status": "Available"}, {}, {"status": 1}):
        r = ana.request("PUT", "/api/agents/me/status", json=body)
        assert r.status_code == 400, body
    r = ana.request("PUT", "/api/agents/me/status", data="status=busy",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400

    # unauthenticated, and a cookie session without the CSRF header
    s = new_session()
    try:
        assert s.put(srv.url + "/api/agents/me/status", json={"status": "busy"}).status_code == 401
        h = {"Cookie": "ramal_session=" + ana.token}
        assert s.put(srv.url + "/api/agents/me/status", json={"status": "busy"}, headers=h).status_code == 403
        h["X-CSRF-Token"] = ana.csrf
        assert s.put(srv.url + "/api/agents/me/status", json={"status": "offline"},
                     headers=h).status_code == 200
    finally:
        s.close()

    # the list is for supervisors and admins, of their own tenant
    assert ana.request("GET", "/api/agents").status_code == 403
    ids = [a["id"] for a in sup_other.request("GET", "/api/agents").json()["agents"]]
    assert ids == [sup_other.id]


def test_list_agents(srv, pg):
    sup = User(srv, role="supervisor", name="Zé Supervisor")
    ana = User(srv, name="Ana")
    bia = User(srv, name="Bia")
    assert ana.set_status("available").status_code == 200
    db(srv, pg, "INSERT INTO calls (tenant_id, call_sid, agent_user_id, status, status_rank)"
                " VALUES (%s, %s, %s, 'ringing', 2)", (ana.tenant_id, sid("CA"), ana.id))
    r = sup.request("GET", "/api/agents")
    assert r.status_code == 200, r.text
    agents = r.json()["agents"]
    assert [a["name"] for a in agents] == ["Ana", "Bia", "Zé Supervisor"]
    a = agents[0]
    assert set(a) == {"id", "name", "email", "identity", "role", "status", "since", "on_call"}
    assert (a["id"], a["email"], a["identity"], a["role"], a["status"], a["on_call"]) == (
        ana.id, ana.email, ana.identity, "agent", "available", True)
    assert SINCE.match(a["since"])
    assert (agents[1]["status"], agents[1]["on_call"]) == ("offline", False)
    assert agents[2]["role"] == "supervisor"
    # a disabled user is not listed
    db(srv, pg, "UPDATE users SET disabled = true WHERE id = %s", (bia.id,))
    assert [x["id"] for x in sup.request("GET", "/api/agents").json()["agents"]] == [ana.id, sup.id]


def test_worker_update_failure_keeps_the_local_status(srv, pg, fake_twilio):
    sids = provision_taskrouter(srv, pg)
    ana = User(srv)
    worker = give_worker(srv, pg, ana)
    path = "/v1/Workspaces/%s/Workers/%s" % (sids["workspace"], worker)
    fake_twilio.respond("POST", "^" + re.escape(path) + "$", 404,
                        {"code": 20404, "message": "not found", "more_info": "", "status": 404})
    r = ana.set_status("available")
    assert r.status_code == 200 and r.json()["activity_sync"] == "pending"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = db(srv, pg, "SELECT state, last_error FROM jobs WHERE kind = 'agent.activity'")
        if rows and rows[0][0] == "dead":
            break
        time.sleep(0.1)
    assert rows[0][0] == "dead" and "20404" in rows[0][1], rows
    assert user_row(srv, pg, ana.id)[0] == "available"
