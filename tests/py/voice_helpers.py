"""Helpers shared by the test_voice_*.py black-box tests: seeding agents and
numbers with psycopg2, posting signed voice webhooks, following the URLs a
TwiML answer gives, and reading the answers with xml.etree."""

import json
import os
import random
import secrets
import time
import urllib.parse
import xml.etree.ElementTree as ET

import harness
from conftest import BASE_URL

WORKFLOW_SID = "WW" + "ab" * 16
LANG = "pt-BR"
VOICE = "Polly.Camila"
DEFAULT_DISCLAIMER = "Esta ligação poderá ser gravada para fins de qualidade."

INBOUND = "/twilio/voice/inbound"
WHISPER = "/twilio/voice/whisper"
OVERFLOW = "/twilio/voice/overflow"
QUEUE_WAIT = "/twilio/voice/queue-wait"
QUEUE_EXIT = "/twilio/voice/queue-exit"
VOICEMAIL = "/twilio/voice/voicemail"
RECORDING = "/twilio/recording"
STATUS = "/twilio/status"
FALLBACK = "/twilio/voice/fallback"

# Every server of these tests runs no job workers, so a queued job stays
# queued for the test to see (the recording.archive handler is run by
# tests/tools/voicejob where a test needs it).
SERVER_ENV = {"JOB_WORKERS": "0", "LOG_LEVEL": "info"}


def sid(prefix):
    return prefix + secrets.token_hex(16)


def random_did():
    """A Brazilian landline E.164 number no other test uses."""
    return "+5511%08d" % random.randrange(10 ** 8)


def random_mobile():
    return "+55119%08d" % random.randrange(10 ** 8)


class Db:
    """An autocommit psycopg2 connection to a server's database, with the
    inserts the CLI would do (the CLI is someone else's)."""

    def __init__(self, pg, srv):
        self.conn = pg.connect(srv.dbname)
        self.conn.autocommit = True
        self.account_sid = srv.account_sid

    def close(self):
        self.conn.close()

    def one(self, query, args=()):
        with self.conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchone()

    def all(self, query, args=()):
        with self.conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()

    def run(self, query, args=()):
        with self.conn.cursor() as cur:
            cur.execute(query, args)

    def tenant_id(self, account_sid=None):
        return self.one("SELECT id FROM tenants WHERE account_sid = %s",
                        (account_sid or self.account_sid,))[0]

    def add_user(self, status="available", disabled=False, identity=None):
        identity = identity or "agente_" + secrets.token_hex(4)
        uid = self.one(
            "INSERT INTO users (tenant_id, email, name, identity, status, disabled)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (self.tenant_id(), identity + "@example.com", "Agente " + identity, identity, status, disabled))[0]
        return uid, identity

    def add_number(self, owner=None, label="Vendas", ring_timeout_s=20, disclaimer_text=None,
                   disclaimer_language=None, disclaimer_voice=None, disclaimer_audio_url=None,
                   voicemail_enabled=True, e164=None):
        e164 = e164 or random_did()
        nid = self.one(
            "INSERT INTO phone_numbers (tenant_id, e164, label, owner_user_id, ring_timeout_s,"
            " disclaimer_text, disclaimer_language, disclaimer_voice, disclaimer_audio_url,"
            " voicemail_enabled) VALUES (%s, %s, %s, %s, %s, %s, coalesce(%s, 'pt-BR'),"
            " coalesce(%s, 'Polly.Camila'), %s, %s) RETURNING id",
            (self.tenant_id(), e164, label, owner, ring_timeout_s, disclaimer_text, disclaimer_language,
             disclaimer_voice, disclaimer_audio_url, voicemail_enabled))[0]
        return nid, e164

    def call(self, call_sid, *cols):
        cols = cols or ("routing", "phone_number_id", "direction", "from_number", "to_number",
                        "disclaimer_played", "status")
        row = self.one("SELECT %s FROM calls WHERE call_sid = %%s" % ", ".join(cols), (call_sid,))
        return None if row is None else dict(zip(cols, row))


def call_params(account_sid, to, frm=None, call_sid=None, **extra):
    """The parameters Twilio sends to a DID's VoiceUrl (list of pairs)."""
    p = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid or sid("CA"),
        "CallStatus": "ringing",
        "Called": to,
        "CalledCity": "São Paulo",
        "CalledCountry": "BR",
        "CalledState": "SP",
        "Caller": frm or "+5511987654321",
        "Direction": "inbound",
        "From": frm or "+5511987654321",
        "FromCountry": "BR",
        "To": to,
        "ToState": "SP",
    }
    return sorted(harness.overlay(p, extra).items())


def with_params(pairs, **extra):
    return sorted(harness.overlay(dict(pairs), extra).items())


def post(webhook, srv, path, params, query=""):
    """POST a signed webhook; return the response (status 200 asserted)."""
    r = webhook.post(srv, params, path=path, query=query)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r


def twiml(webhook, srv, path, params, query=""):
    """POST a signed voice webhook and return its TwiML root element, after
    checking it is TwiML that keeps the caller somewhere."""
    r = post(webhook, srv, path, params, query)
    assert r.headers["Content-Type"].split(";")[0].strip() == "text/xml", r.headers
    root = ET.fromstring(r.content)
    assert root.tag == "Response"
    assert len(root) > 0, "an empty <Response/> drops the caller: %r" % r.text
    return root


def follow(webhook, srv, url, params):
    """POST to a URL found in a TwiML answer, as Twilio would: it must be
    absolute under BASE_URL; the signature covers it exactly."""
    assert url.startswith(BASE_URL + "/"), url
    u = urllib.parse.urlsplit(url)
    return twiml(webhook, srv, u.path, params, u.query)


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def tags(root):
    return [e.tag for e in root]


def assert_say(el, text=None, contains=(), language=LANG, voice=VOICE):
    assert el.tag == "Say", ET.tostring(el)
    assert el.get("language") == language and el.get("voice") == voice, el.attrib
    body = (el.text or "").strip()
    assert body
    if text is not None:
        assert body == text, body
    for c in contains:
        assert c in body, (c, body)
    return body


def assert_enqueue(root, srv):
    """The <Enqueue> of the queue; returns the parsed Task attributes."""
    enq = root.find("Enqueue")
    assert enq is not None, ET.tostring(root)
    assert tags(root)[-1] == "Enqueue", tags(root)
    assert enq.get("workflowSid") == WORKFLOW_SID
    assert enq.get("action") == srv.base_url + QUEUE_EXIT
    assert enq.get("waitUrl") == srv.base_url + QUEUE_WAIT
    assert enq.get("waitUrlMethod") == "POST"
    assert enq.get("method", "POST") == "POST"
    tasks = enq.findall("Task")
    assert len(tasks) == 1
    attrs = json.loads(tasks[0].text)
    assert attrs["type"] == "inbound"
    return attrs


def assert_voicemail(root, srv):
    """The voicemail prompt: Say, Record (to voicemail?step=done), Say, Hangup."""
    t = tags(root)
    assert "Record" in t, t
    i = t.index("Record")
    assert i >= 1 and t[i - 1] == "Say"
    assert_say(root[i - 1], contains=("mensagem", "sinal"))
    rec = root[i]
    assert rec.get("action") == srv.base_url + VOICEMAIL + "?step=done"
    assert rec.get("maxLength") == "120"
    assert rec.get("finishOnKey") == "#"
    assert rec.get("playBeep") == "true"
    assert rec.get("recordingStatusCallback") == srv.base_url + RECORDING
    assert rec.get("recordingStatusCallbackEvent") == "completed absent"
    assert t[-1] == "Hangup"
    return rec


def assert_hangup_only(root):
    assert tags(root) == ["Hangup"], ET.tostring(root)


def wait_for(fn, within, step=0.2):
    deadline = time.monotonic() + within * harness.slow_factor()
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def spool_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".ev"))


def recording_params(account_sid, call_sid, rec_sid, status="completed", **extra):
    p = {
        "AccountSid": account_sid,
        "CallSid": call_sid,
        "RecordingSid": rec_sid,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/%s/Recordings/%s" % (account_sid, rec_sid),
        "RecordingStatus": status,
        "RecordingChannels": "2",
        "RecordingStartTime": "Mon, 23 Nov 2026 21:00:07 +0000",
        "RecordingSource": "DialVerb",
        "RecordingTrack": "both",
    }
    if status == "completed":
        p["RecordingDuration"] = "42"
    return sorted(harness.overlay(p, extra).items())
