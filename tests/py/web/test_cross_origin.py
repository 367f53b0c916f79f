"""A softphone page on another origin (what a Lovable app is) against a
real ramal, in headless Debian Chromium (playwright-core).

The page (tests/web-cross-origin/) uses the typed client as tsc builds it
(clients/ts/dist) and is served here from a second loopback port, so every
request it makes to ramal is cross-origin: it signs in with a Bearer
token, fetches /token, sets its status, gets an events ticket, opens the
live events on it and shows the event this test causes from another
session.  Then ramal is restarted on the same port without the page's
origin in CORS_ALLOWED_ORIGINS, and the same page fails cleanly: the
sign-in shows a network/CORS failure, no token is asked for, and the
server never sees the sign-in (the browser stopped it at the preflight).

The browser steps are in web/e2e/cross-origin.e2e.mjs; it reports what
the page shows (one JSON line each way) and this test asserts it.
Screenshots go to the test's tmp_path.
"""

import functools
import http.server
import json
import os
import posixpath
import secrets
import subprocess
import threading
import urllib.parse

import pytest

from ramaltest import harness
from ramaltest.server import new_session

PASSWORD = "senha forte da outra origem"
EMAIL = "ana@example.com"
IDENTITY = "ana_souza"
WEB = os.path.join(harness.REPO, "web")
PAGE_DIR = os.path.join(harness.REPO, "tests", "web-cross-origin")
CLIENT_DIST = os.path.join(harness.REPO, "clients", "ts", "dist")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _need(path, what):
    if not os.path.exists(path):
        pytest.fail("%s missing (%s): run `make test` or `make client web`" % (path, what), pytrace=False)


class PageHandler(http.server.SimpleHTTPRequestHandler):
    """tests/web-cross-origin/ at /, clients/ts/dist at /client/."""

    extensions_map = {".html": "text/html", ".js": "text/javascript", ".ts": "text/plain", "": "application/octet-stream"}

    def translate_path(self, path):
        path = posixpath.normpath(urllib.parse.unquote(urllib.parse.urlsplit(path).path))
        if path.startswith("/client/"):
            root, rest = CLIENT_DIST, path[len("/client/"):]
        else:
            root, rest = PAGE_DIR, path.lstrip("/") or "index.html"
        return os.path.join(root, *[p for p in rest.split("/") if p not in ("", ".", "..")])

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, fmt, *args):
        pass


class PageServer:
    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(PageHandler))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def bearer_session(url):
    s = new_session()
    r = s.post(url + "/api/login", json={"email": EMAIL, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    s.headers["Authorization"] = "Bearer " + r.json()["token"]
    return s


def drive(env, on_need, shots):
    """Run the browser script; on_need(msg) answers each {"need": ...}.
    Returns the final {"done": true, ...} message."""
    err = open(os.path.join(shots, "browser.stderr"), "w+")
    p = subprocess.Popen(["node", os.path.join(WEB, "e2e", "cross-origin.e2e.mjs")], cwd=WEB, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    last, needs = None, []
    try:
        for line in p.stdout:
            msg = json.loads(line)
            if "need" not in msg:
                last = msg
                p.stdin.close()
                continue
            needs.append(msg["need"])
            try:
                answer = on_need(msg)
            except Exception as e:  # tell the browser script, then fail here
                p.stdin.write(json.dumps({"error": repr(e)}) + "\n")
                p.stdin.flush()
                raise
            p.stdin.write(json.dumps(answer) + "\n")
            p.stdin.flush()
        rc = p.wait(timeout=120 * harness.slow_factor())
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        err.seek(0)
        stderr = err.read()
        err.close()
    assert rc == 0, "browser run failed (screenshots in %s):\n%s" % (shots, stderr)
    assert needs == ["event", "restart"], needs
    assert last is not None and last.get("done") is True, last
    return last


@pytest.mark.e2e
@pytest.mark.slow
def test_page_on_another_origin_signs_in_streams_events_and_fails_cleanly_once_refused(
        module_factory, fake_twilio_server, tmp_path):
    _need(os.path.join(CLIENT_DIST, "index.js"), "the typed client built by tsc")
    _need(os.path.join(WEB, "node_modules", "playwright-core"), "npm ci in web/")
    _need(CHROMIUM, "Debian's chromium; scripts/deps.sh test installs it")
    shots = str(tmp_path)
    with PageServer() as page:
        key_sid, key_secret = "SK" + secrets.token_hex(16), secrets.token_hex(16)
        srv = module_factory.start(CORS_ALLOWED_ORIGINS=page.origin + ",https://softphone.lovable.example",
                                   TWILIO_API_KEY_SID=key_sid, TWILIO_API_KEY_SECRET=key_secret,
                                   TWILIO_TWIML_APP_SID="AP" + secrets.token_hex(16), LOG_LEVEL="info")
        r = harness.run_cli(["create-user", "--email", EMAIL, "--name", "Ana Souza", "--role", "agent",
                             "--identity", IDENTITY, "--password-stdin"], srv.env, input=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        other = bearer_session(srv.url)  # another tab of Ana's
        state = {"srv": srv}

        def on_need(msg):
            steps = msg["page"]["steps"]
            if msg["need"] == "event":
                # Each step, as the page shows it.
                assert [k for k in steps] == ["login", "token", "status", "ticket", "events"], steps
                assert all(v["state"] == "ok" for v in steps.values()), steps
                assert "Ana Souza <%s>, Bearer session until 20" % IDENTITY in steps["login"]["text"]
                assert "Voice token for %s (a 3-part JWT) until 20" % IDENTITY in steps["token"]["text"]
                assert steps["status"]["text"] == "status: now available"
                assert "single-use ticket of" in steps["ticket"]["text"]
                assert steps["events"]["text"] == "events: stream open"
                assert msg["page"]["live"] == "open"
                # The server agrees, and the page's own status change happened before
                # the stream: nothing was shown yet.
                me = other.get(srv.url + "/api/me", timeout=30).json()
                assert me["status"] == "available", me
                assert msg["page"]["events"] == []
                r = other.put(srv.url + "/api/agents/me/status", json={"status": "busy"}, timeout=30)
                assert r.status_code == 200, r.text
                return {}
            assert msg["need"] == "restart"
            events = msg["page"]["events"]
            assert [e["type"] for e in events] == ["status"], events
            assert events[0]["id"].isdigit() and events[0]["text"] == "#%s status: busy" % events[0]["id"], events
            assert msg["console"] == [], msg["console"]
            log = srv.log()
            for route in ("/api/login", "/token", "/api/agents/me/status", "/api/events"):
                assert "route=" + route in log, route
            # Same port, same database, the page's origin no longer listed.
            env = dict(srv.env)
            env["CORS_ALLOWED_ORIGINS"] = "https://softphone.lovable.example"
            env["PORT"] = str(srv.port)
            srv.stop()
            state["srv"] = module_factory.start(env=env)
            assert state["srv"].url == srv.url
            return {"api": state["srv"].url}

        env = dict(os.environ)
        env.update({"XO_PAGE": page.origin + "/", "XO_API": srv.url, "XO_EMAIL": EMAIL, "XO_PASSWORD": PASSWORD,
                    "XO_ARTIFACTS": shots, "CHROMIUM": CHROMIUM})
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(k, None)
        try:
            last = drive(env, on_need, shots)
        finally:
            other.close()

    # Refused: the sign-in fails as a network/CORS failure, nothing after it.
    steps = last["page"]["steps"]
    assert list(steps) == ["login"], steps
    assert steps["login"]["state"] == "error" and steps["login"]["status"] == "0", steps
    assert "HTTP 0 (network)" in steps["login"]["text"] and "CORS" in steps["login"]["text"], steps
    assert last["page"]["events"] == [] and last["page"]["live"] == "off", last["page"]
    assert any("blocked by CORS policy" in m for m in last["console"]), last["console"]
    # The browser stopped at the preflight: the server never saw the sign-in.
    log2 = state["srv"].log()
    for route in ("route=/api/login", "route=/token"):
        assert route not in log2, route
    for name in ("01-allowed", "02-refused"):
        assert os.path.getsize(os.path.join(shots, name + ".png")) > 1000
