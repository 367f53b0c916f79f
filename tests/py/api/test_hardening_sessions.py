"""Open event streams follow their session (issue #10, item 2): sign-out,
a password change, the user disabled or demoted, the tenant suspended —
each ends the user's open /api/events streams within a second, after a
last `session.ended` event that says why."""

import time

import pytest

from ramaltest.agents import User, cli
from ramaltest.database import db
from ramaltest.sse import SSE


@pytest.fixture
def srv(ramal_factory):
    # a long cache and a long heartbeat: only the notification can do it
    return ramal_factory.start(SESSION_CACHE_S="60", EVENTS_HEARTBEAT_S="60")


def ended(stream, within=1.5):
    """The reason of the session.ended event, once the stream closed."""
    t = time.monotonic()
    ev = stream.wait_for(lambda e: e.get("event") == "session.ended", timeout=within)
    assert ev is not None, "no session.ended within %.1f s" % within
    assert stream.closed.wait(max(0.1, within - (time.monotonic() - t)) + 0.5), "stream still open"
    return ev["data"]["reason"]


def test_sign_out_ends_the_stream(srv):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    assert s.status == 200
    other = SSE(srv, token=User(srv).token)
    assert ana.request("POST", "/api/logout").status_code == 200
    assert ended(s) == "signed-out"
    # another user's stream goes on
    assert not other.closed.is_set()
    other.close()


def test_a_password_change_ends_the_stream(srv):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    r = cli(srv, "user", "password", ana.email, "--password-stdin", input="another long password\n")
    assert r.returncode == 0, r.stderr
    assert ended(s) == "password-changed"


def test_disabling_the_user_ends_the_stream(srv, pg):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    db(srv, pg, "UPDATE users SET disabled = true WHERE id = %s", (ana.id,))
    assert ended(s) == "disabled"


def test_demoting_a_supervisor_ends_the_stream(srv, pg):
    sup = User(srv, role="supervisor")
    s = SSE(srv, token=sup.token)
    db(srv, pg, "UPDATE users SET role = 'agent' WHERE id = %s", (sup.id,))
    assert ended(s) == "role-changed"


def test_suspending_the_tenant_ends_every_stream(srv, pg):
    a, b = User(srv), User(srv, role="supervisor")
    sa, sb = SSE(srv, token=a.token), SSE(srv, token=b.token)
    db(srv, pg, "UPDATE tenants SET status = 'suspended' WHERE id = %s", (a.tenant_id,))
    assert ended(sa) == "suspended"
    assert ended(sb) == "suspended"


def test_a_change_that_keeps_the_session_keeps_the_stream(srv, pg):
    ana = User(srv)
    s = SSE(srv, token=ana.token)
    db(srv, pg, "UPDATE users SET name = 'Ana Maria' WHERE id = %s", (ana.id,))
    time.sleep(1.0)
    assert not s.closed.is_set()
    assert ana.set_status("busy").status_code == 200
    assert s.wait_for(lambda e: e.get("event") == "status", timeout=5) is not None
    s.close()
