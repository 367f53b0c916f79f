"""Hardening of the outage spool (issue #10, item 4).

While the database is down a callback of a subaccount this server has not
cached cannot have its signature checked; it is spooled with the signature
and checked when the database is back.  Anyone can send such a callback
with a made-up AccountSid, so these live in their own small quota (files
and bytes): beyond it they get 503, and they never take the room of
callbacks that were checked (the primary account's, and those of
subaccounts whose key is cached), which still spool and are stored once
the database returns.  Orphan .tmp files of interrupted writes are
removed at start."""

import os
import secrets

import pytest

from ramaltest import harness
from ramaltest.server import RamalFactory, new_session

STATUS = "/twilio/status"
# Each forged callback carries about 60 KB (the /twilio body cap is 64 KiB).
PAD = 60 * 1024
MAX_FILES = 6
MAX_BYTES = 200_000


def sid(prefix):
    return prefix + secrets.token_hex(16)


def status_params(account_sid, call_sid, status="completed", seq=3, **extra):
    p = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": status,
        "Called": "+551130000000",
        "Caller": "+5511987654321",
        "From": "+5511987654321",
        "To": "+551130000000",
        "Direction": "inbound",
        "CallbackSource": "call-progress-events",
        "SequenceNumber": str(seq),
        "Timestamp": "Mon, 23 Nov 2026 21:02:07 +0000",
        "CallDuration": "120",
    }
    p.update(extra)
    return sorted(p.items())


def spool_events(d):
    """{name: (unverified?, size)} of the events waiting in spool dir d."""
    out = {}
    for name in os.listdir(d):
        path = os.path.join(d, name)
        if not name.endswith(".ev") or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            magic = f.readline()
        out[name] = (magic == b"ramal-spool 2\n", os.path.getsize(path))
    return out


def unverified(d):
    return {n: size for n, (u, size) in spool_events(d).items() if u}


def stored(conn, call_sids):
    with conn.cursor() as cur:
        cur.execute("SELECT count(DISTINCT call_sid) FROM call_events WHERE call_sid = ANY(%s)",
                    (list(call_sids),))
        return cur.fetchone()[0]


def metrics(srv):
    s = new_session()
    try:
        r = s.get(srv.url + "/metrics", timeout=10)
        assert r.status_code == 200
        return harness.parse_metrics(r.text)
    finally:
        s.close()


def wait_for(fn, within):
    import time
    deadline = time.monotonic() + within * harness.slow_factor()
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return fn()



@pytest.mark.outage
def test_forged_callbacks_in_an_outage_stay_in_their_quota(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path / "spool")
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info", JOB_WORKERS="0",
                            SPOOL_UNVERIFIED_MAX_FILES=str(MAX_FILES),
                            SPOOL_UNVERIFIED_MAX_BYTES=str(MAX_BYTES))
        sub, tok = sid("AC"), secrets.token_hex(16)
        r = harness.run_cli(["tenant", "add", sub], srv.env, input=tok + "\n")
        assert r.returncode == 0, r.stderr
        # The subaccount's key is cached by its first callback.
        first = sid("CA")
        r = webhook.post(srv, status_params(sub, first, status="ringing", seq=1), path=STATUS, token=tok)
        assert r.status_code == 200, r.text

        private_pg.stop()
        # Forged callbacks, each naming a new random account: big ones
        # first (the byte quota), then small ones (the file quota).
        answers = []
        for i in range(20):
            extra = {"Padding": "x" * PAD} if i < 10 else {}
            p = status_params(sid("AC"), sid("CA"), **extra)
            r = webhook.post(srv, p, path=STATUS, token=secrets.token_hex(16))
            answers.append(r.status_code)
        assert set(answers) <= {200, 503}, answers
        accepted = answers.count(200)
        # About 61 KB each: three fit in MAX_BYTES, a fourth would not ...
        assert answers[:10].count(200) == MAX_BYTES // (PAD + 2048), answers
        # ... and the small ones fill the quota's files exactly.
        assert accepted == MAX_FILES, answers
        # Nothing beyond the quota reached the disk.
        held = unverified(spool)
        assert len(held) == accepted <= MAX_FILES
        assert sum(held.values()) <= MAX_BYTES
        m = metrics(srv)
        assert harness.metric(m, "ramal_spool_unverified_files") == accepted
        assert harness.metric(m, "ramal_spool_refused_total", reason="unverified") == 20 - accepted

        # Genuine callbacks still spool, checked: the primary account's and
        # the cached subaccount's, none of them into the unverified quota.
        genuine = []
        for i in range(20):
            account, token = (srv.account_sid, srv.auth_token) if i % 2 == 0 else (sub, tok)
            call = sid("CA")
            genuine.append(call)
            r = webhook.post(srv, status_params(account, call), path=STATUS, token=token)
            assert r.status_code == 200, (i, r.status_code, r.text)
        assert len(unverified(spool)) == accepted
        assert len(spool_events(spool)) == accepted + 20

        private_pg.start()
        conn = private_pg.connect(srv.dbname)
        conn.autocommit = True
        try:
            assert wait_for(lambda: stored(conn, genuine) == 20, 20), srv.log()[-3000:]
            assert stored(conn, [first]) == 1
            assert wait_for(lambda: spool_events(spool) == {}, 10), srv.log()[-3000:]
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM call_events WHERE params ? 'Padding'"
                            " OR NOT (call_sid = ANY(%s))", (genuine + [first],))
                assert cur.fetchone()[0] == 0  # no forged callback stored
            assert len(os.listdir(os.path.join(spool, "failed"))) <= accepted
            assert harness.metric(metrics(srv), "ramal_spool_unverified_files") == 0
        finally:
            conn.close()
    finally:
        factory.close()


def test_orphan_tmp_files_are_removed_at_start(ramal_factory, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "failed").mkdir()
    # What a crash between write and rename leaves, and what it does not.
    orphans = [".0000001764000000-0123456789abcdef.tmp", ".0000001764000001-fedcba9876543210.tmp"]
    for name in orphans:
        (spool / name).write_bytes(b"ramal-spool 1\n/twilio/status\n2026-11-23T21:00:00.000Z\nCallSid=CA")
    (spool / "notes.txt").write_text("not the spool's\n")
    srv = ramal_factory.start(SPOOL_DIR=str(spool), LOG_LEVEL="info")
    left = sorted(os.listdir(spool))
    assert left == ["failed", "notes.txt"], left
    assert any(r.get("msg", "").startswith("removed orphan spool files") and r.get("count") == "2"
               for r in srv.records()), srv.log()[-2000:]
