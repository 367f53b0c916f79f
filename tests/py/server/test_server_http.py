"""HTTP behaviour of `ramal serve`: health, routing errors, body caps,
request ids, access log, metrics, idle timeouts and graceful shutdown."""

import json
import re
import signal
import socket
import threading
import time
import urllib.parse

import pytest

from ramaltest import harness
from ramaltest.server import new_session
from ramaltest.voice import FALLBACK, check_answer, voice_params

RID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CAP_TWILIO = 64 * 1024


@pytest.fixture(scope="module")
def ramal(module_factory):
    """The default server, without the softphone the binary carries (WEB_DIR
    names no directory), so that every unknown path reaches the router's
    JSON 404; with the softphone a GET of a page path is the app
    (test_webui.py, test_webui_embed.py)."""
    return module_factory.start(WEB_DIR="/nonexistent/ramal-no-softphone")


def assert_json_error(r, status, request_id=None):
    """The contract's error shape: {"error": msg, "request_id": id}."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    j = r.json()
    assert isinstance(j.get("error"), str) and j["error"], j
    assert j.get("request_id") == r.headers["X-Request-Id"], j
    if request_id is not None:
        assert j["request_id"] == request_id
    return j


def access_line(srv, rid, timeout=5):
    return srv.wait_log(lambda rec: rec.get("msg") == "request" and rec.get("req") == rid, timeout)


def raw_status(srv, data, timeout=10):
    with harness.connect(srv.port) as s:
        s.sendall(data)
        return harness.read_response(s, timeout)


def signed_form(srv, signer, params, path=FALLBACK, query=""):
    body = urllib.parse.urlencode(params).encode()
    url = srv.base_url + path + (("?" + query) if query else "")
    return body, signer.sign(srv.auth_token, url, params)


# --------------------------------------------------------------------------
# health


def test_healthz(ramal, http):
    r = http.get(ramal.url + "/healthz")
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    assert r.json() == {"status": "ok"}
    assert RID_RE.match(r.headers["X-Request-Id"])


def test_readyz_when_database_is_up(ramal, http):
    r = http.get(ramal.url + "/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"


def test_head_healthz_has_no_body(ramal):
    # HEAD and a GET pipelined on one connection: if HEAD carried a body,
    # its bytes would sit between the two responses
    with harness.connect(ramal.port) as s:
        s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        s.settimeout(5)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"x-request-id:" in head.lower()
    assert rest.startswith(b"HTTP/1.1 200"), rest[:80]
    assert rest.endswith(b'{"status":"ok"}') or b'"ok"' in rest


def test_listening_line(ramal):
    rec = harness.parse_logfmt(ramal.listen_line)
    assert rec["level"] == "info"
    assert rec["msg"] == "listening"
    assert int(rec["port"]) == ramal.port
    assert rec["url"] == ramal.base_url
    assert TS_RE.match(rec["ts"]), rec["ts"]


# --------------------------------------------------------------------------
# routing errors


@pytest.mark.parametrize("method, path", [
    ("GET", "/nope"), ("GET", "/healthz/extra"), ("POST", "/twilio/voice/nope"), ("GET", "/"),
    ("DELETE", "/api/nothing-here"),
])
def test_unknown_path_is_404_json(ramal, http, method, path):
    r = http.request(method, ramal.url + path)
    assert_json_error(r, 404)


@pytest.mark.parametrize("method, path, allowed", [
    ("POST", "/healthz", {"GET", "HEAD"}),
    ("DELETE", "/readyz", {"GET", "HEAD"}),
    ("PUT", "/metrics", {"GET", "HEAD"}),
    ("GET", FALLBACK, {"POST"}),
])
def test_wrong_method_is_405_with_allow(ramal, http, method, path, allowed):
    r = http.request(method, ramal.url + path, data=b"" if method != "GET" else None)
    assert_json_error(r, 405)
    got = {m.strip() for m in r.headers["Allow"].split(",") if m.strip()}
    assert got == allowed


# --------------------------------------------------------------------------
# request ids and the access log


@pytest.mark.parametrize("rid", ["abc-123", "A.b_c-9", "x" * 64, "0"])
def test_valid_request_id_is_echoed_and_logged(ramal, http, rid):
    r = http.get(ramal.url + "/healthz", headers={"X-Request-Id": rid})
    assert r.headers["X-Request-Id"] == rid
    rec = access_line(ramal, rid)
    assert rec["level"] == "info"
    assert TS_RE.match(rec["ts"]), rec["ts"]
    assert (rec["method"], rec["path"], rec["route"], rec["status"]) == ("GET", "/healthz", "/healthz", "200")
    assert float(rec["dur_ms"]) >= 0


@pytest.mark.parametrize("rid", ["x" * 65, "has space", "a/b", "<script>", "semi;colon", "quo\"te"])
def test_invalid_request_id_is_replaced(ramal, http, rid):
    r = http.get(ramal.url + "/healthz", headers={"X-Request-Id": rid})
    new = r.headers["X-Request-Id"]
    assert new != rid and RID_RE.match(new)
    access_line(ramal, new)
    assert rid not in [rec.get("req") for rec in ramal.records()]


def test_generated_request_ids_are_unique(ramal, http):
    ids = {http.get(ramal.url + "/healthz").headers["X-Request-Id"] for _ in range(20)}
    assert len(ids) == 20


def test_404_access_line_uses_unmatched_route(ramal, http):
    r = http.get(ramal.url + "/no/such/thing")
    rec = access_line(ramal, r.headers["X-Request-Id"])
    assert (rec["path"], rec["route"], rec["status"]) == ("/no/such/thing", "unmatched", "404")


# --------------------------------------------------------------------------
# bodies: caps and malformed forms


def test_413_by_content_length_without_reading_body(ramal):
    req = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: %d\r\nX-Request-Id: big-1\r\n\r\n" % (FALLBACK, CAP_TWILIO + 1)).encode()
    t0 = time.monotonic()
    # no body is sent at all: the answer must come from the headers alone
    status, headers, body = raw_status(ramal, req, timeout=5)
    assert status == 413
    assert time.monotonic() - t0 < 5
    j = json.loads(body)
    assert j["request_id"] == "big-1" and j["error"]
    assert headers["x-request-id"] == "big-1"
    assert headers["content-type"].split(";")[0] == "application/json"


def test_413_huge_content_length(ramal):
    req = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: 99999999999999\r\n\r\n" % FALLBACK).encode()
    status, _, _ = raw_status(ramal, req, timeout=5)
    assert status == 413


def _padded(srv, size):
    """Signed fallback params whose urlencoded body is exactly size bytes."""
    base = voice_params(srv.account_sid)
    body0 = urllib.parse.urlencode(base + [("Pad", "")]).encode()
    pad = size - len(body0)
    assert pad > 0
    return base + [("Pad", "p" * pad)]


def test_body_exactly_at_cap_is_accepted(ramal, webhook):
    params = _padded(ramal, CAP_TWILIO)
    assert len(urllib.parse.urlencode(params)) == CAP_TWILIO
    r = webhook.post(ramal, params)
    assert r.status_code == 200, r.text


def test_body_one_byte_over_cap_is_413(ramal, webhook):
    params = _padded(ramal, CAP_TWILIO + 1)
    r = webhook.post(ramal, params)
    assert_json_error(r, 413)


def _chunked_post(srv, chunks, signature="x", extra_headers=""):
    s = harness.connect(srv.port)
    try:
        s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   "Transfer-Encoding: chunked\r\nX-Twilio-Signature: %s\r\n%s\r\n"
                   % (FALLBACK, signature, extra_headers)).encode())
        try:
            for c in chunks:
                s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading once it has answered
        return harness.read_response(s, timeout=10)
    finally:
        s.close()


def test_413_for_chunked_body_over_cap(ramal):
    chunks = [b"a=" + b"b" * 8190] * 10  # 80 KiB
    status, headers, body = _chunked_post(ramal, chunks)
    assert status == 413
    assert json.loads(body)["error"]


def test_chunked_body_under_cap_is_processed(ramal, signer):
    params = voice_params(ramal.account_sid)
    body, sig = signed_form(ramal, signer, params)
    chunks = [body[i:i + 100] for i in range(0, len(body), 100)]
    status, headers, resp = _chunked_post(ramal, chunks, signature=sig)
    assert status == 200, resp
    check_answer(FALLBACK, "", resp, ramal.base_url)


@pytest.mark.parametrize("body", [b"a=%zz", b"a=%4", b"CalledCity=S%E3o", b"x=%ff%fe", b"a=%C3%28"],
                         ids=["bad-escape", "short-escape", "latin1", "ff-fe", "bad-utf8-seq"])
def test_malformed_form_is_400(ramal, http, body):
    r = http.post(ramal.url + FALLBACK, data=body,
                  headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"})
    assert_json_error(r, 400)


# --------------------------------------------------------------------------
# metrics


def _metrics(srv, http):
    r = http.get(srv.url + "/metrics")
    assert r.status_code == 200
    ct = r.headers["Content-Type"]
    assert ct.startswith("text/plain") and "version=0.0.4" in ct, ct
    return harness.parse_metrics(r.text)


def test_metrics_count_the_requests_made(ramal, http):
    before = _metrics(ramal, http)
    for _ in range(7):
        assert http.get(ramal.url + "/healthz").status_code == 200
    for _ in range(3):
        assert http.get(ramal.url + "/definitely/not/here").status_code == 404
    assert http.post(ramal.url + "/healthz").status_code == 405
    after = _metrics(ramal, http)

    def delta(name, **lbl):
        return harness.metric(after, name, **lbl) - harness.metric(before, name, **lbl)

    assert delta("ramal_http_requests_total", method="GET", route="/healthz", status="200") == 7
    assert delta("ramal_http_requests_total", method="GET", route="unmatched", status="404") == 3
    # a 405 on a known path: counted under that path or as unmatched
    assert (delta("ramal_http_requests_total", method="POST", route="/healthz", status="405")
            + delta("ramal_http_requests_total", method="POST", route="unmatched", status="405")) == 1
    assert delta("ramal_http_request_duration_seconds_count", route="/healthz") == 7
    assert delta("ramal_http_request_duration_seconds_sum", route="/healthz") >= 0


def test_metrics_histogram_is_well_formed(ramal, http):
    http.get(ramal.url + "/healthz")
    m = _metrics(ramal, http)
    buckets = harness.metric_series(m, "ramal_http_request_duration_seconds_bucket", route="/healthz")
    les = {b["le"]: v for b, v in buckets}
    assert "0.005" in les and "+Inf" in les
    ordered = sorted(les.items(), key=lambda kv: float(kv[0].replace("+Inf", "inf")))
    values = [v for _, v in ordered]
    assert values == sorted(values), "bucket counts must be cumulative"
    count = harness.metric(m, "ramal_http_request_duration_seconds_count", route="/healthz")
    assert les["+Inf"] == count >= 1
    # a /healthz answer on loopback takes well under a second
    assert harness.metric(m, "ramal_http_request_duration_seconds_sum", route="/healthz") < count * 1.0


def test_metrics_pool_and_build_info(ramal, http):
    m = _metrics(ramal, http)
    size = harness.metric(m, "ramal_db_pool_size")
    in_use = harness.metric_series(m, "ramal_db_pool_connections", state="in_use")
    idle = harness.metric_series(m, "ramal_db_pool_connections", state="idle")
    assert size >= 1
    assert len(in_use) == 1 and len(idle) == 1
    assert 0 <= in_use[0][1] + idle[0][1] <= size
    info = harness.metric_series(m, "ramal_build_info")
    assert len(info) == 1 and info[0][1] == 1
    v = harness.run_cli(["version"], {}).stdout.split()
    assert info[0][0]["version"] == v[1]


def test_metrics_pool_size_follows_config(ramal_factory, http):
    srv = ramal_factory.start(DB_POOL_SIZE="3")
    m = _metrics(srv, http)
    assert harness.metric(m, "ramal_db_pool_size") == 3


# --------------------------------------------------------------------------
# idle connections


def test_idle_connections_are_closed_after_http_conn_timeout(ramal_factory):
    srv = ramal_factory.start(HTTP_CONN_TIMEOUT="2", LOG_LEVEL="info")
    timeout = 2.0
    socks = {}
    t0 = {}
    # a connection that never sends anything
    socks["silent"] = harness.connect(srv.port)
    t0["silent"] = time.monotonic()
    # a keep-alive connection after one complete request
    s = harness.connect(srv.port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, _ = harness.read_response(s)
    assert status == 200
    socks["keepalive"] = s
    t0["keepalive"] = time.monotonic()
    # a client that stalls half-way through its request headers
    s = harness.connect(srv.port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half")
    socks["partial"] = s
    t0["partial"] = time.monotonic()

    time.sleep(0.8)
    for name, s in socks.items():
        assert harness.wait_closed(s, 0.05) is None, "%s connection closed long before the timeout" % name
    limit = timeout + 4.0 * harness.slow_factor()
    for name, s in socks.items():
        closed = harness.wait_closed(s, limit)
        assert closed is not None, "%s connection still open %.1fs after going idle" % (name, limit)
        elapsed = time.monotonic() - t0[name]
        assert elapsed >= timeout - 0.5, "%s closed after %.2fs, before the timeout" % (name, elapsed)
        s.close()
    # and the server still serves new connections
    assert raw_status(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] == 200


def test_keepalive_survives_without_short_timeout(ramal, http):
    """Default HTTP_CONN_TIMEOUT is 30 s: a 2.5 s pause must not drop a
    keep-alive connection (the control for the test above)."""
    s = harness.connect(ramal.port)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert harness.read_response(s)[0] == 200
        assert harness.wait_closed(s, 2.5) is None
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert harness.read_response(s)[0] == 200
    finally:
        s.close()


# --------------------------------------------------------------------------
# shutdown


def _refuses_new_requests(port):
    """True when a new request gets no HTTP answer (refused, reset, closed
    or no reply within 2 s)."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        return True
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        harness.read_response(s, timeout=2)
        return False
    except (OSError, ConnectionError):
        return True
    finally:
        s.close()


def test_sigterm_finishes_in_flight_request(ramal_factory, signer):
    srv = ramal_factory.start()
    params = voice_params(srv.account_sid)
    body, sig = signed_form(srv, signer, params)
    half = len(body) // 2
    s = harness.connect(srv.port)
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: %d\r\nX-Twilio-Signature: %s\r\nX-Request-Id: inflight-1\r\n\r\n"
               % (FALLBACK, len(body), sig)).encode() + body[:half])
    time.sleep(0.3)
    t_sig = time.monotonic()
    srv.send_signal(signal.SIGTERM)
    srv.wait_log(lambda r: "shutting" in r.get("msg", ""), timeout=5)
    time.sleep(0.2)
    assert srv.alive(), "exited with a request still in flight"
    assert _refuses_new_requests(srv.port), "still answering new requests after SIGTERM"
    s.sendall(body[half:])
    status, headers, resp = harness.read_response(s, timeout=10)
    s.close()
    assert status == 200, resp
    assert b"<Response>" in resp and headers["content-type"].startswith("text/xml")
    rc = srv.wait(10 - (time.monotonic() - t_sig))
    assert rc == 0, "exit code %r; log:\n%s" % (rc, harness.tail(srv.log()))
    harness.assert_no_sanitizer_reports(srv.log())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_with_idle_keepalive_exits_zero_in_time(ramal_factory, sig):
    srv = ramal_factory.start()
    s = harness.connect(srv.port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert harness.read_response(s)[0] == 200
    t0 = time.monotonic()
    rc = srv.stop(sig=sig, timeout=10)
    s.close()
    assert rc == 0
    assert time.monotonic() - t0 < 10


def test_concurrent_requests_all_answered(ramal, signer):
    """40 requests over 8 threads, mixing health checks and signed webhooks."""
    errors = []

    def worker(n):
        sess = new_session()
        try:
            for i in range(5):
                if (n + i) % 2:
                    r = sess.get(ramal.url + "/healthz")
                    ok = r.status_code == 200
                else:
                    params = voice_params(ramal.account_sid)
                    body, sig = signed_form(ramal, signer, params)
                    r = sess.post(ramal.url + FALLBACK, data=body, headers={
                        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})
                    ok = r.status_code == 200
                    check_answer(FALLBACK, "", r.content, ramal.base_url)
                if not ok:
                    errors.append((r.status_code, r.text[:200]))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            sess.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
