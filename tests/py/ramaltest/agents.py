"""Users and agents over the API: users made with the operator CLI
(`ramal create-user`, as an operator would), sign-in (POST /api/login,
GET /api/me), signed-in User objects, and a TaskRouter set-up as
`ramal provision` stores it."""

import secrets
import time

from .database import db
from .harness import run_cli, sid, slow_factor
from .server import new_session

PASSWORD = "correct horse battery staple"


def cli(srv, *args, input=None):
    return run_cli(list(args), srv.env, input=input)


# --------------------------------------------------------------------------
# sign-in by email (test_api_auth.py, test_api_token.py, test_session_cache.py)


def add_user(srv, email, password=PASSWORD, name="Agent", role="agent", account=None, identity=None):
    args = ["create-user", "--email", email, "--name", name, "--role", role]
    if identity:
        args += ["--identity", identity]
    if account:
        args += ["--account", account]
    if password is None:
        r = cli(srv, *args)
    else:
        r = cli(srv, *(args + ["--password-stdin"]), input=password + "\n")
    assert r.returncode == 0, r.stderr
    return r


def call(srv, method, path, headers=None, **kw):
    """One request on a fresh session: no cookie jar carries over."""
    s = new_session()
    try:
        return s.request(method, srv.url + path, headers=headers or {}, timeout=30, **kw)
    finally:
        s.close()


def login(srv, email, password=PASSWORD, headers=None, **extra):
    body = {"email": email, "password": password}
    body.update(extra)
    return call(srv, "POST", "/api/login", json=body, headers=headers)


def me(srv, token=None, cookie=None):
    h = {}
    if token:
        h["Authorization"] = "Bearer " + token
    if cookie:
        h["Cookie"] = "ramal_session=" + cookie
    return call(srv, "GET", "/api/me", headers=h)


def me_becomes(srv, code, within=2.0, **kw):
    """Poll GET /api/me until it answers code (or within seconds pass);
    the last status.  With the 60 s cache only a notification makes it
    change in time."""
    deadline = time.monotonic() + within * slow_factor()
    while True:
        got = me(srv, **kw).status_code
        if got == code or time.monotonic() >= deadline:
            return got
        time.sleep(0.05)


# --------------------------------------------------------------------------
# signed-in agents (test_agents_status.py, test_events.py)


def _new_agent(srv, role="agent", account=None, name=None):
    """A user with a made-up email and identity; its email."""
    ident = "u%s" % secrets.token_hex(4)
    email = ident + "@example.com"
    args = ["create-user", "--email", email, "--name", name or ident.upper(), "--role", role,
            "--identity", ident, "--password-stdin"]
    if account:
        args += ["--account", account]
    r = cli(srv, *args, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    return email


def _sign_in(srv, email):
    s = new_session()
    try:
        r = s.post(srv.url + "/api/login", json={"email": email, "password": PASSWORD}, timeout=30)
    finally:
        s.close()
    assert r.status_code == 200, r.text
    return r.json()


class User:
    """A signed-in user: id, token, and requests with its Bearer token."""

    def __init__(self, srv, role="agent", account=None, name=None):
        self.srv = srv
        self.email = _new_agent(srv, role, account, name)
        body = _sign_in(srv, self.email)
        self.token = body["token"]
        self.csrf = body["csrf_token"]
        self.id = body["user"]["id"]
        self.identity = body["user"]["identity"]
        self.tenant_id = body["user"]["tenant"]["id"]

    def request(self, method, path, **kw):
        s = new_session()
        try:
            h = {"Authorization": "Bearer " + self.token}
            h.update(kw.pop("headers", {}))
            return s.request(method, self.srv.url + path, headers=h, timeout=30, **kw)
        finally:
            s.close()

    def set_status(self, status, who="me"):
        return self.request("PUT", "/api/agents/%s/status" % who, json={"status": status})


def provision_taskrouter(srv, pg):
    """The SIDs `ramal provision` stores, for the server's main account."""
    sids = {k: sid(p) for k, p in [("workspace", "WS"), ("workflow", "WW"), ("queue", "WQ"),
                                     ("available", "WA"), ("busy", "WA"), ("offline", "WA"),
                                     ("wrapup", "WA")]}
    db(srv, pg, "INSERT INTO taskrouter_config (tenant_id, workspace_sid, workflow_sid, task_queue_sid,"
                " activity_available_sid, activity_busy_sid, activity_offline_sid, activity_wrapup_sid)"
                " SELECT id, %s, %s, %s, %s, %s, %s, %s FROM tenants WHERE account_sid = %s",
       (sids["workspace"], sids["workflow"], sids["queue"], sids["available"], sids["busy"],
        sids["offline"], sids["wrapup"], srv.account_sid))
    return sids


def give_worker(srv, pg, user):
    worker = sid("WK")
    db(srv, pg, "UPDATE users SET worker_sid = %s WHERE id = %s", (worker, user.id))
    return worker
