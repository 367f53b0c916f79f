"""Sign-in for agents: POST /api/login, POST /api/logout, GET /api/me.

Users are made with the operator CLI (`ramal create-user --password-stdin`),
as an operator would; the database is read only to check what is stored
(hashes, never passwords or tokens) and written only to move time (expiry,
the rate-limit window) or to disable a user.

The server runs with SESSION_CACHE_S=60: a change made in the database
behind its back reaches it only by NOTIFY (sql/010_session_notify.sql), so
those checks wait for it (me_becomes), up to 2 s, far less than the TTL.
"""

import hashlib
import json
import os
import pty
import re
import secrets
import select
import shutil
import subprocess
import tempfile
import time

import pytest

from ramaltest import harness
from ramaltest.agents import PASSWORD, add_user, call, cli, login, me, me_becomes
from ramaltest.database import db
from ramaltest.server import random_account_sid, random_token

DENIED = "wrong email or password"


# --------------------------------------------------------------------------
# helpers


def set_cookies(resp):
    """The Set-Cookie header lines of a response, by cookie name."""
    out = {}
    for line in resp.raw.headers.getlist("Set-Cookie"):
        out[line.split("=", 1)[0]] = line
    return out


def error_text(resp):
    body = resp.json()
    assert set(body) == {"error", "request_id"}, body
    return body["error"]


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


@pytest.fixture
def srv(ramal_factory):
    return ramal_factory.start(SESSION_CACHE_S="60")


# --------------------------------------------------------------------------
# sign-in, cookies, Bearer


def test_login_sets_cookies_and_me_answers_by_cookie_and_bearer(srv):
    add_user(srv, "Ana@Example.com", name="Ana Souza", identity="ana")
    r = login(srv, "ana@example.COM")
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    token, csrf = body["token"], body["csrf_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", csrf) and csrf != token
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["expires_at"])

    cookies = set_cookies(r)
    assert cookies["ramal_session"] == (
        "ramal_session=%s; Path=/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax" % token)
    assert cookies["ramal_csrf"] == "ramal_csrf=%s; Path=/; Max-Age=43200; Secure; SameSite=Lax" % csrf

    want = {
        "email": "ana@example.com", "name": "Ana Souza", "role": "agent",
        "identity": "ana", "status": "offline",
    }
    u = body["user"]
    assert {k: u[k] for k in want} == want
    assert isinstance(u["id"], int)
    assert u["tenant"]["account_sid"] == srv.account_sid

    by_cookie = me(srv, cookie=token)
    assert by_cookie.status_code == 200, by_cookie.text
    by_bearer = me(srv, token=token)
    assert by_bearer.status_code == 200, by_bearer.text
    assert by_cookie.json() == by_bearer.json()
    assert {k: by_bearer.json()[k] for k in want} == want
    assert by_bearer.json()["tenant"]["account_sid"] == srv.account_sid
    assert by_bearer.json()["id"] == u["id"]

    # the cookie among others, as a browser sends it
    r = call(srv, "GET", "/api/me", headers={"Cookie": "theme=dark; ramal_session=%s; ramal_csrf=%s" % (token, csrf)})
    assert r.status_code == 200


def test_me_without_or_with_a_bad_session_is_401_json(srv):
    for headers in ({}, {"Authorization": "Bearer " + "A" * 43}, {"Authorization": "Bearer short"},
                    {"Authorization": "Basic YTpi"}, {"Cookie": "ramal_session=" + secrets.token_urlsafe(32)},
                    {"Cookie": "other=1"}):
        r = call(srv, "GET", "/api/me", headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["Content-Type"] == "application/json"
        assert error_text(r)
        assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    r = call(srv, "POST", "/api/logout")
    assert r.status_code == 401


@pytest.mark.parametrize("base_url", ["http://localhost:8080", "http://127.0.0.1:9000"])
def test_cookies_drop_secure_only_on_plain_http_localhost(ramal_factory, base_url):
    srv = ramal_factory.start(BASE_URL=base_url, SESSION_TTL_H=2)
    add_user(srv, "bia@example.com")
    r = login(srv, "bia@example.com")
    assert r.status_code == 200, r.text
    token, csrf = r.json()["token"], r.json()["csrf_token"]
    cookies = set_cookies(r)
    assert cookies["ramal_session"] == "ramal_session=%s; Path=/; Max-Age=7200; HttpOnly; SameSite=Lax" % token
    assert cookies["ramal_csrf"] == "ramal_csrf=%s; Path=/; Max-Age=7200; SameSite=Lax" % csrf


def test_plain_http_elsewhere_still_gets_secure_cookies(ramal_factory):
    srv = ramal_factory.start(BASE_URL="http://ramal.example.test")
    add_user(srv, "caio@example.com")
    r = login(srv, "caio@example.com")
    assert r.status_code == 200
    assert "; Secure;" in set_cookies(r)["ramal_session"]


def test_session_lifetime_is_fixed_from_sign_in(ramal_factory, pg):
    srv = ramal_factory.start(SESSION_TTL_H=2)
    add_user(srv, "dora@example.com")
    token = login(srv, "dora@example.com").json()["token"]
    (lifetime,) = db(srv, pg, "SELECT extract(epoch FROM expires_at - created_at) FROM sessions")[0]
    assert float(lifetime) == 7200
    assert me(srv, token=token).status_code == 200
    (lifetime,) = db(srv, pg, "SELECT extract(epoch FROM expires_at - created_at) FROM sessions")[0]
    assert float(lifetime) == 7200  # use does not extend it


# --------------------------------------------------------------------------
# refusals look alike


def test_wrong_password_unknown_email_disabled_and_no_password_answer_alike(srv, pg):
    add_user(srv, "eva@example.com")
    add_user(srv, "off@example.com")
    add_user(srv, "nopw@example.com", password=None)
    db(srv, pg, "UPDATE users SET disabled = true WHERE email = 'off@example.com'")
    answers = [
        login(srv, "eva@example.com", "wrong password!"),
        login(srv, "ghost@example.com", "wrong password!"),
        login(srv, "ghost@example.com", PASSWORD),
        login(srv, "off@example.com", PASSWORD),
        login(srv, "nopw@example.com", PASSWORD),
        login(srv, "nopw@example.com", ""),
    ]
    for r in answers[:-1]:
        assert r.status_code == 401, r.text
        assert error_text(r) == DENIED
        assert "Set-Cookie" not in r.headers
    assert answers[-1].status_code == 400
    assert login(srv, "eva@example.com").status_code == 200


def test_disabling_a_user_ends_their_sessions(srv, pg):
    add_user(srv, "fabio@example.com")
    token = login(srv, "fabio@example.com").json()["token"]
    assert me(srv, token=token).status_code == 200
    assert me(srv, token=token).status_code == 200  # cached now
    db(srv, pg, "UPDATE users SET disabled = true WHERE email = 'fabio@example.com'")
    assert me_becomes(srv, 401, token=token) == 401
    assert db(srv, pg, "SELECT count(*) FROM sessions WHERE revoked_at IS NULL")[0][0] == 0
    # enabling again does not bring the old session back
    db(srv, pg, "UPDATE users SET disabled = false WHERE email = 'fabio@example.com'")
    assert me(srv, token=token).status_code == 401
    assert login(srv, "fabio@example.com").status_code == 200


@pytest.mark.parametrize("body,ctype", [
    (b"", "application/json"),
    (b"[]", "application/json"),
    (b'{"email": "a@b.c"}', "application/json"),
    (b'{"email": "a@b.c", "password": 5}', "application/json"),
    (b'{"email": "a@b.c", "password": "ab\\u0000cdefgh"}', "application/json"),
    (b'{"email": "a@b.c", "password": "x", "account": 7}', "application/json"),
    (b"email=a%40b.c&password=abcdefgh", "application/x-www-form-urlencoded"),
])
def test_malformed_login_bodies_are_400(srv, body, ctype):
    r = call(srv, "POST", "/api/login", data=body, headers={"Content-Type": ctype})
    assert r.status_code == 400, r.text
    assert error_text(r)


# --------------------------------------------------------------------------
# rate limits


@pytest.mark.slow
def test_account_limit_429_with_retry_after_then_the_window_passes(srv, pg):
    add_user(srv, "gil@example.com")
    add_user(srv, "hana@example.com")
    for _ in range(5):
        r = login(srv, "GIL@example.com", "not the password")
        assert r.status_code == 401
    r = login(srv, "gil@example.com")  # even the right password, now
    assert r.status_code == 429, r.text
    retry = int(r.headers["Retry-After"])
    assert 0 < retry <= 900
    assert "try again" in error_text(r)
    # unknown accounts are counted the same way
    for _ in range(5):
        assert login(srv, "nobody@example.com", "x" * 10).status_code == 401
    assert login(srv, "nobody@example.com", "x" * 10).status_code == 429
    # another account from the same address is not locked out
    assert login(srv, "hana@example.com").status_code == 200
    # 15 minutes later the failures no longer count
    db(srv, pg, "UPDATE login_attempts SET at = at - interval '16 minutes'")
    assert login(srv, "gil@example.com").status_code == 200


def test_a_success_resets_the_account_count(srv):
    add_user(srv, "ines@example.com")
    for _ in range(4):
        assert login(srv, "ines@example.com", "nope nope").status_code == 401
    assert login(srv, "ines@example.com").status_code == 200
    for _ in range(5):
        assert login(srv, "ines@example.com", "nope nope").status_code == 401
    assert login(srv, "ines@example.com", "nope nope").status_code == 429


@pytest.mark.slow
def test_address_limit_counts_every_account(srv):
    add_user(srv, "joao@example.com")
    for i in range(20):
        r = login(srv, "guess%d@example.com" % i, "password%d" % i)
        assert r.status_code == 401, (i, r.text)
    r = login(srv, "joao@example.com")
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 900


def test_forwarded_address_is_trusted_only_with_trust_proxy(ramal_factory, pg):
    srv = ramal_factory.start(TRUST_PROXY=1)
    add_user(srv, "kai@example.com")
    # one failure is counted under the address the proxy saw (rightmost)
    r = login(srv, "kai@example.com", "wrong one", headers={"X-Forwarded-For": "10.9.9.9, 198.51.100.9"})
    assert r.status_code == 401
    keys = {k for (k,) in db(srv, pg, "SELECT key FROM login_attempts WHERE scope = 'address'")}
    assert keys == {"198.51.100.9"}
    # that address is at its limit; another is not; a spoofed left entry
    # does not get around it
    db(srv, pg, "INSERT INTO login_attempts (scope, key) SELECT 'address', '198.51.100.7'"
                " FROM generate_series(1, 20)")
    assert login(srv, "kai@example.com", headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    assert login(srv, "kai@example.com",
                 headers={"X-Forwarded-For": "198.51.100.8, 198.51.100.7"}).status_code == 429
    assert login(srv, "kai@example.com", headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200

    # without TRUST_PROXY the header is ignored: the peer is counted
    plain = ramal_factory.start()
    add_user(plain, "kai@example.com")
    r = login(plain, "kai@example.com", "wrong one", headers={"X-Forwarded-For": "198.51.100.9"})
    assert r.status_code == 401
    keys = {k for (k,) in db(plain, pg, "SELECT key FROM login_attempts WHERE scope = 'address'")}
    assert keys == {"127.0.0.1"}


# --------------------------------------------------------------------------
# logout, expiry, CSRF


def test_logout_revokes_the_session_for_cookie_and_bearer(srv, pg):
    add_user(srv, "lia@example.com")
    token = login(srv, "lia@example.com").json()["token"]
    r = call(srv, "POST", "/api/logout", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200, r.text  # Bearer: no CSRF token needed
    assert r.json() == {"ok": True}
    cookies = set_cookies(r)
    assert cookies["ramal_session"].startswith("ramal_session=; Path=/; Max-Age=0; HttpOnly")
    assert cookies["ramal_csrf"].startswith("ramal_csrf=; Path=/; Max-Age=0;")
    assert me(srv, token=token).status_code == 401
    assert me(srv, cookie=token).status_code == 401
    r = call(srv, "POST", "/api/logout", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 401
    assert db(srv, pg, "SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL")[0][0] == 1


def test_an_expired_session_is_refused(srv, pg):
    add_user(srv, "malu@example.com")
    token = login(srv, "malu@example.com").json()["token"]
    assert me(srv, token=token).status_code == 200
    db(srv, pg, "UPDATE sessions SET expires_at = now() - interval '1 second'")
    assert me_becomes(srv, 401, token=token) == 401
    assert me(srv, cookie=token).status_code == 401


def test_cookie_state_changes_need_the_csrf_header(srv):
    add_user(srv, "nina@example.com")
    body = login(srv, "nina@example.com").json()
    token, csrf = body["token"], body["csrf_token"]
    cookie = "ramal_session=%s; ramal_csrf=%s" % (token, csrf)
    # reads need none
    assert call(srv, "GET", "/api/me", headers={"Cookie": cookie}).status_code == 200
    r = call(srv, "POST", "/api/logout", headers={"Cookie": cookie})
    assert r.status_code == 403, r.text
    assert "CSRF" in error_text(r)
    for wrong in ("", secrets.token_urlsafe(32), token, csrf[:-1]):
        r = call(srv, "POST", "/api/logout", headers={"Cookie": cookie, "X-CSRF-Token": wrong})
        assert r.status_code == 403, wrong
    # another session's CSRF token does not fit this one
    other = login(srv, "nina@example.com").json()["csrf_token"]
    r = call(srv, "POST", "/api/logout", headers={"Cookie": cookie, "X-CSRF-Token": other})
    assert r.status_code == 403
    assert me(srv, token=token).status_code == 200  # still signed in
    r = call(srv, "POST", "/api/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert me(srv, token=token).status_code == 401


# --------------------------------------------------------------------------
# tenants


def test_each_user_sees_only_their_own_tenant(srv):
    sub = random_account_sid()
    r = cli(srv, "tenant", "add", sub, "--name", "Filial", input=random_token() + "\n")
    assert r.returncode == 0, r.stderr
    add_user(srv, "otto@example.com", identity="otto")
    add_user(srv, "pia@example.com", identity="pia", account=sub, role="supervisor")

    otto = me(srv, token=login(srv, "otto@example.com").json()["token"]).json()
    pia = me(srv, token=login(srv, "pia@example.com").json()["token"]).json()
    assert otto["tenant"]["account_sid"] == srv.account_sid
    assert pia["tenant"]["account_sid"] == sub
    assert pia["tenant"]["name"] == "Filial"
    assert pia["role"] == "supervisor"
    assert otto["tenant"]["id"] != pia["tenant"]["id"]
    # `account` names the tenant to sign in to: not the other one
    r = login(srv, "otto@example.com", account=sub)
    assert r.status_code == 401 and error_text(r) == DENIED
    assert login(srv, "otto@example.com", account=srv.account_sid).status_code == 200


def test_one_email_in_two_tenants(srv):
    sub = random_account_sid()
    assert cli(srv, "tenant", "add", sub, input=random_token() + "\n").returncode == 0
    add_user(srv, "rui@example.com", password="main password")
    add_user(srv, "rui@example.com", password="branch password", account=sub)
    a = login(srv, "rui@example.com", "main password")
    b = login(srv, "rui@example.com", "branch password")
    assert a.json()["user"]["tenant"]["account_sid"] == srv.account_sid
    assert b.json()["user"]["tenant"]["account_sid"] == sub
    # the same password in both: the client must say which
    assert cli(srv, "user", "password", "rui@example.com", "--password-stdin", "--account", sub,
               input="main password\n").returncode == 0
    r = login(srv, "rui@example.com", "main password")
    assert r.status_code == 409 and "account" in error_text(r)
    r = login(srv, "rui@example.com", "main password", account=sub)
    assert r.status_code == 200
    assert r.json()["user"]["tenant"]["account_sid"] == sub


# --------------------------------------------------------------------------
# what is stored and logged; the CLI


def test_only_hashes_are_stored(srv, pg):
    add_user(srv, "sara@example.com")
    body = login(srv, "sara@example.com", headers={"User-Agent": "pytest-agent/1"}).json()
    ((stored,),) = db(srv, pg, "SELECT password_hash FROM users WHERE email = 'sara@example.com'")
    assert stored.startswith("scrypt$32768$8$3$")
    assert stored != PASSWORD and PASSWORD not in stored
    assert len(stored.split("$")) == 6
    rows = db(srv, pg, "SELECT token_hash, csrf_hash, user_agent, client_addr FROM sessions")
    assert rows == [(sha256_hex(body["token"]), sha256_hex(body["csrf_token"]), "pytest-agent/1", "127.0.0.1")]
    dump = json.dumps(db(srv, pg, "SELECT row_to_json(s)::text FROM sessions s"))
    assert body["token"] not in dump and body["csrf_token"] not in dump


def test_no_password_or_token_in_the_debug_log(srv):
    assert srv.env["LOG_LEVEL"] == "debug"
    add_user(srv, "tom@example.com")
    login(srv, "tom@example.com", "a wrong guess 123")
    body = login(srv, "tom@example.com").json()
    me(srv, token=body["token"])
    call(srv, "POST", "/api/logout", headers={"Cookie": "ramal_session=" + body["token"],
                                               "X-CSRF-Token": body["csrf_token"]})
    srv.wait_log(lambda rec: rec.get("path") == "/api/logout" and rec.get("msg") == "request")
    log = srv.log()
    assert "signed in" in log and "sign-in failed" in log
    for secret in (PASSWORD, "a wrong guess 123", body["token"], body["csrf_token"]):
        assert secret not in log
    assert "$32768$" not in log


def test_user_password_command(srv):
    add_user(srv, "ugo@example.com", password=None, identity="ugo")
    assert login(srv, "ugo@example.com").status_code == 401
    r = cli(srv, "user", "password", "ugo", "--password-stdin", input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    token = login(srv, "ugo@example.com").json()["token"]
    # a new password (by email) signs out every session
    assert me(srv, token=token).status_code == 200
    r = cli(srv, "user", "password", "UGO@example.com", "--password-stdin", input="a brand new one\n")
    assert r.returncode == 0, r.stderr
    assert me_becomes(srv, 401, token=token) == 401
    assert login(srv, "ugo@example.com").status_code == 401
    assert login(srv, "ugo@example.com", "a brand new one").status_code == 200

    r = cli(srv, "user", "password", "ugo", "--password-stdin", input="short\n")
    assert r.returncode == 1 and "8 to 1024" in r.stderr
    r = cli(srv, "user", "password", "ugo", "--password-stdin", input="")
    assert r.returncode == 1 and "no password" in r.stderr
    r = cli(srv, "user", "password", "ugo")  # stdin is no terminal
    assert r.returncode == 1 and "--password-stdin" in r.stderr
    r = cli(srv, "user", "password", "ghost", "--password-stdin", input=PASSWORD + "\n")
    assert r.returncode == 1 and "no such user" in r.stderr
    r = cli(srv, "create-user", "--email", "v@example.com", "--name", "V", "--password-stdin", input="short\n")
    assert r.returncode == 1
    r = cli(srv, "create-user", "--email", "w@example.com", "--name", "W")
    assert r.returncode == 0 and "no password yet" in r.stdout


def run_on_terminal(srv, args, answers, timeout=30):
    """Run a ramal command with a terminal as stdin, typing each answer after
    its prompt (read from stderr).  (returncode, stdout, stderr, echoed):
    echoed is what the terminal showed back of the typing."""
    master, slave = pty.openpty()
    cwd = tempfile.mkdtemp(prefix="ramal-tty-")
    p = subprocess.Popen([harness.ramal_bin()] + list(args), stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=harness.minimal_env(srv.env), cwd=cwd)
    os.close(slave)
    err, echoed = b"", b""
    deadline = time.monotonic() + timeout * harness.slow_factor()
    try:
        for prompt, answer in answers:
            while prompt.encode() not in err:
                assert time.monotonic() < deadline, "no prompt %r; stderr: %r" % (prompt, err)
                ready, _, _ = select.select([p.stderr], [], [], 0.2)
                if ready:
                    chunk = os.read(p.stderr.fileno(), 4096)
                    assert chunk, "stderr closed before %r: %r" % (prompt, err)
                    err += chunk
            err = err.split(prompt.encode(), 1)[1]
            os.write(master, answer.encode() + b"\n")
        out, rest = p.communicate(timeout=timeout * harness.slow_factor())
        err += rest
        while select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            echoed += chunk
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
        shutil.rmtree(cwd, ignore_errors=True)
    harness.assert_no_sanitizer_reports(err.decode(errors="replace"))
    return p.returncode, out.decode(), err.decode(), echoed


def test_create_user_asks_twice_on_a_terminal_without_echo(srv):
    secret = "typed on the terminal"
    rc, out, err, echoed = run_on_terminal(
        srv, ["create-user", "--email", "yara@example.com", "--name", "Yara"],
        [("New password: ", secret), ("Again: ", secret)])
    assert rc == 0, err
    assert "created" in out and "no password" not in out
    assert secret.encode() not in echoed
    assert login(srv, "yara@example.com", secret).status_code == 200

    rc, out, err, _ = run_on_terminal(
        srv, ["user", "password", "yara"], [("New password: ", "first attempt"), ("Again: ", "second attempt")])
    assert rc == 1 and "do not match" in err
    assert login(srv, "yara@example.com", secret).status_code == 200
