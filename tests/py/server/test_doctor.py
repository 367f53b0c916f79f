"""`ramal doctor`: a deployment checked against the fake Twilio API.

Each test builds a correct deployment (a database with the main account, a
subaccount tenant, agents, numbers and the SIDs `ramal provision` stores;
the fake Twilio account holding the matching TwiML App, numbers and
TaskRouter objects), breaks one thing, and reads doctor's lines: the broken
check FAILs with what to do, every other check stays ok.  Doctor only
GETs, and every request must pass the fake's OpenAPI checks.
"""

import os
import re
import secrets

import pytest

from ramaltest import harness
from ramaltest.database import dbname_of
from ramaltest.server import BASE_URL, RamalFactory, random_account_sid, random_token

INBOUND = BASE_URL + "/twilio/voice/inbound"
FALLBACK = BASE_URL + "/twilio/voice/fallback"
STATUS = BASE_URL + "/twilio/status"
OUTBOUND = BASE_URL + "/twilio/voice/outbound"
EVENTS_URL = BASE_URL + "/twilio/taskrouter/events"
ASSIGNMENT_URL = BASE_URL + "/twilio/taskrouter/assignment"
MAIN_NUMBER = "+551130000000"
SUB_NUMBER = "+551140000000"


def events_filter():
    """TASKROUTER_EVENTS_FILTER as include/calls/taskrouter.h defines it."""
    with open(os.path.join(harness.REPO, "include", "calls", "taskrouter.h")) as f:
        text = f.read()
    body = re.search(r"#define TASKROUTER_EVENTS_FILTER((?:.*\\\n)*.*)", text).group(1)
    return "".join(re.findall(r'"([^"]*)"', body))


def sid(prefix):
    return prefix + secrets.token_hex(16)


def good_number(e164, **over):
    n = {"phone_number": e164, "friendly_name": e164, "voice_url": INBOUND, "voice_method": "POST",
         "voice_fallback_url": FALLBACK, "voice_fallback_method": "POST", "status_callback": STATUS,
         "status_callback_method": "POST", "voice_application_sid": None, "trunk_sid": None}
    n.update(over)
    return n


class Deployment:
    """A correct deployment: the database and the fake Twilio account agree."""

    def __init__(self, pg, fake):
        self.fake = fake
        self.key_sid, self.key_secret = sid("SK"), secrets.token_hex(16)
        self.app_sid, self.ws, self.wq, self.ww = sid("AP"), sid("WS"), sid("WQ"), sid("WW")
        self.pn = sid("PN")
        self.env = RamalFactory(pg, fake).env(
            LOG_LEVEL="info", TWILIO_API_KEY_SID=self.key_sid, TWILIO_API_KEY_SECRET=self.key_secret,
            TWILIO_TWIML_APP_SID=self.app_sid, TWILIO_WORKFLOW_SID=self.ww)
        self.account = self.env["TWILIO_ACCOUNT_SID"]
        self.token = self.env["TWILIO_AUTH_TOKEN"]
        self.sub, self.sub_token = random_account_sid(), random_token()
        fake.add_account(self.account, self.token)
        fake.add_api_key(self.key_sid, self.key_secret, self.account)
        fake.add_account(self.sub, self.sub_token, parent=self.account)

        self.cli("migrate")
        self.cli("tenant", "add", self.account, input=self.token + "\n")
        self.cli("tenant", "add", self.sub, "--name", "filial", input=self.sub_token + "\n")
        self.conn = pg.connect(dbname_of(self.env["DATABASE_URL"]))
        self.conn.autocommit = True

        # Twilio's side
        fake.add_resource(self.account, "applications", {"friendly_name": "ramal", "voice_url": OUTBOUND,
                                                         "voice_method": "POST"}, sid=self.app_sid)
        fake.add_resource(self.account, "incoming_phone_numbers", good_number(MAIN_NUMBER), sid=self.pn)
        fake.add_resource(self.account, "incoming_phone_numbers", good_number("+551130009999", voice_url=None))
        self.sub_pn = fake.add_resource(self.sub, "incoming_phone_numbers", good_number(SUB_NUMBER))["sid"]
        fake.add_resource(self.account, "workspaces", {"friendly_name": "ramal", "event_callback_url": EVENTS_URL,
                                                       "events_filter": events_filter()}, sid=self.ws)
        self.activities = {}
        for name, available in (("Available", True), ("Busy", False), ("Offline", False), ("Wrap-up", False)):
            a = fake.add_resource(self.account, "activities", {"friendly_name": name, "available": available,
                                                               "workspace_sid": self.ws})
            self.activities[name] = a["sid"]
        fake.add_resource(self.account, "task_queues", {"friendly_name": "equipe", "target_workers": "1==1",
                                                        "workspace_sid": self.ws}, sid=self.wq)
        config = '{"task_routing":{"filters":[{"targets":[{"queue":"%s"}]}],"default_filter":{"queue":"%s"}}}' % (
            self.wq, self.wq)
        fake.add_resource(self.account, "workflows", {
            "friendly_name": "ramal", "configuration": config, "assignment_callback_url": ASSIGNMENT_URL,
            "fallback_assignment_callback_url": ASSIGNMENT_URL, "task_reservation_timeout": 30,
            "workspace_sid": self.ws}, sid=self.ww)
        self.workers = {}
        for identity in ("ana", "bruno"):
            w = fake.add_resource(self.account, "workers", {
                "friendly_name": identity, "workspace_sid": self.ws,
                "attributes": '{"contact_uri":"client:%s","identity":"%s","name":"%s"}' % (
                    identity, identity, identity.title())})
            self.workers[identity] = w["sid"]

        # ramal's side
        self.add_user("ana", worker_sid=self.workers["ana"])
        self.add_user("bruno", role="supervisor", worker_sid=self.workers["bruno"])
        self.add_user("root", role="admin")
        self.add_user("carla", disabled=True)
        self.cli("number", "add", MAIN_NUMBER, "--sid", self.pn, "--owner", "ana", "--label", "Vendas")
        self.cli("number", "add", SUB_NUMBER, "--account", self.sub)
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO taskrouter_config (tenant_id, workspace_sid, workflow_sid, task_queue_sid,"
                " activity_available_sid, activity_busy_sid, activity_offline_sid, activity_wrapup_sid)"
                " SELECT id, %s, %s, %s, %s, %s, %s, %s FROM tenants WHERE account_sid = %s",
                (self.ws, self.ww, self.wq, self.activities["Available"], self.activities["Busy"],
                 self.activities["Offline"], self.activities["Wrap-up"], self.account))

    def cli(self, *args, input=None):
        r = harness.run_cli(list(args), self.env, input=input)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r

    def add_user(self, identity, role="agent", worker_sid=None, disabled=False):
        self.sql("INSERT INTO users (tenant_id, email, name, role, identity, worker_sid, disabled)"
                 " SELECT id, %s, %s, %s, %s, %s, %s FROM tenants WHERE account_sid = %s",
                 identity + "@example.com", identity.title(), role, identity, worker_sid, disabled, self.account)

    def sql(self, statement, *args):
        with self.conn.cursor() as cur:
            cur.execute(statement, args)
            return cur.fetchall() if cur.description else None

    def snapshot(self):
        """Every row doctor reads or could write, to compare before/after."""
        return {t: self.sql("SELECT * FROM %s ORDER BY 1" % t)
                for t in ("tenants", "users", "phone_numbers", "taskrouter_config", "jobs", "sessions")}

    def close(self):
        self.conn.close()


@pytest.fixture
def dep(pg, fake_twilio):
    d = Deployment(pg, fake_twilio)
    yield d
    d.close()
    assert fake_twilio.take_unexpected() == []


def doctor(env, *args):
    r = harness.run_cli(["doctor"] + list(args), env)
    r.ok = [ln[5:] for ln in r.stdout.splitlines() if ln.startswith("ok   ")]
    r.fail = [ln[5:] for ln in r.stdout.splitlines() if ln.startswith("FAIL ")]
    return r


def explain(r):
    return "exit %s\n--- stdout\n%s--- stderr\n%s" % (r.returncode, r.stdout, r.stderr)


# --------------------------------------------------------------------------


def test_correct_deployment_passes_every_check(dep, fake_twilio):
    before = dep.snapshot()
    r = doctor(dep.env)
    assert r.returncode == 0, explain(r)
    assert r.fail == []
    assert r.ok == [
        "database answers (DATABASE_URL)",
        "main account %s auth token (TWILIO_AUTH_TOKEN)" % dep.account,
        "API key %s for /token" % dep.key_sid,
        "tenant %s (filial) auth token" % dep.sub,
        "TwiML App %s Voice URL POST %s" % (dep.app_sid, OUTBOUND),
        "number %s Voice URL POST %s" % (MAIN_NUMBER, INBOUND),
        "number %s fallback URL POST %s" % (MAIN_NUMBER, FALLBACK),
        "number %s status callback POST %s" % (MAIN_NUMBER, STATUS),
        "number %s Voice URL POST %s" % (SUB_NUMBER, INBOUND),
        "number %s fallback URL POST %s" % (SUB_NUMBER, FALLBACK),
        "number %s status callback POST %s" % (SUB_NUMBER, STATUS),
        "TWILIO_WORKFLOW_SID %s is the provisioned workflow" % dep.ww,
        "TaskRouter workspace %s event callback %s" % (dep.ws, EVENTS_URL),
        "TaskRouter activity Available %s" % dep.activities["Available"],
        "TaskRouter activity Busy %s" % dep.activities["Busy"],
        "TaskRouter activity Offline %s" % dep.activities["Offline"],
        "TaskRouter activity Wrap-up %s" % dep.activities["Wrap-up"],
        "TaskRouter task queue %s" % dep.wq,
        "TaskRouter workflow %s assignment callback %s" % (dep.ww, ASSIGNMENT_URL),
        "TaskRouter worker %s of agent ana" % dep.workers["ana"],
        "TaskRouter worker %s of agent bruno" % dep.workers["bruno"],
    ]
    lines = r.stdout.splitlines()
    assert lines[-2] == "ramal doctor: %d ok, 0 failed" % len(r.ok)
    # the closing line leaves reachability and TLS to the operator
    assert "reachable from the internet" in lines[-1] and "TLS" in lines[-1] and BASE_URL in lines[-1]
    assert "not https" not in lines[-1]

    # read only: GETs at Twilio, nothing changed in the database
    reqs = fake_twilio.requests
    assert reqs and {q.method for q in reqs} == {"GET"}
    assert fake_twilio.violations == []
    assert dep.snapshot() == before
    # the main account was read with its token, the key tried on a resource
    # a Standard key may read, the subaccount with its own token
    acct = [q for q in reqs if q.path == "/2010-04-01/Accounts/%s.json" % dep.account]
    assert [q.auth_user for q in acct] == [dep.account]
    assert any(q.auth_user == dep.key_sid for q in reqs)
    assert not any(q.auth_user == dep.key_sid and re.search(r"/Accounts/AC\w+\.json$|/Keys", q.path) for q in reqs)
    assert any(q.auth_user == dep.sub and q.path.startswith("/2010-04-01/Accounts/%s/" % dep.sub) for q in reqs)

    # secrets never appear (the fake's account JSON carries the auth token)
    for secret in (dep.token, dep.sub_token, dep.key_secret, dep.env["RAMAL_SECRET_KEY"]):
        assert secret not in r.stdout and secret not in r.stderr


def test_long_lists_are_read_page_by_page(dep, fake_twilio):
    fake_twilio.page_size_cap = 1
    for i in range(3):
        fake_twilio.add_resource(dep.account, "incoming_phone_numbers", good_number("+55113000100%d" % i))
        fake_twilio.add_resource(dep.account, "workers", {"friendly_name": "extra%d" % i, "workspace_sid": dep.ws,
                                                          "attributes": "{}"})
    r = doctor(dep.env)
    assert r.returncode == 0, explain(r)
    assert len(r.ok) == 21 and r.fail == []
    pages = [q for q in fake_twilio.requests if dict(q.query).get("Page") not in (None, "0")]
    assert any("IncomingPhoneNumbers" in q.path for q in pages)
    assert any(q.path.endswith("/Workers") for q in pages)


# One misconfiguration at a time: (id, how to break it, the prefix of the
# check that fails, what its line must say, the prefixes of checks that
# cannot run after it, the violations the fake sees on purpose).


def break_env(**changes):
    def apply(dep):
        harness.overlay(dep.env, changes, str)
    return apply


def edit(kind, field, value, account=None, which=None):
    def apply(dep):
        acct = dep.sub if account == "sub" else dep.account
        sid = which(dep)
        dep.fake.resource(acct, kind, sid)[field] = value
    return apply


def remove(kind, which, account=None):
    def apply(dep):
        dep.fake.remove_resource(dep.sub if account == "sub" else dep.account, kind, which(dep))
    return apply


def wrong_token(account):
    def apply(dep):
        if account == "main":
            dep.env["TWILIO_AUTH_TOKEN"] = random_token()
        else:
            dep.fake.add_account(dep.sub, random_token(), parent=dep.account)
    return apply


ELSEWHERE = "https://old.example.com/hook"

CASES = [
    ("main-token", wrong_token("main"), "main account {account} auth token (TWILIO_AUTH_TOKEN)",
     r"Twilio refuses it \(HTTP 401.*\): copy the Auth Token of {account} .*TWILIO_AUTH_TOKEN", (),
     [("/2010-04-01/Accounts/{account}.json", "auth: wrong credentials for {account}")]),
    ("main-account-suspended", lambda d: d.fake.set_account_status(d.account, "suspended"),
     "main account {account} auth token (TWILIO_AUTH_TOKEN)", r"the account is suspended: reactivate it", (), []),
    ("tenant-token", wrong_token("sub"), "tenant {sub} (filial) auth token",
     r"Twilio refuses it .*: store its current Auth Token with `ramal tenant add {sub}`", (),
     [("/2010-04-01/Accounts/{sub}.json", "auth: wrong credentials for {sub}")]),
    ("tenant-token-unreadable",
     lambda d: d.sql("UPDATE tenants SET auth_token_enc = 'v1:AAAA' WHERE account_sid = %s", d.sub),
     "tenant {sub} (filial) auth token", r"does not open with RAMAL_SECRET_KEY .*`ramal tenant add {sub}`", (),
     []),
    ("api-key-secret", break_env(TWILIO_API_KEY_SECRET=secrets.token_hex(16)), "API key {key} for /token",
     r"^Twilio refuses it for {account} .*make a Standard API key", (),
     [("/2010-04-01/Accounts/{account}/Applications.json", "auth: wrong credentials for {key}")]),
    ("api-key-unset", break_env(TWILIO_API_KEY_SID=None, TWILIO_API_KEY_SECRET=None),
     "API key for /token (TWILIO_API_KEY_SID)", r"set TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET .*/token",
     ("API key",), []),
    ("twiml-app-voice-url", edit("applications", "voice_url", ELSEWHERE, which=lambda d: d.app_sid),
     "TwiML App {app} Voice URL",
     r"it is POST https://old.example.com/hook: set the TwiML App's Voice URL to {outbound} \(HTTP POST\) in the "
     r"Console", (), []),
    ("twiml-app-method", edit("applications", "voice_method", "GET", which=lambda d: d.app_sid),
     "TwiML App {app} Voice URL", r"it is GET {outbound}: set the TwiML App's Voice URL", (), []),
    ("twiml-app-missing", remove("applications", lambda d: d.app_sid), "TwiML App {app} Voice URL",
     r"{account} has no such TwiML App: make one in the Console", (), []),
    ("twiml-app-unset", break_env(TWILIO_TWIML_APP_SID=None), "TwiML App (TWILIO_TWIML_APP_SID)",
     r"set TWILIO_TWIML_APP_SID to a TwiML App whose Voice URL is {outbound}", ("TwiML App",), []),
    ("number-voice-url", edit("incoming_phone_numbers", "voice_url", ELSEWHERE, which=lambda d: d.pn),
     "number {main_number} Voice URL",
     r'it is POST https://old.example.com/hook: set "A call comes in" to {inbound} \(HTTP POST\)', (), []),
    ("number-voice-app", edit("incoming_phone_numbers", "voice_application_sid", "AP" + "0" * 32,
                              which=lambda d: d.pn),
     "number {main_number} Voice URL", r"its calls go to TwiML App AP0+, which overrides its Voice URL", (), []),
    ("number-fallback", edit("incoming_phone_numbers", "voice_fallback_url", None, account="sub",
                             which=lambda d: d.sub_pn),
     "number {sub_number} fallback URL", r'it is POST \(none\): set "Primary handler fails" to {fallback}', (), []),
    ("number-status-callback", edit("incoming_phone_numbers", "status_callback", ELSEWHERE, which=lambda d: d.pn),
     "number {main_number} status callback", r'set "Call status changes" to {status}', (), []),
    ("number-status-method", edit("incoming_phone_numbers", "status_callback_method", "GET", account="sub",
                                  which=lambda d: d.sub_pn),
     "number {sub_number} status callback", r"it is GET {status}:", (), []),
    ("number-missing", remove("incoming_phone_numbers", lambda d: d.pn), "number {main_number}",
     r"^{account} has no such number at Twilio", (), []),
    ("workspace-missing", remove("workspaces", lambda d: d.ws), "TaskRouter workspace {ws}",
     r"{account} has no such workspace: run `ramal provision`",
     ("TaskRouter activity", "TaskRouter task queue", "TaskRouter workflow", "TaskRouter worker"), []),
    ("workspace-event-callback", edit("workspaces", "event_callback_url", ELSEWHERE, which=lambda d: d.ws),
     "TaskRouter workspace {ws}",
     r"its event callback is https://old.example.com/hook: run `ramal provision` \(it sets {events}\)", (), []),
    ("workspace-events-filter", edit("workspaces", "events_filter", "task.created", which=lambda d: d.ws),
     "TaskRouter workspace {ws}", r"its events filter leaves out .*reservation.accepted.*: run `ramal provision`",
     (), []),
    ("activity-missing", remove("activities", lambda d: d.activities["Busy"]), "TaskRouter activity Busy {busy}",
     r"no such activity in workspace {ws}: run `ramal provision`", (), []),
    ("activity-available", edit("activities", "available", False, which=lambda d: d.activities["Available"]),
     "TaskRouter activity Available {available}", r"it is not available, TaskRouter cannot change that", (), []),
    ("queue-missing", remove("task_queues", lambda d: d.wq), "TaskRouter task queue {wq}",
     r"no such task queue in workspace {ws}: run `ramal provision`", (), []),
    ("workflow-missing", remove("workflows", lambda d: d.ww), "TaskRouter workflow {ww}",
     r"no such workflow in workspace {ws}: run `ramal provision`", (), []),
    ("workflow-assignment-callback",
     edit("workflows", "assignment_callback_url", ELSEWHERE, which=lambda d: d.ww), "TaskRouter workflow {ww}",
     r"its assignment callback is https://old.example.com/hook: run `ramal provision` \(it sets {assignment}\)",
     (), []),
    ("workflow-fallback-callback",
     edit("workflows", "fallback_assignment_callback_url", None, which=lambda d: d.ww), "TaskRouter workflow {ww}",
     r"its fallback assignment callback is \(none\): run `ramal provision`", (), []),
    ("workflow-env-unset", break_env(TWILIO_WORKFLOW_SID=None), "TWILIO_WORKFLOW_SID",
     r"not set, so calls no agent takes go to voicemail .*: set TWILIO_WORKFLOW_SID={ww}", (), []),
    ("workflow-env-other", break_env(TWILIO_WORKFLOW_SID="WW" + "1" * 32), "TWILIO_WORKFLOW_SID",
     r"it is WW1+, but the provisioned workflow is {ww}", (), []),
    ("agent-without-worker", lambda d: d.add_user("dani"), "TaskRouter worker of agent dani",
     r"dani has none, so the queue never offers dani a call: run `ramal provision`", (), []),
    ("worker-deleted", remove("workers", lambda d: d.workers["bruno"]), "TaskRouter worker {bruno} of agent bruno",
     r"no such worker in workspace {ws}.*WHERE identity = 'bruno'.*`ramal provision`", (), []),
    ("worker-identity", edit("workers", "attributes", '{"identity":"someone"}', which=lambda d: d.workers["ana"]),
     "TaskRouter worker {ana} of agent ana", r'its attributes do not say "identity": "ana"', (), []),
    ("nothing-provisioned", lambda d: d.sql("DELETE FROM taskrouter_config"), "TaskRouter",
     r"^nothing is provisioned for {account}: run `ramal provision`", ("TWILIO_WORKFLOW_SID",), []),
]


def fill(dep, text, rx=False):
    """text with the deployment's SIDs, numbers and URLs (escaped for a
    regular expression when rx)."""
    values = dict(account=dep.account, sub=dep.sub, key=dep.key_sid, app=dep.app_sid, ws=dep.ws, wq=dep.wq,
                  ww=dep.ww, main_number=MAIN_NUMBER, sub_number=SUB_NUMBER, inbound=INBOUND, fallback=FALLBACK,
                  status=STATUS, outbound=OUTBOUND, events=EVENTS_URL, assignment=ASSIGNMENT_URL,
                  ana=dep.workers["ana"], bruno=dep.workers["bruno"],
                  available=dep.activities["Available"], busy=dep.activities["Busy"])
    if rx:
        values = {k: re.escape(v) for k, v in values.items()}
    return text.format(**values)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_one_misconfiguration_fails_one_check(dep, fake_twilio, case):
    _, breaks, failing, says, skipped, violations = case
    good = doctor(dep.env)
    assert good.returncode == 0, explain(good)
    breaks(dep)
    with fake_twilio.lock:  # forget the good run's requests, keep the state
        fake_twilio.requests.clear()
    before = dep.snapshot()

    r = doctor(dep.env)
    assert r.returncode == 1, explain(r)
    failing = fill(dep, failing)
    assert len(r.fail) == 1 and r.fail[0].startswith(failing + ": "), explain(r)
    assert re.search(fill(dep, says, rx=True), r.fail[0][len(failing) + 2:]), explain(r)
    # every other check still passes (and those that cannot run are left out)
    gone = (failing,) + tuple(skipped)
    assert r.ok == [ok for ok in good.ok if not ok.startswith(gone)], explain(r)
    assert r.stdout.splitlines()[-2] == "ramal doctor: %d ok, 1 failed" % len(r.ok)

    assert {q.method for q in fake_twilio.requests} == {"GET"}
    assert dep.snapshot() == before
    seen = fake_twilio.take_unexpected()
    want = [("GET", fill(dep, path), fill(dep, why)) for path, why in violations]
    assert seen == want
    for secret in (dep.token, dep.sub_token, dep.key_secret, dep.env["RAMAL_SECRET_KEY"]):
        assert secret not in r.stdout and secret not in r.stderr


def test_settings_it_cannot_do_without(dep, fake_twilio):
    # unset, BASE_URL is http://localhost:PORT and TWILIO_ACCOUNT_SID nothing
    env = dict(dep.env, BASE_URL=None, TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None)
    r = doctor(env)
    assert r.returncode == 1, explain(r)
    assert r.ok == []
    assert [f.split(":")[0] for f in r.fail] == ["TWILIO_ACCOUNT_SID", "BASE_URL"]
    assert "Twilio cannot reach" in r.fail[1] and "http://localhost:" in r.fail[1]
    r = doctor(dict(dep.env, BASE_URL="http://127.0.0.1:8080"))
    assert r.returncode == 1 and r.ok == [] and [f.split(":")[0] for f in r.fail] == ["BASE_URL"]
    assert fake_twilio.requests == []


def test_plain_http_base_url_is_left_to_the_operator_with_a_warning(dep):
    r = doctor(dict(dep.env, BASE_URL="http://ramal.example.test"))
    # every URL Twilio holds now differs from BASE_URL
    assert r.returncode == 1
    assert any(f.startswith("TwiML App") for f in r.fail)
    assert "not https" in r.stdout.splitlines()[-1]


@pytest.mark.outage
def test_database_unreachable_still_checks_twilio(dep):
    port = harness.free_port()
    r = doctor(dict(dep.env, DATABASE_URL="postgresql://postgres@127.0.0.1:%d/x?connect_timeout=2" % port))
    assert r.returncode == 1, explain(r)
    assert [f.split(":")[0] for f in r.fail] == ["database"]
    assert "check DATABASE_URL" in r.fail[0]
    assert r.ok == ["main account %s auth token (TWILIO_AUTH_TOKEN)" % dep.account,
                    "API key %s for /token" % dep.key_sid,
                    "TwiML App %s Voice URL POST %s" % (dep.app_sid, OUTBOUND)]


def test_help_and_usage(dep):
    r = harness.run_cli(["doctor", "--help"], {})
    assert r.returncode == 0 and r.stdout.startswith("usage: ramal doctor") and r.stderr == ""
    r = harness.run_cli(["doctor", "--fix"], dep.env)
    assert r.returncode == 2 and "usage: ramal doctor" in r.stderr and r.stdout == ""
    r = harness.run_cli(["help"], {})
    assert re.search(r"^\s+doctor\b", r.stdout, re.M)


def test_whatsapp_events_without_a_template_fail(dep):
    """An event the alert rules send to WhatsApp needs an approved template
    (docs/alerts.md); doctor names the variable to set for each missing."""
    dep.sql("INSERT INTO alert_rules (tenant_id, rules) SELECT id, %s FROM tenants WHERE account_sid = %s",
            '{"events": {"voicemail": {"channels": ["whatsapp"]}, "abandoned": {"channels": ["slack",'
            ' "whatsapp"]}}, "quiet_hours": {"start": "22:00", "end": "07:00"}}', dep.account)
    tpl = "HX" + "a" * 32
    env = dict(dep.env, WHATSAPP_FROM="whatsapp:+14155238886", WHATSAPP_TO="whatsapp:+5511912345678",
               WHATSAPP_TEMPLATE_VOICEMAIL=tpl)
    r = doctor(env)
    assert r.returncode == 1, explain(r)
    assert "WhatsApp template for voicemail HXaaaa… (WHATSAPP_TEMPLATE_VOICEMAIL)" in r.ok
    assert r.fail == [
        "WhatsApp template for abandoned: WHATSAPP_TEMPLATE_ABANDONED is not set, so abandoned alerts are not sent"
        " on WhatsApp: set it to the Content SID (HX...) of a template WhatsApp approved (docs/alerts.md lists"
        " its variables)",
        "WhatsApp template for the quiet hours' digest: WHATSAPP_TEMPLATE_DIGEST is not set, so the quiet hours'"
        " digest alerts are not sent on WhatsApp: set it to the Content SID (HX...) of a template WhatsApp"
        " approved (docs/alerts.md lists its variables)",
    ]
    # without WhatsApp in any rule, doctor says nothing about it
    dep.sql("DELETE FROM alert_rules")
    r = doctor(dep.env)
    assert r.returncode == 0 and not [ln for ln in r.stdout.splitlines() if "WhatsApp" in ln]
