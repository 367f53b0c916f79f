"""The callback list in the softphone, end to end: headless Debian
Chromium (playwright-core) drives the e2e build of web/ (the fake Voice
SDK) against a real ramal in which a caller gave up in the queue.  The
agent sees the caller, takes the callback, calls back with one click (the
browser steps are web/e2e/callbacks.e2e.mjs), Twilio's side of that call
is played here (the TwiML App's webhook with the softphone's params: the
caller ID must be the line the caller had called), and the agent closes
it.  Screenshots go to tests/artifacts/web-e2e-callbacks/."""

import json
import os
import secrets
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from ramaltest import harness
from ramaltest.alerts import abandon, inbound_call, wait_until
from ramaltest.database import Db
from ramaltest.harness import sid
from ramaltest.voice import WORKFLOW_SID

PASSWORD = "senha forte do e2e"
WEB = os.path.join(harness.REPO, "web")
DIST_E2E = os.path.join(WEB, "dist-e2e")
ARTIFACTS = os.path.join(harness.REPO, "tests", "artifacts", "web-e2e-callbacks")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IDENTITY = "bia_lima"
CALLER = "+5511987651234"


def _need(path, what):
    if not os.path.exists(path):
        pytest.fail("%s missing (%s): run `make test` or `make web-e2e`" % (path, what), pytrace=False)


@pytest.fixture(scope="module")
def srv(module_factory):
    _need(os.path.join(DIST_E2E, "index.html"), "the e2e build of web/")
    _need(os.path.join(WEB, "node_modules", "playwright-core"), "npm ci in web/")
    _need(CHROMIUM, "Debian's chromium; scripts/deps.sh test installs it")
    s = module_factory.start(WEB_DIR=DIST_E2E, BASE_URL="http://127.0.0.1",
                             TWILIO_API_KEY_SID="SK" + secrets.token_hex(16),
                             TWILIO_API_KEY_SECRET=secrets.token_hex(16),
                             TWILIO_TWIML_APP_SID="AP" + secrets.token_hex(16), LOG_LEVEL="info",
                             TWILIO_WORKFLOW_SID=WORKFLOW_SID, JOB_WORKERS="1", RAMAL_JOB_POLL_MS="50")
    r = harness.run_cli(["create-user", "--email", "bia@example.com", "--name", "Bia Lima", "--role", "agent",
                         "--identity", IDENTITY, "--password-stdin"], s.env, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = harness.run_cli(["create-user", "--email", "admin@example.com", "--name", "Dona Admin", "--role", "admin",
                         "--identity", "dona_admin", "--password-stdin"], s.env, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    return s


class Twilio:
    def __init__(self, srv, db, webhook, did):
        self.srv, self.db, self.webhook, self.did = srv, db, webhook, did

    def outbound(self, msg):
        """The TwiML App's Voice URL for device.connect({params}): the
        answer dials the caller with the line's number as caller ID."""
        p = {"AccountSid": self.srv.account_sid, "ApiVersion": "2010-04-01",
             "ApplicationSid": self.srv.env["TWILIO_TWIML_APP_SID"], "CallSid": sid("CA"),
             "CallStatus": "ringing", "Called": "", "Caller": "client:" + IDENTITY, "Direction": "inbound",
             "From": "client:" + IDENTITY}
        p.update(msg["params"])
        r = self.webhook.post(self.srv, sorted(p.items()), path="/twilio/voice/outbound")
        assert r.status_code == 200, r.text
        dial = ET.fromstring(r.content).find("Dial")
        assert dial is not None, r.text
        assert dial.get("callerId") == self.did, (dial.attrib, self.did)
        assert dial.findtext("Number") == CALLER
        return {}

    def closed(self, msg):
        row = self.db.one("SELECT state, closed_reason, attempts, u.identity FROM callbacks c"
                          " JOIN users u ON u.id = c.closed_by WHERE c.id = %s", (int(msg["id"]),))
        assert row == ("done", "agent", 1, IDENTITY), row
        return {}

    def rules(self, msg):
        stored = self.db.one("SELECT rules FROM alert_rules")[0]
        assert stored["events"]["voicemail"]["channels"] == ["slack", "whatsapp", "webhook"], stored
        assert stored["events"]["abandoned"]["cooldown_s"] == 120, stored
        assert stored["quiet_hours"] == {"start": "22:30", "end": "06:45"}, stored
        return {}


@pytest.mark.e2e
@pytest.mark.slow
def test_the_agent_calls_a_caller_back_from_the_list(srv, pg, webhook):
    db = Db(pg, srv)
    try:
        nid, did = db.add_number(label="Suporte")
        params, _ = inbound_call(webhook, srv, did, caller=CALLER)
        abandon(webhook, srv, params, queue_time=61)
        assert wait_until(lambda: db.one("SELECT count(*) FROM callbacks WHERE state = 'open'")[0] == 1, 10)
        run_browser(srv, Twilio(srv, db, webhook, did))
    finally:
        db.close()
    log = srv.log()
    for route in ("/api/callbacks", "/api/callbacks/next", "/api/callbacks/*/close", "/twilio/voice/outbound",
                  "/api/admin/alert-rules"):
        assert "route=" + route in log, route


def run_browser(srv, tw):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    env = dict(os.environ)
    env.update({"E2E_URL": srv.url, "E2E_EMAIL": "bia@example.com", "E2E_PASSWORD": PASSWORD,
                "E2E_ARTIFACTS": ARTIFACTS, "CHROMIUM": CHROMIUM, "E2E_CALLER": CALLER,
                "E2E_ADMIN_EMAIL": "admin@example.com"})
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    err = open(os.path.join(ARTIFACTS, "browser.stderr"), "w+")
    p = subprocess.Popen(["node", os.path.join(WEB, "e2e", "callbacks.e2e.mjs")], cwd=WEB, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    steps, last = [], None
    try:
        for line in p.stdout:
            msg = json.loads(line)
            if "need" not in msg:
                last = msg
                p.stdin.close()
                continue
            steps.append(msg["need"])
            try:
                answer = getattr(tw, msg["need"])(msg)
            except Exception as e:
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
    assert rc == 0, "browser run failed (screenshots in %s):\n%s" % (ARTIFACTS, stderr)
    assert steps == ["outbound", "closed", "rules"], steps
    assert last == {"ok": True}
    for name in ("01-callbacks", "02-calling-back", "03-done", "04-alert-rules"):
        assert os.path.getsize(os.path.join(ARTIFACTS, name + ".png")) > 1000
