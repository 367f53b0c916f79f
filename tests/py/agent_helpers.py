"""Helpers shared by test_agents_status.py and test_events.py: users made
with the operator CLI, sign-in, a TaskRouter set-up as `ramal provision`
stores it, and a small Server-Sent Events client on a raw HTTP/1.1
connection (chunked, as browsers get it)."""

import http.client
import json
import queue
import secrets
import threading
import time

import harness
from conftest import new_session

PASSWORD = "correct horse battery staple"


def sid(prefix):
    return prefix + secrets.token_hex(16)


def cli(srv, *args, input=None):
    return harness.run_cli(list(args), srv.env, input=input)


def add_user(srv, role="agent", account=None, name=None):
    ident = "u%s" % secrets.token_hex(4)
    email = ident + "@example.com"
    args = ["create-user", "--email", email, "--name", name or ident.upper(), "--role", role,
            "--identity", ident, "--password-stdin"]
    if account:
        args += ["--account", account]
    r = cli(srv, *args, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    return email


def login(srv, email):
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
        self.email = add_user(srv, role, account, name)
        body = login(srv, self.email)
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


def db(srv, pg, sql, args=()):
    conn = pg.connect(srv.dbname)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else cur.rowcount
    finally:
        conn.close()


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


class SSE:
    """GET /api/events on its own connection; events arrive on a queue as
    dicts {id, event, data} or {"comment": text}."""

    def __init__(self, srv, token=None, cookie=None, last_event_id=None, query=""):
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        h = {"Accept": "text/event-stream"}
        if token:
            h["Authorization"] = "Bearer " + token
        if cookie:
            h["Cookie"] = "ramal_session=" + cookie
        if last_event_id is not None:
            h["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/api/events" + query, headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = self.resp.headers
        self.q = queue.Queue()
        self.closed = threading.Event()
        self.retry = None
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
        else:
            self.body = self.resp.read()

    def _read(self):
        ev = {}
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line == "":
                    if "data" in ev or "event" in ev:
                        ev["t"] = time.monotonic()
                        self.q.put(ev)
                    ev = {}
                elif line.startswith(":"):
                    self.q.put({"comment": line[1:].strip(), "t": time.monotonic()})
                else:
                    k, _, v = line.partition(":")
                    v = v[1:] if v.startswith(" ") else v
                    if k == "data":
                        ev["data"] = json.loads(v)
                    elif k == "id":
                        ev["id"] = int(v)
                    elif k == "event":
                        ev["event"] = v
                    elif k == "retry":
                        self.retry = int(v)
        except Exception:  # the test closed the connection under us
            pass
        finally:
            self.closed.set()

    def next(self, timeout=10.0, comments=False):
        """The next event (skipping heartbeats unless comments), or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                ev = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if "comment" in ev and not comments:
                continue
            return ev

    def wait_for(self, pred, timeout=10.0):
        """The first event matching pred; None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            ev = self.next(max(0.0, deadline - time.monotonic()))
            if ev is None or pred(ev):
                return ev

    def take(self, n, timeout=10.0):
        """The next n events (fewer if they do not come within timeout)."""
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < n:
            ev = self.next(max(0.0, deadline - time.monotonic()))
            if ev is None:
                break
            out.append(ev)
        return out

    def events(self, quiet=1.0):
        """Every event that arrives until none came for quiet seconds."""
        out = []
        while True:
            ev = self.next(quiet)
            if ev is None:
                return out
            out.append(ev)

    def close(self):
        try:
            self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()
