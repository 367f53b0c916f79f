"""Alerts and callbacks from the outside (docs/alerts.md): the calls that
raise them, played as Twilio plays them, and what ramal then sends to
Slack, the signed webhook and Twilio's Messages API.

- inbound_queue_call / abandon / leave_voicemail / missed_dedicated /
  failed_leg: the webhooks of each event (signed, checked TwiML)
- ClockFile: the alerts' clock of a server (RAMAL_TEST_ALERTS_CLOCK)
- all_bodies / assert_no_full_number: every body the receivers got, and
  the check that no caller's number went out whole
"""

import os
import tempfile
import time

from .harness import sid
from .voice import INBOUND, QUEUE_EXIT, STATUS, VOICEMAIL, call_params, twiml, with_params, post

CALLER = "+5511987654321"


def inbound_call(webhook, srv, did, caller=CALLER):
    """The inbound webhook of a new call to did; (params, TwiML root)."""
    params = call_params(srv.account_sid, did, frm=caller)
    return params, twiml(webhook, srv, INBOUND, params)


def abandon(webhook, srv, params, queue_time=42):
    """The <Enqueue> action after the caller hung up in the queue."""
    p = with_params(params, QueueResult="hangup", QueueTime=str(queue_time), QueueSid=sid("QU"),
                    CallStatus="completed")
    return twiml(webhook, srv, QUEUE_EXIT, p)


def voicemail_done(params, rec_sid, duration=23):
    """The <Record> action's parameters (voicemail?step=done)."""
    return with_params(params, RecordingSid=rec_sid, RecordingDuration=str(duration),
                       RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/%s/Recordings/%s"
                       % (dict(params)["AccountSid"], rec_sid), CallStatus="completed")


def leave_voicemail(webhook, srv, params, rec_sid, duration=23):
    return twiml(webhook, srv, VOICEMAIL, voicemail_done(params, rec_sid, duration), query="step=done")


def caller_leg_status(account_sid, params, status="completed", seq=3, duration="60"):
    """The DID's status callback of the caller's leg."""
    p = dict(params)
    out = {"AccountSid": account_sid, "ApiVersion": "2010-04-01", "CallSid": p["CallSid"], "From": p["From"],
           "To": p["To"], "Caller": p["From"], "Called": p["To"], "Direction": "inbound",
           "CallStatus": status, "SequenceNumber": str(seq), "CallbackSource": "call-progress-events",
           "Timestamp": "Mon, 23 Nov 2026 21:02:07 +0000"}
    if status == "completed":
        out["CallDuration"] = duration
    return sorted(out.items())


def status(webhook, srv, pairs):
    return post(webhook, srv, STATUS, pairs)


class ClockFile:
    """A file holding the epoch seconds the server's alerts read as now."""

    def __init__(self):
        fd, self.path = tempfile.mkstemp(prefix="ramal-clock-")
        os.close(fd)
        os.unlink(self.path)  # absent: the system clock

    def set(self, epoch):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%.3f\n" % epoch)
        os.replace(tmp, self.path)

    def clear(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def number_forms(e164):
    """The ways a number could leak: as given, without +, the national
    digits, the subscriber number."""
    d = e164.lstrip("+")
    forms = {e164, d}
    if d.startswith("55"):
        forms.add(d[2:])  # DDD + number
        forms.add(d[4:])  # subscriber number
        sub = d[4:]
        forms.add(sub[:-4] + "-" + sub[-4:])
    return forms


def assert_no_full_number(bodies, numbers):
    """No body holds any of the numbers in any usual form."""
    for b in bodies:
        text = b.decode("utf-8", "replace") if isinstance(b, bytes) else b
        for n in numbers:
            for form in number_forms(n):
                assert form not in text, "%s leaked in %s" % (form, text[:400])


def wait_until(fn, within=10.0, step=0.1):
    deadline = time.monotonic() + within
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)
