"""`--help` on every command and subcommand, and usage errors.

Help goes to stdout with exit 0 and needs no configuration: every command
here runs with an empty environment in an empty directory, where any
command that loaded its configuration would stop with exit 2 and
"DATABASE_URL: required".  A usage error prints the usage to stderr, exit 2,
before any configuration is read.
"""

import re

import pytest

from ramaltest import harness

COMMANDS = {
    "serve": [], "migrate": [], "worker": [], "provision": [],
    "tenant": ["add"], "create-user": [],
    "user": ["password", "list", "status"],
    "number": ["add", "assign", "list", "search", "buy", "import", "release"],
    "sync-webhooks": [],
    "simulate": ["inbound", "outbound", "hold"],
    "routes": [], "version": [], "help": [],
}

FORMS = [(c, None) for c in COMMANDS] + [(c, s) for c, subs in COMMANDS.items() for s in subs]


def run(*args, env=None):
    return harness.run_cli(list(args), env or {})


def synopsis(cmd, sub):
    """The usage line of the form: 'usage: ramal cmd [sub]' or an aligned
    'ramal cmd sub' line of a command with several forms."""
    name = cmd + (" " + sub if sub else "")
    return re.compile(r"^(usage: |       )ramal %s( |$)" % re.escape(name), re.M)


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_overview_lists_every_command(args):
    r = run(*args)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert r.stdout.startswith("usage: ramal <command>")
    for cmd, sub in FORMS:
        if sub or not COMMANDS[cmd]:
            want = r"^  %s%s\b" % (re.escape(cmd), " " + sub if sub else "")
            assert re.search(want, r.stdout, re.M), (cmd, sub)


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("cmd,sub", FORMS, ids=["%s-%s" % f for f in FORMS])
def test_every_form_has_help_without_configuration(cmd, sub, flag):
    args = [cmd] + ([sub] if sub else []) + [flag]
    r = run(*args)
    assert (r.returncode, r.stderr) == (0, ""), "%s: %s" % (args, r.stderr)
    assert r.stdout.startswith("usage: ramal "), r.stdout
    assert synopsis(cmd, sub).search(r.stdout), r.stdout
    if sub is None:
        for other in COMMANDS[cmd]:
            assert synopsis(cmd, other).search(r.stdout), (cmd, other)
    else:
        # only that form: the command's other forms are left out
        for other in COMMANDS[cmd]:
            if other != sub:
                assert not synopsis(cmd, other).search(r.stdout), (cmd, other)


def test_help_command_names_a_form():
    r = run("help", "number", "add")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == run("number", "add", "--help").stdout
    assert "--ring-timeout" in r.stdout and "--account" in r.stdout
    assert not synopsis("number", "list").search(r.stdout)


def test_help_wins_wherever_it_stands():
    """After other arguments too, and even with a complete command: nothing
    runs (no database here), the usage is printed."""
    for args in (["number", "add", "+551130000000", "--label", "x", "--help"],
                 ["user", "status", "ana", "available", "-h"],
                 ["simulate", "inbound", "--to", "+551130000000", "--from", "+5511987654321", "--help"],
                 ["tenant", "add", "AC" + "0" * 32, "--help"],
                 ["create-user", "--email", "a@b.c", "--name", "A", "-h"]):
        r = run(*args)
        assert (r.returncode, r.stderr) == (0, ""), (args, r.stderr)
        assert synopsis(args[0], args[1] if args[0] not in ("create-user",) else None).search(r.stdout), args


def test_simulate_help_is_not_an_error():
    r = run("simulate", "--help")
    assert r.returncode == 0 and r.stderr == ""
    for sub in COMMANDS["simulate"]:
        assert "ramal simulate %s" % sub in r.stdout


@pytest.mark.parametrize("args,cmd,sub,why", [
    ([], None, None, "no command given"),
    (["frobnicate"], None, None, "unknown command 'frobnicate'"),
    (["user"], "user", None, "missing subcommand"),
    (["user", "frob"], "user", None, "unknown subcommand frob"),
    (["user", "list", "--colour"], "user", "list", "unknown option --colour"),
    (["user", "status", "ana"], "user", "status", "user status"),
    (["number", "assign", "+551130000000"], "number", "assign", "missing IDENTITY"),
    (["number", "add", "--label"], "number", "add", "--label needs a value"),
    (["number", "buy"], "number", "buy", "missing number"),
    (["number", "search", "--ddd"], "number", "search", "--ddd needs a value"),
    (["number", "release", "+551130000000", "x"], "number", "release", "unexpected argument x"),
    (["number", "import", "--colour"], "number", "import", "unknown option --colour"),
    (["sync-webhooks", "--dry"], "sync-webhooks", None, "unknown option --dry"),
    (["tenant"], "tenant", None, "missing subcommand"),
    (["tenant", "add"], "tenant", "add", "missing AccountSid"),
    (["create-user", "--email", "a@b.c"], "create-user", None, "--name"),
    (["simulate"], "simulate", None, "missing subcommand"),
    (["simulate", "dial"], "simulate", None, "unknown subcommand dial"),
    (["simulate", "inbound", "--to"], "simulate", "inbound", "--to needs a value"),
    (["simulate", "outbound", "--agent", "ana"], "simulate", "outbound", "--to are required"),
    (["simulate", "hold", "--speed", "2"], "simulate", "hold", "unknown option --speed"),
    (["serve", "--port", "80"], "serve", None, "unexpected argument --port"),
    (["version", "now"], "version", None, "unexpected argument now"),
    (["help", "frobnicate"], "help", None, "unknown command frobnicate"),
])
def test_usage_errors_go_to_stderr_with_exit_2(args, cmd, sub, why):
    r = run(*args)
    assert r.returncode == 2, (args, r.returncode, r.stderr)
    assert r.stdout == ""
    first = r.stderr.splitlines()[0]
    assert first.startswith("ramal: ") and why in first, r.stderr
    if cmd is None:
        assert "usage: ramal <command>" in r.stderr
    else:
        assert synopsis(cmd, sub).search(r.stderr), r.stderr
    assert "DATABASE_URL: required" not in r.stderr  # checked before any configuration


def test_good_arguments_still_need_the_configuration():
    """The usage checks come first, the configuration error after."""
    r = run("user", "list")
    assert r.returncode == 2
    assert r.stderr.startswith("ramal: DATABASE_URL: required"), r.stderr
    assert len(r.stderr.splitlines()) == 1 and r.stdout == ""
