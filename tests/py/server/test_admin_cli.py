"""Operator commands: agents (create-user, user list) and numbers
(number add / assign / list), as a newcomer would type them."""

import secrets

import pytest

from ramaltest import harness
from ramaltest.server import RamalFactory


@pytest.fixture
def cli_env(pg, fake_twilio_server):
    """A server's environment on a fresh database, for the commands (no
    server is started)."""
    return RamalFactory(pg, fake_twilio_server).env(LOG_LEVEL="warn")


def cli(env, *args, input=None):
    return harness.run_cli(list(args), env, input=input)


def rows(env, *args):
    r = cli(env, *args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.rstrip("\n").split("\n")
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def test_agents_and_dedicated_numbers(cli_env, pg):
    r = cli(cli_env, "create-user", "--email", "Ana.Souza@Example.com", "--name", "Ana Souza")
    assert r.returncode == 0, r.stderr
    # the part before @ made safe: a Voice identity has only letters,
    # digits and _ (this test expected "Ana_Souza" before issue #11)
    assert "identity Ana_Souza" in r.stdout
    r = cli(cli_env, "create-user", "--email", "bruno@example.com", "--name", "Bruno",
            "--identity", "bruno_1", "--role", "supervisor")
    assert r.returncode == 0, r.stderr
    users = {u["identity"]: u for u in rows(cli_env, "user", "list")}
    assert set(users) == {"Ana_Souza", "bruno_1"}
    assert users["Ana_Souza"]["email"] == "ana.souza@example.com"
    assert users["bruno_1"]["role"] == "supervisor"
    assert users["bruno_1"]["status"] == "offline"
    assert users["bruno_1"]["disabled"] == "no"
    r = cli(cli_env, "user", "status", "Ana_Souza", "available")
    assert r.returncode == 0 and "available" in r.stdout, r.stderr
    assert {u["identity"]: u["status"] for u in rows(cli_env, "user", "list")}["Ana_Souza"] == "available"
    r = cli(cli_env, "user", "status", "Ana_Souza", "napping")
    assert r.returncode == 2 and "available, busy" in r.stderr
    r = cli(cli_env, "user", "status", "ghost", "busy")
    assert r.returncode == 1 and "no such user" in r.stderr

    r = cli(cli_env, "number", "add", "+55 (11) 3000-1234", "--label", "Vendas SP",
            "--owner", "Ana_Souza", "--ring-timeout", "25",
            "--disclaimer", "Esta ligação será gravada.")
    assert r.returncode == 0, r.stderr
    nums = rows(cli_env, "number", "list")
    assert nums == [{"number": "+551130001234", "label": "Vendas SP", "owner": "Ana_Souza",
                     "ring_timeout_s": "25", "voicemail": "on", "sid": "", "bundle": "", "bundle_status": "",
                     "webhooks": "unknown", "webhooks_read": "never"}]

    # re-adding updates only what is given; assign moves the number
    assert cli(cli_env, "number", "add", "+551130001234", "--voicemail", "off").returncode == 0
    assert cli(cli_env, "number", "assign", "+551130001234", "bruno_1").returncode == 0
    n = rows(cli_env, "number", "list")[0]
    assert (n["label"], n["owner"], n["voicemail"], n["ring_timeout_s"]) == ("Vendas SP", "bruno_1", "off", "25")
    assert cli(cli_env, "number", "assign", "+551130001234", "none").returncode == 0
    assert rows(cli_env, "number", "list")[0]["owner"] == ""

    conn = pg.connect(harness_db(cli_env))
    with conn, conn.cursor() as cur:
        cur.execute("SELECT disclaimer_text, disclaimer_language, disclaimer_voice FROM phone_numbers")
        assert cur.fetchone() == ("Esta ligação será gravada.", "pt-BR", "Polly.Camila")
    conn.close()


def harness_db(env):
    from ramaltest.database import dbname_of
    return dbname_of(env["DATABASE_URL"])


def test_mistakes_get_clear_errors(cli_env):
    assert cli(cli_env, "create-user", "--email", "a@b.c", "--name", "A").returncode == 0
    r = cli(cli_env, "create-user", "--email", "A@b.c", "--name", "Again")
    assert r.returncode == 1 and "taken" in r.stderr
    r = cli(cli_env, "create-user", "--email", "nobody", "--name", "X")
    assert r.returncode == 2 and "usage" in r.stderr
    r = cli(cli_env, "create-user", "--email", "x@y.z", "--name", "X", "--role", "boss")
    assert r.returncode == 2 and "--role" in r.stderr
    r = cli(cli_env, "number", "add", "11 3000-1234")
    assert r.returncode == 2 and "E.164" in r.stderr
    r = cli(cli_env, "number", "add", "+551130001234", "--owner", "ghost")
    assert r.returncode == 1 and "ghost" in r.stderr
    r = cli(cli_env, "number", "assign", "+551199999999", "a")
    assert r.returncode == 1 and "unknown number" in r.stderr
    r = cli(cli_env, "number", "add", "+551130001234", "--ring-timeout", "500")
    assert r.returncode == 2
    r = cli(cli_env, "number", "frobnicate", "+551130001234")
    assert r.returncode == 2 and "usage" in r.stderr


@pytest.mark.parametrize("given, safe", [("ana.souza", "ana_souza"), ("agent-07", "agent_07"),
                                         ("maria silva", "maria_silva"), ("joão", "jo_o")])
def test_identity_outside_twilios_alphabet_is_refused(cli_env, given, safe):
    """Voice identities have only letters, digits and _, and TaskRouter
    expressions no hyphens: create-user refuses another identity, saying
    which one it could use, and creates nothing."""
    r = cli(cli_env, "create-user", "--email", "ana@example.com", "--name", "Ana", "--identity", given)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "letters, digits and _" in r.stderr and "--identity %s" % safe in r.stderr
    assert rows(cli_env, "user", "list") == []
    r = cli(cli_env, "create-user", "--email", "ana@example.com", "--name", "Ana", "--identity", safe)
    assert r.returncode == 0, r.stderr
    assert [u["identity"] for u in rows(cli_env, "user", "list")] == [safe]


def test_default_identity_from_the_email_is_safe(cli_env):
    for email in ("maria.silva-sp@example.com", "jose+vendas@example.com"):
        assert cli(cli_env, "create-user", "--email", email, "--name", "X").returncode == 0
    assert sorted(u["identity"] for u in rows(cli_env, "user", "list")) == ["jose_vendas", "maria_silva_sp"]


def test_numbers_belong_to_one_account(cli_env, pg):
    sub, tok = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    assert cli(cli_env, "tenant", "add", sub, input=tok + "\n").returncode == 0
    assert cli(cli_env, "number", "add", "+551130009999", "--label", "Matriz").returncode == 0
    r = cli(cli_env, "number", "add", "+551130009999", "--account", sub)
    assert r.returncode == 1 and "another account" in r.stderr
    assert rows(cli_env, "number", "list", "--account", sub) == []
