"""Sign-in under attack (issue #10, items 5, 6 and 8): the password hashes
run on their own bounded queue and never hold a database connection;
concurrent wrong passwords get exactly the allowed number of tries; every
sign-in runs the same number of hashes whatever the email matches; a
user keeps a bounded number of live sessions."""

import concurrent.futures as cf

import pytest

from ramaltest import harness
from ramaltest.agents import PASSWORD, add_user, call, cli, login, me
from ramaltest.database import db
from ramaltest.server import random_account_sid, random_token


def hashes(srv):
    samples = harness.parse_metrics(call(srv, "GET", "/metrics").text)
    return harness.metric(samples, "ramal_auth_password_hashes_total")


@pytest.mark.slow
def test_sign_ins_hold_no_connection_while_hashing(ramal_factory):
    """Sign-ins at once on a pool of 2 connections: none is refused for
    want of a connection (each holds one only around its queries)."""
    srv = ramal_factory.start(DB_POOL_SIZE="2", HTTP_WORKERS="2", HTTP_CPU_WORKERS="2",
                              HTTP_CPU_QUEUE="64", DB_ACQUIRE_TIMEOUT_MS="2000")
    for i in range(4):
        add_user(srv, "pool%d@example.com" % i)
    with cf.ThreadPoolExecutor(16) as ex:
        codes = list(ex.map(lambda i: login(srv, "pool%d@example.com" % (i % 4)).status_code, range(16)))
    assert codes.count(503) == 0, codes
    assert codes.count(200) == 16, codes


def test_a_full_hash_queue_answers_429(ramal_factory):
    srv = ramal_factory.start(HTTP_CPU_WORKERS="1", HTTP_CPU_QUEUE="2")
    add_user(srv, "busy@example.com")
    with cf.ThreadPoolExecutor(12) as ex:
        resps = list(ex.map(lambda i: login(srv, "busy@example.com"), range(12)))
    codes = [r.status_code for r in resps]
    assert codes.count(429) >= 1, codes
    assert set(codes) <= {200, 429}, codes
    assert all(r.headers.get("Retry-After") == "1" for r in resps if r.status_code == 429)
    # the queue drains: the next one gets in
    assert login(srv, "busy@example.com").status_code == 200


def test_concurrent_wrong_passwords_get_exactly_the_limit(ramal_factory, pg):
    srv = ramal_factory.start(HTTP_CPU_WORKERS="2", HTTP_CPU_QUEUE="64")
    add_user(srv, "race@example.com")
    with cf.ThreadPoolExecutor(40) as ex:
        codes = list(ex.map(lambda i: login(srv, "race@example.com", "wrong %d" % i).status_code, range(40)))
    assert codes.count(401) == 5, codes
    assert codes.count(429) == 35, codes
    (n,) = db(srv, pg, "SELECT count(*) FROM login_attempts WHERE scope = 'account'"
                       " AND key = 'race@example.com'")[0]
    assert n == 5


@pytest.mark.slow
def test_every_sign_in_runs_the_same_number_of_hashes(ramal_factory):
    srv = ramal_factory.start()
    sub = random_account_sid()
    assert cli(srv, "tenant", "add", sub, input=random_token() + "\n").returncode == 0
    add_user(srv, "one@example.com")
    add_user(srv, "two@example.com", password="main password")
    add_user(srv, "two@example.com", password="branch password", account=sub)
    cases = [
        ("nobody@example.com", "whatever 1", 401),   # no candidate
        ("one@example.com", "whatever 2", 401),      # one, wrong
        ("one@example.com", PASSWORD, 200),          # one, right
        ("two@example.com", "whatever 3", 401),      # two, wrong
        ("two@example.com", "branch password", 200), # two, one right
    ]
    spent = []
    for email, password, want in cases:
        before = hashes(srv)
        assert login(srv, email, password).status_code == want
        spent.append(hashes(srv) - before)
    assert len(set(spent)) == 1 and spent[0] >= 1, spent


def test_a_user_keeps_at_most_the_configured_live_sessions(ramal_factory):
    srv = ramal_factory.start(SESSION_MAX_PER_USER="3", SESSION_CACHE_S="0")
    add_user(srv, "many@example.com")
    tokens = [login(srv, "many@example.com").json()["token"] for _ in range(5)]
    alive = [me(srv, token=t).status_code for t in tokens]
    # the two oldest were revoked by the newer sign-ins
    assert alive == [401, 401, 200, 200, 200]
