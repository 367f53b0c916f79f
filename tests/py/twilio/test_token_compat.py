"""Our Voice Access Tokens (src/twilio/token.c) against Twilio's own library.

tests/tools/tokenctl prints a token made by token.c; the same token is made
with twilio.jwt.access_token.AccessToken + VoiceGrant, with time.time
frozen at the same second, and both are decoded by twilio.jwt.Jwt (which
checks the HS256 signature, nbf and exp).  Headers must be equal and the
claims equal but for "iat", which ours carries (= nbf) and twilio-python
leaves out.  The other way round, tokenctl decode must accept Twilio's
token with the right secret and refuse it with a wrong one.
"""

import json
import secrets
import subprocess
import time
from pathlib import Path
from unittest import mock

import jwt as jwt_lib
import pytest
from twilio.jwt import Jwt, JwtDecodeError
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from ramaltest import harness

TOOLS = Path(harness.TOOLS)
TOKENCTL = TOOLS / "tokenctl"

ID121 = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123")
assert len(ID121) == 121


def sid(prefix):
    return prefix + secrets.token_hex(16)


@pytest.fixture(scope="module")
def tokenctl():
    if not TOKENCTL.is_file():
        pytest.fail("no %s (make build/tools/tokenctl, or set RAMAL_TOOLS)" % TOKENCTL)
    return str(TOKENCTL)


@pytest.fixture
def creds():
    return {"account": sid("AC"), "key": sid("SK"), "secret": secrets.token_urlsafe(24)}


def ours(tokenctl, creds, identity, now, ttl=None, app=None, incoming=True, push=None):
    argv = [tokenctl, "new", "--account", creds["account"], "--key", creds["key"],
            "--secret", creds["secret"], "--identity", identity, "--now", str(now)]
    if ttl is not None:
        argv += ["--ttl", str(ttl)]
    if app is not None:
        argv += ["--app", app]
    if not incoming:
        argv.append("--no-incoming")
    if push is not None:
        argv += ["--push", push]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert r.stdout == token + "\n" and token.count(".") == 2
    return token


def theirs(creds, identity, now, ttl=None, app=None, incoming=True, push=None):
    grant = VoiceGrant(outgoing_application_sid=app, incoming_allow=incoming,
                       push_credential_sid=push)
    kw = {} if ttl is None else {"ttl": ttl}
    with mock.patch("time.time", return_value=now + 0.25):
        token = AccessToken(creds["account"], creds["key"], creds["secret"],
                            identity=identity, grants=[grant], **kw)
        return token.to_jwt()


CASES = [
    # identity, ttl, outgoing app, incoming, push credential
    ("alice", 3600, True, True, False),
    ("maria.silva", 60, False, True, False),
    ("agent_07-sp", 86400, True, False, False),
    ("team.sp-agent_07", 3600, True, True, True),
    ("a", 60, False, True, True),
    (ID121, 86400, True, True, False),
    ("default.ttl", None, True, True, False),
]


@pytest.mark.parametrize("identity,ttl,with_app,incoming,with_push", CASES)
def test_same_token_as_twilio(tokenctl, creds, identity, ttl, with_app, incoming, with_push):
    now = int(time.time())
    app = sid("AP") if with_app else None
    push = sid("CR") if with_push else None
    our = ours(tokenctl, creds, identity, now, ttl, app, incoming, push)
    ref = theirs(creds, identity, now, ttl, app, incoming, push)

    # Twilio's library checks our signature, nbf and exp.
    a = Jwt.from_jwt(our, key=creds["secret"])
    b = Jwt.from_jwt(ref, key=creds["secret"])

    assert a.headers == b.headers == {"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"}
    assert jwt_lib.get_unverified_header(our)["cty"] == "twilio-fpa;v=1"

    claims = dict(a.payload)
    assert claims.pop("iat") == now
    assert claims == b.payload
    assert claims["jti"] == "%s-%d" % (creds["key"], now)
    assert claims["iss"] == creds["key"] and claims["sub"] == creds["account"]
    assert claims["nbf"] == now
    assert claims["exp"] == now + (3600 if ttl is None else ttl)
    voice = claims["grants"]["voice"]
    assert claims["grants"]["identity"] == identity
    assert ("incoming" in voice) == incoming
    assert voice.get("outgoing") == ({"application_sid": app} if app else None)
    assert voice.get("push_credential_sid") == push


def test_wrong_secret_refused_by_twilio(tokenctl, creds):
    now = int(time.time())
    our = ours(tokenctl, creds, "alice", now, app=sid("AP"))
    Jwt.from_jwt(our, key=creds["secret"])
    for wrong in (creds["secret"] + "x", creds["secret"][:-1], "secret"):
        with pytest.raises(JwtDecodeError):
            Jwt.from_jwt(our, key=wrong)
    # One payload character changed: refused even with the right secret.
    h, p, s = our.split(".")
    p = p[:10] + ("A" if p[10] != "A" else "B") + p[11:]
    with pytest.raises(JwtDecodeError):
        Jwt.from_jwt(".".join((h, p, s)), key=creds["secret"])


def test_times_honoured_by_twilio(tokenctl, creds):
    now = int(time.time())
    old = ours(tokenctl, creds, "alice", now - 7200, ttl=3600)
    with pytest.raises(JwtDecodeError):
        Jwt.from_jwt(old, key=creds["secret"])  # expired an hour ago
    early = ours(tokenctl, creds, "alice", now + 3600, ttl=3600)
    with pytest.raises(JwtDecodeError):
        Jwt.from_jwt(early, key=creds["secret"])  # nbf and iat in an hour
    recent = ours(tokenctl, creds, "alice", now - 60, ttl=3600)
    assert Jwt.from_jwt(recent, key=creds["secret"]).payload["exp"] == now + 3540


def test_clock_default(tokenctl, creds):
    """Without --now, tokenctl takes the clock, as the /token handler will."""
    before = int(time.time())
    r = subprocess.run([tokenctl, "new", "--account", creds["account"], "--key", creds["key"],
                        "--secret", creds["secret"], "--identity", "alice"],
                       capture_output=True, text=True, timeout=30, check=True)
    after = int(time.time())
    claims = Jwt.from_jwt(r.stdout.strip(), key=creds["secret"]).payload
    assert before <= claims["nbf"] <= after and claims["exp"] == claims["nbf"] + 3600


def decode(tokenctl, token, secret):
    return subprocess.run([tokenctl, "decode", "--secret", secret, token],
                          capture_output=True, text=True, timeout=30)


def test_we_verify_twilio_tokens(tokenctl, creds):
    now = int(time.time())
    ref = theirs(creds, "maria.silva", now, 600, sid("AP"), True, sid("CR"))
    r = decode(tokenctl, ref, creds["secret"])
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["header"] == jwt_lib.get_unverified_header(ref)
    assert got["claims"] == jwt_lib.decode(ref, creds["secret"], algorithms=["HS256"])

    r = decode(tokenctl, ref, creds["secret"] + "x")
    assert r.returncode == 1 and "TOKEN_BAD_SIGNATURE" in r.stderr


def test_we_refuse_other_algorithms(tokenctl, creds):
    payload = {"iss": creds["key"], "sub": creds["account"], "grants": {"identity": "x"}}
    for alg in ("HS384", "HS512"):
        other = jwt_lib.encode(payload, creds["secret"], algorithm=alg, headers={"cty": "twilio-fpa;v=1"})
        r = decode(tokenctl, other, creds["secret"])
        assert r.returncode == 1 and "TOKEN_BAD_ALG" in r.stderr, (alg, r.stderr)
    unsigned = jwt_lib.encode(payload, None, algorithm="none")
    r = decode(tokenctl, unsigned, creds["secret"])
    assert r.returncode == 1 and "TOKEN_BAD_ALG" in r.stderr, r.stderr
    ok = jwt_lib.encode(payload, creds["secret"], algorithm="HS256")
    r = decode(tokenctl, ok, creds["secret"])
    assert r.returncode == 0 and json.loads(r.stdout)["claims"] == payload


@pytest.mark.parametrize("args,why", [
    (["--ttl", "0"], "ttl_s:"),
    (["--ttl", "86401"], "ttl_s:"),
    (["--ttl", "-60"], "ttl_s:"),
    (["--identity", "maria silva"], "identity:"),
    (["--identity", "x" * 122], "identity:"),
    (["--identity", "client:alice"], "identity:"),
    (["--app", "AP123"], "outgoing_application_sid:"),
    (["--push", "AP" + "0" * 32], "push_credential_sid:"),
    (["--secret", ""], "api_key_secret:"),
    (["--no-incoming"], "grants:"),
])
def test_refused(tokenctl, creds, args, why):
    argv = [tokenctl, "new", "--account", creds["account"], "--key", creds["key"],
            "--secret", creds["secret"], "--identity", "alice"] + args
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("tokenctl: " + why), r.stderr
    assert creds["secret"] not in r.stderr
