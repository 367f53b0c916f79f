"""Status callbacks (/twilio/status): idempotent, order-safe, every raw
callback kept, and nothing lost while the database is down (spooled to
disk, replayed when it is back)."""

import itertools
import os
import secrets
import time

import pytest

from ramaltest import harness
from ramaltest.server import RamalFactory
from ramaltest.voice import STATUS, call_row, event_count, leg_events


@pytest.fixture(scope="module")
def status_srv(pg, module_factory):
    srv = module_factory.start(LOG_LEVEL="info")
    conn = pg.connect(srv.dbname)
    conn.autocommit = True
    yield srv, conn
    conn.close()


def post_all(webhook, srv, events):
    for p in events:
        r = webhook.post(srv, p, path=STATUS)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("text/xml")
        assert b"<Response" in r.content


def test_every_arrival_order_gives_the_same_call(status_srv, webhook):
    srv, conn = status_srv
    parent = "CA" + secrets.token_hex(16)
    reference = None
    for order in itertools.permutations(range(4)):
        sid = "CA" + secrets.token_hex(16)
        events = leg_events(srv.account_sid, sid, parent)
        post_all(webhook, srv, [events[i] for i in order])
        row = call_row(conn, sid)
        assert row is not None
        assert event_count(conn, sid) == 4
        if reference is None:
            reference = row
        assert row == reference, "order %s gave %s" % (order, row)
    status, rank, seq, par, direction, frm, to, started, ringing, answered, ended, dur, sip = reference
    assert (status, rank, seq) == ("completed", 4, 3)
    assert par == parent and direction == "outbound-dial"
    assert (frm, to) == ("+5511987654321", "client:agente_1")
    assert started.isoformat() == "2026-11-23T21:00:00+00:00"
    assert ringing.isoformat() == "2026-11-23T21:00:01+00:00"
    assert answered.isoformat() == "2026-11-23T21:00:07+00:00"
    assert ended.isoformat() == "2026-11-23T21:02:07+00:00"
    assert (dur, sip) == (120, 200)


def test_duplicates_change_nothing_but_are_kept(status_srv, webhook):
    srv, conn = status_srv
    sid = "CA" + secrets.token_hex(16)
    events = leg_events(srv.account_sid, sid)
    post_all(webhook, srv, events)
    before = call_row(conn, sid)
    post_all(webhook, srv, [events[3], events[1], events[1], events[0]])
    assert call_row(conn, sid) == before
    assert event_count(conn, sid) == 8


def test_late_ringing_never_moves_a_call_back(status_srv, webhook):
    srv, conn = status_srv
    sid = "CA" + secrets.token_hex(16)
    events = leg_events(srv.account_sid, sid)
    post_all(webhook, srv, [events[3]])
    assert call_row(conn, sid)[0] == "completed"
    post_all(webhook, srv, [events[1], events[2]])
    row = call_row(conn, sid)
    assert row[0] == "completed" and row[2] == 3
    assert row[8].isoformat() == "2026-11-23T21:00:01+00:00"  # ringing time still learnt


def test_answer_time_from_the_duration_when_answered_is_lost(status_srv, webhook):
    srv, conn = status_srv
    sid = "CA" + secrets.token_hex(16)
    events = leg_events(srv.account_sid, sid)
    post_all(webhook, srv, [events[0], events[3]])
    row = call_row(conn, sid)
    assert row[0] == "completed"
    assert row[9].isoformat() == "2026-11-23T21:00:07+00:00"  # ended - 120 s


def test_raw_parameters_are_kept(status_srv, webhook):
    srv, conn = status_srv
    sid = "CA" + secrets.token_hex(16)
    p = leg_events(srv.account_sid, sid)[0] + [("CalledCity", "São Paulo"), ("Extra", "a"), ("Extra", "b")]
    post_all(webhook, srv, [p])
    with conn.cursor() as cur:
        cur.execute("SELECT route, params, replayed FROM call_events WHERE call_sid = %s", (sid,))
        route, params, replayed = cur.fetchone()
    assert route == STATUS and replayed is False
    assert params["CalledCity"] == "São Paulo"
    assert params["Extra"] == ["a", "b"]
    assert params["CallStatus"] == "initiated" and params["SequenceNumber"] == "0"


def test_bad_callbacks_are_refused(status_srv, webhook):
    srv, conn = status_srv
    p = leg_events(srv.account_sid, "CA" + secrets.token_hex(16))[0]
    bad = [(k, "not-a-sid" if k == "CallSid" else v) for k, v in p]
    r = webhook.post(srv, bad, path=STATUS)
    assert r.status_code == 400 and r.json()["error"]
    # and an unsigned one never reaches the database
    r = webhook.post(srv, p, path=STATUS, signature="bm9wZQ==")
    assert r.status_code == 403
    assert event_count(conn, dict(p)["CallSid"]) == 0


def spool_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".ev"))


def wait_for(fn, within):
    deadline = time.monotonic() + within * harness.slow_factor()
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return fn()


@pytest.mark.outage
def test_database_down_spools_then_replays(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info")
        sid = "CA" + secrets.token_hex(16)
        events = leg_events(srv.account_sid, sid)
        private_pg.stop()
        post_all(webhook, srv, [events[2], events[0], events[3], events[1]])
        assert len(spool_files(spool)) == 4
        assert "status callback spooled" in srv.log()

        private_pg.start()
        conn = private_pg.connect(srv.dbname)
        conn.autocommit = True
        try:
            assert wait_for(lambda: event_count(conn, sid) == 4, 15), srv.log()[-2000:]
            assert event_count(conn, sid, replayed=True) == 4
            assert call_row(conn, sid)[0:3] == ("completed", 4, 3)
            assert wait_for(lambda: spool_files(spool) == [], 5)
        finally:
            conn.close()
    finally:
        factory.close()


@pytest.mark.outage
def test_spool_survives_a_restart(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        env = factory.env(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info")
        srv = factory.start(env=env)
        sid = "CA" + secrets.token_hex(16)
        events = leg_events(srv.account_sid, sid)
        private_pg.stop()
        post_all(webhook, srv, events)
        assert srv.stop() == 0  # the last replay round fails: files stay
        assert len(spool_files(spool)) == 4

        private_pg.start()
        srv2 = factory.start(env=env)
        conn = private_pg.connect(srv2.dbname)
        conn.autocommit = True
        try:
            assert wait_for(lambda: event_count(conn, sid, replayed=True) == 4, 15), srv2.log()[-2000:]
            assert call_row(conn, sid)[0] == "completed"
            # a file is removed right after its commit: the count can be
            # seen a moment before the last unlink
            assert wait_for(lambda: spool_files(spool) == [], 5), spool_files(spool)
        finally:
            conn.close()
    finally:
        factory.close()


def test_timestamps_with_an_offset(status_srv, webhook):
    srv, conn = status_srv
    sid = "CA" + secrets.token_hex(16)
    p = dict(leg_events(srv.account_sid, sid)[0])
    p["Timestamp"] = "Mon, 23 Nov 2026 18:00:00 -0300"
    post_all(webhook, srv, [sorted(p.items())])
    assert call_row(conn, sid)[7].isoformat() == "2026-11-23T21:00:00+00:00"


@pytest.mark.outage
def test_subaccount_callbacks_during_an_outage_are_checked_later(private_pg, tmp_path, fake_twilio_server, webhook):
    """A subaccount this server never saw: its key is in the database, which
    is down.  Its callbacks are kept with their signatures and checked when
    the database returns; a forged one is set aside, never stored."""
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info")
        sub, tok = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        r = harness.run_cli(["tenant", "add", sub], srv.env, input=tok + "\n")
        assert r.returncode == 0, r.stderr
        good = "CA" + secrets.token_hex(16)
        forged = "CA" + secrets.token_hex(16)
        private_pg.stop()
        for p in leg_events(sub, good):
            r = webhook.post(srv, p, path=STATUS, token=tok)
            assert r.status_code == 200, r.text
        r = webhook.post(srv, leg_events(sub, forged)[3], path=STATUS, token="f" * 32)
        assert r.status_code == 200  # cannot tell yet
        assert len(spool_files(spool)) == 5
        assert "callback spooled unverified" in srv.log()

        private_pg.start()
        conn = private_pg.connect(srv.dbname)
        conn.autocommit = True
        try:
            assert wait_for(lambda: event_count(conn, good, replayed=True) == 4, 15), srv.log()[-2000:]
            assert call_row(conn, good)[0] == "completed"
            assert wait_for(lambda: spool_files(spool) == [], 5)
            assert event_count(conn, forged) == 0
            assert call_row(conn, forged) is None
            assert len(os.listdir(os.path.join(spool, "failed"))) == 1
            assert "spooled callback failed its signature check" in srv.log()
        finally:
            conn.close()
    finally:
        factory.close()
