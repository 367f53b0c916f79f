"""Configuration of `ramal serve`: required variables, one-line errors with
exit code 2, .env handling, PORT/BASE_URL defaults, `ramal version`."""

import base64
import os
import re
import secrets
import tempfile

import pytest

from ramaltest import harness
from ramaltest.voice import voice_params


@pytest.fixture
def good_env(ramal_factory):
    """A complete, valid environment on a fresh database."""
    return ramal_factory.env()


def serve_fails(env, cwd=None):
    """Run `ramal serve` expecting a configuration error; return the line."""
    r = harness.run_cli(["serve"], env, cwd=cwd, timeout=8)
    assert r.returncode == 2, "exit %d, stderr:\n%s" % (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, "want exactly one line on stderr, got:\n%s" % r.stderr
    assert r.stdout == ""
    return lines[0]


def assert_names(line, var):
    assert line.startswith("ramal: %s:" % var), line
    assert len(line) > len("ramal: %s: " % var), "no reason given: %r" % line


def with_(env, **kw):
    return harness.overlay(dict(env), kw)


# --------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("var", ["RAMAL_SECRET_KEY", "DATABASE_URL"])
def test_missing_required_variable(good_env, var):
    assert_names(serve_fails(with_(good_env, **{var: None})), var)


def test_missing_auth_token_when_account_sid_set(good_env):
    assert_names(serve_fails(with_(good_env, TWILIO_AUTH_TOKEN=None)), "TWILIO_AUTH_TOKEN")


@pytest.mark.parametrize("value", ["abc", "65536", "-1", "80x", "1e3", "0x50"])
def test_bad_port(good_env, value):
    line = serve_fails(with_(good_env, PORT=value))
    assert_names(line, "PORT")


@pytest.mark.parametrize("value", [
    "AC123",
    "XX" + "0" * 32,
    "AC" + "g" * 32,
    "AC" + "0" * 33,
    "ac" + "0" * 32,
])
def test_bad_twilio_account_sid(good_env, value):
    assert_names(serve_fails(with_(good_env, TWILIO_ACCOUNT_SID=value)), "TWILIO_ACCOUNT_SID")


@pytest.mark.parametrize("value", [
    "zz" * 32,  # right length, not hex
    "ab" * 31,  # 31 bytes of hex
    "ab" * 33,
    base64.b64encode(b"k" * 16).decode(),  # base64 of 16 bytes
    "not a key",
])
def test_bad_secret_key_is_named_but_not_echoed(good_env, value):
    line = serve_fails(with_(good_env, RAMAL_SECRET_KEY=value))
    assert_names(line, "RAMAL_SECRET_KEY")
    assert value not in line, "the secret's value was printed"


@pytest.mark.parametrize("value", [
    "ftp://ramal.example.test",
    "ramal.example.test",
    "https://ramal.example.test/twilio",
    "https://ramal.example.test?x=1",
    "https://",
    "https://ramal.example.test:99999",
])
def test_bad_base_url(good_env, value):
    assert_names(serve_fails(with_(good_env, BASE_URL=value)), "BASE_URL")


@pytest.mark.parametrize("var, value", [
    ("LOG_LEVEL", "verbose"),
    ("HTTP_THREADS", "many"),
    ("HTTP_MAX_CONNECTIONS", "lots"),
    ("HTTP_CONN_TIMEOUT", "soon"),
    ("DB_POOL_SIZE", "x"),
    ("DB_ACQUIRE_TIMEOUT_MS", "1.5"),
    ("DB_STATEMENT_TIMEOUT_MS", "-"),
    ("SHUTDOWN_TIMEOUT", "forever"),
])
def test_bad_knob_is_named(good_env, var, value):
    assert_names(serve_fails(with_(good_env, **{var: value})), var)


def softphone_refresh_margin_s():
    """The tokenRefreshMs the softphone gives the Voice SDK, in seconds
    (the SDK's default, 10 s, when it sets none)."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "web", "src", "phone", "voice.ts")
    with open(path) as f:
        m = re.search(r"tokenRefreshMs:\s*([0-9_]+)", f.read())
    return int(m.group(1).replace("_", "")) // 1000 if m else 10


@pytest.mark.parametrize("ttl", ["60", "120", "179"])
def test_token_ttl_below_the_softphone_refresh_floor(good_env, ttl):
    """A token that lives less than three times the softphone's refresh
    margin would be renewed in a loop: start-up refuses it and says why."""
    floor = 3 * softphone_refresh_margin_s()
    assert int(ttl) < floor
    line = serve_fails(with_(good_env, TOKEN_TTL_S=ttl))
    assert_names(line, "TOKEN_TTL_S")
    assert "at least %d" % floor in line and "refresh" in line and '"%s"' % ttl in line


def test_token_ttl_at_the_floor_starts(ramal_factory):
    floor = 3 * softphone_refresh_margin_s()
    ramal_factory.start(TOKEN_TTL_S=str(floor))


@pytest.mark.outage
def test_config_errors_do_not_need_the_database(good_env):
    env = with_(good_env, RAMAL_SECRET_KEY=None,
                DATABASE_URL="postgresql://u@/nodb?host=/nonexistent-dir&port=1")
    assert_names(serve_fails(env), "RAMAL_SECRET_KEY")


# --------------------------------------------------------------------------
# .env


def write_dotenv(dirname, values, extra_lines=()):
    lines = ["# ramal test .env", ""]
    lines += ["%s=%s" % kv for kv in values.items()]
    lines += list(extra_lines)
    with open(os.path.join(dirname, ".env"), "w") as f:
        f.write("\n".join(lines) + "\n")


@pytest.fixture
def tmpcwd():
    d = tempfile.mkdtemp(prefix="ramal-dotenv-")
    yield d
    import shutil

    shutil.rmtree(d, ignore_errors=True)


def test_dotenv_is_read(ramal_factory, tmpcwd, webhook):
    full = ramal_factory.env(BASE_URL="https://dotenv.example.test")
    write_dotenv(tmpcwd, {k: v for k, v in full.items() if k != "PORT"}, ["", "# trailing comment"])
    srv = ramal_factory.start(cwd=tmpcwd, env={"PORT": "0"})
    assert harness.parse_logfmt(srv.listen_line)["url"] == "https://dotenv.example.test"
    # the Twilio credentials came from .env too: a webhook signed with that
    # token over the .env BASE_URL is accepted
    srv.auth_token, srv.account_sid = full["TWILIO_AUTH_TOKEN"], full["TWILIO_ACCOUNT_SID"]
    srv.base_url = "https://dotenv.example.test"
    r = webhook.post(srv, voice_params(srv.account_sid))
    assert r.status_code == 200, r.text


def test_environment_overrides_dotenv(ramal_factory, tmpcwd):
    full = ramal_factory.env()
    dotenv = dict(full, BASE_URL="https://dotenv.example.test", PORT="abc")
    write_dotenv(tmpcwd, dotenv)
    env = dict(full, BASE_URL="https://env.example.test", PORT="0")
    srv = ramal_factory.start(cwd=tmpcwd, env=env)
    assert harness.parse_logfmt(srv.listen_line)["url"] == "https://env.example.test"


def test_bad_value_in_dotenv_is_reported(good_env, tmpcwd):
    write_dotenv(tmpcwd, dict(good_env, PORT="abc"))
    line = serve_fails({}, cwd=tmpcwd)
    assert_names(line, "PORT")


def test_no_dotenv_means_missing_variables(tmpcwd):
    line = serve_fails({}, cwd=tmpcwd)
    assert re.match(r"^ramal: [A-Z_]+:", line), line


# --------------------------------------------------------------------------
# values that work


def test_fixed_port_and_default_base_url(ramal_factory, http):
    port = harness.free_port()
    srv = ramal_factory.start(PORT=str(port), BASE_URL=None)
    assert srv.port == port
    assert harness.parse_logfmt(srv.listen_line)["url"] == "http://localhost:%d" % port
    assert http.get("http://127.0.0.1:%d/healthz" % port).status_code == 200


def test_port_zero_gives_distinct_free_ports(ramal_factory):
    a = ramal_factory.start()
    b = ramal_factory.start()
    assert a.port != b.port and a.port > 0 and b.port > 0


def test_base64_and_hex_forms_of_one_key_are_the_same_key(ramal_factory, webhook):
    """A subaccount token sealed by `tenant add` under the base64 form of
    the key is opened by a server given the hex form of the same bytes."""
    raw = secrets.token_bytes(32)
    env64 = ramal_factory.env(RAMAL_SECRET_KEY=base64.b64encode(raw).decode())
    sub, sub_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    r = harness.run_cli(["tenant", "add", sub, "--name", "Filial"], env64, input=sub_token + "\n")
    assert r.returncode == 0, r.stderr
    srv = ramal_factory.start(env=dict(env64, RAMAL_SECRET_KEY=raw.hex()))
    resp = webhook.post(srv, voice_params(sub), token=sub_token)
    assert resp.status_code == 200, resp.text


def test_version_command():
    r = harness.run_cli(["version"], {})
    assert r.returncode == 0
    assert re.fullmatch(r"ramal \S+\n", r.stdout), r.stdout


def test_unknown_command_fails():
    r = harness.run_cli(["frobnicate"], {})
    assert r.returncode != 0
    assert r.stderr.strip()

