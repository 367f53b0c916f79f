"""GET /token: the signed-in agent's Voice SDK access token, verified with
Twilio's own library (twilio.jwt)."""

import secrets
import subprocess
import time

import pytest
from twilio.jwt import Jwt, JwtDecodeError

from ramaltest import harness
from ramaltest.agents import PASSWORD, add_user, call, login
from ramaltest.server import RamalFactory

API_KEY = "SK" + secrets.token_hex(16)
API_SECRET = secrets.token_hex(16)
APP = "AP" + secrets.token_hex(16)


@pytest.fixture(scope="module")
def srv(module_factory):
    s = module_factory.start(TWILIO_API_KEY_SID=API_KEY, TWILIO_API_KEY_SECRET=API_SECRET,
                             TWILIO_TWIML_APP_SID=APP, TOKEN_TTL_S="1800", LOG_LEVEL="info")
    add_user(s, "ana@example.com", identity="ana_souza")
    return s


def bearer(srv):
    r = login(srv, "ana@example.com")
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def test_token_for_the_signed_in_agent(srv):
    t0 = int(time.time())
    r = call(srv, "GET", "/token", headers=bearer(srv))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["identity"] == "ana_souza"
    tok = Jwt.from_jwt(body["token"], key=API_SECRET)  # verifies HS256 with the secret
    assert tok.headers["cty"] == "twilio-fpa;v=1" and tok.headers["alg"] == "HS256"
    claims = tok.payload
    assert claims["iss"] == API_KEY and claims["sub"] == srv.account_sid
    assert claims["jti"].startswith(API_KEY + "-")
    assert t0 - 5 <= claims["nbf"] <= t0 + 5
    assert claims["exp"] - claims["nbf"] == 1800
    g = claims["grants"]
    assert g["identity"] == "ana_souza"
    assert g["voice"]["incoming"] == {"allow": True}
    assert g["voice"]["outgoing"]["application_sid"] == APP
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(claims["exp"]))
    assert body["expires_at"] == exp
    with pytest.raises(JwtDecodeError):
        Jwt.from_jwt(body["token"], key="not-the-secret")
    assert API_SECRET not in srv.log()


def test_token_needs_a_session(srv):
    r = call(srv, "GET", "/token")
    assert r.status_code == 401 and r.json()["error"]
    r = call(srv, "GET", "/token", headers={"Authorization": "Bearer " + "x" * 43})
    assert r.status_code == 401


def test_token_without_an_api_key_says_what_to_set(pg, fake_twilio_server):
    factory = RamalFactory(pg, fake_twilio_server)
    try:
        s = factory.start(LOG_LEVEL="info")
        add_user(s, "bia@example.com")
        r = call(s, "GET", "/token", headers=bearer_of(s, "bia@example.com"))
        assert r.status_code == 503 and "TWILIO_API_KEY_SID" in r.json()["error"]
    finally:
        factory.close()


def bearer_of(s, email):
    r = login(s, email, PASSWORD)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def test_openapi_describes_what_the_server_serves(srv):
    """docs/openapi.yaml lists every /api and /token route of the route
    table, and /api/me answers the fields its User schema requires."""
    import os
    import re

    import yaml

    top = harness.REPO
    spec = yaml.safe_load(open(os.path.join(top, "docs", "openapi.yaml")))
    table = subprocess.run([harness.ramal_bin(), "routes"], capture_output=True, text=True, check=True).stdout
    routes = [tuple(line.split("\t")[:2]) for line in table.splitlines()]
    routes = [(m, p) for m, p in routes if p == "/token" or p.startswith("/api/")]
    assert ("GET", "/token") in routes and ("POST", "/api/login") in routes
    # a "*" segment of the route table is a {parameter} in the spec
    paths = {re.sub(r"\{[^}/]+\}", "*", p): ops for p, ops in spec["paths"].items()}
    for method, path in routes:
        assert method.lower() in paths.get(path, {}), "%s %s missing from openapi.yaml" % (method, path)
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    assert documented == set(routes)
    me = call(srv, "GET", "/api/me", headers=bearer(srv)).json()
    user = spec["components"]["schemas"]["User"]
    assert set(user["required"]) <= set(me), sorted(me)
