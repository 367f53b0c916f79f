"""`ramal number search|buy|import|release|list` and `ramal sync-webhooks`
against the fake Twilio API (docs/numbers.md).

The fake models the account (fake.model_writes): numbers for sale
(add_available), buying them with Twilio's rules (21422 not for sale,
21649 without an approved bundle), updating and releasing them, TwiML
Apps, TaskRouter workspaces and workflows, regulatory bundles.  Every
request ramal sends must pass the fake's checks against Twilio's OpenAPI
data (tests/py/ramaltest/oai); the fixture fails a test that sent one that
does not.
"""

import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time

import pytest

from ramaltest import harness
from ramaltest.database import dbname_of
from ramaltest.server import BASE_URL, RamalFactory, random_account_sid, random_token

INBOUND = BASE_URL + "/twilio/voice/inbound"
FALLBACK = BASE_URL + "/twilio/voice/fallback"
STATUS = BASE_URL + "/twilio/status"
OUTBOUND = BASE_URL + "/twilio/voice/outbound"
EVENTS = BASE_URL + "/twilio/taskrouter/events"
ASSIGNMENT = BASE_URL + "/twilio/taskrouter/assignment"
OLD = "https://old-deploy.example.test"

NUM_RE = r"/2010-04-01/Accounts/%s/IncomingPhoneNumbers"


def sid(prefix):
    return prefix + secrets.token_hex(16)


class Account:
    """A fresh database with the main account, its agents, and the fake
    Twilio account it is, writes modelled."""

    def __init__(self, pg, fake, **env):
        self.fake = fake
        self.env = RamalFactory(pg, fake).env(LOG_LEVEL="warn", **env)
        self.account = self.env["TWILIO_ACCOUNT_SID"]
        self.token = self.env["TWILIO_AUTH_TOKEN"]
        fake.add_account(self.account, self.token)
        fake.model_writes(self.account)
        self.ok("migrate")
        self.ok("tenant", "add", self.account, input=self.token + "\n")
        self.conn = pg.connect(dbname_of(self.env["DATABASE_URL"]))
        self.conn.autocommit = True
        for identity in ("ana", "bruno"):
            self.sql("INSERT INTO users (tenant_id, email, name, role, identity)"
                     " SELECT id, %s, %s, 'agent', %s FROM tenants WHERE account_sid = %s",
                     identity + "@example.com", identity.title(), identity, self.account)

    def cli(self, *args, input=None, env=None):
        return harness.run_cli(list(args), dict(self.env, **(env or {})), input=input)

    def ok(self, *args, input=None, env=None):
        r = self.cli(*args, input=input, env=env)
        assert r.returncode == 0, explain(args, r)
        return r

    def sql(self, statement, *args):
        with self.conn.cursor() as cur:
            cur.execute(statement, args)
            return cur.fetchall() if cur.description else None

    def row(self, e164):
        r = self.sql("SELECT p.sid, p.label, u.identity, p.bundle_sid, p.address_sid, p.hooks"
                     " FROM phone_numbers p LEFT JOIN users u ON u.id = p.owner_user_id WHERE p.e164 = %s", e164)
        return r[0] if r else None

    def numbers_in_table(self):
        return [e for (e,) in self.sql("SELECT e164 FROM phone_numbers ORDER BY e164")]

    def add_subaccount(self, environment="production"):
        sub, tok = random_account_sid(), random_token()
        self.fake.add_account(sub, tok, parent=self.account)
        self.fake.model_writes(sub)
        self.ok("tenant", "add", sub, input=tok + "\n")
        self.sql("UPDATE tenants SET environment = %s WHERE account_sid = %s", environment, sub)
        return sub

    def twilio_number(self, e164, account=None, **over):
        """A number already on the account at Twilio."""
        n = {"phone_number": e164, "friendly_name": e164, "voice_url": INBOUND, "voice_method": "POST",
             "voice_fallback_url": FALLBACK, "voice_fallback_method": "POST", "status_callback": STATUS,
             "status_callback_method": "POST", "voice_application_sid": None, "trunk_sid": None,
             "bundle_sid": None, "address_sid": None}
        n.update(over)
        return self.fake.add_resource(account or self.account, "incoming_phone_numbers", n)

    def close(self):
        self.conn.close()


def explain(args, r):
    return "%s: exit %s\n--- stdout\n%s--- stderr\n%s" % (" ".join(args), r.returncode, r.stdout, r.stderr)


def table(stdout):
    lines = [ln for ln in stdout.rstrip("\n").split("\n") if ln]
    header = lines[0].split("\t")
    return [dict(zip(header, ln.split("\t"))) for ln in lines[1:]]


def one_line(stderr):
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, "not one line:\n" + stderr
    return lines[0]


@pytest.fixture
def acct(pg, fake_twilio):
    a = Account(pg, fake_twilio)
    yield a
    a.close()
    assert fake_twilio.take_unexpected() == []


def sent(fake, method, path_regex):
    return fake.requests_to(method, path_regex)


# --------------------------------------------------------------------------
# search


def test_search_lists_the_numbers_of_the_ddd(acct, fake_twilio):
    fake_twilio.add_available("+551130030001", locality="São Paulo", region="SP")
    fake_twilio.add_available("+551140040002", locality="São Paulo", region="SP", address_requirements="local")
    fake_twilio.add_available("+552130001111", locality="Rio de Janeiro", region="RJ")
    r = acct.ok("number", "search", "--country", "BR", "--ddd", "11")
    rows = table(r.stdout)
    assert [x["number"] for x in rows] == ["+551130030001", "+551140040002"]
    assert rows[0]["locality"] == "São Paulo" and rows[1]["address_requirements"] == "local"
    (req,) = sent(fake_twilio, "GET", r"/AvailablePhoneNumbers/BR/Local\.json$")
    assert dict(req.query) == {"Contains": "+5511", "VoiceEnabled": "true", "PageSize": "20"}
    assert req.path == "/2010-04-01/Accounts/%s/AvailablePhoneNumbers/BR/Local.json" % acct.account

    # the digits right after the DDD; mobile and toll-free have their own lists
    fake_twilio.reset()
    fake_twilio.model_writes(acct.account)
    fake_twilio.add_available("+5511930030001", kind="Mobile")
    fake_twilio.add_available("+5511940040001", kind="Mobile")
    r = acct.ok("number", "search", "--ddd", "11", "--contains", "93003", "--type", "mobile", "--limit", "5")
    assert [x["number"] for x in table(r.stdout)] == ["+5511930030001"]
    (req,) = sent(fake_twilio, "GET", r"/AvailablePhoneNumbers/")
    assert req.path.endswith("/AvailablePhoneNumbers/BR/Mobile.json")
    assert dict(req.query) == {"Contains": "+551193003", "VoiceEnabled": "true", "PageSize": "5"}
    acct.ok("number", "search", "--type", "toll-free")
    req = sent(fake_twilio, "GET", r"/TollFree\.json$")[-1]
    assert "Contains" not in dict(req.query)


def test_empty_ddd_lists_the_other_ddds_of_its_state(acct, fake_twilio):
    fake_twilio.add_available("+551230001111", region="SP")
    fake_twilio.add_available("+551230002222", region="SP")
    fake_twilio.add_available("+551930003333", region="SP")
    fake_twilio.add_available("+552130004444", region="RJ")
    r = acct.ok("number", "search", "--ddd", "11")
    lines = r.stdout.splitlines()
    assert lines[0] == "ramal number search: Twilio has no local numbers with DDD 11 (São Paulo, SP)"
    assert lines[1] == "other DDDs of SP (São Paulo):"
    assert lines[2:] == ["  12: +551230001111, +551230002222", "  13: none", "  14: none", "  15: none",
                         "  16: none", "  17: none", "  18: none", "  19: +551930003333"]
    asked = [dict(q.query)["Contains"] for q in sent(fake_twilio, "GET", r"/AvailablePhoneNumbers/BR/Local")]
    assert asked == ["+5511"] + ["+55%d" % d for d in range(12, 20)]
    # a DDD whose state has no other one says so
    r = acct.ok("number", "search", "--ddd", "61")
    assert "no other DDD in DF" in r.stdout


@pytest.mark.parametrize("args,status,needle", [
    (["--ddd", "20"], 1, "DDD 20 does not exist in Brazil"),
    (["--ddd", "26"], 1, "DDD 26 does not exist"),
    (["--ddd", "1"], 2, "DDD 1 is not two digits"),
    (["--ddd", "11", "--type", "fax"], 2, "type fax"),
    (["--ddd", "11", "--contains", "30a3"], 2, "contains 30a3"),
    (["--ddd", "11", "--country", "AR"], 2, "only Brazil"),
    (["--ddd", "11", "--limit", "0"], 2, "--limit 0"),
    (["--ddd", "11", "--limit", "51"], 2, "limit 51"),
    (["--type", "toll-free", "--ddd", "11"], 2, "have no DDD"),
    ([], 2, "a DDD is needed"),
])
def test_search_refuses_bad_input_before_asking_twilio(acct, fake_twilio, args, status, needle):
    r = acct.cli("number", "search", *args)
    assert r.returncode == status, explain(args, r)
    assert needle in one_line(r.stderr) and r.stdout == ""
    assert fake_twilio.requests == []


# --------------------------------------------------------------------------
# buy


def test_buy_without_a_bundle_reports_twilios_21649(acct, fake_twilio):
    fake_twilio.add_available("+551130030001")
    r = acct.cli("number", "buy", "+551130030001")
    assert r.returncode == 1, explain(["buy"], r)
    line = one_line(r.stderr)
    assert line.startswith("ramal: number buy: buying +551130030001: HTTP 400, Twilio error 21649: ")
    assert "requires an approved regulatory Bundle" in line and "--bundle BU..." in line
    assert acct.numbers_in_table() == []
    # looked up first, then one purchase attempt
    assert [q.method for q in sent(fake_twilio, None, NUM_RE % acct.account)] == ["GET", "POST"]


def test_buy_with_a_bundle_then_again_buys_once(acct, fake_twilio):
    bundle = fake_twilio.add_bundle(acct.account)["sid"]
    fake_twilio.add_available("+551130030001")
    r = acct.ok("number", "buy", "+55 11 3003-0001", "--bundle", bundle, "--label", "Vendas", "--owner", "ana")
    (have,) = fake_twilio.numbers(acct.account)
    assert r.stdout == "ramal: bought +551130030001 (%s) for account %s; its webhooks point at %s\n" % (
        have["sid"], acct.account, BASE_URL)
    (post,) = sent(fake_twilio, "POST", NUM_RE % acct.account + r"\.json$")
    assert post.form_dict() == {
        "PhoneNumber": ["+551130030001"], "BundleSid": [bundle], "FriendlyName": ["Vendas"],
        "VoiceUrl": [INBOUND], "VoiceMethod": ["POST"], "VoiceFallbackUrl": [FALLBACK],
        "VoiceFallbackMethod": ["POST"], "StatusCallback": [STATUS], "StatusCallbackMethod": ["POST"]}
    sid_, label, owner, bundle_sid, address, hooks = acct.row("+551130030001")
    assert (sid_, label, owner, bundle_sid, address) == (have["sid"], "Vendas", "ana", bundle, None)
    assert hooks["voice_url"] == INBOUND and hooks["status_callback"] == STATUS

    # again: found on the account, nothing bought
    r = acct.ok("number", "buy", "+551130030001", "--bundle", bundle)
    assert "is already on account %s: stored in ramal, not bought again" % acct.account in r.stdout
    assert len(sent(fake_twilio, "POST", NUM_RE % acct.account)) == 1
    assert len(fake_twilio.numbers(acct.account)) == 1
    rows = table(acct.ok("number", "list").stdout)
    assert [(x["number"], x["sid"], x["owner"], x["bundle"], x["webhooks"]) for x in rows] == [
        ("+551130030001", have["sid"], "ana", bundle, "base_url")]


def test_a_purchase_cut_short_is_completed_by_the_next_run(acct, fake_twilio):
    """ramal is killed after Twilio sold the number and before it stored
    it; the next run finds it on the account and stores it, buying
    nothing."""
    bundle = fake_twilio.add_bundle(acct.account)["sid"]
    fake_twilio.add_available("+551130030001")
    waiting = fake_twilio.stall("POST", NUM_RE % acct.account + r"\.json$", 30)
    cwd = tempfile.mkdtemp(prefix="ramal-buy-")
    proc = subprocess.Popen([harness.ramal_bin(), "number", "buy", "+551130030001", "--bundle", bundle,
                             "--label", "Vendas"], env=harness.minimal_env(acct.env), cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert waiting.wait(30 * harness.slow_factor()), "the purchase never reached Twilio"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.stdout.close()
        proc.stderr.close()
        os.rmdir(cwd)
    assert len(fake_twilio.numbers(acct.account)) == 1, "Twilio sold it"
    assert acct.numbers_in_table() == [], "ramal stored nothing"

    r = acct.ok("number", "buy", "+551130030001", "--bundle", bundle, "--label", "Vendas")
    assert "not bought again" in r.stdout
    assert len(sent(fake_twilio, "POST", NUM_RE % acct.account + r"\.json$")) == 1
    (have,) = fake_twilio.numbers(acct.account)
    assert acct.row("+551130030001")[:4] == (have["sid"], "Vendas", None, bundle)


@pytest.mark.parametrize("args,status,needle", [
    (["11 3003-0001"], 2, "11 3003-0001 is not an E.164 number"),
    (["+55113003000a"], 2, "is not an E.164 number"),
    (["+551130030001", "--bundle", "BU123"], 2, "BU123 is not a regulatory bundle SID (BU + 32 hex digits)"),
    (["+551130030001", "--bundle", "AD" + "0" * 32], 2, "is not a regulatory bundle SID"),
    (["+551130030001", "--address", "AD12"], 2, "AD12 is not an address SID"),
    (["+551130030001", "--owner", "ghost"], 1, "has no agent with identity ghost"),
    (["+551130030001", "--account", "AC123"], 2, "--account AC123 is not an account SID"),
    (["+551130030001", "--account", "AC" + "1" * 32], 1, "unknown account AC" + "1" * 32),
])
def test_buy_refuses_bad_input_before_sending_anything(acct, fake_twilio, args, status, needle):
    fake_twilio.add_available("+551130030001", regulated=False)
    r = acct.cli("number", "buy", *args)
    assert r.returncode == status, explain(args, r)
    assert needle in one_line(r.stderr)
    assert fake_twilio.requests == []
    assert acct.numbers_in_table() == []


def test_buy_usage_errors(acct):
    r = acct.cli("number", "buy")
    assert r.returncode == 2 and "missing number" in r.stderr and "usage: ramal number buy" in r.stderr
    r = acct.cli("number", "buy", "+551130030001", "--bundle")
    assert r.returncode == 2 and "--bundle needs a value" in r.stderr


def test_a_number_no_longer_for_sale_is_twilios_21422(acct, fake_twilio):
    fake_twilio.add_available("+551130030001", regulated=False)
    r = acct.cli("number", "buy", "+551130039999")
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert "Twilio error 21422: PhoneNumber +551130039999 is not available" in line
    assert "search again" in line
    assert acct.numbers_in_table() == []


def test_twilio_down_is_one_line_and_nothing_stored(acct, fake_twilio):
    fake_twilio.add_available("+551130030001", regulated=False)
    fake_twilio.respond("POST", NUM_RE % acct.account + r"\.json$", 503,
                        {"code": 20500, "message": "Service Unavailable", "status": 503})
    r = acct.cli("number", "buy", "+551130030001")
    assert r.returncode == 1
    assert "HTTP 503, Twilio error 20500: Service Unavailable" in one_line(r.stderr)
    assert acct.numbers_in_table() == []
    bad = dict(acct.env, TWILIO_API_BASE="http://127.0.0.1:%d" % harness.free_port())
    r = harness.run_cli(["number", "buy", "+551130030001"], bad)
    assert r.returncode == 1 and "looking the number up on the account" in one_line(r.stderr)


def test_a_number_of_another_account_is_refused(acct, fake_twilio):
    sub = acct.add_subaccount()
    acct.ok("number", "add", "+551130030001", "--account", sub)
    fake_twilio.add_available("+551130030001", regulated=False)
    r = acct.cli("number", "buy", "+551130030001")
    assert r.returncode == 1
    assert "is a number of account %s in ramal, not of %s" % (sub, acct.account) in one_line(r.stderr)
    assert fake_twilio.requests == []


# --------------------------------------------------------------------------
# import


def test_import_takes_every_page_and_points_the_webhooks_here(acct, fake_twilio):
    fake_twilio.page_size_cap = 2
    bundle = sid("BU")
    nums = {
        "+551130000001": acct.twilio_number("+551130000001", friendly_name="Vendas", bundle_sid=bundle),
        "+551130000002": acct.twilio_number("+551130000002", friendly_name="Suporte", voice_url=OLD + "/in",
                                            status_callback=None),
        "+551130000003": acct.twilio_number("+551130000003", friendly_name="(11) 3000-0003"),
        "+551130000004": acct.twilio_number("+551130000004", friendly_name="Cobrança",
                                            voice_fallback_url=OLD + "/fb"),
        "+551130000005": acct.twilio_number("+551130000005", friendly_name="Matriz"),
    }
    # one is in the table already, without its SID and with a label of its own
    acct.ok("number", "add", "+551130000005", "--label", "Recepção")
    r = acct.ok("number", "import")
    assert "ramal number import: account %s: 4 added, 1 completed, 0 unchanged, 2 webhooks updated" % acct.account \
        in r.stdout
    assert "webhooks   +551130000002 (webhooks now at %s)" % BASE_URL in r.stdout
    pages = [dict(q.query).get("Page", "0") for q in sent(fake_twilio, "GET", NUM_RE % acct.account + r"\.json$")]
    assert pages[:3] == ["0", "1", "2"], pages
    rows = {e: acct.row(e) for e in nums}
    assert {e: (r_[0], r_[1], r_[3]) for e, r_ in rows.items()} == {
        "+551130000001": (nums["+551130000001"]["sid"], "Vendas", bundle),
        "+551130000002": (nums["+551130000002"]["sid"], "Suporte", None),
        "+551130000003": (nums["+551130000003"]["sid"], "(11) 3000-0003", None),
        "+551130000004": (nums["+551130000004"]["sid"], "Cobrança", None),
        "+551130000005": (nums["+551130000005"]["sid"], "Recepção", None),
    }
    for e in nums:
        have = fake_twilio.resource(acct.account, "incoming_phone_numbers", nums[e]["sid"])
        assert (have["voice_url"], have["voice_fallback_url"], have["status_callback"]) == (INBOUND, FALLBACK, STATUS)
    posts = sent(fake_twilio, "POST", NUM_RE % acct.account)
    assert sorted(q.path.rsplit("/", 1)[1] for q in posts) == sorted(
        nums[e]["sid"] + ".json" for e in ("+551130000002", "+551130000004"))
    assert all(q.form_dict()["StatusCallback"] == [STATUS] for q in posts)

    # again: nothing to do
    before = len(fake_twilio.requests)
    r = acct.ok("number", "import")
    assert r.stdout.splitlines()[-1] == "ramal number import: account %s: no changes (5 numbers)" % acct.account
    assert not [q for q in fake_twilio.requests[before:] if q.method != "GET"]


def test_import_names_numbers_the_account_does_not_have(acct, fake_twilio):
    acct.twilio_number("+551130000001")
    acct.ok("number", "add", "+551199990000")
    r = acct.ok("number", "import")
    assert "missing    +551199990000 (in ramal's table, not on the account at Twilio)" in r.stdout
    assert acct.numbers_in_table() == ["+551130000001", "+551199990000"]


# --------------------------------------------------------------------------
# release


def test_release_refuses_a_dedicated_line_unless_forced(acct, fake_twilio):
    pn = acct.twilio_number("+551130000001")["sid"]
    acct.ok("number", "add", "+551130000001", "--sid", pn, "--owner", "ana")
    r = acct.cli("number", "release", "+551130000001")
    assert r.returncode == 1
    assert "+551130000001 is the dedicated line of agent ana: nothing was released" in one_line(r.stderr)
    assert fake_twilio.requests == [] and acct.row("+551130000001") is not None
    r = acct.ok("number", "release", "+551130000001", "--force")
    assert r.stdout == "ramal: released +551130000001 (%s) at Twilio and removed it from ramal\n" % pn
    (d,) = sent(fake_twilio, "DELETE", NUM_RE % acct.account)
    assert d.path.endswith("/IncomingPhoneNumbers/%s.json" % pn)
    assert fake_twilio.numbers(acct.account) == [] and acct.numbers_in_table() == []


def test_release_by_sid_and_a_rerun_after_twilio_let_it_go(acct, fake_twilio):
    pn = acct.twilio_number("+551130000001")["sid"]
    acct.ok("number", "add", "+551130000001", "--sid", pn)
    # released at Twilio (by an earlier run cut short, or in the Console)
    fake_twilio.remove_resource(acct.account, "incoming_phone_numbers", pn)
    r = acct.ok("number", "release", pn)
    assert "was already gone from account %s at Twilio; removed it from ramal" % acct.account in r.stdout
    assert acct.numbers_in_table() == []
    r = acct.cli("number", "release", pn)
    assert r.returncode == 1 and "has no number %s" % pn in one_line(r.stderr)


def test_release_keeps_the_row_when_twilio_fails(acct, fake_twilio):
    pn = acct.twilio_number("+551130000001")["sid"]
    acct.ok("number", "add", "+551130000001", "--sid", pn)
    fake_twilio.respond("DELETE", pn, 500, {"code": 20500, "message": "Internal Server Error", "status": 500})
    r = acct.cli("number", "release", "+551130000001")
    assert r.returncode == 1 and "releasing +551130000001: HTTP 500" in one_line(r.stderr)
    assert acct.numbers_in_table() == ["+551130000001"]
    r = acct.cli("number", "release", "+55 11")
    assert r.returncode == 2 and "neither an E.164 number" in one_line(r.stderr)


# --------------------------------------------------------------------------
# list


def test_list_says_where_the_webhooks_point_stored_or_read_now(acct, fake_twilio):
    here = acct.twilio_number("+551130000001")
    there = acct.twilio_number("+551130000002", voice_url=OLD + "/twilio/voice/inbound")
    acct.ok("number", "add", "+551130000003", "--label", "à mão")
    acct.ok("number", "import")  # syncs, stores what it read
    rows = {x["number"]: x for x in table(acct.ok("number", "list").stdout)}
    assert {e: rows[e]["webhooks"] for e in rows} == {
        "+551130000001": "base_url", "+551130000002": "base_url", "+551130000003": "unknown"}
    assert rows["+551130000003"]["webhooks_read"] == "never"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows["+551130000001"]["webhooks_read"])

    # someone points one elsewhere in the Console: stored data still says
    # base_url until read again
    fake_twilio.resource(acct.account, "incoming_phone_numbers", there["sid"])["voice_url"] = OLD + "/x"
    r = acct.ok("number", "list")
    assert table(r.stdout)[1]["webhooks"] == "base_url"
    assert "as stored at the last buy, import, sync or --twilio read" in r.stderr
    r = acct.ok("number", "list", "--twilio")
    rows = {x["number"]: x for x in table(r.stdout)}
    assert rows["+551130000002"]["webhooks"] == "elsewhere" and rows["+551130000001"]["webhooks"] == "base_url"
    assert "as read from Twilio now" in r.stderr
    assert here["sid"] == rows["+551130000001"]["sid"]


# --------------------------------------------------------------------------
# sync-webhooks


def old_deployment(acct, fake):
    """Numbers, TwiML App, workspace and workflow pointing at OLD."""
    a = acct.account
    n1 = acct.twilio_number("+551130000001", voice_url=OLD + "/twilio/voice/inbound",
                            voice_fallback_url=OLD + "/twilio/voice/fallback", status_callback=OLD + "/twilio/status")
    n2 = acct.twilio_number("+551130000002")  # already right
    n3 = acct.twilio_number("+551130000003", voice_method="GET", status_callback=None)
    for n in (n1, n2, n3):
        acct.ok("number", "add", n["phone_number"], "--sid", n["sid"])
    app = fake.add_resource(a, "applications", {"voice_url": OLD + "/twilio/voice/outbound", "voice_method": "POST",
                                                "friendly_name": "ramal"})
    ws = fake.add_resource(a, "workspaces", {"friendly_name": "ramal", "event_callback_url": OLD + "/ev"})
    ww = fake.add_resource(a, "workflows", {"friendly_name": "ramal", "workspace_sid": ws["sid"],
                                            "assignment_callback_url": ASSIGNMENT,
                                            "fallback_assignment_callback_url": OLD + "/fb"})
    acct.sql("INSERT INTO taskrouter_config (tenant_id, workspace_sid, workflow_sid, task_queue_sid,"
             " activity_available_sid, activity_busy_sid, activity_offline_sid, activity_wrapup_sid)"
             " SELECT id, %s, %s, %s, %s, %s, %s, %s FROM tenants WHERE account_sid = %s",
             ws["sid"], ww["sid"], sid("WQ"), sid("WA"), sid("WA"), sid("WA"), sid("WA"), a)
    return n1, n2, n3, app, ws, ww


def test_sync_prints_the_diff_and_a_dry_run_changes_nothing(pg, fake_twilio):
    acct = Account(pg, fake_twilio, TWILIO_TWIML_APP_SID=sid("AP"))
    try:
        n1, n2, n3, app, ws, ww = old_deployment(acct, fake_twilio)
        fake_twilio.resource(acct.account, "applications", app["sid"])
        fake_twilio.remove_resource(acct.account, "applications", app["sid"])
        app = fake_twilio.add_resource(acct.account, "applications", dict(app), sid=acct.env["TWILIO_TWIML_APP_SID"])
        r = acct.ok("sync-webhooks", "--dry-run")
        lines = r.stdout.splitlines()
        expected = [
            "  number +551130000001 %s: VoiceUrl %s/twilio/voice/inbound -> %s" % (n1["sid"], OLD, INBOUND),
            "  number +551130000001 %s: VoiceFallbackUrl %s/twilio/voice/fallback -> %s" % (n1["sid"], OLD, FALLBACK),
            "  number +551130000001 %s: StatusCallback %s/twilio/status -> %s" % (n1["sid"], OLD, STATUS),
            "  number +551130000003 %s: VoiceMethod GET -> POST" % n3["sid"],
            "  number +551130000003 %s: StatusCallback (none) -> %s" % (n3["sid"], STATUS),
            "  TwiML App %s: VoiceUrl %s/twilio/voice/outbound -> %s" % (app["sid"], OLD, OUTBOUND),
            "  TaskRouter workspace %s: EventCallbackUrl %s/ev -> %s" % (ws["sid"], OLD, EVENTS),
            "  TaskRouter workflow %s: FallbackAssignmentCallbackUrl %s/fb -> %s" % (ww["sid"], OLD, ASSIGNMENT),
        ]
        assert [ln for ln in lines if " -> " in ln] == expected
        assert "  5 to update, 1 already at BASE_URL" in lines
        assert "  dry run: nothing was changed" in lines
        assert lines[-1] == "ramal sync-webhooks: dry run: 5 would be updated, 1 already at BASE_URL"
        assert [q.method for q in fake_twilio.requests] == ["GET"] * len(fake_twilio.requests)
        assert acct.row("+551130000001")[5] is None, "a dry run stores nothing"

        r = acct.ok("sync-webhooks")
        assert "  updated and verified: 5" in r.stdout
        assert r.stdout.splitlines()[-1] == "ramal sync-webhooks: done: 5 updated and verified, 1 already at BASE_URL"
        got = lambda kind, s, *f: tuple(fake_twilio.resource(acct.account, kind, s)[k] for k in f)
        for n in (n1, n3):
            assert got("incoming_phone_numbers", n["sid"], "voice_url", "voice_method", "voice_fallback_url",
                       "status_callback") == (INBOUND, "POST", FALLBACK, STATUS)
        assert got("applications", app["sid"], "voice_url") == (OUTBOUND,)
        assert got("workspaces", ws["sid"], "event_callback_url") == (EVENTS,)
        assert got("workflows", ww["sid"], "assignment_callback_url", "fallback_assignment_callback_url") == (
            ASSIGNMENT, ASSIGNMENT)
        (wf,) = sent(fake_twilio, "POST", r"/Workflows/")
        assert wf.form_dict() == {"AssignmentCallbackUrl": [ASSIGNMENT], "FallbackAssignmentCallbackUrl": [ASSIGNMENT]}
        (a,) = sent(fake_twilio, "POST", r"/Applications/")
        assert a.form_dict() == {"VoiceUrl": [OUTBOUND], "VoiceMethod": ["POST"]}
        # each update is followed by a read of the same resource
        for q in sent(fake_twilio, "POST", ""):
            after = [x for x in fake_twilio.requests if x.seq > q.seq and x.path == q.path]
            assert after and after[0].method == "GET", q
        assert acct.row("+551130000001")[5]["voice_url"] == INBOUND

        before = len(fake_twilio.requests)
        r = acct.ok("sync-webhooks")
        assert "  0 to update, 6 already at BASE_URL" in r.stdout
        assert not [q for q in fake_twilio.requests[before:] if q.method != "GET"]
    finally:
        acct.close()
        assert fake_twilio.take_unexpected() == []


def test_sync_fails_loudly_when_twilio_keeps_an_old_url(acct, fake_twilio):
    n1, *_ = old_deployment(acct, fake_twilio)
    fake_twilio.freeze(acct.account, "incoming_phone_numbers", n1["sid"], "voice_url")
    r = acct.cli("sync-webhooks")
    assert r.returncode == 1, explain(["sync-webhooks"], r)
    assert "  FAILED number +551130000001 %s: VoiceUrl is still %s/twilio/voice/inbound after the update" % (
        n1["sid"], OLD) in r.stdout
    assert "ramal: sync-webhooks: number +551130000001 %s: VoiceUrl is still" % n1["sid"] in r.stderr
    assert "not everything points at %s" % BASE_URL in r.stderr
    # what took, took; what was read is stored
    have = fake_twilio.resource(acct.account, "incoming_phone_numbers", n1["sid"])
    assert (have["voice_url"], have["status_callback"]) == (OLD + "/twilio/voice/inbound", STATUS)
    assert acct.row("+551130000001")[5]["voice_url"] == OLD + "/twilio/voice/inbound"


def test_sync_refuses_a_tenant_of_another_environment(acct, fake_twilio):
    old_deployment(acct, fake_twilio)
    sub = acct.add_subaccount(environment="staging")
    s1 = acct.twilio_number("+551140000001", account=sub, voice_url=OLD + "/in")
    acct.ok("number", "add", "+551140000001", "--sid", s1["sid"], "--account", sub)

    r = acct.cli("sync-webhooks", "--account", sub)
    assert r.returncode == 1
    assert ("account %s is a tenant of the staging environment and this deployment is production "
            "(RAMAL_ENVIRONMENT): nothing was changed at Twilio; use --force" % sub) in r.stderr
    assert not sent(fake_twilio, "POST", sub)

    # --all: every tenant of this environment, the others named and left out
    r = acct.ok("sync-webhooks", "--all")
    assert "account %s (staging): left out: another environment (--force includes it)" % sub in r.stdout
    assert not sent(fake_twilio, "POST", sub) and sent(fake_twilio, "POST", acct.account)

    # a staging deployment does not touch the production main account
    r = acct.cli("sync-webhooks", env={"RAMAL_ENVIRONMENT": "staging"})
    assert r.returncode == 1 and "the production environment and this deployment is staging" in r.stderr
    r = acct.cli("number", "import", env={"RAMAL_ENVIRONMENT": "staging"})
    assert r.returncode == 1 and "nothing was changed at Twilio" in one_line(r.stderr)
    r = acct.ok("sync-webhooks", "--account", sub, env={"RAMAL_ENVIRONMENT": "staging"})
    assert fake_twilio.resource(sub, "incoming_phone_numbers", s1["sid"])["voice_url"] == INBOUND

    # --force lifts the guard
    fake_twilio.resource(sub, "incoming_phone_numbers", s1["sid"])["voice_url"] = OLD + "/in"
    acct.ok("sync-webhooks", "--account", sub, "--force")
    assert fake_twilio.resource(sub, "incoming_phone_numbers", s1["sid"])["voice_url"] == INBOUND


def test_sync_names_what_it_cannot_fix(acct, fake_twilio):
    n = acct.twilio_number("+551130000001", voice_application_sid=sid("AP"))
    acct.ok("number", "add", "+551130000001", "--sid", n["sid"])
    acct.ok("number", "add", "+551199990000")
    r = acct.cli("sync-webhooks")
    assert r.returncode == 1
    assert "number +551130000001 %s: cannot be synced: its calls go to TwiML App" % n["sid"] in r.stdout
    assert "note: number +551199990000 is in ramal's table but not on account" in r.stdout
    assert "note: no TaskRouter workspace is provisioned" in r.stdout
    r = acct.cli("sync-webhooks", "--all", "--account", acct.account)
    assert r.returncode == 2 and "do not go together" in r.stderr


def test_bad_environment_name_is_a_configuration_error(acct):
    r = acct.cli("sync-webhooks", env={"RAMAL_ENVIRONMENT": "Produção"})
    assert r.returncode == 2 and "RAMAL_ENVIRONMENT: must be a name" in one_line(r.stderr)


# --------------------------------------------------------------------------
# regulatory bundles: the daily job, number list, doctor


def test_a_bundle_that_leaves_approved_is_logged_listed_and_doctored(acct, fake_twilio, ramal_factory):
    bundle = fake_twilio.add_bundle(acct.account, status="in-review")["sid"]
    n = acct.twilio_number("+551130000001", bundle_sid=bundle)
    acct.ok("number", "import")
    srv = ramal_factory.start(env=dict(acct.env, LOG_LEVEL="info", JOB_WORKERS="1"))
    srv.wait_log(lambda rec: rec.get("msg", "").startswith("regulatory bundle is not approved"), timeout=20)
    (rec,) = [x for x in srv.records() if x.get("msg", "").startswith("regulatory bundle is not approved")]
    assert (rec["level"], rec["bundle"], rec["status"], rec["account"]) == ("warn", bundle, "in-review", acct.account)
    (get,) = sent(fake_twilio, "GET", r"^/v2/RegulatoryCompliance/Bundles/")
    assert get.path == "/v2/RegulatoryCompliance/Bundles/%s" % bundle and get.auth_user == acct.account
    # the next run is queued a day later, keyed by its day (the warning is
    # logged before the run commits: wait for it)
    deadline = time.monotonic() + 10 * harness.slow_factor()
    while True:
        jobs = acct.sql("SELECT state, dedupe_key, run_at > now() + interval '23 hours' FROM jobs"
                        " WHERE kind = 'numbers.bundles' ORDER BY id")
        if [j[0] for j in jobs] == ["done", "queued"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [j[0] for j in jobs] == ["done", "queued"] and jobs[1][2], jobs
    assert re.fullmatch(r"numbers\.bundles:\d{4}-\d\d-\d\d", jobs[1][1]) and jobs[0][1] != jobs[1][1]

    (row,) = table(acct.ok("number", "list").stdout)
    assert (row["number"], row["bundle"], row["bundle_status"]) == ("+551130000001", bundle, "in-review")
    r = harness.run_cli(["doctor"], acct.env)
    assert ("FAIL regulatory bundle %s (+551130000001): it is in-review, not twilio-approved" % bundle) in r.stdout

    fake_twilio.resource(acct.account, "bundles", bundle)["status"] = "twilio-approved"
    r = harness.run_cli(["doctor"], acct.env)
    assert "ok   regulatory bundle %s (+551130000001) twilio-approved" % bundle in r.stdout
    assert n["sid"] in acct.row("+551130000001")
