"""The softphone built into the binary (scripts/embed-web.sh, src/api/webui.c).

`make` builds web/dist and then ramal, which carries those files: a server
started anywhere serves them without WEB_DIR, and WEB_DIR still overrides
them.  These tests compare what is served with web/dist itself.
"""

import http.client
import os
import shutil
import tempfile

import pytest

from ramaltest import harness

DIST = os.path.join(harness.REPO, "web", "dist")
DECOY = b"<!doctype html><title>a web/dist in the working directory</title>\n"


def raw(srv, path):
    """(status, headers with lower-case names, body) of GET path."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def dist_file(rel):
    with open(os.path.join(DIST, rel), "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def dist():
    """web/dist's index.html and one of its assets (URL path, bytes)."""
    if not os.path.exists(os.path.join(DIST, "index.html")):
        pytest.fail("web/dist missing: run `make` (it builds web/dist, then ramal with it)",
                    pytrace=False)
    assets = sorted(os.listdir(os.path.join(DIST, "assets")))
    js = [a for a in assets if a.endswith(".js")]
    asset = (js or assets)[0]
    return dist_file("index.html"), "/assets/" + asset, dist_file(os.path.join("assets", asset))


@pytest.fixture
def elsewhere():
    """A working directory with a decoy web/dist/index.html in it."""
    top = tempfile.mkdtemp(prefix="ramal-cwd-")
    os.makedirs(os.path.join(top, "web", "dist"))
    with open(os.path.join(top, "web", "dist", "index.html"), "wb") as f:
        f.write(DECOY)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def test_the_built_in_softphone_is_served_from_any_directory(ramal_factory, dist, elsewhere):
    index, asset_path, asset = dist
    s = ramal_factory.start(cwd=elsewhere, WEB_DIR=None)
    st, h, body = raw(s, "/")
    assert st == 200 and h["content-type"] == "text/html; charset=utf-8"
    assert body == index, "the binary does not carry this web/dist: run `make` again"
    assert body != DECOY  # nothing is read relative to the working directory
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    st, h, body = raw(s, asset_path)
    assert (st, body) == (200, asset)
    assert h["cache-control"] == "public, max-age=31536000, immutable"
    assert raw(s, "/some/page")[2] == index
    assert raw(s, "/assets/no-such-file.js")[0] == 404
    loaded = [r for r in harness.log_records(s.log()) if r.get("msg") == "softphone loaded"]
    assert loaded and loaded[0]["web_dir"] == "(built in)"
    assert int(loaded[0]["files"]) == sum(len(f) for _, _, f in os.walk(DIST))


def test_web_dir_overrides_the_built_in_copy(ramal_factory, dist, elsewhere):
    index, asset_path, _ = dist
    s = ramal_factory.start(cwd="/", WEB_DIR=os.path.join(elsewhere, "web", "dist"))
    st, _, body = raw(s, "/")
    assert (st, body) == (200, DECOY)
    assert raw(s, asset_path)[0] == 404  # only WEB_DIR's files
    # relative to the working directory, as before
    s = ramal_factory.start(cwd=elsewhere, WEB_DIR="web/dist")
    assert raw(s, "/")[2] == DECOY
    # NAME= is unset: the built-in copy again
    s = ramal_factory.start(cwd=elsewhere, WEB_DIR="")
    assert raw(s, "/")[2] == index
