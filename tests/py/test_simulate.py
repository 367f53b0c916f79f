"""`ramal simulate`: a newcomer plays whole calls against a running server
without a Twilio account, and sees them recorded in the database."""

import random

import pytest

import harness
from conftest import RamalFactory

WORKFLOW = "WW" + "cd" * 16


def cli(env, *args):
    r = harness.run_cli(list(args), env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def simulate(srv, *mode):
    env = dict(srv.env)
    return harness.run_cli(["simulate", "inbound", "--to", srv.did, "--from", "+5511987654321",
                            "--url", srv.url] + list(mode), env)


@pytest.fixture
def center(pg, fake_twilio_server, request):
    """A server with one agent (ana) owning one number; the queue exists
    when the test asks for it."""
    queue = getattr(request, "param", False)
    factory = RamalFactory(pg, fake_twilio_server)
    overrides = {"JOB_WORKERS": "0", "LOG_LEVEL": "info"}
    if queue:
        overrides["TWILIO_WORKFLOW_SID"] = WORKFLOW
    srv = factory.start(**overrides)
    srv.did = "+5511%08d" % random.randrange(10 ** 8)
    cli(srv.env, "create-user", "--email", "ana@example.com", "--name", "Ana")
    cli(srv.env, "number", "add", srv.did, "--label", "Vendas", "--owner", "ana")
    conn = pg.connect(srv.dbname)
    conn.autocommit = True
    srv.conn = conn
    yield srv
    conn.close()
    factory.close()


def one(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()


def caller_sid(out):
    line = [ln for ln in out.splitlines() if ln.startswith("Simulating an inbound call")][0]
    return line.split()[4]


def test_agent_answers_a_dedicated_line(center):
    cli(center.env, "user", "status", "ana", "available")
    r = simulate(center, "--agent-answers")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "/twilio/voice/whisper" in r.stdout and "0 failed" in r.stdout
    ca = caller_sid(r.stdout)
    status, routing, from_, to = one(center.conn,
        "SELECT status, routing, from_number, to_number FROM calls WHERE call_sid = %s", ca)
    assert (status, routing, from_, to) == ("completed", "dedicated", "+5511987654321", center.did)
    # the agent's leg, child of the caller's, answered and completed
    child = one(center.conn, "SELECT status, answered_at IS NOT NULL, to_number FROM calls"
                             " WHERE parent_call_sid = %s", ca)
    assert child == ("completed", True, "client:ana")
    # the dual-channel recording of the conversation, with its archive job
    rec = one(center.conn, "SELECT status, channels FROM recordings WHERE call_sid = %s", ca)
    assert rec == ("completed", 2)
    assert one(center.conn, "SELECT count(*) FROM jobs WHERE kind = 'recording.archive'")[0] == 1
    assert one(center.conn, "SELECT count(*) FROM call_events WHERE call_sid = %s", ca)[0] >= 1


def test_nobody_answers_without_a_queue_leaves_a_voicemail(center):
    # ana is offline: the call goes to voicemail (no TaskRouter workflow here)
    r = simulate(center, "--no-answer")
    assert r.returncode == 0, r.stdout + r.stderr
    ca = caller_sid(r.stdout)
    vm = one(center.conn, "SELECT recording_sid IS NOT NULL FROM voicemails WHERE call_sid = %s", ca)
    assert vm == (True,)
    assert one(center.conn, "SELECT status FROM calls WHERE call_sid = %s", ca) == ("completed",)


@pytest.mark.parametrize("center", [True], indirect=True)
def test_dedicated_agent_misses_then_the_queue_answers(center):
    cli(center.env, "user", "status", "ana", "available")
    r = simulate(center, "--no-answer")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "/twilio/voice/overflow" in r.stdout and "<Enqueue" in r.stdout
    ca = caller_sid(r.stdout)
    # waited past the limit, left the queue, left a message
    result, = one(center.conn, "SELECT queue_result FROM calls WHERE call_sid = %s", ca)
    assert result == "leave"
    assert one(center.conn, "SELECT count(*) FROM voicemails WHERE call_sid = %s", ca) == (1,)


@pytest.mark.parametrize("center", [True], indirect=True)
def test_caller_abandons_in_the_queue(center):
    r = simulate(center, "--abandon")
    assert r.returncode == 0, r.stdout + r.stderr
    ca = caller_sid(r.stdout)
    assert one(center.conn, "SELECT queue_result, abandoned, status FROM calls WHERE call_sid = %s",
               ca) == ("hangup", True, "completed")


@pytest.mark.parametrize("center", [True], indirect=True)
def test_queue_agent_answers_through_taskrouter(center):
    r = simulate(center, "--agent-answers")  # ana offline: straight to the queue
    assert r.returncode == 0, r.stdout + r.stderr
    assert "/twilio/taskrouter/assignment" in r.stdout and "reservationSid" in r.stdout
    ca = caller_sid(r.stdout)
    result, abandoned = one(center.conn, "SELECT queue_result, abandoned FROM calls WHERE call_sid = %s", ca)
    assert (result, abandoned) == ("bridged", False)
    assert one(center.conn, "SELECT count(*) FROM recordings WHERE status = 'completed'") == (1,)


def test_simulate_needs_an_account(pg):
    r = harness.run_cli(["simulate", "inbound", "--to", "+551130000000", "--from", "+5511987654321"],
                        {"BASE_URL": "https://x.example"})
    assert r.returncode == 2 and "TWILIO_ACCOUNT_SID" in r.stderr
    r = harness.run_cli(["simulate", "outbound"], {})
    assert r.returncode == 2 and "usage" in r.stderr
