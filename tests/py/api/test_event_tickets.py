"""Tickets for live events (issue #19): a browser's EventSource cannot send
Authorization, so a page asks POST /api/events/ticket with its session and
opens GET /api/events?ticket=... .  A ticket is random, single-use, valid
for EVENTS_TICKET_TTL_S (at most 30) seconds, bound to the session that
asked for it (the stream ends with that session), kept in PostgreSQL as
its SHA-256 only (another instance takes it), and never written to the
log."""

import hashlib
import re
import time

import pytest

from ramaltest import harness
from ramaltest.agents import User, call, me_becomes
from ramaltest.database import db
from ramaltest.sse import SSE

TICKET_RE = r"[A-Za-z0-9_-]{43}"


@pytest.fixture(scope="module")
def srv(module_factory):
    # the factory's default LOG_LEVEL is debug: every line a ticket could
    # reach is written
    return module_factory.start(EVENTS_HEARTBEAT_S="60", SESSION_CACHE_S="60")


def ticket_of(user, **headers):
    r = user.request("POST", "/api/events/ticket", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def stream(srv, ticket, **kw):
    return SSE(srv, query="?ticket=" + ticket, **kw)


def refused(srv, ticket):
    """GET /api/events?ticket= answered 401: the JSON error."""
    r = call(srv, "GET", "/api/events?ticket=" + ticket)
    assert r.status_code == 401, (r.status_code, r.text[:200])
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert set(body) == {"error", "request_id"}
    return body["error"]


def is_status(status):
    return lambda e: e.get("event") == "status" and e["data"]["status"] == status


# --------------------------------------------------------------------------


def test_a_ticket_answer(srv, pg):
    ana = User(srv)
    r = ana.request("POST", "/api/events/ticket")
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    assert set(body) == {"ticket", "expires_in"}
    assert body["expires_in"] == 30
    assert re.fullmatch(TICKET_RE, body["ticket"])
    other = ticket_of(ana)
    assert other != body["ticket"]
    # the database keeps its SHA-256, never the ticket
    rows = db(srv, pg, "SELECT ticket_hash, expires_at - now() <= interval '30 seconds'"
                       " FROM event_tickets")
    hashes = {h for h, _ in rows}
    assert hashlib.sha256(body["ticket"].encode()).hexdigest() in hashes
    assert all(short for _, short in rows)
    assert not any(body["ticket"] in h for h in hashes)


def test_asking_needs_a_session(srv):
    r = call(srv, "POST", "/api/events/ticket")
    assert r.status_code == 401 and r.json()["error"]
    r = call(srv, "POST", "/api/events/ticket", headers={"Authorization": "Bearer " + "x" * 43})
    assert r.status_code == 401
    r = call(srv, "GET", "/api/events/ticket")
    assert r.status_code == 405 and r.headers["Allow"] == "POST"


def test_a_cookie_session_asks_with_its_csrf_token(srv):
    ana = User(srv)
    cookie = {"Cookie": "ramal_session=" + ana.token}
    r = call(srv, "POST", "/api/events/ticket", headers=cookie)
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["error"]
    r = call(srv, "POST", "/api/events/ticket", headers=dict(cookie, **{"X-CSRF-Token": ana.csrf}))
    assert r.status_code == 201
    s = stream(srv, r.json()["ticket"])
    try:
        assert s.status == 200
        assert ana.set_status("available").status_code == 200
        assert s.wait_for(is_status("available")) is not None
    finally:
        s.close()


def test_a_ticket_opens_the_stream_once(srv):
    ana = User(srv)
    t = ticket_of(ana)
    s = stream(srv, t)
    try:
        assert s.status == 200
        assert s.headers["Content-Type"] == "text/event-stream"
        # an event published after connecting arrives
        r = ana.set_status("busy")
        assert r.status_code == 200
        ev = s.wait_for(is_status("busy"))
        assert ev is not None, "no status event"
        assert ev["data"] == {"user_id": ana.id, "status": "busy", "since": r.json()["since"]}
        # used: a second stream is refused, also while the first is open
        assert "already used" in refused(srv, t)
    finally:
        s.close()
    assert "already used" in refused(srv, t)


@pytest.mark.parametrize("bad", ["", "x", "x" * 43, "A" * 44, "%2B" * 43])
def test_a_made_up_ticket_is_refused(srv, bad):
    refused(srv, bad)


def test_the_stream_is_the_session_s(srv):
    """The stream carries the events of the ticket's user, not of the
    session's Bearer token sent along, nor of anyone else."""
    ana, bia = User(srv), User(srv)
    sup = User(srv, role="supervisor")
    s = stream(srv, ticket_of(ana), token=bia.token)
    s_sup = stream(srv, ticket_of(sup))
    try:
        assert s.status == 200 and s_sup.status == 200
        assert bia.set_status("busy").status_code == 200
        assert ana.set_status("available").status_code == 200
        got = s.take(1) + s.events(0.5)
        assert [(e["event"], e["data"]["user_id"]) for e in got] == [("status", ana.id)]
        # a supervisor's ticket opens a supervisor's stream
        assert s_sup.wait_for(lambda e: e.get("event") == "agent" and e["data"]["id"] == bia.id) is not None
    finally:
        s.close()
        s_sup.close()


def test_the_stream_ends_with_its_session(srv):
    ana = User(srv)
    s = stream(srv, ticket_of(ana))
    assert s.status == 200
    unused = ticket_of(ana)
    assert ana.request("POST", "/api/logout").status_code == 200
    ev = s.wait_for(lambda e: e.get("event") == "session.ended", timeout=2)
    assert ev is not None and ev["data"]["reason"] == "signed-out"
    assert s.closed.wait(2)
    # a ticket of a signed-out session opens nothing
    assert refused(srv, unused) == "session expired or signed out; sign in again"


def test_a_disabled_user_s_ticket_is_refused(srv, pg):
    ana = User(srv)
    t = ticket_of(ana)
    db(srv, pg, "UPDATE users SET disabled = true WHERE id = %s", (ana.id,))
    # once the instance has heard of it (NOTIFY, milliseconds)
    assert me_becomes(srv, 401, token=ana.token) == 401
    assert "sign in again" in refused(srv, t)


def test_last_event_id_replays_after_a_ticket(srv):
    ana = User(srv)
    first = stream(srv, ticket_of(ana))
    try:
        for st in ("available", "busy", "offline"):
            assert ana.set_status(st).status_code == 200
        evs = [first.wait_for(is_status(st)) for st in ("available", "busy", "offline")]
        assert all(evs)
    finally:
        first.close()
    ids = [e["id"] for e in evs]
    # EventSource sends Last-Event-ID itself when it reconnects; a page
    # that opens a new one with a fresh ticket passes last_event_id
    for kw in ({"last_event_id": ids[0]}, {"query_last": ids[0]}):
        q = "?ticket=" + ticket_of(ana)
        if "query_last" in kw:
            q += "&last_event_id=%d" % kw.pop("query_last")
        s = SSE(srv, query=q, **kw)
        try:
            assert s.status == 200
            got = s.take(2, timeout=5)
            assert [e["id"] for e in got] == ids[1:]
            assert [e["data"]["status"] for e in got] == ["busy", "offline"]
        finally:
            s.close()


def test_a_session_holds_a_bounded_number_of_unused_tickets(srv):
    ana = User(srv)
    tickets = [ticket_of(ana) for _ in range(16)]
    r = ana.request("POST", "/api/events/ticket")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "30"
    assert "16 unused tickets" in r.json()["error"]
    # another session of the same user has its own
    assert re.fullmatch(TICKET_RE, ticket_of(User(srv)))
    # using one frees its place
    s = stream(srv, tickets[0])
    s.close()
    assert re.fullmatch(TICKET_RE, ticket_of(ana))


def test_another_instance_takes_the_ticket(srv, module_factory):
    """Tickets live in PostgreSQL: a load balancer may send the stream to
    another instance than the one that gave the ticket."""
    other = module_factory.start(DATABASE_URL=srv.database_url, EVENTS_HEARTBEAT_S="60")
    ana = User(srv)
    t = ticket_of(ana)
    s = stream(other, t)
    try:
        assert s.status == 200
        assert ana.set_status("busy").status_code == 200
        assert s.wait_for(is_status("busy")) is not None
    finally:
        s.close()
    assert "already used" in refused(srv, t)


def test_tickets_never_reach_the_log(srv):
    ana = User(srv)
    used, twice, unused = ticket_of(ana), ticket_of(ana), ticket_of(ana)
    s = stream(srv, used)
    assert s.status == 200
    s.close()
    s = SSE(srv, query="?ticket=%s&last_event_id=1" % twice)
    assert s.status == 200
    s.close()
    refused(srv, twice + "&last_event_id=1")
    refused(srv, "y" * 43)
    assert srv.wait_log(lambda rec: rec.get("path") == "/api/events" and rec.get("status") == "401")
    log = srv.log()
    # the requests were logged, at debug level, by their path only
    assert re.search(r'msg=request .*path=/api/events .*status=200', log)
    assert any(rec.get("level") == "debug" for rec in srv.records())
    for t in (used, twice, unused, "y" * 43):
        assert t not in log
    assert "ticket=" not in log


def test_tickets_expire(module_factory):
    srv = module_factory.start(EVENTS_TICKET_TTL_S="1")
    ana = User(srv)
    r = ana.request("POST", "/api/events/ticket")
    assert r.status_code == 201 and r.json()["expires_in"] == 1
    fresh = ticket_of(ana)
    s = stream(srv, fresh)
    assert s.status == 200
    s.close()
    t = r.json()["ticket"]
    time.sleep(1.5)
    assert "expired" in refused(srv, t)


def test_expired_tickets_are_deleted(module_factory, pg):
    srv = module_factory.start(EVENTS_TICKET_TTL_S="1")
    ana = User(srv)
    old = [ticket_of(ana) for _ in range(3)]
    time.sleep(1.5)
    ticket_of(ana)
    rows = db(srv, pg, "SELECT ticket_hash FROM event_tickets")
    kept = {h for (h,) in rows}
    assert len(kept) == 1
    assert not kept & {hashlib.sha256(t.encode()).hexdigest() for t in old}


@pytest.mark.parametrize("value", ["0", "31", "60"])
def test_the_ticket_lifetime_is_at_most_30_seconds(srv, module_factory, value):
    env = module_factory.env(EVENTS_TICKET_TTL_S=value, DATABASE_URL=srv.database_url)
    r = harness.run_cli(["serve"], env, timeout=8)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.strip() == 'ramal: EVENTS_TICKET_TTL_S: must be an integer from 1 to 30 (got "%s")' % value
