"""ramal servers for the tests: the default environment of a new server
and RamalFactory, which starts servers on fresh databases and stops and
checks them when it is closed (the conftest fixtures ramal_factory,
module_factory and ramal are made of it)."""

import secrets

import pytest
import requests

from . import harness
from .database import dbname_of

BASE_URL = "https://ramal.example.test"


def random_account_sid():
    return "AC" + secrets.token_hex(16)


def random_token():
    return secrets.token_hex(16)


def new_session():
    s = requests.Session()
    s.trust_env = False  # never send loopback traffic through a proxy
    return s


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
            env["TWILIO_NUMBERS_BASE"] = self.fake.url
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
