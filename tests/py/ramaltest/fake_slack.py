"""A loopback receiver for the alerts' outgoing HTTP: Slack's incoming
webhooks and the signed webhook (docs/alerts.md).

FakeSlack records every POST (path, headers, raw body, the time it came)
and answers 200 "ok" as Slack does, unless a test programmed something
else with respond() (a status, headers such as Retry-After, how many
times).  For a Slack path it checks the body as Slack reads an incoming
webhook message: JSON with a non-empty plain-text `text` (the fallback)
and, when present, `blocks` that are Block Kit (header, section with
mrkdwn, actions with buttons whose url is absolute); what breaks it goes
to .violations, which the fixture turns into a failure.
"""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOCK_TYPES = {"header", "section", "actions", "context", "divider"}


class Received:
    def __init__(self, path, headers, body):
        self.path = path
        self.headers = headers  # lower-case names
        self.body = body  # bytes
        self.at = time.monotonic()
        self.status = None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%s %s -> %s>" % (self.path, self.body[:120], self.status)


def slack_problems(doc):
    """What Slack would refuse or show badly in an incoming-webhook body."""
    out = []
    if not isinstance(doc, dict):
        return ["body is not a JSON object"]
    text = doc.get("text")
    if not isinstance(text, str) or not text.strip():
        out.append("no plain-text fallback `text`")
    elif len(text) > 40000:
        out.append("text longer than 40000 characters")
    blocks = doc.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > 50:
        out.append("blocks must be a list of at most 50")
        return out
    for b in blocks:
        t = b.get("type")
        if t not in BLOCK_TYPES:
            out.append("unknown block type %r" % t)
        if t == "header":
            txt = b.get("text", {})
            if txt.get("type") != "plain_text" or len(txt.get("text", "")) > 150:
                out.append("header text must be plain_text of at most 150 characters")
        if t == "section":
            txt = b.get("text", {})
            if txt.get("type") not in ("mrkdwn", "plain_text") or not txt.get("text"):
                out.append("section without text")
            elif len(txt["text"]) > 3000:
                out.append("section text longer than 3000 characters")
        if t == "actions":
            for e in b.get("elements", []):
                if e.get("type") != "button" or e.get("text", {}).get("type") != "plain_text":
                    out.append("action element is not a plain_text button")
                url = e.get("url", "")
                if url and not re.match(r"^https?://[^/\s]+/", url + "/"):
                    out.append("button url is not absolute: %r" % url)
    return out


class FakeSlack:
    def __init__(self, host="127.0.0.1", port=0):
        self.lock = threading.Lock()
        self.received = []
        self.rules = []
        self.violations = []
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://%s:%d" % (host, self.port)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True, name="fake-slack")

    def start(self):
        self.thread.start()
        return self

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self):
        with self.lock:
            self.received.clear()
            self.rules.clear()
            self.violations.clear()

    def respond(self, path_regex, status, body=b"", headers=None, times=None):
        """Answer POSTs whose path matches path_regex with status (and
        headers) `times` times (None: always).  The newest rule wins."""
        with self.lock:
            self.rules.insert(0, {"rx": re.compile(path_regex), "status": status, "body": body,
                                  "headers": headers or {}, "times": times})

    def posts(self, path_regex=None):
        with self.lock:
            out = list(self.received)
        return [r for r in out if path_regex is None or re.search(path_regex, r.path)]

    def wait_posts(self, path_regex, n, within=10.0):
        """Wait until at least n POSTs matched; return them all."""
        deadline = time.monotonic() + within
        while True:
            got = self.posts(path_regex)
            if len(got) >= n or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def handle(self, path, headers, body):
        rec = Received(path, headers, body)
        status, out, extra = 200, b"ok", {}
        with self.lock:
            for rule in self.rules:
                if not rule["rx"].search(path):
                    continue
                if rule["times"] is not None:
                    if rule["times"] <= 0:
                        continue
                    rule["times"] -= 1
                status, out, extra = rule["status"], rule["body"], rule["headers"]
                break
        if path.startswith("/services/"):
            try:
                problems = slack_problems(json.loads(body.decode("utf-8")))
            except ValueError:
                problems = ["body is not JSON"]
            if headers.get("content-type", "").split(";")[0].strip() != "application/json":
                problems.append("Content-Type is not application/json")
            with self.lock:
                self.violations.extend("%s: %s" % (path, p) for p in problems)
        rec.status = status
        with self.lock:
            self.received.append(rec)
        return status, extra, out if isinstance(out, bytes) else str(out).encode()


class _Handler(BaseHTTPRequestHandler):
    fake = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, out = self.fake.handle(self.path, headers, body)
        self.send_response(status)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
