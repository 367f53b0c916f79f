"""Slow and oversized clients (issue #10, items 3 and 7): a query string
of a thousand parameters is answered at once; a connection that trickles
its request head or its body is closed; one address cannot take every
connection; when the slots run out the oldest idle ones make room, so
/healthz still answers."""

import socket
import threading
import time

import pytest
import requests

from ramaltest import harness


def addr_of(srv):
    host, port = srv.url.split("//")[1].split(":")
    return host, int(port)


def connect(srv, source="127.0.0.1", timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(addr_of(srv))
    return s


def get(srv, path, source="127.0.0.1", timeout=3):
    """The status line of GET path, or None when nothing came in time."""
    try:
        s = connect(srv, source, timeout)
        s.sendall(("GET %s HTTP/1.1\r\nHost: ramal\r\nConnection: close\r\n\r\n" % path).encode())
        data = s.recv(200)
        s.close()
    except OSError:
        return None
    return data.split(b"\r\n", 1)[0].decode() if data else None


def cuts(srv):
    s = requests.Session()
    s.trust_env = False  # loopback only, never through a proxy
    return harness.parse_metrics(s.get(srv.url + "/metrics", timeout=5).text)


def closed_by_server(s, within):
    """True when the server closed s (EOF or reset) within `within` s."""
    s.settimeout(within)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_a_thousand_query_parameters_are_answered_at_once(ramal):
    q = "&".join("p%d=%d" % (i, i) for i in range(1000))
    for path in ["/healthz", "/api/me", "/twilio/status"]:
        t = time.monotonic()
        line = get(ramal, path + "?" + q, timeout=3)
        assert line is not None, "%s with 1,000 parameters got no answer" % path
        assert line.split()[1] in ("400", "405", "414"), line  # 405: GET of a POST route
        assert time.monotonic() - t < 2


def test_a_huge_request_target_is_refused_at_once(ramal):
    line = get(ramal, "/healthz?" + "a&" * 40000, timeout=3)
    assert line is not None and line.split()[1] in ("400", "414"), line


def test_a_trickled_head_is_cut_at_the_deadline(ramal_factory):
    srv = ramal_factory.start(HTTP_HEAD_TIMEOUT_S="2")
    s = connect(srv)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: ramal\r\n")
    t = time.monotonic()
    cut = False
    for i in range(12):  # a header line every half second, 6 s at most
        time.sleep(0.5)
        try:
            s.sendall(b"X-Slow-%d: x\r\n" % i)
        except OSError:
            cut = True
            break
        s.settimeout(0.01)
        try:
            if s.recv(100) == b"":
                cut = True
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            cut = True
            break
    took = time.monotonic() - t
    s.close()
    assert cut, "a head trickled for 6 s was still open"
    assert 1.5 < took < 4.5, took
    # a normal request is unaffected, and the cut is counted
    assert get(srv, "/healthz") == "HTTP/1.1 200 OK"
    samples = cuts(srv)
    assert harness.metric(samples, "ramal_http_cut_total", cause="head_timeout") >= 1


def test_a_body_slower_than_the_minimum_rate_is_cut(ramal_factory):
    srv = ramal_factory.start(HTTP_HEAD_TIMEOUT_S="2", HTTP_BODY_MIN_RATE="512")
    s = connect(srv)
    s.sendall(b"POST /api/login HTTP/1.1\r\nHost: ramal\r\n"
              b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{")
    t = time.monotonic()
    cut = False
    for _ in range(60):  # 10 bytes a second
        time.sleep(0.1)
        try:
            s.sendall(b" ")
        except OSError:
            cut = True
            break
    took = time.monotonic() - t
    s.close()
    assert cut, "a body at 10 bytes/s was still being read after 6 s"
    assert took < 4.5, took
    samples = cuts(srv)
    assert harness.metric(samples, "ramal_http_cut_total", cause="slow_body") == 1


def test_one_address_cannot_take_every_connection(ramal_factory):
    srv = ramal_factory.start(HTTP_MAX_CONNECTIONS="32", HTTP_MAX_PER_ADDRESS="8")
    held = [connect(srv) for _ in range(8)]
    extra = connect(srv)
    # the ninth from the same address is closed at once
    assert closed_by_server(extra, 2)
    # others still get in
    assert get(srv, "/healthz", source="127.0.0.2") == "HTTP/1.1 200 OK"
    for s in held + [extra]:
        s.close()


class Trickler:
    """Holds connections open from several addresses, trickling a header
    line on each every second, as a slowloris does."""

    def __init__(self, srv, sources, per_source):
        self.socks = []
        for src in sources:
            for _ in range(per_source):
                try:
                    s = connect(srv, src)
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: ramal\r\n")
                    self.socks.append(s)
                except OSError:
                    pass
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stop.wait(1.0):
            i += 1
            for s in self.socks:
                try:
                    s.sendall(b"X-Slow-%d: x\r\n" % i)
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            s.close()


def test_slowloris_from_one_address_leaves_healthz_answering(ramal_factory):
    """The attack of the report: as many trickling connections as the
    server allows, from one address; /healthz from elsewhere answers."""
    srv = ramal_factory.start(HTTP_MAX_CONNECTIONS="64", HTTP_MAX_PER_ADDRESS="16")
    attack = Trickler(srv, ["127.0.0.1"], 64)
    try:
        answers = [get(srv, "/healthz", source="127.0.0.3", timeout=3) for _ in range(5)]
    finally:
        attack.close()
    assert answers == ["HTTP/1.1 200 OK"] * 5


def test_when_slots_run_out_the_oldest_idle_make_room(ramal_factory):
    """Trickling connections from many addresses fill every slot; well
    before the 30 s head deadline the oldest are closed and /healthz gets
    in."""
    srv = ramal_factory.start(HTTP_MAX_CONNECTIONS="32", HTTP_MAX_PER_ADDRESS="0",
                              HTTP_HEAD_TIMEOUT_S="30")
    attack = Trickler(srv, ["127.0.0.%d" % i for i in range(10, 18)], 4)
    try:
        time.sleep(1.5)
        t = time.monotonic()
        answers = [get(srv, "/healthz", source="127.0.0.3", timeout=3) for _ in range(5)]
        took = time.monotonic() - t
    finally:
        attack.close()
    assert answers.count("HTTP/1.1 200 OK") == 5, answers
    assert took < 10, took
    samples = cuts(srv)
    assert harness.metric(samples, "ramal_http_cut_total", cause="reserve") >= 1


def test_a_stream_whose_client_left_frees_its_slot_at_once(ramal_factory):
    """An event stream sleeps between events; when its client goes away
    the server notices within a second, not at the next heartbeat."""
    from ramaltest.agents import User
    from ramaltest.sse import SSE

    srv = ramal_factory.start(EVENTS_HEARTBEAT_S="60")
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    assert s.status == 200

    def streams():
        samples = harness.parse_metrics(ana.request("GET", "/metrics").text)
        return harness.metric(samples, "ramal_events_streams")

    assert streams() == 1
    s.close()
    deadline = time.monotonic() + 2
    while streams() != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert streams() == 0
