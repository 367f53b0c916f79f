"""/twilio/voice/voicemail: the prompt and <Record>, the voicemail row the
<Record> action leaves, and its link to the recording callback."""

import pytest

from ramaltest.harness import sid
from ramaltest.voice import (RECORDING, SERVER_ENV, VOICEMAIL, WORKFLOW_SID, assert_say, assert_voicemail, call_params,
                             follow, post, recording_params, tags, twiml, with_params)


# the module's server (conftest's env fixture)
RAMAL_ENV = dict(TWILIO_WORKFLOW_SID=WORKFLOW_SID, **SERVER_ENV)


def record_action_params(params, rec_sid, duration="17"):
    """What Twilio posts to the <Record> action."""
    account = dict(params)["AccountSid"]
    return with_params(params, RecordingSid=rec_sid, RecordingDuration=duration, Digits="#",
                       RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/%s/Recordings/%s"
                       % (account, rec_sid), CallStatus="in-progress")


def voicemail_row(db, rec_sid):
    row = db.one("SELECT call_sid, phone_number_id, recording_url, from_number, duration_s, listened_at,"
                 " tenant_id FROM voicemails WHERE recording_sid = %s", (rec_sid,))
    if row is None:
        return None
    return dict(zip(("call_sid", "phone_number_id", "recording_url", "from_number", "duration_s",
                     "listened_at", "tenant_id"), row))


def test_prompt_record_then_thanks_and_row(env, webhook):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did, frm="+5511955550000")
    call = dict(params)["CallSid"]
    root = twiml(webhook, srv, VOICEMAIL, params)
    rec = assert_voicemail(root, srv)
    assert rec.get("method", "POST") == "POST"

    rec_sid = sid("RE")
    done = follow(webhook, srv, rec.get("action"), record_action_params(params, rec_sid))
    assert tags(done) == ["Say", "Hangup"]
    assert_say(done[0], contains=("Obrigado",))
    row = voicemail_row(db, rec_sid)
    assert row == {"call_sid": call, "phone_number_id": nid,
                   "recording_url": dict(record_action_params(params, rec_sid))["RecordingUrl"],
                   "from_number": "+5511955550000", "duration_s": 17, "listened_at": None,
                   "tenant_id": db.tenant_id()}


def test_repeated_record_action_keeps_one_voicemail(env, webhook):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    rec_sid = sid("RE")
    for _ in range(3):
        twiml(webhook, srv, VOICEMAIL, record_action_params(params, rec_sid), "step=done")
    assert db.one("SELECT count(*) FROM voicemails WHERE recording_sid = %s", (rec_sid,))[0] == 1


def test_line_without_voicemail_apologises(env, webhook):
    srv, db = env
    nid, did = db.add_number(voicemail_enabled=False)
    root = twiml(webhook, srv, VOICEMAIL, call_params(srv.account_sid, did))
    assert tags(root) == ["Say", "Hangup"]
    assert_say(root[0], contains=("não",))


def test_unknown_line_still_takes_a_message(env, webhook):
    srv, db = env
    root = twiml(webhook, srv, VOICEMAIL, call_params(srv.account_sid, "+551199990000"))
    assert_voicemail(root, srv)


@pytest.mark.parametrize("recording_first", [False, True], ids=["action-first", "callback-first"])
def test_voicemail_and_recording_are_linked_in_any_order(env, webhook, recording_first):
    srv, db = env
    nid, did = db.add_number()
    params = call_params(srv.account_sid, did)
    call = dict(params)["CallSid"]
    rec_sid = sid("RE")
    cb = recording_params(srv.account_sid, call, rec_sid, RecordingSource="RecordVerb", RecordingChannels="1",
                          RecordingDuration="17")
    if recording_first:
        post(webhook, srv, RECORDING, cb)
    twiml(webhook, srv, VOICEMAIL, record_action_params(params, rec_sid), "step=done")
    if not recording_first:
        post(webhook, srv, RECORDING, cb)
    vid = db.one("SELECT id FROM voicemails WHERE recording_sid = %s", (rec_sid,))[0]
    row = db.one("SELECT voicemail_id, source, channels, status FROM recordings WHERE recording_sid = %s",
                 (rec_sid,))
    assert row == (vid, "RecordVerb", 1, "completed")
