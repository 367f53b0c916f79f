"""The softphone end to end: headless Debian Chromium (playwright-core)
drives the e2e build of web/ (the Voice SDK replaced by the fake in
web/src/testing/fake-voice-sdk.ts) served by a real ramal on a real
PostgreSQL, with a user made by `ramal create-user`.

The browser steps are in web/e2e/softphone.e2e.mjs; Twilio's side of the
call is played here, signed with twilio's RequestValidator, whenever the
script asks for it (one JSON line each way): the inbound webhook of the
agent's own number (the popup shows the <Parameter>s of the server's
<Client>), the whisper and status callbacks of the agent's leg, the hold
job's REST request (to the fake Twilio API), and a status change made in
another tab that must reach the page over /api/events.  Screenshots go
to tests/artifacts/web-e2e/.
"""

import json
import os
import secrets
import shutil
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from ramaltest import harness
from ramaltest.database import Db
from ramaltest.harness import sid
from ramaltest.server import new_session
from ramaltest.voice import call_params, wait_for

PASSWORD = "senha forte do e2e"
WEB = os.path.join(harness.REPO, "web")
DIST_E2E = os.path.join(WEB, "dist-e2e")
ARTIFACTS = os.path.join(harness.REPO, "tests", "artifacts", "web-e2e")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _need(path, what):
    if not os.path.exists(path):
        pytest.fail("%s missing (%s): run `make test` or `make web-e2e`" % (path, what), pytrace=False)


@pytest.fixture(scope="module")
def srv(module_factory, fake_twilio_server):
    _need(os.path.join(DIST_E2E, "index.html"), "the e2e build of web/")
    _need(os.path.join(WEB, "node_modules", "playwright-core"), "npm ci in web/")
    _need(CHROMIUM, "Debian's chromium; scripts/deps.sh test installs it")
    key_sid, key_secret = "SK" + secrets.token_hex(16), secrets.token_hex(16)
    s = module_factory.start(WEB_DIR=DIST_E2E, BASE_URL="http://127.0.0.1",
                             TWILIO_API_KEY_SID=key_sid, TWILIO_API_KEY_SECRET=key_secret,
                             TWILIO_TWIML_APP_SID="AP" + secrets.token_hex(16), LOG_LEVEL="info",
                             JOB_WORKERS="1", RAMAL_JOB_POLL_MS="50")
    # The REST jobs (hold) authenticate with the API key, as in production.
    fake_twilio_server.add_api_key(key_sid, key_secret, s.account_sid)
    r = harness.run_cli(["create-user", "--email", "ana@example.com", "--name", "Ana Souza", "--role", "agent",
                         "--identity", "ana_souza", "--password-stdin"], s.env, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    return s


IDENTITY = "ana_souza"
CALLER = "+5511987654321"


def bearer(srv):
    """Another tab of Ana's: a Bearer session."""
    s = new_session()
    try:
        r = s.post(srv.url + "/api/login", json={"email": "ana@example.com", "password": PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()["token"]
    finally:
        s.close()


def api(srv, method, path, token, body=None):
    s = new_session()
    try:
        return s.request(method, srv.url + path, json=body, headers={"Authorization": "Bearer " + token},
                         timeout=30)
    finally:
        s.close()


class Twilio:
    """What Twilio would send for one call to Ana's own number."""

    def __init__(self, srv, db, webhook, fake):
        self.srv, self.db, self.webhook, self.fake = srv, db, webhook, fake
        self.caller_leg = None
        self.agent_leg = sid("CA")
        self.token = bearer(srv)

    def post(self, url_or_path, params):
        u = urllib.parse.urlsplit(url_or_path)
        if u.scheme:
            assert url_or_path.startswith(self.srv.base_url + "/"), url_or_path
        r = self.webhook.post(self.srv, params, path=u.path, query=u.query)
        assert r.status_code == 200, (url_or_path, r.status_code, r.text)
        return ET.fromstring(r.content) if r.content.startswith(b"<?xml") else None

    def status(self, call, status, seq, **extra):
        p = {"AccountSid": self.srv.account_sid, "CallSid": call, "CallStatus": status,
             "SequenceNumber": str(seq), "Timestamp": "Mon, 23 Nov 2026 21:00:%02d +0000" % seq,
             "From": CALLER, "To": "client:" + IDENTITY, "Direction": "outbound-dial",
             "ParentCallSid": self.caller_leg, "ApiVersion": "2010-04-01", "CallbackSource": "call-progress-events"}
        p.update(extra)
        self.post("/twilio/status", sorted(p.items()))

    def call(self, _):
        # The page said Available: the server must have it.
        row = self.db.one("SELECT status FROM users WHERE identity = %s", (IDENTITY,))
        assert row == ("available",), row
        params = call_params(self.srv.account_sid, self.did, frm=CALLER)
        self.caller_leg = dict(params)["CallSid"]
        root = self.post("/twilio/voice/inbound", params)
        client = root.find("Dial/Client")
        assert client is not None, ET.tostring(root)
        assert client.findtext("Identity") == IDENTITY
        self.whisper_url = client.get("url")
        custom = {e.get("name"): e.get("value") for e in client.findall("Parameter")}
        assert custom == {"caller": CALLER, "line": "Vendas SP", "reason": "dedicated"}, custom
        self.status(self.agent_leg, "initiated", 0)
        self.status(self.agent_leg, "ringing", 1)
        # The SDK's incoming call: the agent's leg, From the caller.
        return {"incoming": {"CallSid": self.agent_leg, "From": CALLER, "To": "client:" + IDENTITY,
                             "params": custom},
                "line_label": "Vendas SP"}

    def answered(self, msg):
        assert msg["sid"] == self.agent_leg
        leg = {"AccountSid": self.srv.account_sid, "CallSid": self.agent_leg, "ParentCallSid": self.caller_leg,
               "From": CALLER, "To": "client:" + IDENTITY, "CallStatus": "in-progress",
               "Direction": "outbound-dial"}
        self.post(self.whisper_url, sorted(leg.items()))
        self.status(self.agent_leg, "in-progress", 2)
        return {}

    def held(self, msg):
        # The hold job moves Ana's leg into the conference (Calls update).
        path = "/Calls/%s.json" % self.agent_leg
        assert wait_for(lambda: self.fake.requests_to("POST", path), 10), "no Calls update for the hold"
        form = self.fake.requests_to("POST", path)[0].form_dict()
        assert "<Conference" in form["Twiml"][0], form
        g = api(self.srv, "GET", "/api/calls/" + self.agent_leg, self.token).json()
        assert g["hold"] is True, g
        return {}

    def unheld(self, msg):
        g = api(self.srv, "GET", "/api/calls/" + self.agent_leg, self.token).json()
        assert g["hold"] is False, g
        return {}

    def busy_elsewhere(self, msg):
        self.status(self.agent_leg, "completed", 3, CallDuration="42")
        r = api(self.srv, "PUT", "/api/agents/me/status", self.token, {"status": "busy"})
        assert r.status_code == 200, r.text
        return {}


@pytest.mark.e2e
@pytest.mark.slow
def test_softphone_end_to_end(srv, pg, webhook, fake_twilio):
    db = Db(pg, srv)
    try:
        uid = db.one("SELECT id FROM users WHERE identity = %s", (IDENTITY,))[0]
        tw = Twilio(srv, db, webhook, fake_twilio)
        tw.did = db.add_number(owner=uid, label="Vendas SP")[1]
        run_browser(srv, tw)
    finally:
        db.close()
    # The server saw the sign-in, the token, the status and the hold (the
    # live events' stream is logged when it ends; "busy-elsewhere" above
    # showed it delivering).
    log = srv.log()
    for route in ("/token", "/api/login", "/api/agents/me/status", "/api/calls/*/hold", "/api/calls/*/unhold"):
        assert "route=" + route in log, route


def run_browser(srv, tw):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    env = dict(os.environ)
    env.update({
        "E2E_URL": srv.url, "E2E_EMAIL": "ana@example.com", "E2E_PASSWORD": PASSWORD,
        "E2E_ARTIFACTS": ARTIFACTS, "CHROMIUM": CHROMIUM,
    })
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    err = open(os.path.join(ARTIFACTS, "browser.stderr"), "w+")
    p = subprocess.Popen(["node", os.path.join(WEB, "e2e", "softphone.e2e.mjs")], cwd=WEB, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    steps, last = [], None
    try:
        for line in p.stdout:
            msg = json.loads(line)
            if "need" not in msg:
                last = msg
                p.stdin.close()  # the script is done: let it exit
                continue
            steps.append(msg["need"])
            try:
                answer = getattr(tw, msg["need"].replace("-", "_"))(msg)
            except Exception as e:  # tell the browser script, then fail here
                p.stdin.write(json.dumps({"error": repr(e)}) + "\n")
                p.stdin.flush()
                raise
            p.stdin.write(json.dumps(answer) + "\n")
            p.stdin.flush()
        rc = p.wait(timeout=180 * harness.slow_factor())
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        err.seek(0)
        stderr = err.read()
        err.close()
    assert rc == 0, "browser run failed (screenshots in %s):\n%s" % (ARTIFACTS, stderr)
    assert steps == ["call", "answered", "held", "unheld", "busy-elsewhere"], steps
    assert last is not None and last["ok"] is True
    for name in ("01-login", "02-phone", "03-incoming", "04-hold", "05-in-call", "06-outbound"):
        assert os.path.getsize(os.path.join(ARTIFACTS, name + ".png")) > 1000


def test_production_build_has_no_fake_sdk():
    """The fake SDK is only in the e2e build."""
    dist = os.path.join(WEB, "dist", "assets")
    _need(dist, "the production build of web/")
    js = [f for f in os.listdir(dist) if f.endswith(".js")]
    assert js
    for f in js:
        with open(os.path.join(dist, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        assert "__fakeVoice" not in text, f
    with open(os.path.join(DIST_E2E, "index.html")) as fh:
        assert "/assets/" in fh.read()
