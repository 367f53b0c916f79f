"""The in-process session cache (SESSION_CACHE_S) and its invalidation by
PostgreSQL NOTIFY: every test runs with a 60 s TTL, so a change can only
show in time (2 s) because the notification dropped the cached session.
/metrics counts the look-ups, which shows that the cache was in use."""

import time

import pytest

from ramaltest import harness
from ramaltest.agents import add_user, call, cli, login, me, me_becomes
from ramaltest.database import db
from ramaltest.server import RamalFactory


def metrics(srv):
    return harness.parse_metrics(call(srv, "GET", "/metrics").text)


def lookups(srv, result):
    return harness.metric(metrics(srv), "ramal_session_cache_lookups_total", result=result)


def cached_twice(srv, token):
    """Two 200s for token, the second from the cache."""
    assert me(srv, token=token).status_code == 200
    hits = lookups(srv, "hit")
    assert me(srv, token=token).status_code == 200
    assert lookups(srv, "hit") == hits + 1


def wait_healthy(srv, within=15.0):
    deadline = time.monotonic() + within * harness.slow_factor()
    while time.monotonic() < deadline:
        if harness.metric(metrics(srv), "ramal_session_cache_healthy") == 1:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def srv(ramal_factory):
    s = ramal_factory.start(SESSION_CACHE_S="60")
    assert wait_healthy(s)
    return s


def test_logout_drops_the_cached_session_at_once(srv):
    add_user(srv, "ana@example.com")
    token = login(srv, "ana@example.com").json()["token"]
    cached_twice(srv, token)
    r = call(srv, "POST", "/api/logout", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200, r.text
    # the same instance: no waiting
    assert me(srv, token=token).status_code == 401
    assert me(srv, cookie=token).status_code == 401


def test_changes_from_another_connection_arrive_by_notify(srv, pg):
    add_user(srv, "bia@example.com", name="Bia")
    token = login(srv, "bia@example.com").json()["token"]
    cached_twice(srv, token)
    db(srv, pg, "UPDATE users SET name = 'Beatriz', role = 'supervisor', status = 'available'"
       " WHERE email = 'bia@example.com'")
    deadline = time.monotonic() + 2.0 * harness.slow_factor()
    body = me(srv, token=token).json()
    while body["name"] != "Beatriz" and time.monotonic() < deadline:
        time.sleep(0.05)
        body = me(srv, token=token).json()
    assert (body["name"], body["role"], body["status"]) == ("Beatriz", "supervisor", "available")

    cached_twice(srv, token)
    db(srv, pg, "UPDATE users SET disabled = true WHERE email = 'bia@example.com'")
    assert me_becomes(srv, 401, token=token) == 401


def test_suspending_the_tenant_drops_every_cached_session(srv, pg):
    add_user(srv, "caio@example.com")
    token = login(srv, "caio@example.com").json()["token"]
    cached_twice(srv, token)
    db(srv, pg, "UPDATE tenants SET status = 'suspended'")
    assert me_becomes(srv, 401, token=token) == 401


def test_a_password_change_revokes_cached_sessions(srv):
    add_user(srv, "duda@example.com", identity="duda")
    token = login(srv, "duda@example.com").json()["token"]
    cached_twice(srv, token)
    r = cli(srv, "user", "password", "duda", "--password-stdin", input="a brand new one\n")
    assert r.returncode == 0, r.stderr
    assert me_becomes(srv, 401, token=token) == 401


def test_a_second_instance_hears_a_sign_out_made_on_the_first(srv, ramal_factory):
    other = ramal_factory.start(DATABASE_URL=srv.database_url, SESSION_CACHE_S="60")
    assert wait_healthy(other)
    add_user(srv, "eva@example.com")
    token = login(srv, "eva@example.com").json()["token"]
    cached_twice(other, token)
    r = call(srv, "POST", "/api/logout", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200, r.text
    assert me_becomes(other, 401, token=token) == 401


def test_zero_disables_the_cache(ramal_factory):
    srv = ramal_factory.start(SESSION_CACHE_S="0")
    add_user(srv, "fabi@example.com")
    token = login(srv, "fabi@example.com").json()["token"]
    for _ in range(3):
        assert me(srv, token=token).status_code == 200
    m = metrics(srv)
    assert harness.metric(m, "ramal_session_cache_lookups_total", result="hit") == 0
    assert harness.metric(m, "ramal_session_cache_lookups_total", result="bypass") >= 3
    assert harness.metric(m, "ramal_session_cache_healthy") == 0


@pytest.mark.outage
def test_no_cached_answer_while_the_listen_connection_is_down(private_pg, fake_twilio_server):
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(SESSION_CACHE_S="60", DB_ACQUIRE_TIMEOUT_MS="500")
        assert wait_healthy(srv)
        add_user(srv, "gil@example.com")
        token = login(srv, "gil@example.com").json()["token"]
        cached_twice(srv, token)

        private_pg.stop()
        # Without the database a request can only be answered from the
        # cache; with the LISTEN connection gone the cache must not answer.
        assert me_becomes(srv, 503, token=token) == 503
        bypass = lookups(srv, "bypass")
        for _ in range(3):
            assert me(srv, token=token).status_code == 503
        assert lookups(srv, "bypass") >= bypass + 3
        assert lookups(srv, "hit") == 1  # only the one of cached_twice
        assert harness.metric(metrics(srv), "ramal_session_cache_healthy") == 0

        private_pg.start()
        assert me_becomes(srv, 200, within=20.0, token=token) == 200
        assert wait_healthy(srv, within=20.0)
        cached_twice(srv, token)
    finally:
        factory.close()
