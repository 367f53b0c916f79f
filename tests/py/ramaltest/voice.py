"""The voice webhooks as Twilio sends them and ramal's answers: the
parameters of a call, a status callback or a recording, posting signed
voice webhooks, following the URLs a TwiML answer gives, and reading the
answers with xml.etree (seeding agents and numbers is
ramaltest.database.Db)."""

import json
import os
import secrets
import time
import urllib.parse
import xml.etree.ElementTree as ET

from . import harness
from .harness import sid
from .server import BASE_URL

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


def voice_params(account_sid, **extra):
    """A realistic set of Voice webhook parameters (list of pairs)."""
    p = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA" + secrets.token_hex(16),
        "CallStatus": "ringing",
        "Called": "+551130000000",
        "CalledCity": "São Paulo",
        "CalledCountry": "BR",
        "CalledState": "SP",
        "Caller": "+5511987654321",
        "Direction": "inbound",
        "ErrorCode": "11200",
        "ErrorUrl": "https://ramal.example.test/twilio/voice/inbound",
        "From": "+5511987654321",
        "FromCity": "São Paulo",
        "To": "+551130000000",
        "ToState": "SP",
    }
    return list(harness.overlay(p, extra).items())


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


# --------------------------------------------------------------------------
# status callbacks (test_status.py, test_group_commit.py)


def leg_events(account_sid, call_sid, parent=None):
    """The four callbacks Twilio sends for one dialled leg with
    statusCallbackEvent="initiated ringing answered completed"."""
    base = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "Called": "client:agente_1",
        "Caller": "+5511987654321",
        "From": "+5511987654321",
        "To": "client:agente_1",
        "Direction": "outbound-dial",
        "CallbackSource": "call-progress-events",
    }
    if parent:
        base["ParentCallSid"] = parent
    steps = [
        ("initiated", "Mon, 23 Nov 2026 21:00:00 +0000", {}),
        ("ringing", "Mon, 23 Nov 2026 21:00:01 +0000", {}),
        ("in-progress", "Mon, 23 Nov 2026 21:00:07 +0000", {}),
        ("completed", "Mon, 23 Nov 2026 21:02:07 +0000",
         {"CallDuration": "120", "Duration": "2", "SipResponseCode": "200"}),
    ]
    out = []
    for seq, (status, ts, extra) in enumerate(steps):
        p = dict(base, CallStatus=status, SequenceNumber=str(seq), Timestamp=ts, **extra)
        out.append(sorted(p.items()))
    return out


def call_row(conn, call_sid):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT status, status_rank, last_sequence, parent_call_sid, direction,"
            " from_number, to_number, started_at, ringing_at, answered_at, ended_at,"
            " duration_s, sip_response_code FROM calls WHERE call_sid = %s",
            (call_sid,))
        return cur.fetchone()


def event_count(conn, call_sid, replayed=None):
    with conn.cursor() as cur:
        if replayed is None:
            cur.execute("SELECT count(*) FROM call_events WHERE call_sid = %s", (call_sid,))
        else:
            cur.execute("SELECT count(*) FROM call_events WHERE call_sid = %s AND replayed = %s",
                        (call_sid, replayed))
        return cur.fetchone()[0]
