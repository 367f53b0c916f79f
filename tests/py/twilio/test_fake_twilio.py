"""Tests of the fake Twilio REST API itself (tests/py/ramaltest/fake_twilio.py).

Each test runs its own FakeTwilio so that recorded requests and programmed
answers never leak between tests.
"""

import re
import secrets

import pytest

from ramaltest.fake_twilio import FakeTwilio, Workspace
from ramaltest.server import new_session

AC = "AC" + "0123456789abcdef" * 2
TOKEN = secrets.token_hex(16)
SK = "SK" + "fedcba9876543210" * 2
SK_SECRET = secrets.token_hex(16)
WS = "WS" + "1" * 32
WK = "WK" + "2" * 32
WA = "WA" + "3" * 32


@pytest.fixture
def fake():
    f = FakeTwilio().start()
    f.add_account(AC, TOKEN)
    f.add_api_key(SK, SK_SECRET, AC)
    yield f
    f.close()


@pytest.fixture
def s():
    sess = new_session()
    yield sess
    sess.close()


def calls_url(fake, account=AC):
    return "%s/2010-04-01/Accounts/%s/Calls.json" % (fake.url, account)


def valid_call():
    return [
        ("To", "+5511999999999"),
        ("From", "+551130000000"),
        ("Url", "https://ramal.example.test/twilio/voice/outbound"),
        ("StatusCallback", "https://ramal.example.test/twilio/status"),
        ("StatusCallbackEvent", "initiated"),
        ("StatusCallbackEvent", "answered"),
        ("Record", "true"),
        ("RecordingChannels", "dual"),
    ]


def assert_twilio_error(r, status):
    assert r.status_code == status
    assert r.headers["Content-Type"].startswith("application/json")
    j = r.json()
    assert set(j) == {"code", "message", "more_info", "status"}
    assert j["status"] == status
    assert isinstance(j["code"], int)
    assert j["more_info"].startswith("https://www.twilio.com/docs/errors/")
    return j


def test_valid_call_create_gets_201_with_call_sid(fake, s):
    r = s.post(calls_url(fake), data=valid_call(), auth=(AC, TOKEN))
    assert r.status_code == 201, r.text
    j = r.json()
    assert re.fullmatch(r"CA[0-9a-f]{32}", j["sid"])
    assert j["account_sid"] == AC
    assert j["to"] == "+5511999999999"
    assert j["status"] in ("queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled")
    assert j["parent_call_sid"] is None
    assert fake.violations == []
    (rec,) = fake.requests
    assert rec.method == "POST" and rec.auth_user == AC
    assert rec.form_dict()["StatusCallbackEvent"] == ["initiated", "answered"]
    assert rec.operation == "CreateCall"
    assert rec.status == 201


def test_api_key_credentials_are_accepted(fake, s):
    r = s.post(calls_url(fake), data=valid_call(), auth=(SK, SK_SECRET))
    assert r.status_code == 201, r.text
    assert fake.requests[0].auth_user == SK


@pytest.mark.parametrize("mutate, needle", [
    (lambda f: f + [("Bogus", "1")], "unknown parameter Bogus"),
    (lambda f: f + [("Method", "PUT")], "Method='PUT' not one of"),
    (lambda f: [(k, "yes" if k == "Record" else v) for k, v in f], "Record='yes' is not a boolean"),
    (lambda f: f + [("ApplicationSid", "AP123")], "ApplicationSid='AP123' does not match"),
    (lambda f: [(k, v) for k, v in f if k != "To"], "missing required parameter To"),
    (lambda f: f + [("To", "+5511888888888")], "To repeated 2 times"),
    (lambda f: f + [("Timeout", "soon")], "Timeout='soon' is not an integer"),
], ids=["unknown", "enum", "boolean", "sid-pattern", "required", "repeated", "integer"])
def test_form_violations_give_400(fake, s, mutate, needle):
    r = s.post(calls_url(fake), data=mutate(valid_call()), auth=(AC, TOKEN))
    j = assert_twilio_error(r, 400)
    assert needle in j["message"]
    assert len(fake.violations) == 1, fake.violations
    assert needle in fake.violations[0][2]


def test_repeated_array_key_is_fine_but_capitalised_boolean_is_not(fake, s):
    form = valid_call() + [("StatusCallbackEvent", "completed")]
    assert s.post(calls_url(fake), data=form, auth=(AC, TOKEN)).status_code == 201
    form = [(k, "True" if k == "Record" else v) for k, v in valid_call()]
    assert s.post(calls_url(fake), data=form, auth=(AC, TOKEN)).status_code == 400


def test_json_body_is_a_violation(fake, s):
    r = s.post(calls_url(fake), json=dict(valid_call()), auth=(AC, TOKEN))
    assert_twilio_error(r, 400)
    assert any("x-www-form-urlencoded" in v for _, _, v in fake.violations)


@pytest.mark.parametrize("auth", [None, (AC, "wrong"), ("AC" + "f" * 32, TOKEN), (SK, TOKEN)],
                         ids=["none", "bad-token", "unknown-account", "key-with-token"])
def test_wrong_basic_auth_is_401(fake, s, auth):
    r = s.post(calls_url(fake), data=valid_call(), auth=auth)
    j = assert_twilio_error(r, 401)
    assert j["code"] == 20003
    assert any(v.startswith("auth:") for _, _, v in fake.violations)


def test_other_accounts_resources_are_401(fake, s):
    other = "AC" + "9" * 32
    fake.add_account(other, "othertoken")
    r = s.post(calls_url(fake, other), data=valid_call(), auth=(AC, TOKEN))
    assert_twilio_error(r, 401)
    # a parent account may act on its subaccount
    sub = "AC" + "8" * 32
    fake.add_account(sub, "subtoken", parent=AC)
    assert s.post(calls_url(fake, sub), data=valid_call(), auth=(AC, TOKEN)).status_code == 201


def test_unknown_path_is_404(fake, s):
    r = s.post(fake.url + "/2010-04-01/Accounts/%s/Bogus.json" % AC, data={"A": "b"}, auth=(AC, TOKEN))
    j = assert_twilio_error(r, 404)
    assert j["code"] == 20404
    r = s.get(fake.url + "/v2/Workspaces", auth=(AC, TOKEN))
    assert_twilio_error(r, 404)


def test_bad_sid_in_path_is_404(fake, s):
    r = s.get(fake.url + "/2010-04-01/Accounts/%s/Calls/CA123.json" % AC, auth=(AC, TOKEN))
    assert_twilio_error(r, 404)
    assert any("path param Sid" in v for _, _, v in fake.violations)


def test_wrong_method_is_405(fake, s):
    r = s.delete(fake.url + "/2010-04-01/Accounts/%s/Conferences.json" % AC, auth=(AC, TOKEN))
    assert_twilio_error(r, 405)


def test_query_params_are_checked_on_get(fake, s):
    r = s.get(calls_url(fake), params={"Status": "completed", "PageSize": "20"}, auth=(AC, TOKEN))
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["calls"] == [] and j["next_page_uri"] is None
    r = s.get(calls_url(fake), params={"Status": "done"}, auth=(AC, TOKEN))
    assert "Status='done'" in assert_twilio_error(r, 400)["message"]


def test_taskrouter_worker_activity_update(fake, s):
    r = s.post("%s/v1/Workspaces/%s/Workers/%s" % (fake.url, WS, WK),
               data={"ActivitySid": WA, "RejectPendingReservations": "true"}, auth=(AC, TOKEN))
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["sid"] == WK and j["workspace_sid"] == WS and j["activity_sid"] == WA
    assert fake.violations == []
    assert fake.requests[0].product == "taskrouter_v1"
    r = s.post("%s/v1/Workspaces/%s/Workers/%s" % (fake.url, WS, WK),
               data={"ActivitySid": "WX123"}, auth=(AC, TOKEN))
    assert_twilio_error(r, 400)


def test_taskrouter_task_moves_only_as_twilio_documents(fake, s):
    """A modelled workspace's task goes assigned -> wrapping -> completed by
    REST; a move TaskRouter's lifecycle has no arrow for is a 400."""
    ws = fake.add_workspace(Workspace())
    wk = ws.add_worker({"identity": "ana"})

    def move(wt, status):
        return s.post("%s/v1/Workspaces/%s/Tasks/%s" % (fake.url, ws.sid, wt),
                      data={"AssignmentStatus": status, "Reason": "test"}, auth=(AC, TOKEN))

    wt = ws.create_task({"type": "inbound"})
    assert_twilio_error(move(wt, "completed"), 400)  # pending: only canceled
    assert_twilio_error(move(wt, "wrapping"), 400)
    ws.accept(ws.route(wt), "instruction")
    assert ws.task(wt)["status"] == "assigned" and not ws.can_take(wk)
    assert_twilio_error(move(wt, "canceled"), 400)  # an assigned task ends only at completed
    assert move(wt, "wrapping").status_code == 200 and ws.task(wt)["status"] == "wrapping"
    assert not ws.can_take(wk)  # wrapping still holds the worker
    assert_twilio_error(move(wt, "assigned"), 400)
    assert move(wt, "completed").status_code == 200 and ws.task(wt)["status"] == "completed"
    assert ws.can_take(wk)
    assert_twilio_error(move(wt, "wrapping"), 400)  # completed is final
    assert [e.code for e in ws.errors] == [20001] * 5


def test_a_calls_update_twiml_is_checked_as_a_call_document(fake, s):
    url = "%s/2010-04-01/Accounts/%s/Calls/%s.json" % (fake.url, AC, "CA" + "4" * 32)
    good = ('<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Conference beep="false"'
            ' record="record-from-start">ramal-x</Conference></Dial></Response>')
    assert s.post(url, data={"Twiml": good}, auth=(AC, TOKEN)).status_code == 200
    assert fake.take_unexpected() == []
    bad = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Say>x</Say></Dial></Response>'
    j = assert_twilio_error(s.post(url, data={"Twiml": bad}, auth=(AC, TOKEN)), 400)
    assert "13215" in j["message"]
    assert len(fake.take_unexpected()) == 1


def test_delete_recording_is_204(fake, s):
    r = s.delete("%s/2010-04-01/Accounts/%s/Recordings/RE%s.json" % (fake.url, AC, "4" * 32), auth=(AC, TOKEN))
    assert r.status_code == 204 and r.content == b""


def test_programmed_responses(fake, s):
    fake.respond("POST", r"/Calls\.json$", 503, {"code": 20500, "message": "oops", "more_info": "", "status": 503},
                 times=1)
    r = s.post(calls_url(fake), data=valid_call(), auth=(AC, TOKEN))
    assert r.status_code == 503 and r.json()["code"] == 20500
    # used up: the next request gets the spec answer again
    assert s.post(calls_url(fake), data=valid_call(), auth=(AC, TOKEN)).status_code == 201
    # paths outside the spec (recording media) can be programmed too
    fake.respond("GET", r"/Recordings/RE[0-9a-f]+\.wav$", 200, b"RIFF....WAVE", headers={"Content-Type": "audio/x-wav"})
    r = s.get("%s/2010-04-01/Accounts/%s/Recordings/RE%s.wav" % (fake.url, AC, "5" * 32), auth=(AC, TOKEN))
    assert r.status_code == 200 and r.content == b"RIFF....WAVE"
    assert r.headers["Content-Type"] == "audio/x-wav"
    # but auth is still checked first
    r = s.get("%s/2010-04-01/Accounts/%s/Recordings/RE%s.wav" % (fake.url, AC, "5" * 32), auth=(AC, "x"))
    assert r.status_code == 401
    assert len(fake.requests) == 4
    fake.reset()
    assert fake.requests == [] and fake.violations == []


def test_official_twilio_client_requests_pass_the_fake(fake):
    """twilio-python's own requests must be accepted as-is, and it must be
    able to read the fake's answers: an independent check of the fake."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class Redirect(TwilioHttpClient):
        def request(self, method, url, **kw):
            for real in ("https://api.twilio.com", "https://taskrouter.twilio.com"):
                if url.startswith(real):
                    url = fake.url + url[len(real):]
            return super().request(method, url, **kw)

    http = Redirect()
    http.session.trust_env = False
    client = Client(AC, TOKEN, http_client=http)
    # twilio-python 7.7 puts Python booleans on the wire as "True"; newer
    # releases (and ramal) send "true", which is what the fake insists on.
    call = client.calls.create(to="+5511999999999", from_="+551130000000", url="https://x.test/t",
                               status_callback_event=["initiated", "completed"], record="true",
                               machine_detection="Enable", timeout=20)
    assert call.sid.startswith("CA") and call.account_sid == AC
    client.calls(call.sid).update(status="completed")
    worker = client.taskrouter.workspaces(WS).workers(WK).update(activity_sid=WA)
    assert worker.activity_sid == WA
    assert list(client.calls.list(status="in-progress", limit=5)) == []
    assert fake.violations == []
    assert [r.status for r in fake.requests] == [201, 200, 200, 200]


def redirected_client(fake):
    """twilio-python talking to the fake: an independent reader and writer
    of what the fake models."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class Redirect(TwilioHttpClient):
        def request(self, method, url, **kw):
            for real in ("https://api.twilio.com", "https://taskrouter.twilio.com", "https://numbers.twilio.com"):
                if url.startswith(real):
                    url = fake.url + url[len(real):]
            return super().request(method, url, **kw)

    http = Redirect()
    http.session.trust_env = False
    return Client(AC, TOKEN, http_client=http)


def test_numbers_for_sale_and_buying_them_by_twilios_rules(fake):
    from twilio.base.exceptions import TwilioRestException

    fake.model_writes(AC)
    fake.add_available("+551130030001", locality="São Paulo", region="SP")
    fake.add_available("+551130040002")
    fake.add_available("+552130001111")
    client = redirected_client(fake)
    br = client.available_phone_numbers("BR")
    assert [n.phone_number for n in br.local.list(contains="+5511")] == ["+551130030001", "+551130040002"]
    assert [n.phone_number for n in br.local.list(contains="+55113003")] == ["+551130030001"]
    assert [n.phone_number for n in br.local.list(contains="0002$")] == ["+551130040002"]
    assert [n.locality for n in br.local.list(contains="+5511", limit=1)] == ["São Paulo"]
    assert br.mobile.list(contains="+5511") == []

    # Brazilian numbers need an approved bundle; an unlisted one is 21422
    with pytest.raises(TwilioRestException) as e:
        client.incoming_phone_numbers.create(phone_number="+551130030001")
    assert e.value.code == 21649
    pending = fake.add_bundle(AC, status="in-review")["sid"]
    with pytest.raises(TwilioRestException) as e:
        client.incoming_phone_numbers.create(phone_number="+551130030001", bundle_sid=pending)
    assert e.value.code == 21649
    with pytest.raises(TwilioRestException) as e:
        client.incoming_phone_numbers.create(phone_number="+551139999999")
    assert e.value.code == 21422
    bundle = fake.add_bundle(AC)["sid"]
    pn = client.incoming_phone_numbers.create(phone_number="+551130030001", bundle_sid=bundle,
                                              voice_url="https://a.test/in", friendly_name="Vendas")
    assert (pn.phone_number, pn.bundle_sid, pn.voice_url, pn.friendly_name) == (
        "+551130030001", bundle, "https://a.test/in", "Vendas")
    assert pn.sid.startswith("PN")
    # sold: no longer for sale, and on the account
    assert [n.phone_number for n in br.local.list(contains="+5511")] == ["+551130040002"]
    assert [n.sid for n in client.incoming_phone_numbers.list(phone_number="+551130030001")] == [pn.sid]
    assert client.numbers.v2.regulatory_compliance.bundles(bundle).fetch().status == "twilio-approved"

    # updates change it, but a frozen field keeps its value
    client.incoming_phone_numbers(pn.sid).update(voice_url="https://b.test/in", status_callback="https://b.test/st")
    fake.freeze(AC, "incoming_phone_numbers", pn.sid, "voice_url")
    got = client.incoming_phone_numbers(pn.sid).update(voice_url="https://c.test/in")
    assert got.voice_url == "https://b.test/in"
    got = client.incoming_phone_numbers(pn.sid).fetch()
    assert (got.voice_url, got.status_callback) == ("https://b.test/in", "https://b.test/st")

    # release: gone, and a second release is 404
    assert client.incoming_phone_numbers(pn.sid).delete() is True
    assert client.incoming_phone_numbers.list() == []
    with pytest.raises(TwilioRestException) as e:
        client.incoming_phone_numbers(pn.sid).delete()
    assert e.value.status == 404
    assert fake.violations == []


def test_writes_change_nothing_unless_modelled(fake, s):
    pn = fake.add_resource(AC, "incoming_phone_numbers", {"phone_number": "+551130000001", "voice_url": "https://a"})
    url = "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json" % (fake.url, AC, pn["sid"])
    assert s.post(url, data={"VoiceUrl": "https://b"}, auth=(AC, TOKEN)).status_code == 200
    assert s.delete(url, auth=(AC, TOKEN)).status_code == 204
    assert fake.resource(AC, "incoming_phone_numbers", pn["sid"])["voice_url"] == "https://a"


def test_a_stalled_answer_keeps_its_effect(fake, s):
    """stall(): the request is handled (a purchase is made) before the
    answer is held back, so a client killed meanwhile missed only the
    answer."""
    import threading

    fake.model_writes(AC)
    fake.add_available("+14155550100", country="US")
    started = fake.stall("POST", r"/IncomingPhoneNumbers\.json$", 0.5)
    url = "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json" % (fake.url, AC)
    t = threading.Thread(target=lambda: s.post(url, data={"PhoneNumber": "+14155550100"}, auth=(AC, TOKEN)))
    t.start()
    assert started.wait(5)
    assert [n["phone_number"] for n in fake.numbers(AC)] == ["+14155550100"]
    t.join(5)
    assert [r.status for r in fake.requests] == [201]
