"""CORS (issue #19): pages of the origins in CORS_ALLOWED_ORIGINS (a
softphone built in Lovable, say) may call /token and /api/* from a
browser.  A preflight is answered 204 without authentication; every
answer to an allowed origin, refusals included, carries
Access-Control-Allow-Origin (that origin), Vary: Origin and the exposed
headers; a disallowed or absent Origin changes nothing; Twilio's
webhooks, the probes and the softphone's files never answer CORS; no
answer ever allows credentials (cookies stay same-origin)."""

import re
import secrets

import pytest
from twilio.jwt import Jwt

from ramaltest import harness
from ramaltest.agents import PASSWORD, User, _new_agent, call
from ramaltest.harness import sid
from ramaltest.sse import SSE

ORIGIN = "https://softphone.example"
LOCAL = "http://127.0.0.1:5173"
EVIL = "https://evil.example"
# Written as an operator might: case, a default port, a trailing slash,
# blanks and an empty entry; normalised at start-up.
ALLOWED = "HTTPS://Softphone.Example:443/ , http://127.0.0.1:5173,"
API_KEY = "SK" + secrets.token_hex(16)
API_SECRET = secrets.token_hex(16)
APP = "AP" + secrets.token_hex(16)

ALLOW_HEADERS = "Authorization, Content-Type, X-CSRF-Token, Last-Event-ID"
EXPOSE = "X-Request-Id, Retry-After"
CALL = sid("CA")

# Every route family: a path, a method it has, and all the methods it has.
FAMILIES = [
    ("/api/login", "POST", "POST"),
    ("/api/logout", "POST", "POST"),
    ("/api/me", "GET", "GET, HEAD"),
    ("/token", "GET", "GET, HEAD"),
    ("/api/calls/%s" % CALL, "GET", "GET, HEAD"),
    ("/api/calls/%s/hold" % CALL, "POST", "POST"),
    ("/api/calls/%s/unhold" % CALL, "POST", "POST"),
    ("/api/agents/me/status", "PUT", "PUT"),
    ("/api/agents/42/status", "PUT", "PUT"),
    ("/api/agents/me/wrapup/end", "POST", "POST"),
    ("/api/agents", "GET", "GET, HEAD"),
    ("/api/events", "GET", "GET, HEAD"),
    ("/api/events/ticket", "POST", "POST"),
]


@pytest.fixture(scope="module")
def srv(module_factory):
    return module_factory.start(CORS_ALLOWED_ORIGINS=ALLOWED, TWILIO_API_KEY_SID=API_KEY,
                                TWILIO_API_KEY_SECRET=API_SECRET, TWILIO_TWIML_APP_SID=APP)


@pytest.fixture(scope="module")
def ana(srv):
    return User(srv)


def cors_headers(r):
    return {k.lower(): v for k, v in r.headers.items() if k.lower().startswith("access-control-")}


def assert_cors(r, origin=ORIGIN):
    """The headers of an actual request from an allowed origin."""
    h = cors_headers(r)
    assert h == {"access-control-allow-origin": origin, "access-control-expose-headers": EXPOSE}, h
    assert r.headers["Vary"] == "Origin"


def assert_no_cors(r):
    assert cors_headers(r) == {}, cors_headers(r)
    assert "Vary" not in r.headers


def preflight(srv, path, method, origin=ORIGIN, request_headers="authorization, content-type"):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers:
        h["Access-Control-Request-Headers"] = request_headers
    return call(srv, "OPTIONS", path, headers=h)


def same_answer(a, b):
    """Two answers that differ only by their request id."""
    assert a.status_code == b.status_code, (a.status_code, b.status_code, b.text)
    strip = lambda r: re.sub(r'"request_id":"[^"]*"', "", r.text)
    assert strip(a) == strip(b)
    for k in ("Allow", "WWW-Authenticate", "Retry-After", "Content-Type"):
        assert a.headers.get(k) == b.headers.get(k), k


# --------------------------------------------------------------------------
# preflight


@pytest.mark.parametrize("path,method,allow", FAMILIES, ids=[f[0] + " " + f[1] for f in FAMILIES])
def test_preflight_from_an_allowed_origin(srv, path, method, allow):
    # no Authorization, no cookie: a browser never sends them with it
    r = preflight(srv, path, method)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert cors_headers(r) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-methods": allow,
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": "600",
    }
    assert r.headers["Vary"] == "Origin"
    # the other allowed origin gets its own name back
    r = preflight(srv, path, method, origin=LOCAL, request_headers=None)
    assert r.status_code == 204 and r.headers["Access-Control-Allow-Origin"] == LOCAL


@pytest.mark.parametrize("path,method,allow", FAMILIES, ids=[f[0] + " " + f[1] for f in FAMILIES])
def test_preflight_from_another_origin_is_answered_as_without_cors(srv, path, method, allow):
    plain = call(srv, "OPTIONS", path)
    assert plain.status_code == 405 and plain.headers["Allow"] == allow
    for origin in (EVIL, "null", "https://softphone.example.evil", "http://softphone.example",
                   "https://softphone.example:8443"):
        r = preflight(srv, path, method, origin=origin)
        same_answer(plain, r)
        assert_no_cors(r)
    # no Origin at all
    r = call(srv, "OPTIONS", path, headers={"Access-Control-Request-Method": method})
    same_answer(plain, r)
    assert_no_cors(r)


def test_options_without_a_requested_method_is_no_preflight(srv):
    r = call(srv, "OPTIONS", "/api/me", headers={"Origin": ORIGIN})
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
    assert_cors(r)


# --------------------------------------------------------------------------
# actual requests


def three_ways(srv, method, path, headers=None, **kw):
    """The request without Origin, from an allowed and from another
    origin: the allowed one's answer, after checking the three agree."""
    headers = headers or {}
    plain = call(srv, method, path, headers=dict(headers), **kw)
    allowed = call(srv, method, path, headers=dict(headers, Origin=ORIGIN), **kw)
    other = call(srv, method, path, headers=dict(headers, Origin=EVIL), **kw)
    assert_no_cors(plain)
    assert_no_cors(other)
    assert_cors(allowed)
    if method == "POST" and path == "/api/login" and plain.status_code == 200:
        # each sign-in is a new session: the same answer but its tokens
        for r in (allowed, other):
            assert r.status_code == 200 and set(r.json()) == set(plain.json())
            assert r.json()["user"]["id"] == plain.json()["user"]["id"]
    else:
        same_answer(plain, allowed)
        same_answer(plain, other)
    assert allowed.headers["X-Request-Id"]
    return allowed


def test_sign_in_from_an_allowed_origin(srv):
    email = _new_agent(srv)
    r = three_ways(srv, "POST", "/api/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    # the token a page on another origin keeps and sends as Bearer
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["token"])
    me = call(srv, "GET", "/api/me", headers={"Origin": ORIGIN, "Authorization": "Bearer " + body["token"]})
    assert me.status_code == 200 and me.json()["email"] == email
    assert_cors(me)
    # a refused sign-in carries the headers too, so the page reads why
    r = three_ways(srv, "POST", "/api/login", json={"email": email, "password": "wrong password!"})
    assert r.status_code == 401 and r.json()["error"] == "wrong email or password"


def test_signed_in_routes_from_an_allowed_origin(srv, ana):
    bearer = {"Authorization": "Bearer " + ana.token}
    r = three_ways(srv, "GET", "/api/me", headers=bearer)
    assert r.status_code == 200 and r.json()["id"] == ana.id
    r = three_ways(srv, "GET", "/token", headers=bearer)
    assert r.status_code == 200
    assert Jwt.from_jwt(r.json()["token"], key=API_SECRET).payload["grants"]["identity"] == ana.identity
    r = three_ways(srv, "PUT", "/api/agents/me/status", headers=bearer, json={"status": "available"})
    assert r.status_code == 200 and r.json()["status"] == "available"
    r = three_ways(srv, "POST", "/api/calls/%s/hold" % CALL, headers=bearer)
    assert r.status_code == 404 and r.json()["error"]
    r = three_ways(srv, "GET", "/api/calls/%s" % CALL, headers=bearer)
    assert r.status_code == 404


def test_refusals_carry_the_headers(srv, ana):
    # 401: no session
    r = three_ways(srv, "GET", "/api/me")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"]
    r = three_ways(srv, "GET", "/token", headers={"Authorization": "Bearer " + "x" * 43})
    assert r.status_code == 401
    # 403: an agent on a supervisor's route
    r = three_ways(srv, "GET", "/api/agents", headers={"Authorization": "Bearer " + ana.token})
    assert r.status_code == 403
    # 400: a bad body
    r = three_ways(srv, "PUT", "/api/agents/me/status", headers={"Authorization": "Bearer " + ana.token},
                   json={"status": "dancing"})
    assert r.status_code == 400
    # 405: a method the path has not
    r = three_ways(srv, "DELETE", "/api/me", headers={"Authorization": "Bearer " + ana.token})
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
    # 415: a body that is neither JSON nor a form
    r = three_ways(srv, "POST", "/api/login", data=b"<x/>", headers={"Content-Type": "text/xml"})
    assert r.status_code == 415


def test_event_stream_from_an_allowed_origin(srv, ana):
    s = SSE(srv, token=ana.token, headers={"Origin": ORIGIN})
    try:
        assert s.status == 200
        assert s.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert s.headers["Access-Control-Expose-Headers"] == EXPOSE
        assert s.headers["Vary"] == "Origin"
        assert s.headers["Content-Type"] == "text/event-stream"
        assert ana.set_status("busy").status_code == 200
        assert s.wait_for(lambda e: e.get("event") == "status") is not None
    finally:
        s.close()
    # the way a page on another origin opens it: a ticket, then EventSource
    r = call(srv, "POST", "/api/events/ticket", headers={"Origin": ORIGIN, "Authorization": "Bearer " + ana.token})
    assert r.status_code == 201
    assert_cors(r)
    s = SSE(srv, query="?ticket=" + r.json()["ticket"], headers={"Origin": ORIGIN})
    try:
        assert s.status == 200
        assert s.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert ana.set_status("available").status_code == 200
        assert s.wait_for(lambda e: e.get("event") == "status") is not None
    finally:
        s.close()
    # a used ticket: 401, readable by the page
    r = call(srv, "GET", "/api/events?ticket=" + r.json()["ticket"], headers={"Origin": ORIGIN})
    assert r.status_code == 401 and "already used" in r.json()["error"]
    assert_cors(r)
    s = SSE(srv, token=ana.token, headers={"Origin": EVIL})
    try:
        assert s.status == 200
        assert not [k for k in s.headers if k.lower().startswith("access-control-")]
    finally:
        s.close()


def test_a_full_server_answers_503_with_the_headers(module_factory):
    # HTTP_MAX_CONNECTIONS=8: six streams at most, the seventh gets 503
    srv = module_factory.start(CORS_ALLOWED_ORIGINS=ORIGIN, HTTP_MAX_CONNECTIONS="8")
    u = User(srv)
    streams = [SSE(srv, token=u.token) for _ in range(6)]
    try:
        assert [s.status for s in streams] == [200] * 6
        r = call(srv, "GET", "/api/events", headers={"Origin": ORIGIN, "Authorization": "Bearer " + u.token})
        assert r.status_code == 503 and r.headers["Retry-After"] == "10"
        assert_cors(r)
        r = call(srv, "GET", "/api/events", headers={"Origin": EVIL, "Authorization": "Bearer " + u.token})
        assert r.status_code == 503
        assert_no_cors(r)
    finally:
        for s in streams:
            s.close()


# --------------------------------------------------------------------------
# routes that never answer CORS


@pytest.mark.parametrize("method,path", [
    ("POST", "/twilio/status"),
    ("POST", "/twilio/voice/inbound"),
    ("POST", "/twilio/voice/fallback"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/"),
    ("GET", "/index.html"),
    ("GET", "/login"),
])
def test_no_cors_outside_the_api(srv, method, path):
    r = call(srv, method, path, headers={"Origin": ORIGIN})
    plain = call(srv, method, path)
    assert r.status_code == plain.status_code
    assert_no_cors(r)
    r = preflight(srv, path, method)
    assert r.status_code in (404, 405), r.status_code
    assert r.status_code == call(srv, "OPTIONS", path).status_code
    assert_no_cors(r)


def test_the_softphone_is_served(srv):
    # the static route is in the table: the checks above meet it
    r = call(srv, "GET", "/")
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]


# --------------------------------------------------------------------------
# credentials: Bearer across origins, cookies same-origin only


def test_no_answer_allows_credentials(srv, ana):
    for r in (preflight(srv, "/api/me", "GET"),
              call(srv, "GET", "/api/me", headers={"Origin": ORIGIN, "Authorization": "Bearer " + ana.token}),
              call(srv, "GET", "/api/me", headers={"Origin": ORIGIN, "Cookie": "ramal_session=" + ana.token})):
        assert "Access-Control-Allow-Credentials" not in r.headers


def test_bearer_from_another_origin_needs_no_cookie_nor_csrf(srv, ana):
    r = call(srv, "PUT", "/api/agents/me/status", json={"status": "offline"},
             headers={"Origin": ORIGIN, "Authorization": "Bearer " + ana.token})
    assert r.status_code == 200, r.text
    assert_cors(r)


def test_cookie_from_another_origin_is_refused_as_before(srv, ana):
    """A state-changing request carried by the session cookie still needs
    X-CSRF-Token, whatever its Origin; and no answer lets a page of another
    origin read what a cookie request returned (no Allow-Credentials)."""
    cookie = {"Cookie": "ramal_session=" + ana.token}
    for origin in (ORIGIN, EVIL, None):
        h = dict(cookie, **({"Origin": origin} if origin else {}))
        r = call(srv, "PUT", "/api/agents/me/status", json={"status": "available"}, headers=h)
        assert r.status_code == 403, r.text
        assert "X-CSRF-Token" in r.json()["error"]
        r = call(srv, "POST", "/api/events/ticket", headers=h)
        assert r.status_code == 403
    # with the CSRF token (only a page of ramal's own origin can read it)
    r = call(srv, "PUT", "/api/agents/me/status", json={"status": "available"},
             headers=dict(cookie, **{"X-CSRF-Token": ana.csrf}))
    assert r.status_code == 200


# --------------------------------------------------------------------------
# configuration


def test_origins_are_normalised(srv):
    r = preflight(srv, "/api/me", "GET", origin="https://softphone.example")
    assert r.status_code == 204
    # the Origin header of a browser is compared without regard to case
    # and echoed as sent
    r = preflight(srv, "/api/me", "GET", origin="https://SOFTPHONE.example")
    assert r.headers["Access-Control-Allow-Origin"] == "https://SOFTPHONE.example"
    assert re.search(r'name=CORS_ALLOWED_ORIGINS value="?https://softphone\.example,http://127\.0\.0\.1:5173',
                     srv.log())


def test_without_the_variable_nothing_answers_cors(module_factory):
    srv = module_factory.start()
    r = preflight(srv, "/api/login", "POST")
    assert r.status_code == 405
    assert_no_cors(r)
    r = call(srv, "GET", "/api/me", headers={"Origin": ORIGIN})
    assert r.status_code == 401
    assert_no_cors(r)


@pytest.mark.parametrize("value,says", [
    ("*", '"*" is refused'),
    ("https://softphone.example, *", "credentials"),
    ("https://*.lovable.app", "no wildcards"),
    ("https://softphone.example/app", "not an origin"),
    ("https://softphone.example?x=1", "not an origin"),
    ("softphone.example", "https://"),
    ("null", "not an origin"),
    ("https://softphone.example:99999", "port"),
])
def test_bad_origins_stop_start_up(module_factory, srv, value, says):
    env = module_factory.env(CORS_ALLOWED_ORIGINS=value, DATABASE_URL=srv.database_url)
    r = harness.run_cli(["serve"], env, timeout=8)
    # a configuration error, as for every variable: one line, exit 2
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ramal: CORS_ALLOWED_ORIGINS: "), lines[0]
    assert says in lines[0], lines[0]
