"""Fixtures for ramal's black-box tests, each defined once, here.

pg              one throwaway PostgreSQL cluster for the whole run
private_pg      a cluster of the test's own, for a test that stops, freezes or
                restarts it (mark such a test `outage`)
fake_twilio     the loopback fake Twilio REST API (requests reset per test);
                fake_twilio_server is the same server without the reset
ramal_factory   start(**env) → a running server on a fresh database, stopped
                (SIGTERM, exit 0, no sanitizer report) at teardown, which
                also fails if the server sent the fake Twilio API a request
                that breaks the spec (fake.take_unexpected() clears that
                for tests that do it on purpose)
module_factory  the same for servers shared by a module's tests (stopped and
                checked after its last test)
ramal           a default server shared by a module's tests
start_with_db   start_with_db(**env) → (srv, db): a server shared by a
                module's tests and a ramaltest.database.Db on its database
env             (srv, db) of the module's server, started with the module's
                RAMAL_ENV (a dict of overrides; none: the defaults)
signer          X-Twilio-Signature helpers (twilio's RequestValidator, and a
                hand-built variant for repeated keys)
webhook         POST a signed (or deliberately mis-signed) Twilio webhook
http            a requests.Session that ignores proxy variables

The helpers they are made of are the ramaltest package next to this file.
Markers (pytest.ini, --strict-markers): outage, slow, e2e; `make test-fast`
runs -m "not slow and not outage and not e2e".
"""

import pytest

from ramaltest.database import Db, Postgres
from ramaltest.fake_twilio import FakeTwilio
from ramaltest.server import BASE_URL, RamalFactory, new_session
from ramaltest.signing import Signer, Webhook
from ramaltest.voice import FALLBACK

# --------------------------------------------------------------------------
# markers


def pytest_collection_modifyitems(config, items):
    """A test with a cluster of its own (private_pg) has it to take it down,
    so it must be marked outage (-m "not outage" then leaves it out)."""
    unmarked = [item.nodeid for item in items
                if "private_pg" in getattr(item, "fixturenames", ()) and item.get_closest_marker("outage") is None]
    if unmarked:
        raise pytest.UsageError("tests that use private_pg must be marked outage:\n  " + "\n  ".join(unmarked))


# --------------------------------------------------------------------------
# PostgreSQL and the fake Twilio


@pytest.fixture(scope="session")
def pg():
    cluster = Postgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture
def private_pg(request):
    """A started cluster of this test's own, removed after it: the test may
    stop, freeze or restart it without disturbing the others."""
    cluster = Postgres(prefix="ramal-pg-%s-" % request.module.__name__.rpartition(".")[2])
    cluster.start()
    yield cluster
    cluster.cleanup()


@pytest.fixture(scope="session")
def fake_twilio_server():
    fake = FakeTwilio().start()
    yield fake
    fake.close()


@pytest.fixture
def fake_twilio(fake_twilio_server):
    fake_twilio_server.reset()
    yield fake_twilio_server
    fake_twilio_server.reset()


# --------------------------------------------------------------------------
# ramal


@pytest.fixture
def ramal_factory(pg, fake_twilio_server):
    f = RamalFactory(pg, fake_twilio_server)
    yield f
    f.close()


@pytest.fixture(scope="module")
def module_factory(pg, fake_twilio_server):
    """A RamalFactory whose servers live until the module's last test."""
    f = RamalFactory(pg, fake_twilio_server)
    yield f
    f.close()


@pytest.fixture(scope="module")
def ramal(module_factory):
    """A default server shared by every test of a module."""
    return module_factory.start()


@pytest.fixture(scope="module")
def start_with_db(pg, module_factory):
    """start_with_db(**overrides) → (srv, db): a server shared by the
    module's tests and an autocommit Db on its database."""
    dbs = []

    def start(**overrides):
        srv = module_factory.start(**overrides)
        dbs.append(Db(pg, srv))
        return srv, dbs[-1]

    yield start
    for db in dbs:
        db.close()


@pytest.fixture(scope="module")
def env(request, start_with_db):
    """(srv, db): the module's server, started with the overrides in the
    module's RAMAL_ENV, and a Db on its database."""
    return start_with_db(**getattr(request.module, "RAMAL_ENV", {}))


@pytest.fixture
def http():
    s = new_session()
    yield s
    s.close()


# --------------------------------------------------------------------------
# signatures and webhooks


@pytest.fixture(scope="session")
def signer():
    s = Signer()
    # the hand-built variant must agree with twilio's own helper
    for pairs in ([], [("a", "1")], [("To", "+5511999999999"), ("From", "client:ana"), ("CalledCity", "São Paulo")],
                  [("b", ""), ("a", "x&y=z"), ("Z", "📞")]):
        url = BASE_URL + FALLBACK
        assert s.library("tok", url, pairs) == s.manual("tok", url, pairs)
    return s


@pytest.fixture
def webhook(signer):
    w = Webhook(signer)
    yield w
    w.session.close()
