"""A small Server-Sent Events client for GET /api/events on a raw
HTTP/1.1 connection (chunked, as browsers get it)."""

import http.client
import json
import queue
import threading
import time


class SSE:
    """GET /api/events on its own connection; events arrive on a queue as
    dicts {id, event, data} or {"comment": text}."""

    def __init__(self, srv, token=None, cookie=None, last_event_id=None, query="", headers=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        h = {"Accept": "text/event-stream"}
        h.update(headers or {})
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
