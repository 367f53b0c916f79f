"""Database behaviour: migrations, the tenants table, readiness while
PostgreSQL goes away and comes back, and secrets kept out of the log."""

import base64
import glob
import hashlib
import os
import secrets
import threading
import time

import psycopg2
import psycopg2.errors
import pytest

from ramaltest import harness
from ramaltest.database import dbname_of
from ramaltest.server import RamalFactory
from ramaltest.voice import voice_params

REPO_SQL = os.path.join(harness.REPO, "sql")


def sql_files():
    files = sorted(glob.glob(os.path.join(REPO_SQL, "[0-9][0-9][0-9]_*.sql")))
    assert files, "no migrations in sql/"
    return files


def fetch(pg, db, query, args=()):
    conn = pg.connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()
    finally:
        conn.close()


def migrations(pg, db):
    return fetch(pg, db, "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")


# --------------------------------------------------------------------------
# migrations


def test_migrate_twice(ramal_factory, pg):
    env = ramal_factory.env()
    db = dbname_of(env["DATABASE_URL"])
    r = harness.run_cli(["migrate"], env)
    assert r.returncode == 0, r.stderr
    first = migrations(pg, db)
    files = sql_files()
    assert len(first) == len(files)
    for (version, name, checksum, applied_at), path in zip(first, files):
        base = os.path.basename(path)[:-4]
        assert version == int(base.split("_", 1)[0])
        assert name in (base, base.split("_", 1)[1])
        with open(path, "rb") as f:
            assert checksum == hashlib.sha256(f.read()).hexdigest()
        assert applied_at is not None
    r = harness.run_cli(["migrate"], env)
    assert r.returncode == 0, r.stderr
    assert migrations(pg, db) == first, "second run changed schema_migrations"


def test_concurrent_migrate_applies_each_once(ramal_factory, pg):
    env = ramal_factory.env()
    db = dbname_of(env["DATABASE_URL"])
    results = [None] * 4

    def run(i):
        results[i] = harness.run_cli(["migrate"], env)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for r in results:
        assert r is not None and r.returncode == 0, r and r.stderr
    rows = migrations(pg, db)
    assert [v for v, *_ in rows] == sorted({v for v, *_ in rows})
    assert len(rows) == len(sql_files())


def test_edited_migration_is_refused(ramal_factory, pg):
    env = ramal_factory.env()
    db = dbname_of(env["DATABASE_URL"])
    assert harness.run_cli(["migrate"], env).returncode == 0
    conn = pg.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE schema_migrations SET checksum = %s WHERE version = "
                    "(SELECT min(version) FROM schema_migrations)", ("0" * 64,))
    conn.close()
    r = harness.run_cli(["migrate"], env)
    assert r.returncode != 0, "a migration whose recorded checksum differs went unnoticed"
    assert r.stderr.strip()


def test_serve_migrates_and_records_primary_tenant(ramal_factory, pg):
    srv = ramal_factory.start()
    assert len(migrations(pg, srv.dbname)) == len(sql_files())
    rows = fetch(pg, srv.dbname, "SELECT account_sid, auth_token_enc, is_primary FROM tenants")
    assert len(rows) == 1
    sid, enc, primary = rows[0]
    assert sid == srv.account_sid and primary is True
    assert enc.startswith("v1:")
    assert_sealed(enc, srv.auth_token)


MALFORMED_CALLS = [
    ("call_sid", "CA123"),
    ("call_sid", "XX" + "0" * 32),
    ("parent_call_sid", "CA" + "g" * 32),
    ("duration_s", -1),
    ("queue_time_s", -5),
    ("queue_sid", "WQ" + "0" * 32),
    ("conference_sid", "CA" + "0" * 32),
    ("conference_state", "paused"),
    ("agent_call_sid", "CA" + "0" * 31),
    ("other_call_sid", ""),
    ("held_call_sid", "ca" + "0" * 32),
]


def test_calls_refuse_malformed_values(ramal_factory, pg):
    """The rules on calls (domains since migration 012) hold for any
    writer, not just ramal: a malformed SID, a negative duration or an
    unknown conference state is refused by PostgreSQL itself, on insert
    and on update; well-formed values pass."""
    srv = ramal_factory.start()
    conn = pg.connect(srv.dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM tenants WHERE account_sid = %s", (srv.account_sid,))
            tenant = cur.fetchone()[0]
            good = "CA" + secrets.token_hex(16)
            cur.execute("INSERT INTO calls (tenant_id, call_sid, parent_call_sid, duration_s, queue_time_s,"
                        " queue_sid, conference_sid, conference_state, agent_call_sid, other_call_sid,"
                        " held_call_sid) VALUES (%s, %s, %s, 0, 12, %s, %s, 'active', %s, %s, %s)",
                        (tenant, good, "CA" + "F" * 32, "QU" + "a" * 32, "CF" + "0" * 32, "CA" + "1" * 32,
                         "CA" + "2" * 32, "CA" + "3" * 32))
            conn.commit()
            for column, value in MALFORMED_CALLS:
                with pytest.raises(psycopg2.errors.CheckViolation):
                    cur.execute("UPDATE calls SET %s = %%s WHERE call_sid = %%s" % column, (value, good))
                conn.rollback()
                with pytest.raises(psycopg2.errors.CheckViolation):
                    cur.execute("INSERT INTO calls (tenant_id, call_sid) VALUES (%s, %s)" if column == "call_sid"
                                else "INSERT INTO calls (tenant_id, call_sid, %s) VALUES (%%s, %%s, %%s)" % column,
                                (tenant, value) if column == "call_sid"
                                else (tenant, "CA" + secrets.token_hex(16), value))
                conn.rollback()
    finally:
        conn.close()


def assert_sealed(enc, token):
    assert token not in enc
    assert token.upper() not in enc
    assert base64.b64encode(token.encode()).decode().rstrip("=") not in enc
    assert token.encode().hex() not in enc


def test_restart_keeps_one_row_and_rotates_primary_token(ramal_factory, pg, webhook):
    srv = ramal_factory.start()
    env = dict(srv.env)
    assert srv.stop() == 0
    new_token = secrets.token_hex(16)
    srv2 = ramal_factory.start(env=dict(env, TWILIO_AUTH_TOKEN=new_token))
    srv2.auth_token = new_token
    rows = fetch(pg, srv2.dbname, "SELECT account_sid, is_primary FROM tenants")
    assert rows == [(env["TWILIO_ACCOUNT_SID"], True)]
    assert webhook.post(srv2, voice_params(srv2.account_sid)).status_code == 200
    assert webhook.post(srv2, voice_params(srv2.account_sid), token=env["TWILIO_AUTH_TOKEN"]).status_code == 403


def test_switching_primary_account_on_the_same_database(ramal_factory, pg):
    srv = ramal_factory.start()
    env = dict(srv.env)
    assert srv.stop() == 0
    other = "AC" + secrets.token_hex(16)
    srv2 = ramal_factory.start(env=dict(env, TWILIO_ACCOUNT_SID=other, TWILIO_AUTH_TOKEN=secrets.token_hex(16)))
    rows = dict(fetch(pg, srv2.dbname, "SELECT account_sid, is_primary FROM tenants"))
    assert rows.get(other) is True
    assert rows.get(env["TWILIO_ACCOUNT_SID"]) is not True


def test_tenant_add_stores_sealed_token(ramal_factory, pg):
    env = ramal_factory.env()
    db = dbname_of(env["DATABASE_URL"])
    token = secrets.token_hex(16)
    subs = ["AC" + secrets.token_hex(16) for _ in range(2)]
    for i, sub in enumerate(subs):
        r = harness.run_cli(["tenant", "add", sub, "--name", "Filial %d São Paulo" % i], env, input=token + "\n")
        assert r.returncode == 0, r.stderr
        assert token not in r.stdout + r.stderr
    rows = fetch(pg, db, "SELECT account_sid, friendly_name, auth_token_enc, is_primary FROM tenants "
                         "WHERE account_sid = ANY(%s) ORDER BY friendly_name", (subs,))
    assert [(a, n, p) for a, n, _, p in rows] == [
        (subs[0], "Filial 0 São Paulo", False), (subs[1], "Filial 1 São Paulo", False)]
    encs = [e for _, _, e, _ in rows]
    for e in encs:
        assert e.startswith("v1:")
        assert_sealed(e, token)
    assert encs[0] != encs[1], "same token sealed twice gave the same ciphertext (nonce reuse?)"
    # adding the same account again never makes a second row
    r = harness.run_cli(["tenant", "add", subs[0]], env, input=secrets.token_hex(16) + "\n")
    assert fetch(pg, db, "SELECT count(*) FROM tenants WHERE account_sid = %s", (subs[0],)) == [(1,)]


def test_tenant_add_refuses_bad_sid_without_writing(ramal_factory, pg):
    env = ramal_factory.env()
    db = dbname_of(env["DATABASE_URL"])
    assert harness.run_cli(["migrate"], env).returncode == 0
    r = harness.run_cli(["tenant", "add", "AC123"], env, input="x" * 32 + "\n")
    assert r.returncode != 0
    assert fetch(pg, db, "SELECT count(*) FROM tenants WHERE account_sid = 'AC123'") == [(0,)]


# --------------------------------------------------------------------------
# the database going away


def poll(fn, want, within):
    deadline = time.monotonic() + within * harness.slow_factor()
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last == want:
            return last
        time.sleep(0.2)
    return last


@pytest.mark.outage
def test_readyz_follows_the_database(private_pg, fake_twilio_server, http, webhook):
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(DB_ACQUIRE_TIMEOUT_MS="500", DB_STATEMENT_TIMEOUT_MS="2000", LOG_LEVEL="info")
        pid = srv.pid
        assert http.get(srv.url + "/readyz").status_code == 200
        # a subaccount this server has never looked up
        unseen, unseen_tok = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        assert harness.run_cli(["tenant", "add", unseen], srv.env, input=unseen_tok + "\n").returncode == 0

        private_pg.stop()
        assert poll(lambda: http.get(srv.url + "/readyz", timeout=10).status_code, 503, 10) == 503
        r = http.get(srv.url + "/readyz", timeout=10)
        assert r.status_code == 503 and r.json()["status"] == "unavailable"
        assert r.headers["Content-Type"].split(";")[0] == "application/json"
        assert http.get(srv.url + "/healthz").status_code == 200
        # the env account's webhook still gets TwiML that keeps the caller
        w = webhook.post(srv, voice_params(srv.account_sid))
        assert w.status_code == 200 and b"<Record" in w.content, w.text
        # a subaccount's key cannot be read: its caller still gets the
        # fallback TwiML (never a 403 that would blame the request)...
        w = webhook.post(srv, voice_params(unseen), token=unseen_tok)
        assert w.status_code == 200 and b"<Record" in w.content, w.text
        # ...and a route that is neither a voice webhook nor a callback
        # answers 503 JSON
        w = webhook.post(srv, voice_params(unseen), token=unseen_tok,
                         path="/twilio/taskrouter/assignment")
        assert w.status_code == 503, w.text
        assert w.headers["Content-Type"].split(";")[0] == "application/json"
        assert w.json()["error"] == "temporarily unavailable" and w.json()["request_id"]
        assert http.get(srv.url + "/metrics").status_code == 200

        private_pg.start()
        assert poll(lambda: http.get(srv.url + "/readyz", timeout=10).status_code, 200, 15) == 200
        assert http.get(srv.url + "/readyz").json()["status"] == "ready"
        assert srv.alive() and srv.pid == pid
        # and the pool works again for real lookups
        sub, tok = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        assert harness.run_cli(["tenant", "add", sub], srv.env, input=tok + "\n").returncode == 0
        assert poll(lambda: webhook.post(srv, voice_params(sub), token=tok).status_code, 200, 8) == 200
    finally:
        factory.close()


# --------------------------------------------------------------------------
# secrets never logged


def test_no_secrets_in_the_log(ramal_factory, pg, http, webhook):
    db = pg.create_database()
    password = "pw-" + secrets.token_hex(12)
    raw_key = secrets.token_bytes(32)
    secret_values = {
        "RAMAL_SECRET_KEY": raw_key.hex(),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_API_KEY_SECRET": secrets.token_urlsafe(24),
        "S3_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
    }
    srv = ramal_factory.start(
        DATABASE_URL=pg.dsn(db, password=password),
        TWILIO_API_KEY_SID="SK" + secrets.token_hex(16),
        S3_BUCKET="ramal-test", S3_REGION="us-east-1", S3_ENDPOINT="http://127.0.0.1:9",
        S3_ACCESS_KEY_ID="AKIA" + secrets.token_hex(8).upper(),
        LOG_LEVEL="debug", **secret_values)
    sub, sub_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    cli = harness.run_cli(["tenant", "add", sub, "--name", "sub"], srv.env, input=sub_token + "\n")
    assert cli.returncode == 0, cli.stderr

    for path in ("/healthz", "/readyz", "/metrics", "/nope"):
        http.get(srv.url + path)
    assert webhook.post(srv, voice_params(srv.account_sid)).status_code == 200
    assert webhook.post(srv, voice_params(srv.account_sid), token="f" * 32).status_code == 403
    poll(lambda: webhook.post(srv, voice_params(sub), token=sub_token).status_code, 200, 8)
    json_body = b'{"AccountSid": "%s"}' % srv.account_sid.encode()
    webhook.post(srv, [], body=json_body, content_type="application/json",
                 query="bodySHA256=" + hashlib.sha256(json_body).hexdigest())
    assert srv.stop() == 0
    text = srv.log() + srv.stdout() + cli.stdout + cli.stderr

    assert "level=debug" in text, "LOG_LEVEL=debug produced no debug lines"
    needles = dict(secret_values)
    needles["RAMAL_SECRET_KEY (upper)"] = raw_key.hex().upper()
    needles["RAMAL_SECRET_KEY (base64)"] = base64.b64encode(raw_key).decode()
    needles["DATABASE_URL password"] = password
    needles["subaccount token"] = sub_token
    for what, value in needles.items():
        assert value not in text, "%s appears in the log" % what


def _start_without_database(ramal_factory, password):
    env = ramal_factory.env(DATABASE_URL="postgresql://ramal:%s@127.0.0.1:1/ramal?connect_timeout=2" % password)
    srv = harness.Ramal(env)
    srv.start(wait=False)
    srv.wait_log(lambda r: r.get("level") == "error", timeout=10)
    return srv


@pytest.mark.outage
def test_db_password_not_logged_when_unreachable(ramal_factory):
    """Start with a database that refuses connections: whatever ramal does
    (retry, give up), the password stays out of the log."""
    password = "pw-" + secrets.token_hex(12)
    srv = _start_without_database(ramal_factory, password)
    try:
        time.sleep(1.5)  # a retry or two
        text = srv.log()
        assert password not in text
        assert "127.0.0.1" in text, "the error does not say which database"
        harness.assert_no_sanitizer_reports(text)
    finally:
        srv.cleanup()


@pytest.mark.outage
def test_sigterm_while_waiting_for_the_database(ramal_factory):
    """An operator (or Railway) stopping a server that is still waiting for
    its database gets it gone within 10 s, not after the retries run out."""
    srv = _start_without_database(ramal_factory, "pw")
    try:
        time.sleep(0.5)
        if srv.alive():
            srv.send_signal(15)
            assert srv.wait(10) is not None, "SIGTERM ignored while waiting for the database"
        harness.assert_no_sanitizer_reports(srv.log())
    finally:
        srv.cleanup()


def _cluster_pids(cluster):
    with open(os.path.join(cluster.datadir, "postmaster.pid")) as f:
        master = int(f.readline())
    import subprocess

    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [master] + [int(p) for p in out.split()]


@pytest.mark.outage
def test_readyz_answers_when_the_database_hangs(private_pg, fake_twilio_server, http, webhook):
    """A database that accepts nothing and answers nothing (frozen with
    SIGSTOP) must turn /readyz into a prompt 503, not a hung request: a
    load balancer's health check and Twilio (15 s) both give up before."""
    import signal as sig

    factory = RamalFactory(private_pg, fake_twilio_server)
    frozen = []
    try:
        srv = factory.start(DB_ACQUIRE_TIMEOUT_MS="500", DB_STATEMENT_TIMEOUT_MS="1000", LOG_LEVEL="info")
        assert http.get(srv.url + "/readyz").status_code == 200
        frozen = _cluster_pids(private_pg)
        for pid in frozen:
            os.kill(pid, sig.SIGSTOP)
        t0 = time.monotonic()
        try:
            r = http.get(srv.url + "/readyz", timeout=6)
            status = r.status_code
        except Exception:  # noqa: BLE001 - a timeout is the failure being tested
            status = None
        took = time.monotonic() - t0
        assert status == 503, "/readyz gave %s after %.1fs with the database frozen" % (status, took)
        w = webhook.post(srv, voice_params(srv.account_sid), timeout=6)
        assert w.status_code == 200 and b"<Record" in w.content
    finally:
        for pid in frozen:
            try:
                os.kill(pid, sig.SIGCONT)
            except ProcessLookupError:
                pass
        factory.close()


def test_identities_outside_twilios_alphabet_are_migrated(ramal_factory, pg):
    """Migration 016: every identity with other characters than letters,
    digits and _ (Voice's alphabet; TaskRouter expressions have no
    hyphens) becomes a safe one, unique in its tenant, and the calls that
    name it (client:<identity>) follow; the rule then holds for any
    writer."""
    env = ramal_factory.env()
    db = dbname_of(env["DATABASE_URL"])
    assert harness.run_cli(["migrate"], env).returncode == 0
    conn = pg.connect(db)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            # the database as it was before 016 (003 allowed . and -)
            cur.execute("DELETE FROM schema_migrations WHERE version = 16")
            cur.execute("ALTER TABLE users DROP CONSTRAINT users_identity_check,"
                        " ADD CONSTRAINT users_identity_check CHECK (identity ~ '^[A-Za-z0-9_.-]{1,121}$')")
            tenants = []
            for _ in range(2):
                cur.execute("INSERT INTO tenants (account_sid, auth_token_enc) VALUES (%s, 'v1:x') RETURNING id",
                            ("AC" + secrets.token_hex(16),))
                tenants.append(cur.fetchone()[0])
            a, b = tenants
            users = {}
            for tenant, ident in [(a, "ana.souza"), (a, "ana_souza"), (a, "ana-souza"), (a, "bob"),
                                  (a, "x.y-z"), (a, "team..sp"), (b, "ana.souza")]:
                cur.execute("INSERT INTO users (tenant_id, email, name, identity) VALUES (%s, %s, 'X', %s)"
                            " RETURNING id", (tenant, secrets.token_hex(4) + "@example.com", ident))
                users[(tenant, ident)] = cur.fetchone()[0]
            calls = {}
            for name, tenant, frm, to in [("a_in", a, "+5511987654321", "client:ana.souza"),
                                          ("a_out", a, "client:ana-souza", "client:bob"),
                                          ("b_in", b, "+5511987654321", "client:ana.souza"),
                                          ("other", a, "+5511987654321", "client:ana.souzas")]:
                calls[name] = "CA" + secrets.token_hex(16)
                cur.execute("INSERT INTO calls (tenant_id, call_sid, from_number, to_number) VALUES (%s, %s, %s, %s)",
                            (tenant, calls[name], frm, to))

        r = harness.run_cli(["migrate"], env)
        assert r.returncode == 0, r.stderr

        with conn.cursor() as cur:
            cur.execute("SELECT id, identity FROM users")
            now = dict(cur.fetchall())
            assert {k: now[v] for k, v in users.items()} == {
                (a, "ana.souza"): "ana_souza_2", (a, "ana_souza"): "ana_souza", (a, "ana-souza"): "ana_souza_3",
                (a, "bob"): "bob", (a, "x.y-z"): "x_y_z", (a, "team..sp"): "team_sp", (b, "ana.souza"): "ana_souza"}
            cur.execute("SELECT call_sid, from_number, to_number FROM calls")
            got = {sid: (f, t) for sid, f, t in cur.fetchall()}
            assert got[calls["a_in"]] == ("+5511987654321", "client:ana_souza_2")
            assert got[calls["a_out"]] == ("client:ana_souza_3", "client:bob")
            assert got[calls["b_in"]] == ("+5511987654321", "client:ana_souza")
            assert got[calls["other"]] == ("+5511987654321", "client:ana.souzas")
            cur.execute("SELECT count(*) FROM schema_migrations WHERE version = 16")
            assert cur.fetchone() == (1,)
            with pytest.raises(psycopg2.errors.CheckViolation):
                cur.execute("INSERT INTO users (tenant_id, email, name, identity) VALUES (%s, 'n@x.y', 'N', 'n.o')",
                            (a,))
    finally:
        conn.close()
