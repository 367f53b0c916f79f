"""Group commit of the inbound webhook and the status callback (db_group.c):
webhooks that arrive while a commit is in flight share the next
transaction, every one is answered only after that commit, and one that
cannot be stored costs no other its row.

The server runs with DB_GROUP_BATCHES=1, so one group at a time.  A test
holds the tenant's row FOR UPDATE: the first webhook's group then waits in
PostgreSQL on its foreign-key check (FOR KEY SHARE), the next webhooks
queue behind it (ramal_db_group_queued counts them), and the lock's release
lets them all through as one group."""

import concurrent.futures
import contextlib
import secrets
import threading
import xml.etree.ElementTree as ET

import requests

from ramaltest import harness
from ramaltest.signing import Webhook
from ramaltest.voice import (INBOUND, SERVER_ENV, STATUS, WORKFLOW_SID, assert_enqueue, call_params, call_row,
                             event_count, leg_events, tags, wait_for)


# the module's server (conftest's env fixture)
RAMAL_ENV = dict(TWILIO_WORKFLOW_SID=WORKFLOW_SID, DB_GROUP_BATCHES="1", HTTP_WORKERS="16", **SERVER_ENV)


def group_metrics(srv):
    r = requests.get(srv.url + "/metrics", timeout=10)
    assert r.status_code == 200
    m = harness.parse_metrics(r.text)
    return {k: harness.metric(m, "ramal_db_group_" + k)
            for k in ("batches_total", "statements_total", "largest", "queued")}


def waiting_on_lock(db):
    return db.one("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ramal'"
                  " AND wait_event_type = 'Lock'")[0]


@contextlib.contextmanager
def tenant_locked(pg, srv, db):
    """The tenant's row locked FOR UPDATE until the block ends."""
    conn = pg.connect(srv.dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM tenants WHERE id = %s FOR UPDATE", (db.tenant_id(),))
        yield
    finally:
        conn.rollback()
        conn.close()


def post_together(signer, srv, db, first, rest, path):
    """POST `first`, wait until its group waits on the lock in PostgreSQL,
    then POST every one of `rest` at once and wait until all of them are
    queued for the next group.  Returns the futures (first one first) and
    the Webhook clients; the caller releases the lock."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(rest) + 1)
    hooks = [Webhook(signer) for _ in range(len(rest) + 1)]
    futures = [pool.submit(hooks[0].post, srv, first, path=path)]
    assert wait_for(lambda: waiting_on_lock(db) >= 1, within=5, step=0.02)
    for h, params in zip(hooks[1:], rest):
        futures.append(pool.submit(h.post, srv, params, path=path))
    assert wait_for(lambda: group_metrics(srv)["queued"] == len(rest), within=5, step=0.02)
    # Nothing was answered yet: every one waits for a commit.
    assert not any(f.done() for f in futures)
    pool.shutdown(wait=False)
    return futures, hooks


def results(futures, hooks):
    out = [f.result(timeout=15) for f in futures]
    for h in hooks:
        h.session.close()
    return out


def test_status_callbacks_that_arrive_together_share_one_commit(env, pg, signer):
    srv, db = env
    calls = ["CA" + secrets.token_hex(16) for _ in range(8)]
    legs = {c: leg_events(srv.account_sid, c) for c in calls}
    first = legs[calls[0]][0]
    # Every call's ringing, and the last call's whole life out of order.
    rest = [legs[c][1] for c in calls] + [legs[calls[-1]][i] for i in (3, 2, 0)]
    before = group_metrics(srv)
    with tenant_locked(pg, srv, db):
        futures, hooks = post_together(signer, srv, db, first, rest, STATUS)
    answers = results(futures, hooks)

    assert [r.status_code for r in answers] == [200] * len(answers), [r.text for r in answers]
    for r in answers:
        assert r.headers["Content-Type"].startswith("text/xml") and b"<Response" in r.content
    after = group_metrics(srv)
    assert after["batches_total"] - before["batches_total"] == 2  # the first alone, then the rest
    assert after["statements_total"] - before["statements_total"] == 1 + len(rest)
    assert after["largest"] >= len(rest)
    assert after["queued"] == 0
    for c in calls[:-1]:
        assert call_row(db.conn, c)[0] == "ringing"
    assert event_count(db.conn, calls[0]) == 2
    last = call_row(db.conn, calls[-1])
    assert (last[0], last[2]) == ("completed", 3)  # the highest SequenceNumber wins inside a group too
    assert event_count(db.conn, calls[-1]) == 4


def test_one_callback_that_fails_costs_the_others_nothing(env, pg, signer):
    """A statement that fails rolls its group back; the group is then run
    one statement at a time: the bad one gets its own answer (400, as it
    would alone), every other one is stored and answered 200."""
    srv, db = env
    bad = "CA" + secrets.token_hex(16)
    # A check the server knows nothing about: only this CallSid breaks it.
    db.run("CREATE OR REPLACE FUNCTION test_refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$"
           " BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; END $$")
    db.run("CREATE TRIGGER test_refuse_one BEFORE INSERT ON call_events FOR EACH ROW"
           " WHEN (NEW.call_sid = '%s') EXECUTE FUNCTION test_refuse_one()" % bad)
    try:
        good = ["CA" + secrets.token_hex(16) for _ in range(6)]
        first = leg_events(srv.account_sid, "CA" + secrets.token_hex(16))[0]
        rest = [leg_events(srv.account_sid, c)[1] for c in good[:3]] + [leg_events(srv.account_sid, bad)[1]] + \
            [leg_events(srv.account_sid, c)[1] for c in good[3:]]
        before = group_metrics(srv)
        with tenant_locked(pg, srv, db):
            futures, hooks = post_together(signer, srv, db, first, rest, STATUS)
        answers = results(futures, hooks)
    finally:
        db.run("DROP TRIGGER test_refuse_one ON call_events")
        db.run("DROP FUNCTION test_refuse_one()")

    codes = [r.status_code for r in answers]
    assert codes == [200, 200, 200, 200, 400, 200, 200, 200], codes
    assert group_metrics(srv)["largest"] >= len(rest)
    assert group_metrics(srv)["batches_total"] - before["batches_total"] == 2
    for c in good:
        assert call_row(db.conn, c)[0] == "ringing", c
        assert event_count(db.conn, c) == 1
    assert call_row(db.conn, bad) is None and event_count(db.conn, bad) == 0
    assert "refused by the test" in srv.log()


def test_inbound_calls_that_arrive_together_each_get_their_own_routing(env, pg, signer):
    srv, db = env
    owners = [db.add_user("available") for _ in range(3)]
    dedicated = [db.add_number(owner=uid, label="Linha %d" % i)[1] for i, (uid, _) in enumerate(owners)]
    queued = [db.add_number(label="Fila %d" % i)[1] for i in range(3)]
    first = call_params(srv.account_sid, queued[0])
    rest = [call_params(srv.account_sid, did) for did in dedicated + queued[1:]]
    with tenant_locked(pg, srv, db):
        futures, hooks = post_together(signer, srv, db, first, rest, INBOUND)
    answers = results(futures, hooks)

    assert [r.status_code for r in answers] == [200] * len(answers)
    roots = [ET.fromstring(r.content) for r in answers]
    sids = [dict(p)["CallSid"] for p in [first] + rest]
    for i, root in enumerate(roots):
        row = db.call(sids[i])
        if 1 <= i <= len(dedicated):
            # each dedicated number rings its own owner
            assert tags(root) == ["Say", "Dial"], ET.tostring(root)
            assert root.find("Dial/Client/Identity").text == owners[i - 1][1]
            assert row["routing"] == "dedicated"
        else:
            assert_enqueue(root, srv)
            assert row["routing"] == "queue"
        assert row["status"] == "ringing" and row["direction"] == "inbound"
    assert group_metrics(srv)["largest"] >= len(rest)


def test_under_load_every_answer_is_a_stored_row(env, signer):
    """64 status callbacks from 16 threads with no lock: whatever groups
    form, every 200 has its event, and each call ends at its highest
    SequenceNumber."""
    srv, db = env
    calls = ["CA" + secrets.token_hex(16) for _ in range(16)]
    work = [(c, ev) for c in calls for ev in reversed(leg_events(srv.account_sid, c))]
    local = threading.local()
    hooks = []

    def send(i):
        if not hasattr(local, "hook"):
            local.hook = Webhook(signer)
            hooks.append(local.hook)
        return local.hook.post(srv, work[i][1], path=STATUS)

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        codes = [r.status_code for r in pool.map(send, range(len(work)))]
    assert codes == [200] * len(work)
    for c in calls:
        assert event_count(db.conn, c) == 4
        row = call_row(db.conn, c)
        assert (row[0], row[2]) == ("completed", 3)
    for h in hooks:
        h.session.close()
