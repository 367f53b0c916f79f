"""The voice webhooks as Twilio sends them and ramal's answers: the
parameters of a call, a status callback or a recording, posting signed
voice webhooks, following the URLs a TwiML answer gives, and reading the
answers with xml.etree (seeding agents and numbers is
ramaltest.database.Db).

Every TwiML answer a test receives is checked here as Twilio would read
it where it fetched it (ramaltest.twiml_model): ROUTE_CONTEXTS says, for
each of ramal's routes, which document it answers (check_answer; the
signed Webhook calls it on every text/xml answer, TwimlProxy for answers
another client reads)."""

import json
import os
import secrets
import time
import urllib.parse
import xml.etree.ElementTree as ET

from . import harness
from . import twiml_model as tm
from .harness import sid

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
OUTBOUND = "/twilio/voice/outbound"
DISCLAIMER = "/twilio/voice/disclaimer"
HOLD = "/twilio/voice/hold"
CONFERENCE = "/twilio/conference"

# The document each route answers, by where ramal gives its URL to Twilio
# (src/calls/*.c); check_answer() also checks every URL an answer gives
# against this map, so a URL handed out for another context fails.
ROUTE_CONTEXTS = {
    INBOUND: tm.CALL,  # the number's VoiceUrl
    FALLBACK: tm.CALL,  # its VoiceFallbackUrl; callflow_reply's <Redirect>
    OVERFLOW: tm.CALL,  # the action of the dedicated <Dial> (voice.c)
    QUEUE_EXIT: tm.CALL,  # the action of <Enqueue> (voice.c)
    VOICEMAIL: tm.CALL,  # the action of <Record> (voice.c)
    OUTBOUND: tm.CALL,  # the TwiML App's Voice URL, and its <Dial action>
    DISCLAIMER: tm.CALLED_PARTY,  # <Number url> of an outbound <Dial> (outbound.c)
    QUEUE_WAIT: tm.ENQUEUE_WAIT,  # waitUrl of <Enqueue>, and its <Redirect>
    HOLD: tm.CONFERENCE_HOLD,  # HoldUrl of the Participants update (hold.c)
    STATUS: tm.CALLBACK,
    RECORDING: tm.CALLBACK,
    CONFERENCE: tm.CALLBACK,
}
# Answers that must not be empty in their context: an empty call document
# hangs the caller up, an empty waitUrl document is fetched again at once,
# an empty HoldUrl document holds the party in silence.
NOT_EMPTY = {tm.CALL, tm.ENQUEUE_WAIT, tm.CONFERENCE_HOLD}


def context_of(path, query=""):
    """The TwiML context of ramal's route at path?query."""
    if path == WHISPER:
        # reason=overflow: the url of TaskRouter's `call` instruction
        # (taskrouter.c), the agent leg's own document, which bridges with
        # <Dial><Queue reservationSid>; otherwise (reason=dedicated) the
        # <Client url> of the dedicated <Dial> (voice.c): a whisper
        reason = dict(urllib.parse.parse_qsl(query)).get("reason")
        return tm.CALL if reason == "overflow" else tm.CALLED_PARTY
    if path in ROUTE_CONTEXTS:
        return ROUTE_CONTEXTS[path]
    if path.startswith("/twilio/taskrouter/"):
        return tm.CALLBACK  # JSON routes; a refusal may come as TwiML
    raise AssertionError("TwiML answered on %s, a route with no known context (add it to ROUTE_CONTEXTS)" % path)


def check_answer(path, query, content, base_url):
    """Check a TwiML answer of the route at path?query as Twilio would
    read it there (TwimlError otherwise), and each URL it gives: under
    base_url, at the route for the context Twilio fetches it in.  Returns
    its root element (xml.etree)."""
    ctx = context_of(path, query)
    root = tm.check(content, ctx)
    for url, want, where in tm.links(root, ctx):
        if not url.startswith(base_url + "/"):
            raise tm.TwimlError("link-context", ctx, "%s=%r is not under BASE_URL %s" % (where, url, base_url))
        u = urllib.parse.urlsplit(url)
        got = context_of(u.path, u.query)
        if got != want:
            raise tm.TwimlError("link-context", ctx, "%s=%r is fetched as %s but its route answers %s" % (
                where, url, tm.CONTEXTS[want], tm.CONTEXTS[got]))
    return ET.fromstring(content)


def check_rest_twiml(doc):
    """The Twiml parameter of a Calls API request: the call's new
    document.  Its root (xml.etree) once checked."""
    tm.check(doc, tm.CALL)
    return ET.fromstring(doc.encode("utf-8") if isinstance(doc, str) else doc)

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


def post(webhook, srv, path, params, query="", token=None):
    """POST a signed webhook; return the response (status 200 asserted)."""
    r = webhook.post(srv, params, path=path, query=query, token=token)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r


def twiml(webhook, srv, path, params, query="", token=None):
    """POST a signed voice webhook and return its TwiML root element: TwiML
    Twilio accepts where it fetches this route (the Webhook checked it),
    and not empty where that would drop or silence the caller."""
    r = post(webhook, srv, path, params, query, token)
    assert r.headers["Content-Type"].split(";")[0].strip() == "text/xml", r.headers
    root = ET.fromstring(r.content)
    ctx = context_of(path, query)
    assert len(root) > 0 or ctx not in NOT_EMPTY, "an empty <Response/> in %s: %r" % (tm.CONTEXTS[ctx], r.text)
    return root


def follow(webhook, srv, url, params, token=None):
    """POST to a URL found in a TwiML answer, as Twilio would: it must be
    absolute under BASE_URL; the signature covers it exactly.  The answer
    is checked in the context of the route (which check_answer matched
    with the context the URL was given for)."""
    assert url.startswith(srv.base_url + "/"), url
    u = urllib.parse.urlsplit(url)
    return twiml(webhook, srv, u.path, params, u.query, token)


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


# --------------------------------------------------------------------------
# answers another client reads (ramal simulate)


class TwimlProxy:
    """A loopback HTTP proxy in front of srv for a client that reads the
    TwiML itself (`ramal simulate --url`): each request is forwarded as
    is, each 200 text/xml answer is checked with check_answer before it is
    passed back, and what Twilio would refuse is kept in .errors (a test
    asserts it is empty)."""

    HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}

    def __init__(self, srv):
        import http.server
        import threading

        from .server import new_session

        self.srv = srv
        self.errors = []
        self.checked = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in proxy.HOP}
                s = new_session()
                try:
                    r = s.request(self.command, srv.url + self.path, data=body, headers=headers,
                                  allow_redirects=False, timeout=60)
                finally:
                    s.close()
                if r.status_code == 200 and r.headers.get("Content-Type", "").split(";")[0].strip() == "text/xml":
                    u = urllib.parse.urlsplit(self.path)
                    try:
                        check_answer(u.path, u.query, r.content, srv.base_url)
                        proxy.checked += 1
                    except AssertionError as e:
                        proxy.errors.append("%s %s: %s" % (self.command, self.path, e))
                self.send_response(r.status_code)
                for k, v in getattr(r.raw.headers, "iteritems", r.raw.headers.items)():
                    if k.lower() not in proxy.HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            do_GET = do_POST = do_PUT = do_DELETE = forward

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
