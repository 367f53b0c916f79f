"""`ramal provision`: TaskRouter set-up against the fake Twilio API.

Runs `ramal provision` when the binary has the command, otherwise the test
tool provisionctl (tests/tools/provisionctl.c, built into RAMAL_TOOLS),
which loads the configuration from the environment and calls the same
provision_run().  Every request must pass the fake's OpenAPI checks.

The fake Twilio API keeps no state, so the tests that need Twilio to
"remember" resources program its answers (TaskRouterState) from what an
earlier run created.
"""

import json
import os
import re
import secrets
import subprocess
import tempfile

import pytest

from ramaltest import harness
from ramaltest.database import dbname_of
from ramaltest.server import BASE_URL, RamalFactory

TOOLS = harness.TOOLS
PROVISIONCTL = os.path.join(TOOLS, "provisionctl")
EVENTS_URL = BASE_URL + "/twilio/taskrouter/events"
ASSIGNMENT_URL = BASE_URL + "/twilio/taskrouter/assignment"
ACTIVITIES = {"Available": "true", "Busy": "false", "Offline": "false", "Wrap-up": "false"}
REPORT_RE = re.compile(r"^  (workspace|activity|task queue|workflow|worker)\s+(\S+)\s+([A-Z]{2}[0-9a-f]{32})\s+"
                       r"(found|created|updated)$")

_has_command = {}

# TaskRouter's expression grammar (https://www.twilio.com/docs/taskrouter/expression-syntax):
# string, number and boolean constants, JSON keys (dotted), comparison and
# logical operators, lists; hyphens are not supported.
EXPR_TOKEN = re.compile(r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<num>[0-9]+(?:\.[0-9]+)?)"""
                        r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
                        r"|(?P<op>==|!=|>=|<=|>|<|\(|\)|\[|\]|,))")
EXPR_KEYWORDS = {"and", "or", "not", "has", "in", "contains"}


def assert_documented_expression(expr):
    """Every token of expr is a documented constant, key, operator or
    keyword; null (an undocumented constant) and hyphens are refused."""
    pos, words = 0, []
    expr = expr.strip()
    while pos < len(expr):
        m = EXPR_TOKEN.match(expr, pos)
        assert m and m.end() > pos, "not TaskRouter's grammar at %r in %r" % (expr[pos:], expr)
        if m.group("word"):
            words.append(m.group("word"))
        pos = m.end()
    for w in words:
        assert w.lower() != "null", "null is not a documented constant: %r" % expr
    return words


def provision_argv():
    """`ramal provision` once main.c has it, else provisionctl."""
    binary = harness.ramal_bin()
    if binary not in _has_command:
        r = subprocess.run([binary, "help"], capture_output=True, text=True,
                           env=harness.minimal_env(), timeout=30)
        _has_command[binary] = re.search(r"^\s+provision\b", r.stdout + r.stderr, re.M) is not None
    if _has_command[binary]:
        return [binary, "provision"]
    if not os.path.exists(PROVISIONCTL):
        pytest.fail("no %s (make tools, or set RAMAL_TOOLS)" % PROVISIONCTL)
    return [PROVISIONCTL]


def provision(env, timeout=60):
    cwd = tempfile.mkdtemp(prefix="ramal-prov-")
    try:
        r = subprocess.run(provision_argv(), env=harness.minimal_env(env), cwd=cwd,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout * harness.slow_factor())
    finally:
        os.rmdir(cwd)
    harness.assert_no_sanitizer_reports(r.stderr, "provision")
    r.report = [m.groups() for m in map(REPORT_RE.match, r.stdout.splitlines()) if m]
    return r


def outcomes(r):
    return {(kind, name): (sid, outcome) for kind, name, sid, outcome in r.report}


class Setup:
    """A fresh database with the primary tenant and some agents."""

    def __init__(self, pg, fake, **overrides):
        self.fake = fake
        self.env = RamalFactory(pg, fake).env(LOG_LEVEL="debug", **overrides)
        self.account = self.env["TWILIO_ACCOUNT_SID"]
        self.token = self.env["TWILIO_AUTH_TOKEN"]
        fake.add_account(self.account, self.token)
        r = harness.run_cli(["migrate"], self.env)
        assert r.returncode == 0, r.stderr
        r = harness.run_cli(["tenant", "add", self.account], self.env, input=self.token + "\n")
        assert r.returncode == 0, r.stderr
        self.conn = pg.connect(dbname_of(self.env["DATABASE_URL"]))
        self.conn.autocommit = True

    def add_user(self, identity, name, role="agent", worker_sid=None, disabled=False):
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO users (tenant_id, email, name, role, identity, worker_sid, disabled)"
                " SELECT id, %s, %s, %s, %s, %s, %s FROM tenants WHERE account_sid = %s RETURNING id",
                (identity.lower() + "@example.com", name, role, identity, worker_sid, disabled,
                 self.account))
            return cur.fetchone()[0]

    def query(self, sql, *args):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def config_row(self):
        rows = self.query(
            "SELECT workspace_sid, workflow_sid, task_queue_sid, activity_available_sid,"
            " activity_busy_sid, activity_offline_sid, activity_wrapup_sid FROM taskrouter_config")
        assert len(rows) <= 1
        return rows[0] if rows else None

    def workers(self):
        return dict(self.query("SELECT identity, worker_sid FROM users ORDER BY id"))

    def close(self):
        self.conn.close()


@pytest.fixture
def setup(pg, fake_twilio):
    s = Setup(pg, fake_twilio)
    yield s
    s.close()
    assert fake_twilio.take_unexpected() == []


def meta(key, url):
    return {"first_page_url": url, "key": key, "next_page_url": None, "page": 0, "page_size": 100,
            "previous_page_url": None, "url": url}


class TaskRouterState:
    """Programs the fake to answer as a Twilio account holding these
    TaskRouter resources (dicts shaped like Twilio's JSON)."""

    def __init__(self, fake):
        self.fake = fake

    def listing(self, path, key, items):
        self.fake.respond("GET", "^%s$" % re.escape(path), 200,
                          {key: items, "meta": meta(key, self.fake.url + path)})

    def instances(self, path, items):
        for it in items:
            self.fake.respond("GET", "^%s/%s$" % (re.escape(path), it["sid"]), 200, it)

    def program(self, workspace, activities=(), queues=(), workflows=(), workers=()):
        ws = workspace["sid"]
        base = "/v1/Workspaces/" + ws
        self.listing("/v1/Workspaces", "workspaces", [workspace])
        self.instances("/v1/Workspaces", [workspace])
        self.listing(base + "/Activities", "activities", list(activities))
        self.listing(base + "/TaskQueues", "task_queues", list(queues))
        self.instances(base + "/TaskQueues", queues)
        self.listing(base + "/Workflows", "workflows", list(workflows))
        self.instances(base + "/Workflows", workflows)
        self.listing(base + "/Workers", "workers", list(workers))
        self.instances(base + "/Workers", workers)


def sid(prefix):
    return prefix + secrets.token_hex(16)


def created_posts(fake):
    """POSTs to list resources (creates), by path."""
    return [r for r in fake.requests_to("POST")
            if not re.search(r"/(WS|WA|WQ|WW|WK)[0-9a-f]{32}$", r.path)]


def form_of(req):
    return {k: v[0] for k, v in req.form_dict().items()}


def state_from_first_run(fake, setup, r):
    """The resources a first run created, as Twilio would now list them."""
    ws, ww, wq, *acts = setup.config_row()
    posts = fake.requests_to("POST")
    wsf = form_of([p for p in posts if p.path == "/v1/Workspaces"][0])
    wff = form_of([p for p in posts if p.path.endswith("/Workflows")][0])
    wqf = form_of([p for p in posts if p.path.endswith("/TaskQueues")][0])
    workspace = {"sid": ws, "friendly_name": "ramal", "event_callback_url": wsf["EventCallbackUrl"],
                 "events_filter": wsf["EventsFilter"], "account_sid": setup.account}
    activities = [{"sid": s, "friendly_name": n, "available": a == "true", "workspace_sid": ws}
                  for (n, a), s in zip(ACTIVITIES.items(), acts)]
    queue = {"sid": wq, "friendly_name": "equipe", "target_workers": wqf["TargetWorkers"], "workspace_sid": ws}
    workflow = {"sid": ww, "friendly_name": "ramal", "configuration": wff["Configuration"],
                "assignment_callback_url": wff["AssignmentCallbackUrl"],
                "fallback_assignment_callback_url": wff["FallbackAssignmentCallbackUrl"],
                "task_reservation_timeout": int(wff["TaskReservationTimeout"]), "workspace_sid": ws}
    workers = []
    for p in posts:
        if p.path.endswith("/Workers"):
            f = form_of(p)
            workers.append({"sid": outcomes(r)[("worker", f["FriendlyName"])][0],
                            "friendly_name": f["FriendlyName"], "attributes": f["Attributes"],
                            "workspace_sid": ws})
    return dict(workspace=workspace, activities=activities, queues=[queue], workflows=[workflow],
                workers=workers)


# --------------------------------------------------------------------------


def test_first_run_creates_everything(setup, fake_twilio):
    ana = setup.add_user("ana", "Ana Souza")
    setup.add_user("bruno_2", "Bruno", role="supervisor")
    setup.add_user("carla", "Carla", disabled=True)
    setup.add_user("dani", "Dani", worker_sid=sid("WK"))
    setup.add_user("root", "Admin", role="admin")

    r = provision(setup.env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert fake_twilio.violations == []
    got = outcomes(r)
    assert {o for _, o in got.values()} == {"created"}
    assert set(got) == {("workspace", "ramal"), ("activity", "Available"), ("activity", "Busy"),
                        ("activity", "Offline"), ("activity", "Wrap-up"), ("task queue", "equipe"),
                        ("workflow", "ramal"), ("worker", "ana"), ("worker", "bruno_2")}

    # every request authenticated as the account, on the TaskRouter base
    reqs = fake_twilio.requests
    assert reqs and all(q.auth_user == setup.account for q in reqs)
    assert all(q.product == "taskrouter_v1" for q in reqs)

    posts = {q.path: q for q in created_posts(fake_twilio) if not q.path.endswith(("/Activities", "/Workers"))}
    ws = setup.config_row()[0]
    wsf = form_of(posts["/v1/Workspaces"])
    assert wsf["FriendlyName"] == "ramal"
    assert wsf["EventCallbackUrl"] == EVENTS_URL
    events = set(wsf["EventsFilter"].split(","))
    assert {"worker.activity.update", "reservation.created", "reservation.accepted",
            "reservation.completed", "task.created", "task.canceled", "task.completed"} <= events
    acts = [form_of(q) for q in fake_twilio.requests_to("POST", r"/Activities$")]
    assert {a["FriendlyName"]: a["Available"] for a in acts} == ACTIVITIES

    wqf = form_of(posts["/v1/Workspaces/%s/TaskQueues" % ws])
    assert wqf["FriendlyName"] == "equipe" and wqf["TargetWorkers"]

    wff = form_of(posts["/v1/Workspaces/%s/Workflows" % ws])
    assert wff["FriendlyName"] == "ramal"
    assert wff["AssignmentCallbackUrl"] == ASSIGNMENT_URL
    assert wff["FallbackAssignmentCallbackUrl"] == ASSIGNMENT_URL
    ws_sid, ww, wq, *_ = setup.config_row()
    routing = json.loads(wff["Configuration"])["task_routing"]
    assert routing["default_filter"] == {"queue": wq}
    (flt,) = routing["filters"]
    assert "dedicated_agent" in flt["expression"]
    # only what TaskRouter's expression grammar documents (no null)
    assert flt["expression"].replace(" ", "") == "dedicated_agent!=''"
    for expr in [flt["expression"], wqf["TargetWorkers"]] + [t["expression"] for t in flt["targets"] if "expression" in t]:
        assert_documented_expression(expr)
    first, team = flt["targets"]
    # dedicated first: the worker whose identity the task names, for a while
    assert first["queue"] == wq
    assert first["expression"].replace(" ", "") == "worker.identity==task.dedicated_agent"
    assert 5 <= first["timeout"] <= 60
    # then overflow to the whole team
    assert team["queue"] == wq and "expression" not in team

    # workers: FriendlyName = identity, attributes for the softphone
    wk = {form_of(q)["FriendlyName"]: form_of(q) for q in fake_twilio.requests_to("POST", r"/Workers$")}
    assert set(wk) == {"ana", "bruno_2"}
    assert json.loads(wk["ana"]["Attributes"]) == {"identity": "ana", "contact_uri": "client:ana",
                                                    "name": "Ana Souza"}
    offline = setup.config_row()[5]
    assert wk["ana"]["ActivitySid"] == offline

    # SIDs stored, and printed for the environment
    row = setup.config_row()
    assert row[0] == got[("workspace", "ramal")][0] == ws_sid
    assert row[1] == got[("workflow", "ramal")][0]
    assert row[2] == got[("task queue", "equipe")][0]
    assert row[3:] == tuple(got[("activity", n)][0] for n in ACTIVITIES)
    workers = setup.workers()
    assert workers["ana"] == got[("worker", "ana")][0]
    assert workers["bruno_2"] == got[("worker", "bruno_2")][0]
    assert workers["carla"] is None and workers["root"] is None
    assert "TWILIO_WORKSPACE_SID=%s" % row[0] in r.stdout.splitlines()
    assert "TWILIO_WORKFLOW_SID=%s" % row[1] in r.stdout.splitlines()
    assert ana

    # the auth token never reaches the output, even at debug level
    assert setup.token not in r.stdout + r.stderr
    assert "twilio request" in r.stderr  # debug lines: method, path, status


def test_second_run_changes_nothing(setup, fake_twilio):
    setup.add_user("ana", "Ana Souza")
    first = provision(setup.env)
    assert first.returncode == 0, first.stderr
    state = state_from_first_run(fake_twilio, setup, first)
    row, workers = setup.config_row(), setup.workers()

    fake_twilio.reset()
    TaskRouterState(fake_twilio).program(**state)
    second = provision(setup.env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert fake_twilio.violations == []
    assert fake_twilio.requests_to("POST") == [], "a second run sent %s" % fake_twilio.requests_to("POST")
    assert fake_twilio.requests_to("DELETE") == []
    assert {o for _, o in outcomes(second).values()} == {"found"}
    assert setup.config_row() == row and setup.workers() == workers
    assert "TWILIO_WORKSPACE_SID=%s" % row[0] in second.stdout

    # a fresh database against the same account finds everything by name
    fake_twilio.reset()
    TaskRouterState(fake_twilio).program(**state)
    with setup.conn.cursor() as cur:
        cur.execute("DELETE FROM taskrouter_config")
        cur.execute("UPDATE users SET worker_sid = NULL")
    third = provision(setup.env)
    assert third.returncode == 0, third.stderr
    assert fake_twilio.requests_to("POST") == []
    assert setup.config_row() == row and setup.workers() == workers
    searched = [q for q in fake_twilio.requests_to("GET", r"^/v1/Workspaces$")]
    assert searched and ("FriendlyName", "ramal") in searched[0].query


def test_existing_resources_are_reused_and_synced(setup, fake_twilio):
    """An account that already has a "ramal" workspace with the default
    activities, an old workflow and a worker for the agent."""
    setup.add_user("ana", "Ana Souza")
    ws = sid("WS")
    offline, available, unavailable = sid("WA"), sid("WA"), sid("WA")
    old_worker = sid("WK")
    wf = sid("WW")
    state = dict(
        workspace={"sid": ws, "friendly_name": "ramal", "event_callback_url": "https://old.example/ev",
                   "events_filter": None},
        activities=[{"sid": offline, "friendly_name": "Offline", "available": False},
                    {"sid": available, "friendly_name": "Available", "available": True},
                    {"sid": unavailable, "friendly_name": "Unavailable", "available": False}],
        workflows=[{"sid": wf, "friendly_name": "ramal", "configuration": "{}",
                    "assignment_callback_url": "https://old.example/a",
                    "fallback_assignment_callback_url": None, "task_reservation_timeout": 120}],
        workers=[{"sid": old_worker, "friendly_name": "ana",
                  "attributes": json.dumps({"identity": "ana", "skills": ["pt"]})}],
    )
    TaskRouterState(fake_twilio).program(**state)
    # the activity list comes in two pages (absolute next_page_url)
    page2 = "/v1/Workspaces/%s/Activities" % ws
    fake_twilio.respond("GET", "^%s$" % page2, 200, {
        "activities": state["activities"][1:],
        "meta": meta("activities", fake_twilio.url + page2)})
    fake_twilio.respond("GET", "^%s$" % page2, 200, {
        "activities": state["activities"][:1],
        "meta": dict(meta("activities", fake_twilio.url + page2),
                     next_page_url=fake_twilio.url + page2 + "?PageSize=1&Page=1&PageToken=PT1")},
        times=1)

    r = provision(setup.env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert fake_twilio.violations == []
    got = outcomes(r)
    assert got[("workspace", "ramal")] == (ws, "updated")
    assert got[("activity", "Offline")] == (offline, "found")
    assert got[("activity", "Available")] == (available, "found")
    assert got[("activity", "Busy")][1] == "created"
    assert got[("activity", "Wrap-up")][1] == "created"
    assert got[("task queue", "equipe")][1] == "created"
    assert got[("workflow", "ramal")] == (wf, "updated")
    assert got[("worker", "ana")] == (old_worker, "updated")

    assert not fake_twilio.requests_to("POST", r"^/v1/Workspaces$")
    upd = form_of(fake_twilio.requests_to("POST", "^/v1/Workspaces/%s$" % ws)[0])
    assert upd["EventCallbackUrl"] == EVENTS_URL
    upd = form_of(fake_twilio.requests_to("POST", "/Workflows/%s$" % wf)[0])
    assert upd["AssignmentCallbackUrl"] == ASSIGNMENT_URL
    assert json.loads(upd["Configuration"])["task_routing"]["filters"]
    upd = form_of(fake_twilio.requests_to("POST", "/Workers/%s$" % old_worker)[0])
    # the worker keeps its own attributes; ramal's are added
    assert json.loads(upd["Attributes"]) == {"identity": "ana", "skills": ["pt"], "contact_uri": "client:ana",
                                             "name": "Ana Souza"}
    pages = fake_twilio.requests_to("GET", "^%s$" % page2)
    assert len(pages) == 2 and ("PageToken", "PT1") in pages[1].query
    row = setup.config_row()
    assert row[0] == ws and row[1] == wf and row[3] == available and row[5] == offline
    assert setup.workers()["ana"] == old_worker


def test_api_key_credentials(pg, fake_twilio):
    key, secret = sid("SK"), secrets.token_hex(16)
    s = Setup(pg, fake_twilio, TWILIO_API_KEY_SID=key, TWILIO_API_KEY_SECRET=secret)
    try:
        fake_twilio.add_api_key(key, secret, s.account)
        r = provision(s.env)
        assert r.returncode == 0, r.stderr
        assert {q.auth_user for q in fake_twilio.requests} == {key}
        assert secret not in r.stdout + r.stderr
        assert fake_twilio.violations == []
    finally:
        s.close()


def test_wrong_credentials_fail_clearly(pg, fake_twilio):
    s = Setup(pg, fake_twilio)
    try:
        s.add_user("ana", "Ana")
        env = dict(s.env, TWILIO_AUTH_TOKEN=secrets.token_hex(16))
        r = provision(env)
        assert r.returncode == 1
        assert "401" in r.stderr and "20003" in r.stderr
        assert "TWILIO_AUTH_TOKEN" in r.stderr
        assert env["TWILIO_AUTH_TOKEN"] not in r.stdout + r.stderr
        assert s.config_row() is None and s.workers()["ana"] is None
    finally:
        s.close()
        fake_twilio.take_unexpected()  # the 401s were provoked on purpose


def test_twilio_error_midway_stores_nothing(setup, fake_twilio):
    setup.add_user("ana", "Ana")
    setup.add_user("bia", "Bia")
    fake_twilio.respond("POST", r"/Workers$", 500, {"code": 20500, "message": "Internal Server Error",
                                                     "more_info": "https://www.twilio.com/docs/errors/20500",
                                                     "status": 500})
    r = provision(setup.env)
    assert r.returncode == 1
    assert "creating a TaskRouter worker failed" in r.stderr
    assert "HTTP 500" in r.stderr and "20500" in r.stderr
    assert "nothing was stored" in r.stderr
    assert setup.config_row() is None
    assert setup.workers() == {"ana": None, "bia": None}
    assert fake_twilio.violations == []

    # once Twilio is fine again, a new run finds what the failed one made
    done = {(k, n): s for k, n, s, o in r.report}
    ws = done[("workspace", "ramal")]
    posts = fake_twilio.requests_to("POST")
    wff = form_of([p for p in posts if p.path.endswith("/Workflows")][0])
    wqf = form_of([p for p in posts if p.path.endswith("/TaskQueues")][0])
    fake_twilio.reset()
    TaskRouterState(fake_twilio).program(
        workspace={"sid": ws, "friendly_name": "ramal", "event_callback_url": EVENTS_URL,
                   "events_filter": form_of(posts[0])["EventsFilter"]},
        activities=[{"sid": done[("activity", n)], "friendly_name": n, "available": n == "Available"}
                    for n in ACTIVITIES],
        queues=[{"sid": done[("task queue", "equipe")], "friendly_name": "equipe",
                 "target_workers": wqf["TargetWorkers"]}],
        workflows=[{"sid": done[("workflow", "ramal")], "friendly_name": "ramal",
                    "configuration": wff["Configuration"], "assignment_callback_url": ASSIGNMENT_URL,
                    "fallback_assignment_callback_url": ASSIGNMENT_URL,
                    "task_reservation_timeout": int(wff["TaskReservationTimeout"])}])
    again = provision(setup.env)
    assert again.returncode == 0, again.stderr
    creates = [q.path for q in created_posts(fake_twilio)]
    assert creates == ["/v1/Workspaces/%s/Workers" % ws] * 2
    assert setup.config_row()[0] == ws
    assert all(setup.workers().values())


def test_missing_configuration(pg, fake_twilio):
    s = Setup(pg, fake_twilio)
    try:
        r = provision(dict(s.env, TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None))
        assert r.returncode == 2 and "TWILIO_ACCOUNT_SID" in r.stderr
        assert fake_twilio.requests == []
    finally:
        s.close()


def test_next_page_on_another_host_is_refused(setup, fake_twilio):
    ws = sid("WS")
    TaskRouterState(fake_twilio).program(workspace={"sid": ws, "friendly_name": "ramal"})
    path = "/v1/Workspaces/%s/Activities" % ws
    fake_twilio.respond("GET", "^%s$" % path, 200, {
        "activities": [], "meta": dict(meta("activities", fake_twilio.url + path),
                                       next_page_url="http://127.0.0.2:9/steal" + path)})
    r = provision(setup.env)
    assert r.returncode == 1 and "bad request URL" in r.stderr
    assert setup.config_row() is None


def test_worker_of_a_renamed_identity_is_renamed(setup, fake_twilio):
    """sql/016_identities.sql made "ana.souza" "ana_souza"; her worker at
    TaskRouter still has the old name and contact_uri client:ana.souza,
    which no softphone registers any more.  provision renames that worker
    (the one her row names) instead of leaving it or making a second."""
    setup.add_user("ana_souza", "Ana Souza")
    first = provision(setup.env)
    assert first.returncode == 0, first.stdout + first.stderr
    state = state_from_first_run(fake_twilio, setup, first)
    (worker,) = state["workers"]
    wk = worker["sid"]
    worker.update(friendly_name="ana.souza",
                  attributes=json.dumps({"identity": "ana.souza", "contact_uri": "client:ana.souza",
                                         "name": "Ana Souza", "skills": ["pt"]}))
    # another agent's worker with a name of its own is left alone
    other = sid("WK")
    setup.add_user("bia", "Bia", worker_sid=other)
    state["workers"].append({"sid": other, "friendly_name": "Beatriz", "attributes": "{}",
                             "workspace_sid": worker["workspace_sid"]})

    fake_twilio.reset()
    TaskRouterState(fake_twilio).program(**state)
    r = provision(setup.env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert fake_twilio.violations == []
    assert outcomes(r)[("worker", "ana_souza")] == (wk, "updated")
    assert not fake_twilio.requests_to("POST", r"/Workers$"), "a second worker was made"
    (upd,) = fake_twilio.requests_to("POST", r"/Workers/WK[0-9a-f]{32}$")
    assert upd.path.endswith(wk)
    f = form_of(upd)
    assert f["FriendlyName"] == "ana_souza"
    assert json.loads(f["Attributes"]) == {"identity": "ana_souza", "contact_uri": "client:ana_souza",
                                           "name": "Ana Souza", "skills": ["pt"]}
    assert setup.workers() == {"ana_souza": wk, "bia": other}
