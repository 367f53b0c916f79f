"""The softphone's files served at / (src/api/webui.c).

A throwaway WEB_DIR stands in for web/dist: an index.html, hashed assets,
a file and a symlink that point outside it.  Requests with dot segments
or escapes go out through http.client so nothing normalises them first.
"""

import http.client
import os
import shutil
import tempfile

import pytest

from ramaltest import harness

INDEX = b"<!doctype html><title>ramal softphone</title><div id=root></div>\n"
JS = b"console.log('app');\n"
CSS = b"body{margin:0}\n"
SECRET = b"outside WEB_DIR: never served\n"


@pytest.fixture(scope="module")
def webdir():
    top = tempfile.mkdtemp(prefix="ramal-web-")
    root = os.path.join(top, "dist")
    os.makedirs(os.path.join(root, "assets"))
    for name, data in (("index.html", INDEX), ("assets/index-3f9a1c.js", JS),
                       ("assets/index-77e0b2.css", CSS), ("favicon.svg", b"<svg/>"),
                       ("assets/tone.wasm", b"\0asm")):
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    with open(os.path.join(top, "secret.txt"), "wb") as f:
        f.write(SECRET)
    os.symlink(os.path.join(top, "secret.txt"), os.path.join(root, "leak.txt"))
    yield root
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def srv(webdir, module_factory):
    # module_factory after webdir: the server stops before its files go
    return module_factory.start(WEB_DIR=webdir)


def raw(srv, path, method="GET"):
    """(status, headers dict with lower-case names, body) for exactly path."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def test_index_is_the_page_with_security_headers(srv):
    st, h, body = raw(srv, "/")
    assert st == 200
    assert body == INDEX
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["cache-control"] == "no-cache"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    csp = h["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "wss://*.twilio.com" in csp and "https://*.twilio.com" in csp
    assert raw(srv, "/index.html")[2] == INDEX


def test_assets_have_their_types_and_long_caching(srv):
    st, h, body = raw(srv, "/assets/index-3f9a1c.js")
    assert (st, body) == (200, JS)
    assert h["content-type"] == "text/javascript; charset=utf-8"
    assert h["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" not in h
    st, h, body = raw(srv, "/assets/index-77e0b2.css")
    assert (st, body, h["content-type"]) == (200, CSS, "text/css; charset=utf-8")
    st, h, _ = raw(srv, "/favicon.svg")
    assert (st, h["content-type"], h["cache-control"]) == (200, "image/svg+xml", "no-cache")
    assert raw(srv, "/assets/tone.wasm")[1]["content-type"] == "application/wasm"


def test_page_paths_fall_back_to_the_app(srv):
    for path in ("/login", "/phone/dialer", "/a/b/c?x=1", "/no-such-file.txt"):
        st, h, body = raw(srv, path)
        assert (st, body) == (200, INDEX), path
        assert h["cache-control"] == "no-cache"
    # A missing asset is a 404, never the page parsed as a script.
    st, h, _ = raw(srv, "/assets/index-000000.js")
    assert st == 404 and h["content-type"] == "application/json"


def test_head_has_headers_and_no_body(srv):
    st, h, body = raw(srv, "/assets/index-3f9a1c.js", "HEAD")
    assert st == 200 and body == b""
    assert h["content-type"] == "text/javascript; charset=utf-8"
    assert int(h["content-length"]) == len(JS)
    st, h, body = raw(srv, "/some/page", "HEAD")
    assert st == 200 and body == b"" and int(h["content-length"]) == len(INDEX)


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/assets/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/assets/%2E%2E/%2e%2e/secret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "/assets/%5c..%5csecret.txt",
    "/..%5csecret.txt",
    "/index.html%00.js",
    "/%zz",
    "//etc/passwd",
    "/./index.html",
])
def test_traversal_is_refused(srv, path):
    st, h, body = raw(srv, path)
    assert st in (400, 404), (path, st)
    assert SECRET not in body and b"root:" not in body
    assert h["content-type"] == "application/json"


def test_a_symlink_out_of_web_dir_is_not_served(srv):
    st, _, body = raw(srv, "/leak.txt")
    assert SECRET not in body
    assert (st, body) == (200, INDEX)  # just another page path


def test_unknown_api_and_twilio_paths_stay_json_404(srv):
    for path in ("/api/nope", "/api", "/twilio/nope", "/token/x", "/api/%2e%2e/index.html"):
        st, h, body = raw(srv, path)
        assert st == 404, path
        assert h["content-type"] == "application/json"
        assert b'"error"' in body and INDEX not in body
    # Known paths keep their own routes and methods.
    st, h, _ = raw(srv, "/api/login", "GET")
    assert st == 405 and "POST" in h["allow"]
    st, _, _ = raw(srv, "/index.html", "POST")
    assert st == 404
    assert raw(srv, "/healthz")[0] == 200
    assert raw(srv, "/token")[0] == 401


@pytest.mark.parametrize("layout", ["missing", "no-index"])
def test_missing_web_dir_is_logged_and_paths_stay_404(ramal_factory, layout):
    if layout == "missing":
        web = os.path.join(tempfile.gettempdir(), "ramal-no-such-web-dir-%d" % os.getpid())
        want = "WEB_DIR not found"
    else:
        web = tempfile.mkdtemp(prefix="ramal-web-noindex-")
        with open(os.path.join(web, "app.js"), "w") as f:
            f.write("x")
        want = "WEB_DIR has no index.html"
    s = ramal_factory.start(WEB_DIR=web)
    for path in ("/", "/login", "/app.js"):
        st, h, body = raw(s, path)
        assert st == 404 and h["content-type"] == "application/json", path
    assert raw(s, "/healthz")[0] == 200
    assert raw(s, "/api/nope")[0] == 404
    lines = [r for r in harness.log_records(s.log()) if r.get("msg", "").startswith(want)]
    assert lines and lines[0]["web_dir"] == web and lines[0]["level"] == "warn"
    assert "run `make`" in lines[0]["msg"]
    assert s.alive()
    if layout == "no-index":
        shutil.rmtree(web, ignore_errors=True)
