"""Fixtures for ramal's black-box tests.

pg            one throwaway PostgreSQL cluster for the whole run
fake_twilio   the loopback fake Twilio REST API (requests reset per test)
ramal_factory start(**env) → a running server on a fresh database, stopped
              (SIGTERM, exit 0, no sanitizer report) at teardown, which
              also fails if the server sent the fake Twilio API a request
              that breaks the spec (fake.take_unexpected() clears that
              for tests that do it on purpose)
ramal         a default server shared by a test module
signer        X-Twilio-Signature helpers (twilio's RequestValidator, and a
              hand-built variant for repeated keys)
webhook       POST a signed (or deliberately mis-signed) Twilio webhook
http          a requests.Session that ignores proxy variables
"""

import os
import secrets
import sys
import urllib.parse

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from fake_twilio import FakeTwilio  # noqa: E402

BASE_URL = "https://ramal.example.test"
REPO_SQL = os.path.join(harness.REPO, "sql")
FALLBACK = "/twilio/voice/fallback"


def random_account_sid():
    return "AC" + secrets.token_hex(16)


def random_token():
    return secrets.token_hex(16)


def new_session():
    s = requests.Session()
    s.trust_env = False  # never send loopback traffic through a proxy
    return s


# --------------------------------------------------------------------------
# PostgreSQL and the fake Twilio


@pytest.fixture(scope="session")
def pg():
    cluster = harness.Postgres()
    try:
        cluster.start()
        yield cluster
    finally:
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


class RamalFactory:
    """Starts ramal servers on fresh databases; stops and checks them on close()."""

    def __init__(self, pg, fake):
        self.pg = pg
        self.fake = fake
        self.servers = []

    def env(self, **overrides):
        """The default environment for a new server (a fresh database unless
        DATABASE_URL is given); a None override removes a variable."""
        account = overrides.get("TWILIO_ACCOUNT_SID") or random_account_sid()
        env = {
            "RAMAL_SECRET_KEY": secrets.token_hex(32),
            "BASE_URL": BASE_URL,
            "TWILIO_ACCOUNT_SID": account,
            "TWILIO_AUTH_TOKEN": random_token(),
            "LOG_LEVEL": "debug",
            "PORT": "0",
        }
        if self.fake is not None:
            env["TWILIO_API_BASE"] = self.fake.url
            env["TWILIO_TASKROUTER_BASE"] = self.fake.url
        if "DATABASE_URL" not in overrides:
            env["DATABASE_URL"] = self.pg.dsn(self.pg.create_database())
        return harness.overlay(env, overrides, str)

    def start(self, cwd=None, env=None, **overrides):
        """A started server.  env: use exactly this environment; otherwise
        self.env(**overrides)."""
        env = dict(env) if env is not None else self.env(**overrides)
        srv = harness.Ramal(env, cwd=cwd)
        srv.account_sid = env.get("TWILIO_ACCOUNT_SID")
        srv.auth_token = env.get("TWILIO_AUTH_TOKEN")
        srv.base_url = env.get("BASE_URL", BASE_URL)
        srv.database_url = env.get("DATABASE_URL")
        srv.dbname = dbname_of(env.get("DATABASE_URL"))
        if self.fake is not None and srv.account_sid and srv.auth_token:
            self.fake.add_account(srv.account_sid, srv.auth_token)
        try:
            srv.start()
        except Exception:
            srv.cleanup()
            raise
        self.servers.append(srv)
        return srv

    def close(self):
        problems = []
        for srv in self.servers:
            try:
                if srv.proc is None:
                    continue
                was_running = srv.alive()
                signalled = srv.signalled
                rc = srv.stop()
                if was_running and rc != 0:
                    problems.append("ramal (pid %d) exited with %s at teardown; log tail:\n%s"
                                    % (srv.pid, rc, harness.tail(srv.log())))
                elif not was_running and not signalled:
                    problems.append("ramal (pid %d) exited by itself (code %s) during the test; log tail:\n%s"
                                    % (srv.pid, rc, harness.tail(srv.log())))
            except AssertionError as e:
                problems.append(str(e))
            finally:
                srv.cleanup()
        self.servers = []
        if self.fake is not None:
            bad = self.fake.take_unexpected()
            if bad:
                problems.append("requests to the fake Twilio API that break its spec:\n"
                                + "\n".join("  %s %s: %s" % v for v in bad[:20]))
        if problems:
            pytest.fail("\n\n".join(problems), pytrace=False)


def dbname_of(dsn):
    if not dsn:
        return None
    u = urllib.parse.urlsplit(dsn)
    return urllib.parse.unquote(u.path.lstrip("/")) or None


@pytest.fixture
def ramal_factory(pg, fake_twilio_server):
    f = RamalFactory(pg, fake_twilio_server)
    yield f
    f.close()


@pytest.fixture(scope="module")
def ramal(pg, fake_twilio_server):
    """A default server shared by every test of a module."""
    f = RamalFactory(pg, fake_twilio_server)
    srv = f.start()
    yield srv
    f.close()


@pytest.fixture
def http():
    s = new_session()
    yield s
    s.close()


# --------------------------------------------------------------------------
# signatures and webhooks


class Signer:
    """X-Twilio-Signature helpers.

    params may be a dict or a list of (name, value) pairs.  sign() uses
    twilio's RequestValidator when no key repeats (python-twilio 7.7 has no
    repeated-key support) and harness.twilio_signature otherwise; for
    non-repeated params it first checks that both agree.
    """

    @staticmethod
    def library(token, url, params):
        from twilio.request_validator import RequestValidator

        return RequestValidator(token).compute_signature(url, dict(_pairs(params)))

    @staticmethod
    def manual(token, url, params):
        return harness.twilio_signature(token, url, _pairs(params))

    def sign(self, token, url, params=()):
        pairs = _pairs(params)
        names = [k for k, _ in pairs]
        if len(names) != len(set(names)):
            return self.manual(token, url, pairs)
        lib = self.library(token, url, pairs)
        man = self.manual(token, url, pairs)
        assert lib == man, "hand-built signature disagrees with twilio's RequestValidator"
        return lib

    @staticmethod
    def validate(token, url, params, signature):
        from twilio.request_validator import RequestValidator

        return RequestValidator(token).validate(url, params, signature)


def _pairs(params):
    if isinstance(params, dict):
        return list(params.items())
    return list(params)


@pytest.fixture(scope="session")
def signer():
    s = Signer()
    # the hand-built variant must agree with twilio's own helper
    for pairs in ([], [("a", "1")], [("To", "+5511999999999"), ("From", "client:ana"), ("CalledCity", "São Paulo")],
                  [("b", ""), ("a", "x&y=z"), ("Z", "📞")]):
        url = BASE_URL + FALLBACK
        assert s.library("tok", url, pairs) == s.manual("tok", url, pairs)
    return s


def voice_params(account_sid, **extra):
    """A realistic set of Voice webhook parameters (list of pairs)."""
    p = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA" + secrets.token_hex(16),
        "CallStatus": "ringing",
        "Called": "+551130000000",
        "CalledCity": "São Paulo",
        "CalledCountry": "BR",
        "CalledState": "SP",
        "Caller": "+5511987654321",
        "Direction": "inbound",
        "ErrorCode": "11200",
        "ErrorUrl": "https://ramal.example.test/twilio/voice/inbound",
        "From": "+5511987654321",
        "FromCity": "São Paulo",
        "To": "+551130000000",
        "ToState": "SP",
    }
    return list(harness.overlay(p, extra).items())


class Webhook:
    """Posts Twilio-style webhooks to a server."""

    def __init__(self, signer):
        self.signer = signer
        self.session = new_session()

    def post(self, srv, params, path=FALLBACK, query="", token=None, sign_url=None, signature=None,
             headers=None, body=None, content_type="application/x-www-form-urlencoded", timeout=10):
        """POST params (pairs) to srv at path?query, signed over
        srv.base_url + path + query with token (default: the server's env
        account token) unless signature is given.  body overrides the
        encoded form (signature still computed from params)."""
        token = token if token is not None else srv.auth_token
        q = ("?" + query) if query else ""
        if sign_url is None:
            sign_url = srv.base_url + path + q
        if signature is None:
            signature = self.signer.sign(token, sign_url, params)
        if body is None:
            body = urllib.parse.urlencode(_pairs(params)).encode("utf-8")
        h = {"Content-Type": content_type}
        if signature is not False:
            h["X-Twilio-Signature"] = signature
        h.update(headers or {})
        return self.session.post(srv.url + path + q, data=body, headers=h, timeout=timeout)


@pytest.fixture
def webhook(signer):
    w = Webhook(signer)
    yield w
    w.session.close()
