"""The admin API of numbers: GET/POST /api/admin/numbers, GET
/api/admin/numbers/search, PATCH/DELETE /api/admin/numbers/{sid}
(docs/api.md, "Numbers"), against the fake Twilio with its writes
modelled; every request ramal sends is checked against Twilio's OpenAPI
data.  The same code as `ramal number` (tests/py/server/test_numbers.py):
these tests check the HTTP side (roles, statuses, JSON) and that the two
agree."""

import pytest

from ramaltest import harness
from ramaltest.agents import User
from ramaltest.database import db
from ramaltest.server import BASE_URL

INBOUND = BASE_URL + "/twilio/voice/inbound"
NUM_RE = r"/2010-04-01/Accounts/%s/IncomingPhoneNumbers"


@pytest.fixture(scope="module")
def srv(module_factory):
    return module_factory.start()


@pytest.fixture
def fake(srv, fake_twilio):
    fake_twilio.model_writes(srv.account_sid)
    yield fake_twilio


@pytest.fixture(scope="module")
def admin(srv):
    return User(srv, role="admin")


@pytest.fixture(scope="module")
def agent(srv):
    return User(srv)


@pytest.fixture(autouse=True)
def no_numbers(srv, pg):
    yield
    db(srv, pg, "DELETE FROM phone_numbers")


def error_of(r, status):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert {"error", "request_id"} <= set(body) <= {"error", "request_id", "twilio_code"}, body
    assert body["request_id"] == r.headers["X-Request-Id"]
    return body


def test_search_buy_assign_and_release(srv, pg, fake, admin, agent):
    fake.add_available("+551230001111", locality="São José dos Campos", region="SP")
    # DDD 11 has none: the other DDDs of São Paulo are offered
    r = admin.request("GET", "/api/admin/numbers/search?ddd=11")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["ddd"], body["uf"], body["state"], body["type"], body["numbers"]) == (
        "11", "SP", "São Paulo", "local", [])
    assert [d["ddd"] for d in body["same_state"]] == ["12", "13", "14", "15", "16", "17", "18", "19"]
    assert body["same_state"][0]["numbers"] == [{
        "phone_number": "+551230001111", "friendly_name": "+551230001111", "locality": "São José dos Campos",
        "region": "SP", "address_requirements": "none", "voice": True, "sms": False}]
    r = admin.request("GET", "/api/admin/numbers/search?ddd=12&limit=3")
    assert [n["phone_number"] for n in r.json()["numbers"]] == ["+551230001111"]
    assert r.json()["same_state"] == []

    # without a bundle Twilio refuses (21649); nothing is stored
    r = admin.request("POST", "/api/admin/numbers", json={"phone_number": "+551230001111"})
    body = error_of(r, 502)
    assert body["twilio_code"] == 21649 and "regulatory bundle" in body["error"]
    assert admin.request("GET", "/api/admin/numbers").json()["numbers"] == []

    bundle = fake.add_bundle(srv.account_sid)["sid"]
    r = admin.request("POST", "/api/admin/numbers", json={
        "phone_number": "+55 (12) 3000-1111", "bundle_sid": bundle, "label": "Filial", "owner": agent.identity})
    assert r.status_code == 201, r.text
    bought = r.json()
    (have,) = fake.numbers(srv.account_sid)
    assert bought["outcome"] == "bought"
    n = bought["number"]
    assert (n["sid"], n["phone_number"], n["label"], n["owner"], n["bundle_sid"]) == (
        have["sid"], "+551230001111", "Filial", agent.identity, bundle)
    assert n["webhooks"]["voice_url"] == INBOUND and n["webhooks"]["at_base_url"] is True
    # idempotent: found, not bought again
    r = admin.request("POST", "/api/admin/numbers", json={"phone_number": "+551230001111", "bundle_sid": bundle})
    assert r.status_code == 200 and r.json()["outcome"] == "found"
    # the refused attempt and the purchase; none for the second call
    assert [q.status for q in fake.requests_to("POST", NUM_RE % srv.account_sid + r"\.json$")] == [400, 201]

    # the CLI sees the same number
    r = harness.run_cli(["number", "list"], srv.env)
    assert r.returncode == 0 and have["sid"] in r.stdout and "Filial" in r.stdout

    # owner and label
    path = "/api/admin/numbers/" + have["sid"]
    r = admin.request("PATCH", path, json={"label": "Filial SJC"})
    assert r.status_code == 200 and (r.json()["label"], r.json()["owner"]) == ("Filial SJC", agent.identity)
    error_of(admin.request("PATCH", path, json={"owner": "ghost"}), 400)
    error_of(admin.request("PATCH", path, json={}), 400)
    error_of(admin.request("PATCH", "/api/admin/numbers/PN" + "0" * 32, json={"label": "x"}), 404)

    # a dedicated line is released only with force
    body = error_of(admin.request("DELETE", path), 409)
    assert "dedicated line of agent %s" % agent.identity in body["error"]
    assert fake.requests_to("DELETE", "") == []
    r = admin.request("PATCH", path, json={"owner": None})
    assert r.status_code == 200 and r.json()["owner"] is None
    r = admin.request("DELETE", path)
    assert r.status_code == 200, r.text
    assert r.json() == {"phone_number": "+551230001111", "sid": have["sid"], "twilio": "released"}
    assert fake.numbers(srv.account_sid) == []
    assert admin.request("GET", "/api/admin/numbers").json()["numbers"] == []
    error_of(admin.request("DELETE", path), 404)


def test_only_admins(srv, fake, agent):
    sup = User(srv, role="supervisor")
    for who in (agent, sup):
        for method, path in (("GET", "/api/admin/numbers"), ("GET", "/api/admin/numbers/search?ddd=11"),
                             ("POST", "/api/admin/numbers"), ("PATCH", "/api/admin/numbers/PN" + "1" * 32),
                             ("DELETE", "/api/admin/numbers/PN" + "1" * 32)):
            r = who.request(method, path, json={"phone_number": "+551130000000"})
            assert r.status_code == 403, (who.email, method, path, r.text)
    assert fake.requests == []


@pytest.mark.parametrize("body,needle", [
    (None, "send JSON"),
    ({"phone_number": 5511}, "send JSON"),
    ({"bundle_sid": "BU" + "0" * 32}, "send JSON"),
    ({"phone_number": "11 3000-1111"}, "is not an E.164 number"),
    ({"phone_number": "+551130001111", "bundle_sid": "BU12"}, "BU12 is not a regulatory bundle SID"),
    ({"phone_number": "+551130001111", "address_sid": "AD12"}, "AD12 is not an address SID"),
    ({"phone_number": "+551130001111", "owner": "ghost"}, "has no agent with identity ghost"),
])
def test_bad_purchases_are_400_and_send_nothing(srv, fake, admin, body, needle):
    r = admin.request("POST", "/api/admin/numbers", json=body) if body is not None else \
        admin.request("POST", "/api/admin/numbers", data=b"[]", headers={"Content-Type": "application/json"})
    assert needle in error_of(r, 400)["error"]
    assert fake.requests == []


@pytest.mark.parametrize("query,needle", [
    ("ddd=20", "DDD 20 does not exist"),
    ("ddd=1", "DDD 1 is not two digits"),
    ("", "a DDD is needed"),
    ("ddd=11&type=fax", "type fax"),
    ("ddd=11&limit=0", "limit"),
    ("ddd=11&limit=x", "limit"),
    ("ddd=11&contains=abc", "contains abc"),
])
def test_bad_searches_are_400_and_send_nothing(srv, fake, admin, query, needle):
    assert needle in error_of(admin.request("GET", "/api/admin/numbers/search?" + query), 400)["error"]
    assert fake.requests == []


def test_another_environment_is_409(srv, pg, fake, admin):
    fake.add_available("+551130001111", regulated=False)
    db(srv, pg, "UPDATE tenants SET environment = 'staging' WHERE account_sid = %s", (srv.account_sid,))
    try:
        body = error_of(admin.request("POST", "/api/admin/numbers", json={"phone_number": "+551130001111"}), 409)
        assert "staging environment and this deployment is production" in body["error"]
        assert fake.requests == []
    finally:
        db(srv, pg, "UPDATE tenants SET environment = 'production' WHERE account_sid = %s", (srv.account_sid,))


def test_twilio_unreachable_is_502(srv, fake, admin):
    fake.respond("GET", r"/AvailablePhoneNumbers/", 500, {"code": 20500, "message": "Internal Server Error",
                                                           "status": 500})
    body = error_of(admin.request("GET", "/api/admin/numbers/search?ddd=11"), 502)
    assert body["twilio_code"] == 20500 and "HTTP 500" in body["error"]
