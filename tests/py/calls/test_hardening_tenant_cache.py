"""Hardening of the signature-key cache of subaccounts (issue #10, item 9).

An unknown AccountSid is remembered briefly in a table of its own, so it
costs one database look-up however often it comes, and no number of them
evicts the key of a known subaccount: that subaccount's webhooks keep being
checked (and spooled as checked) when the database goes down afterwards,
even with its key past TENANT_CACHE_S.  Look-ups of accounts in neither
table come out of a per-process bucket (TENANT_LOOKUP_BURST, refilled at
TENANT_LOOKUP_PER_S); beyond it they are refused, 403, without a look-up.
/metrics counts every answer (ramal_tenant_key_lookups_total), so nothing
here depends on timing but the bucket's refill, which the assertions
allow for."""

import os
import secrets
import time

import pytest

from ramaltest import harness
from ramaltest.server import RamalFactory, new_session

STATUS = "/twilio/status"
LOOKUPS = "ramal_tenant_key_lookups_total"


def sid(prefix):
    return prefix + secrets.token_hex(16)


def status_params(account_sid, call_sid, status="completed"):
    return sorted({
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": status,
        "Called": "+551130000000",
        "Caller": "+5511987654321",
        "From": "+5511987654321",
        "To": "+551130000000",
        "Direction": "inbound",
        "SequenceNumber": "3",
        "Timestamp": "Mon, 23 Nov 2026 21:02:07 +0000",
        "CallDuration": "60",
    }.items())


class Metrics:
    def __init__(self, srv):
        s = new_session()
        try:
            r = s.get(srv.url + "/metrics", timeout=10)
            assert r.status_code == 200
            self.samples = harness.parse_metrics(r.text)
        finally:
            s.close()

    def lookups(self, result):
        return harness.metric(self.samples, LOOKUPS, result=result)

    def reads(self):
        """Look-ups that reached the database."""
        return sum(self.lookups(k) for k in ("miss", "unknown", "unavailable"))


def add_tenant(srv, account, token):
    r = harness.run_cli(["tenant", "add", account], srv.env, input=token + "\n")
    assert r.returncode == 0, r.stderr


def unverified_files(d):
    n = 0
    for name in os.listdir(d):
        if name.endswith(".ev"):
            with open(os.path.join(d, name), "rb") as f:
                n += f.readline() == b"ramal-spool 2\n"
    return n


def stored(conn, call_sids):
    with conn.cursor() as cur:
        cur.execute("SELECT count(DISTINCT call_sid) FROM call_events WHERE call_sid = ANY(%s)",
                    (list(call_sids),))
        return cur.fetchone()[0]


def wait_for(fn, within):
    deadline = time.monotonic() + within * harness.slow_factor()
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return fn()



def test_unknown_accounts_cost_one_lookup_and_a_bounded_number(ramal_factory, webhook):
    burst, per_s = 10, 1
    srv = ramal_factory.start(LOG_LEVEL="info", TENANT_LOOKUP_BURST=str(burst), TENANT_LOOKUP_PER_S=str(per_s))
    stranger = sid("AC")
    before = Metrics(srv)
    t0 = time.monotonic()
    for _ in range(5):
        r = webhook.post(srv, status_params(stranger, sid("CA")), path=STATUS, token=secrets.token_hex(16))
        assert r.status_code == 403
    quick = time.monotonic() - t0 < 1.5  # TENANT_NEGATIVE_TTL_S is 2
    after = Metrics(srv)
    assert after.reads() - before.reads() == 1
    assert after.lookups("unknown") - before.lookups("unknown") == 1
    if quick:
        assert after.lookups("negative") - before.lookups("negative") == 4

    # A flood of made-up accounts: at most the bucket (and its refill)
    # reaches the database, the rest is refused without a look-up.
    t0 = time.monotonic()
    flood = 60
    for _ in range(flood):
        r = webhook.post(srv, status_params(sid("AC"), sid("CA")), path=STATUS, token=secrets.token_hex(16))
        assert r.status_code == 403
    elapsed = time.monotonic() - t0
    end = Metrics(srv)
    reads = end.reads() - after.reads()
    refused = end.lookups("refused") - after.lookups("refused")
    assert reads + refused == flood
    assert reads <= burst + per_s * (elapsed + 1.5) + 1
    assert refused >= flood - (burst + per_s * (elapsed + 1.5) + 1)
    # logged at most once a second
    lines = [r for r in srv.records() if r.get("msg", "").startswith("account look-up refused")]
    assert 1 <= len(lines) <= elapsed + 2, len(lines)


@pytest.mark.outage
def test_a_flood_of_unknown_accounts_does_not_evict_a_known_key(private_pg, tmp_path, fake_twilio_server, webhook):
    """The subaccount's key is cached, then hundreds of unknown accounts
    are looked up (the bucket is made large enough that each one is), then
    the database stops: the subaccount's callbacks are still checked with
    its cached key (a forged one is refused), and spooled as checked."""
    spool = str(tmp_path / "spool")
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info", JOB_WORKERS="0",
                            TENANT_LOOKUP_BURST="100000", HTTP_COMMIT_WORKERS="1")
        sub, tok = sid("AC"), secrets.token_hex(16)
        add_tenant(srv, sub, tok)
        first = sid("CA")
        r = webhook.post(srv, status_params(sub, first, status="ringing"), path=STATUS, token=tok)
        assert r.status_code == 200, r.text
        m0 = Metrics(srv)

        for _ in range(300):
            r = webhook.post(srv, status_params(sid("AC"), sid("CA")), path=STATUS, token=secrets.token_hex(16))
            assert r.status_code == 403
        m1 = Metrics(srv)

        private_pg.stop()
        calls = []
        for _ in range(10):
            calls.append(sid("CA"))
            r = webhook.post(srv, status_params(sub, calls[-1]), path=STATUS, token=tok)
            assert r.status_code == 200, r.text
        # Checked with the cached key, not spooled for a later check.
        assert unverified_files(spool) == 0
        assert "callback spooled unverified" not in srv.log()
        r = webhook.post(srv, status_params(sub, sid("CA")), path=STATUS, token=secrets.token_hex(16))
        assert r.status_code == 403  # a forged one is refused, even now
        m2 = Metrics(srv)
        assert m0.lookups("miss") == 1
        assert m1.lookups("unknown") - m0.lookups("unknown") == 300  # each one looked up ...
        assert m1.lookups("refused") == 0
        assert m2.lookups("hit") - m1.lookups("hit") >= 10  # ... and the key still there
        assert m2.lookups("unavailable") == 0

        private_pg.start()
        conn = private_pg.connect(srv.dbname)
        conn.autocommit = True
        try:
            assert wait_for(lambda: stored(conn, calls + [first]) == 11, 20), srv.log()[-3000:]
        finally:
            conn.close()
    finally:
        factory.close()


@pytest.mark.outage
def test_a_key_past_its_time_still_checks_during_an_outage(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path / "spool")
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info", JOB_WORKERS="0",
                            TENANT_CACHE_S="1")
        sub, tok = sid("AC"), secrets.token_hex(16)
        add_tenant(srv, sub, tok)
        r = webhook.post(srv, status_params(sub, sid("CA"), status="ringing"), path=STATUS, token=tok)
        assert r.status_code == 200, r.text
        private_pg.stop()
        time.sleep(1.2)  # past TENANT_CACHE_S
        calls = [sid("CA") for _ in range(5)]
        for c in calls:
            r = webhook.post(srv, status_params(sub, c), path=STATUS, token=tok)
            assert r.status_code == 200, r.text
        assert unverified_files(spool) == 0
        m = Metrics(srv)
        assert m.lookups("stale") >= 5
        assert m.lookups("unavailable") == 0
        assert any(r.get("msg", "").startswith("subaccount key past TENANT_CACHE_S") and r.get("account") == sub
                   for r in srv.records()), srv.log()[-2000:]

        private_pg.start()
        conn = private_pg.connect(srv.dbname)
        conn.autocommit = True
        try:
            assert wait_for(lambda: stored(conn, calls) == 5, 20), srv.log()[-3000:]
        finally:
            conn.close()
    finally:
        factory.close()
