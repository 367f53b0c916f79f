"""`ramal simulate`: a newcomer plays whole calls against a running server
without a Twilio account, and sees them recorded in the database."""

import random

import pytest

from ramaltest import harness
from ramaltest.server import RamalFactory
from ramaltest.voice import TwimlProxy

WORKFLOW = "WW" + "cd" * 16


def cli(env, *args):
    r = harness.run_cli(list(args), env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def simulate(srv, *mode):
    env = dict(srv.env)
    return harness.run_cli(["simulate", "inbound", "--to", srv.did, "--from", "+5511987654321",
                            "--url", srv.proxy.url] + list(mode), env)


def checked_by_proxy(srv):
    """simulate reaches the server through a TwimlProxy: every TwiML answer
    it reads is checked as Twilio would read it; the fixture asserts none
    was refused."""
    srv.proxy = TwimlProxy(srv)
    return srv.proxy


def proxy_done(proxy):
    proxy.close()
    assert proxy.errors == [], "\n".join(proxy.errors)
    assert proxy.checked > 0, "no TwiML answer went through the proxy"


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
    proxy = checked_by_proxy(srv)
    yield srv
    conn.close()
    factory.close()
    proxy_done(proxy)


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


# --------------------------------------------------------------------------
# outbound calls and hold


def outbound(srv, *args, **kw):
    return harness.run_cli(["simulate", "outbound", "--agent", "ana", "--url", srv.proxy.url] + list(args), srv.env,
                           **kw)


def agent_leg_of(out):
    line = [ln for ln in out.splitlines() if ln.startswith("Simulating an outbound call")][0]
    return line.split()[4]


def test_outbound_call_is_answered(center):
    r = outbound(center, "--to", "(11) 98765-4321")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "/twilio/voice/outbound" in r.stdout and "/twilio/voice/disclaimer" in r.stdout
    assert "0 failed" in r.stdout
    leg = agent_leg_of(r.stdout)
    row = one(center.conn, "SELECT direction, bridge, from_number, to_number, dialled, dial_status, status"
                           " FROM calls WHERE call_sid = %s", leg)
    # ana dials with her own number as caller ID
    assert row == ("outbound", "outbound", center.did, "+5511987654321", "(11) 98765-4321", "completed",
                   "completed")
    callee = one(center.conn, "SELECT status, from_number, to_number FROM calls WHERE parent_call_sid = %s", leg)
    assert callee == ("completed", center.did, "+5511987654321")
    assert one(center.conn, "SELECT status, channels FROM recordings WHERE call_sid = %s", leg) == ("completed", 2)


def test_outbound_call_not_answered_is_told_to_the_agent(center):
    r = outbound(center, "--to", "11987654321", "--no-answer")
    assert r.returncode == 0, r.stdout + r.stderr
    leg = agent_leg_of(r.stdout)
    assert one(center.conn, "SELECT dial_status FROM calls WHERE call_sid = %s", leg) == ("no-answer",)
    # the action's answer: the reason spoken, then the hang-up
    done = r.stdout[r.stdout.index("outbound?step=done"):]
    assert "<Say" in done and "<Hangup" in done


def test_outbound_refused_number_is_spoken(center):
    r = outbound(center, "--to", "0800 123 4567")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "<Say" in r.stdout and "<Hangup" in r.stdout and "<Dial" not in r.stdout


@pytest.fixture
def center_jobs(pg, fake_twilio_server):
    """ana (with a password) owns a number; jobs run and reach the fake
    Twilio API, as the hold needs."""
    factory = RamalFactory(pg, fake_twilio_server)
    srv = factory.start(JOB_WORKERS="1", RAMAL_JOB_POLL_MS="50", LOG_LEVEL="info")
    srv.did = "+5511%08d" % random.randrange(10 ** 8)
    r = harness.run_cli(["create-user", "--email", "ana@example.com", "--name", "Ana", "--password-stdin"],
                        srv.env, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    cli(srv.env, "number", "add", srv.did, "--label", "Vendas", "--owner", "ana")
    conn = pg.connect(srv.dbname)
    conn.autocommit = True
    srv.conn = conn
    proxy = checked_by_proxy(srv)
    fake_twilio_server.reset()
    yield srv, fake_twilio_server
    conn.close()
    factory.close()
    fake_twilio_server.reset()
    proxy_done(proxy)


PASSWORD = "correct horse battery staple"


def test_hold_cycle_on_a_live_outbound_call(center_jobs):
    srv, fake = center_jobs
    r = outbound(srv, "--to", "11987654321", "--leave-up")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "the call stays up" in r.stdout
    leg = agent_leg_of(r.stdout)
    callee, status = one(srv.conn, "SELECT call_sid, status FROM calls WHERE parent_call_sid = %s", leg)
    assert status == "in-progress"

    h = harness.run_cli(["simulate", "hold", "--call", leg, "--email", "ana@example.com", "--password-stdin",
                         "--url", srv.proxy.url], srv.env, input=PASSWORD + "\n")
    assert h.returncode == 0, h.stdout + h.stderr
    assert "0 failed" in h.stdout and PASSWORD not in h.stdout
    assert "<Conference" in h.stdout and "participant-join" in h.stdout
    # what the jobs asked of (the fake) Twilio: the callee moved once, held, unheld
    posts = [q for q in fake.requests_to("POST")]
    assert [q.path.split("/")[-2] + "/" + q.path.split("/")[-1] for q in posts if "/Calls/" in q.path] == \
        ["Calls/%s.json" % callee]
    parts = [q.form_dict()["Hold"] for q in posts if "/Participants/%s.json" % callee in q.path]
    assert parts == [["true"], ["false"]]
    assert not [v for q in posts for v in q.violations]
    row = one(srv.conn, "SELECT conference_state, hold_wanted, hold_confirmed FROM calls WHERE call_sid = %s", leg)
    assert row == ("active", False, False)
    assert one(srv.conn, "SELECT count(*) FROM conference_participants WHERE conference_name = %s",
               "ramal-" + leg) == (2,)
    # a wrong password: the sign-in step fails, nothing is asked
    bad = harness.run_cli(["simulate", "hold", "--call", leg, "--email", "ana@example.com", "--password-stdin",
                           "--url", srv.proxy.url], srv.env, input="wrong password here\n")
    assert bad.returncode == 1 and "FAILED" in bad.stdout
