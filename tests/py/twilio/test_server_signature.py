"""X-Twilio-Signature checking on POST /twilio/voice/fallback, and the TwiML
it answers.  Signatures come from twilio-python's RequestValidator (and a
hand-built equivalent for repeated keys), never from ramal's own code."""

import hashlib
import json
import random
import secrets
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from ramaltest import harness
from ramaltest.voice import FALLBACK, voice_params

SAY_VOICE = "Polly.Camila"
SAY_LANG = "pt-BR"


# --------------------------------------------------------------------------
# helpers


def assert_twiml(r, srv, recorded=False):
    """The fallback's TwiML: a pt-BR Say, then Record (or Hangup after it)."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"].split(";")[0].strip() == "text/xml"
    root = ET.fromstring(r.content)
    assert root.tag == "Response"
    verbs = list(root)
    assert verbs, "empty <Response/> would drop the caller"
    say = verbs[0]
    assert say.tag == "Say"
    assert say.get("language") == SAY_LANG and say.get("voice") == SAY_VOICE
    assert (say.text or "").strip()
    tags = [v.tag for v in verbs]
    if recorded:
        assert "Record" not in tags
        assert tags[-1] == "Hangup"
    else:
        rec = root.find("Record")
        assert rec is not None, tags
        assert tags.index("Record") > 0
        assert rec.get("action") == srv.base_url + FALLBACK + "?step=recorded"
        assert rec.get("maxLength") == "120"
        assert rec.get("playBeep") == "true"
        assert rec.get("method", "POST").upper() == "POST"
    return root


def assert_forbidden(r, srv=None):
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    j = r.json()
    assert j == {"error": "forbidden", "request_id": r.headers["X-Request-Id"]}
    if srv is not None:
        rid = r.headers["X-Request-Id"]
        srv.wait_log(lambda rec: rec.get("level") == "warn" and rec.get("req") == rid
                     and rec.get("msg") != "request")


# --------------------------------------------------------------------------
# generated cases

ODD_VALUES = [
    "São Paulo", "📞 ligação recebida", "+5511999999999", "a&b=c", "=", "&", "", " ", "  two  spaces ",
    "%", "%41", "100%", "a+b", "+", "line1\nline2", "tab\there", "<Say>&amp;</Say>", "日本語", "quote\"'",
    "semi;colon", "slash/and?question", "#hash", "ção" * 50, "x" * 1500, "ñ", "Ω≈ç√", "🇧🇷",
]
ODD_KEYS = ["a", "Z", "_underscore", "Digits", "SpeechResult", "Custom-Param", "x.y", "lower", "UPPER"]
QUERIES = ["", "foo=bar", "a=1&b=2", "q=S%C3%A3o%20Paulo", "x=a%2Bb", "empty=", "flag", "k=v&k=w",
           "plus=a+b", "uni=%F0%9F%93%9E"]


def generate_case(rng, account_sid):
    params = voice_params(account_sid)
    if rng.random() < 0.5:
        params = [(k, v) for k, v in params if k in ("AccountSid", "CallSid") or rng.random() < 0.7]
    for _ in range(rng.randint(0, 6)):
        params.append((rng.choice(ODD_KEYS), rng.choice(ODD_VALUES)))
    for _ in range(rng.randint(0, 3)):
        k = rng.choice(params)[0]
        params.append((k, rng.choice(ODD_VALUES)))  # may repeat a key
    if not any(k == "AccountSid" for k, _ in params):
        params.append(("AccountSid", account_sid))
    # AccountSid must stay single-valued
    seen_acc = False
    cleaned = []
    for k, v in params:
        if k == "AccountSid":
            if seen_acc:
                continue
            seen_acc = True
            v = account_sid
        cleaned.append((k, v))
    rng.shuffle(cleaned)
    query = rng.choice(QUERIES)
    with_port = rng.random() < 0.3
    quote_via = rng.choice([urllib.parse.quote_plus, urllib.parse.quote])
    return cleaned, query, with_port, quote_via


def sign_url(srv, query, with_port=False):
    base = srv.base_url
    if with_port:
        u = urllib.parse.urlsplit(base)
        base = "%s://%s:%d" % (u.scheme, u.hostname, 443 if u.scheme == "https" else 80)
    return base + FALLBACK + (("?" + query) if query else "")


CASES = 40


@pytest.mark.parametrize("seed", range(CASES))
def test_generated_signed_requests(ramal, webhook, seed):
    rng = random.Random(seed)
    params, query, with_port, quote_via = generate_case(rng, ramal.account_sid)
    url = sign_url(ramal, query, with_port)
    body = urllib.parse.urlencode(params, quote_via=quote_via).encode()
    r = webhook.post(ramal, params, query=query, sign_url=url, body=body)
    assert_twiml(r, ramal, recorded=False)

    # the same request tampered one way or another is refused
    sig = webhook.signer.sign(ramal.auth_token, url, params)
    tampers = []
    i = rng.randrange(len(params))
    k, v = params[i]
    if k != "AccountSid":
        changed = params[:i] + [(k, v + "x")] + params[i + 1:]
        tampers.append(("value", dict(body=urllib.parse.urlencode(changed).encode())))
        dropped = params[:i] + params[i + 1:]
        tampers.append(("dropped", dict(body=urllib.parse.urlencode(dropped).encode())))
    tampers.append(("added", dict(body=urllib.parse.urlencode(params + [("Extra", "1")]).encode())))
    tampers.append(("query", dict(query=(query + "&" if query else "") + "z=1")))
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    tampers.append(("signature", dict(signature=flipped)))
    for name, change in tampers:
        kw = dict(query=query, sign_url=url, body=body, signature=sig)
        kw.update(change)
        resp = webhook.post(ramal, params, **kw)
        assert resp.status_code == 403, "tamper %s accepted: %s" % (name, resp.text[:200])


def test_signature_library_cross_check(signer, ramal):
    """Our hand-built signer equals twilio's RequestValidator on every
    generated case without repeated keys, and the library validates it."""
    checked = 0
    for seed in range(CASES):
        params, query, with_port, _ = generate_case(random.Random(seed), ramal.account_sid)
        if len({k for k, _ in params}) != len(params):
            continue
        url = sign_url(ramal, query, with_port)
        lib = signer.library("tok", url, params)
        assert lib == signer.manual("tok", url, params)
        assert signer.validate("tok", url, dict(params), lib)
        checked += 1
    assert checked >= 5


# --------------------------------------------------------------------------
# specific cases


def test_fallback_twiml(ramal, webhook):
    root = assert_twiml(webhook.post(ramal, voice_params(ramal.account_sid)), ramal)
    # whatever follows <Record> must not end the call before it
    tags = [v.tag for v in root]
    assert "Hangup" not in tags[:tags.index("Record")]


def test_fallback_after_recording_hangs_up(ramal, webhook):
    params = voice_params(ramal.account_sid, RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/x/Recordings/RE1",
                          RecordingDuration="12", Digits="hangup")
    assert_twiml(webhook.post(ramal, params, query="step=recorded"), ramal, recorded=True)


@pytest.mark.parametrize("port", [False, True], ids=["no-port", "with-443"])
def test_url_with_and_without_default_port(ramal, webhook, port):
    params = voice_params(ramal.account_sid)
    assert_twiml(webhook.post(ramal, params, sign_url=sign_url(ramal, "", port)), ramal)


def test_space_encodings_are_equivalent(ramal, webhook):
    params = voice_params(ramal.account_sid, CallerName="Maria da Silva", Extra="a b+c")
    for via in (urllib.parse.quote_plus, urllib.parse.quote):
        body = urllib.parse.urlencode(params, quote_via=via).encode()
        assert_twiml(webhook.post(ramal, params, body=body), ramal)
    # lower-case %-escapes are still the same bytes
    body = urllib.parse.urlencode(params).encode()
    lowered = body.replace(b"%C3%A3", b"%c3%a3")
    assert lowered != body
    assert_twiml(webhook.post(ramal, params, body=lowered), ramal)


def test_plus_is_space_and_encoded_plus_is_plus(ramal, webhook):
    # the body says From=+5511... encoded as %2B; signing "+5511..."
    params = voice_params(ramal.account_sid, From="+5511999990000")
    assert_twiml(webhook.post(ramal, params), ramal)
    # a raw "+" in the body is a space, so a signature over "+5511..." fails
    body = urllib.parse.urlencode(params).encode().replace(b"%2B5511999990000", b"+5511999990000")
    assert b"From=+5511999990000" in body
    assert_forbidden(webhook.post(ramal, params, body=body))


def test_repeated_keys_sorted_values(ramal, webhook, signer):
    params = voice_params(ramal.account_sid) + [
        ("StatusCallbackEvent", "ringing"), ("StatusCallbackEvent", "answered"),
        ("StatusCallbackEvent", "completed"), ("Tag", "zeta"), ("Tag", "alpha"), ("Tag", "")]
    url = sign_url(ramal, "")
    good = signer.manual(ramal.auth_token, url, params)
    assert_twiml(webhook.post(ramal, params, signature=good), ramal)

    # values concatenated in arrival order instead of sorted order: refused
    s = url
    by = {}
    for k, v in params:
        by.setdefault(k, []).append(v)
    for k in sorted(by):
        for v in by[k]:
            s += k + v
    import base64
    import hmac

    unsorted = base64.b64encode(hmac.new(ramal.auth_token.encode(), s.encode(), hashlib.sha1).digest()).decode()
    assert unsorted != good
    assert_forbidden(webhook.post(ramal, params, signature=unsorted))


def test_empty_values_and_empty_form(ramal, webhook):
    params = [("AccountSid", ramal.account_sid), ("Empty", ""), ("CallSid", "CA" + "0" * 32)]
    assert_twiml(webhook.post(ramal, params), ramal)


def test_query_string_is_part_of_the_signed_url(ramal, webhook):
    params = voice_params(ramal.account_sid)
    q = "tenant=filial-1&x=S%C3%A3o"
    assert_twiml(webhook.post(ramal, params, query=q), ramal)
    # signed without the query: refused
    assert_forbidden(webhook.post(ramal, params, query=q, sign_url=sign_url(ramal, "")), ramal)


@pytest.mark.parametrize("what", ["missing", "empty", "garbage", "wrong-token", "internal-url",
                                  "other-path", "http-scheme", "no-account", "unknown-account"])
def test_refused(ramal, webhook, what):
    params = voice_params(ramal.account_sid)
    kw = {}
    if what == "missing":
        kw["signature"] = False
    elif what == "empty":
        kw["signature"] = ""
    elif what == "garbage":
        kw["signature"] = "not base64 at all!"
    elif what == "wrong-token":
        kw["token"] = secrets.token_hex(16)
    elif what == "internal-url":
        kw["sign_url"] = ramal.url + FALLBACK
    elif what == "other-path":
        kw["sign_url"] = ramal.base_url + "/twilio/voice/inbound"
    elif what == "http-scheme":
        kw["sign_url"] = ramal.base_url.replace("https://", "http://") + FALLBACK
    elif what == "no-account":
        params = voice_params(ramal.account_sid, AccountSid=None)
    elif what == "unknown-account":
        params = voice_params("AC" + secrets.token_hex(16))
    assert_forbidden(webhook.post(ramal, params, **kw), ramal)


def test_forbidden_log_line_has_no_detail_in_response(ramal, webhook):
    r = webhook.post(ramal, voice_params(ramal.account_sid), token="0" * 32)
    assert_forbidden(r, ramal)
    assert ramal.auth_token not in ramal.log()


# --------------------------------------------------------------------------
# subaccounts


def add_tenant(srv, sid, token, name=None):
    args = ["tenant", "add", sid] + (["--name", name] if name else [])
    return harness.run_cli(args, srv.env, input=token + "\n")


# A running server may remember "unknown account" for a few seconds
# (TENANT_NEGATIVE_TTL_S, 5 s); a change must show within this many.
PICKUP_S = 8.0


def eventually_status(webhook, srv, params, token, status, within=PICKUP_S):
    deadline = time.monotonic() + within
    while True:
        r = webhook.post(srv, params, token=token)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.25)


def test_subaccount_added_by_cli(ramal, webhook):
    sub, tok = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    # unknown before it is added
    assert_forbidden(webhook.post(ramal, voice_params(sub), token=tok))
    r = add_tenant(ramal, sub, tok, "Filial Campinas")
    assert r.returncode == 0, r.stderr
    assert tok not in r.stdout + r.stderr
    assert_twiml(eventually_status(webhook, ramal, voice_params(sub), tok, 200), ramal)
    # the sub's webhook signed with the main token, and the main account's
    # webhook signed with the sub's token, are both refused
    assert_forbidden(webhook.post(ramal, voice_params(sub), token=ramal.auth_token))
    assert_forbidden(webhook.post(ramal, voice_params(ramal.account_sid), token=tok))
    assert tok not in ramal.log()


def test_subaccount_token_update(ramal, webhook):
    sub, old, new = "AC" + secrets.token_hex(16), secrets.token_hex(16), secrets.token_hex(16)
    assert add_tenant(ramal, sub, old).returncode == 0
    assert_twiml(webhook.post(ramal, voice_params(sub), token=old), ramal)
    r = add_tenant(ramal, sub, new)
    assert r.returncode == 0, r.stderr
    # after a token rotation Twilio signs with the new token at once: the
    # server must accept it soon, and stop accepting the old one
    assert_twiml(eventually_status(webhook, ramal, voice_params(sub), new, 200), ramal)
    assert_forbidden(eventually_status(webhook, ramal, voice_params(sub), old, 403))


@pytest.mark.parametrize("sid, token", [("AC123", "t" * 32), ("XX" + "0" * 32, "t" * 32),
                                        ("AC" + "1" * 32, ""), ("AC" + "2" * 32, "\n")],
                         ids=["short-sid", "bad-prefix", "no-token", "blank-token"])
def test_tenant_add_refuses_bad_input(ramal, sid, token):
    r = harness.run_cli(["tenant", "add", sid], ramal.env, input=token)
    assert r.returncode != 0
    assert r.stderr.strip()


# --------------------------------------------------------------------------
# JSON bodies (bodySHA256)


def json_post(webhook, srv, payload, token=None, query_extra="", body_hash=None, sign=True, raw=None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    h = body_hash or hashlib.sha256(body).hexdigest()
    query = (query_extra + "&" if query_extra else "") + "bodySHA256=" + h
    url = srv.base_url + FALLBACK + "?" + query
    token = token or srv.auth_token
    sig = webhook.signer.sign(token, url, []) if sign else "x"
    if sign and body_hash is None and raw is None:
        # twilio's own validator agrees this request is genuine
        assert webhook.signer.validate(token, url, body.decode(), sig)
    return webhook.post(srv, [], query=query, body=body, signature=sig, content_type="application/json")


def json_payload(account_sid, **extra):
    d = {"CallSid": "CA" + secrets.token_hex(16), "From": "+5511987654321", "To": "+551130000000",
         "CalledCity": "São Paulo", "Note": "📞 a&b=c"}
    if account_sid:
        d["AccountSid"] = account_sid
    d.update(extra)
    return d


def test_json_body_with_body_sha256(ramal, webhook):
    assert_twiml(json_post(webhook, ramal, json_payload(ramal.account_sid)), ramal)


def test_json_account_from_query(ramal, webhook):
    r = json_post(webhook, ramal, json_payload(None), query_extra="AccountSid=" + ramal.account_sid)
    assert_twiml(r, ramal)


def test_json_body_tampered(ramal, webhook):
    payload = json_payload(ramal.account_sid)
    body = json.dumps(payload).encode()
    good_hash = hashlib.sha256(body).hexdigest()
    tampered = json.dumps(dict(payload, From="+5511000000000")).encode()
    # signature and hash are for the original body, the tampered one is sent
    assert_forbidden(json_post(webhook, ramal, None, raw=tampered, body_hash=good_hash), ramal)


def test_json_body_refusals(ramal, webhook):
    payload = json_payload(ramal.account_sid)
    assert_forbidden(json_post(webhook, ramal, payload, token=secrets.token_hex(16)))
    assert_forbidden(json_post(webhook, ramal, json_payload("AC" + secrets.token_hex(16))))
    assert_forbidden(json_post(webhook, ramal, json_payload(None)))
    # no bodySHA256 in the URL at all
    body = json.dumps(payload).encode()
    sig = webhook.signer.sign(ramal.auth_token, ramal.base_url + FALLBACK, [])
    assert_forbidden(webhook.post(ramal, [], body=body, signature=sig, content_type="application/json"))


# --------------------------------------------------------------------------
# other BASE_URL shapes


@pytest.mark.parametrize("base, good, bad", [
    # any port may be left out, as Twilio's helper libraries allow (this
    # case refused "http://ramal.example.test" before issue #11)
    ("http://ramal.example.test:8080", ["http://ramal.example.test:8080", "http://ramal.example.test"],
     ["http://ramal.example.test:8081", "http://ramal.example.test:80", "https://ramal.example.test"]),
    ("http://ramal.example.test", ["http://ramal.example.test", "http://ramal.example.test:80"],
     ["http://ramal.example.test:443", "https://ramal.example.test"]),
    ("https://ramal.example.test:443", ["https://ramal.example.test", "https://ramal.example.test:443"],
     ["https://ramal.example.test:80"]),
], ids=["http-8080", "http-default", "https-443-explicit"])
def test_base_url_shapes(ramal_factory, webhook, base, good, bad):
    srv = ramal_factory.start(BASE_URL=base)
    params = voice_params(srv.account_sid)
    for u in good:
        r = webhook.post(srv, params, sign_url=u + FALLBACK)
        assert r.status_code == 200, (u, r.text)
    for u in bad:
        assert_forbidden(webhook.post(srv, params, sign_url=u + FALLBACK))


def test_https_base_url_with_a_port(ramal_factory, webhook, signer):
    """BASE_URL=https://host:8443: Twilio signs an HTTPS voice webhook over
    the URL without the port, and twilio's RequestValidator accepts it with
    and without; so does ramal, for form and JSON (bodySHA256) bodies."""
    srv = ramal_factory.start(BASE_URL="https://ramal.example.test:8443")
    params = voice_params(srv.account_sid)
    with_port = "https://ramal.example.test:8443" + FALLBACK
    without = "https://ramal.example.test" + FALLBACK
    for u in (without, with_port):
        sig = signer.library(srv.auth_token, u, params)
        # what the helper library itself says of the URL ramal is called at
        assert signer.validate(srv.auth_token, with_port, dict(params), sig)
        assert_twiml(webhook.post(srv, params, signature=sig), srv)
    for u in ("https://ramal.example.test:8444", "https://ramal.example.test:443", "http://ramal.example.test:8443",
              "http://ramal.example.test"):
        assert_forbidden(webhook.post(srv, params, sign_url=u + FALLBACK))

    body = json.dumps(json_payload(srv.account_sid)).encode()
    query = "bodySHA256=" + hashlib.sha256(body).hexdigest()
    sig = signer.library(srv.auth_token, without + "?" + query, {})
    assert signer.validate(srv.auth_token, with_port + "?" + query, body.decode(), sig)
    assert_twiml(webhook.post(srv, [], query=query, body=body, signature=sig, content_type="application/json"), srv)


def test_each_callback_signed_as_twilio_signs_it_with_a_port(ramal_factory, webhook, signer):
    """BASE_URL=https://host:8443, each callback signed the way Twilio
    signs its kind (ramaltest.signing.signed_url): a voice webhook and a
    call status callback over the URL without the port, a conference
    callback and a TaskRouter event over the URL with it.  The server
    accepts each, and refuses each signed over another URL."""
    from ramaltest.harness import sid
    from ramaltest.signing import signed_url

    host = "https://ramal.example.test"
    srv = ramal_factory.start(BASE_URL=host + ":8443")
    call = sid("CA")
    cases = [
        # (path, params, the URL Twilio signs, what the answer is)
        (FALLBACK, voice_params(srv.account_sid, CallSid=call), host + FALLBACK, "text/xml"),
        ("/twilio/status", sorted({"AccountSid": srv.account_sid, "CallSid": call, "CallStatus": "completed",
                                   "SequenceNumber": "0", "CallDuration": "7"}.items()),
         host + "/twilio/status", "text/xml"),
        ("/twilio/conference", sorted({"AccountSid": srv.account_sid, "ConferenceSid": sid("CF"),
                                       "FriendlyName": "ramal-" + call, "StatusCallbackEvent": "conference-start",
                                       "SequenceNumber": "0",
                                       "Timestamp": "Mon, 23 Nov 2026 21:01:00 +0000"}.items()),
         host + ":8443/twilio/conference", "text/xml"),
        ("/twilio/taskrouter/events", sorted({"AccountSid": srv.account_sid, "WorkspaceSid": sid("WS"),
                                              "EventType": "workflow.timeout", "EventDescription": "x",
                                              "Sid": sid("EV"), "Timestamp": "1790000000",
                                              "TimestampMs": "1790000000000"}.items()),
         host + ":8443/twilio/taskrouter/events", "application/json"),
    ]
    for path, params, twilio_url, ctype in cases:
        assert signed_url(srv.base_url + path) == twilio_url
        sig = signer.library(srv.auth_token, twilio_url, params)
        r = webhook.post(srv, params, path=path)  # signed by the harness, Twilio's way
        assert r.status_code == 200, (path, r.status_code, r.text)
        assert r.headers["Content-Type"].split(";")[0] == ctype, (path, r.headers)
        # the harness's signature is exactly Twilio's over that URL
        assert webhook.post(srv, params, path=path, signature=sig).status_code == 200, path
        for other in (host + ":8444" + path, "http://ramal.example.test:8443" + path):
            assert webhook.post(srv, params, path=path, sign_url=other).status_code == 403, (path, other)
