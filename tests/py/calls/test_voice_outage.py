"""The database stops in the middle of calls: every voice route still
answers TwiML that keeps the caller (never a 5xx), what would be lost is
spooled to disk, and all of it is stored once the database is back, even
by a restarted server."""

import secrets
import xml.etree.ElementTree as ET

import pytest

from ramaltest import harness
from ramaltest.database import Db
from ramaltest.harness import sid
from ramaltest.server import RamalFactory
from ramaltest.voice import (DEFAULT_DISCLAIMER, DISCLAIMER, FALLBACK, HOLD, INBOUND, OUTBOUND, OVERFLOW, QUEUE_EXIT,
                             QUEUE_WAIT, RECORDING, STATUS, VOICEMAIL, WHISPER, WORKFLOW_SID, assert_enqueue,
                             assert_hangup_only, assert_say, assert_voicemail, call_params, follow, post,
                             recording_params, spool_files, tags, twiml, wait_for, with_params)

# every test here stops (or never needs) its own database
pytestmark = pytest.mark.outage


def start(factory, spool, **extra):
    env = dict(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info", JOB_WORKERS="0")
    env.update(extra)
    return factory.start(**env)


def agent_leg(account_sid, ident, caller, parent=None):
    p = {"AccountSid": account_sid, "CallSid": sid("CA"), "CallStatus": "in-progress", "From": caller,
         "To": "client:" + ident, "Direction": "outbound-dial" if parent else "outbound-api"}
    if parent:
        p["ParentCallSid"] = parent
    return sorted(p.items())


def test_calls_survive_a_database_outage(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = start(factory, spool, TWILIO_WORKFLOW_SID=WORKFLOW_SID)
        db = Db(private_pg, srv)
        uid, ident = db.add_user("available")
        nid, did = db.add_number(owner=uid, label="Vendas")
        db.close()

        # Call A reaches its dedicated agent while the database is up ...
        a = call_params(srv.account_sid, did, frm="+5511911112222")
        call_a = dict(a)["CallSid"]
        root = twiml(webhook, srv, INBOUND, a)
        assert "Dial" in tags(root)
        client_url = root.find("Dial/Client").get("url")
        overflow_url = root.find("Dial").get("action")

        private_pg.stop()
        # ... which stops before its whisper.
        w = follow(webhook, srv, client_url, agent_leg(srv.account_sid, ident, "+5511911112222", call_a))
        assert tags(w) == ["Say"]
        assert_say(w[0], contains=("Ligação dedicada", "DDD 1 1, 9 1 1 1 1, 2 2 2 2"))
        # The agent did not answer: overflow, queue, waiting, voicemail.
        out = follow(webhook, srv, overflow_url, with_params(a, DialCallStatus="no-answer"))
        attrs = assert_enqueue(out, srv)
        # dedicated_agent "" (none): the dedicated step is not for the agent who missed it
        assert attrs["call_sid"] == call_a and attrs["dedicated_agent"] == "" and attrs["reason"] == "overflow"
        enq = out.find("Enqueue")
        wait = follow(webhook, srv, enq.get("waitUrl"),
                      with_params(a, QueueTime="3", QueuePosition="1", QueueSid=sid("QU")))
        assert "Play" in tags(wait)
        leave = follow(webhook, srv, enq.get("action"), with_params(a, QueueResult="leave", QueueTime="300"))
        rec = assert_voicemail(leave, srv)
        vm_sid = sid("RE")
        done = follow(webhook, srv, rec.get("action"),
                      with_params(a, RecordingSid=vm_sid, RecordingDuration="9",
                                  RecordingUrl="https://api.twilio.com/2010-04-01/Recordings/" + vm_sid))
        assert tags(done) == ["Say", "Hangup"]
        post(webhook, srv, RECORDING, recording_params(srv.account_sid, call_a, vm_sid,
                                                       RecordingSource="RecordVerb", RecordingChannels="1"))

        # Call B arrives during the outage: default disclaimer, the queue.
        b = call_params(srv.account_sid, did, frm="+5521933334444")
        call_b = dict(b)["CallSid"]
        root = twiml(webhook, srv, INBOUND, b)
        assert tags(root) == ["Say", "Enqueue"]
        assert_say(root[0], DEFAULT_DISCLAIMER)
        attrs = assert_enqueue(root, srv)
        assert attrs["reason"] == "degraded" and attrs["from"] == "+5521933334444"
        # TaskRouter finds it an agent: overflow whisper, bridge, recording.
        wr, wt = sid("WR"), sid("WT")
        w = twiml(webhook, srv, WHISPER, agent_leg(srv.account_sid, ident, "+5521933334444"),
                  "reason=overflow&reservation=%s&task=%s&call=%s" % (wr, wt, call_b))
        assert tags(w) == ["Say", "Dial"] and w.find("Dial/Queue").get("reservationSid") == wr
        assert_say(w[0], contains=("Transbordo da fila", "DDD 2 1"))
        bridged_rec = sid("RE")
        post(webhook, srv, RECORDING, recording_params(srv.account_sid, call_b, bridged_rec))
        assert_hangup_only(twiml(webhook, srv, QUEUE_EXIT,
                                 with_params(b, QueueResult="bridged", QueueTime="12")))
        post(webhook, srv, STATUS, sorted({"AccountSid": srv.account_sid, "CallSid": call_b,
                                           "CallStatus": "completed", "SequenceNumber": "3",
                                           "CallDuration": "80"}.items()))

        # Call C hangs up in the queue; a plain voicemail prompt needs nothing.
        c = call_params(srv.account_sid, did)
        call_c = dict(c)["CallSid"]
        assert_hangup_only(twiml(webhook, srv, QUEUE_EXIT, with_params(c, QueueResult="hangup", QueueTime="44")))
        assert_voicemail(twiml(webhook, srv, VOICEMAIL, c), srv)

        # whisper A, overflow A, queue-exit A, voicemail A, recording A,
        # inbound B, whisper B, recording B, queue-exit B, status B, queue-exit C
        assert len(spool_files(spool)) == 11
        assert "voice webhook spooled" in srv.log()

        private_pg.start()
        db = Db(private_pg, srv)
        try:
            assert wait_for(lambda: spool_files(spool) == [], 20), srv.log()[-3000:]
            assert db.call(call_a, "routing", "dial_status", "agent_user_id", "queue_result", "queue_time_s",
                           "phone_number_id", "disclaimer_played") == {
                "routing": "overflow", "dial_status": "no-answer", "agent_user_id": uid, "queue_result": "leave",
                "queue_time_s": 300, "phone_number_id": nid, "disclaimer_played": True}
            assert db.one("SELECT call_sid, duration_s, phone_number_id FROM voicemails WHERE recording_sid = %s",
                          (vm_sid,)) == (call_a, 9, nid)
            assert db.one("SELECT status, voicemail_id IS NOT NULL FROM recordings WHERE recording_sid = %s",
                          (vm_sid,)) == ("completed", True)
            assert db.call(call_b, "routing", "phone_number_id", "disclaimer_played", "agent_user_id",
                           "reservation_sid", "task_sid", "queue_result", "status", "from_number") == {
                "routing": "queue", "phone_number_id": nid, "disclaimer_played": True, "agent_user_id": uid,
                "reservation_sid": wr, "task_sid": wt, "queue_result": "bridged", "status": "completed",
                "from_number": "+5521933334444"}
            for rs in (vm_sid, bridged_rec):
                assert db.one("SELECT count(*) FROM jobs WHERE kind = 'recording.archive' AND dedupe_key = %s",
                              (rs,)) == (1,)
            assert db.call(call_c, "abandoned", "queue_time_s") == {"abandoned": True, "queue_time_s": 44}
            assert not [r for r in srv.records() if r.get("level") == "error" and "spool" in r.get("msg", "")]
        finally:
            db.close()
    finally:
        factory.close()


def test_outage_without_workflow_records_anyway(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = start(factory, spool)
        db = Db(private_pg, srv)
        nid, did = db.add_number(voicemail_enabled=False)  # unknowable while down
        db.close()
        private_pg.stop()
        p = call_params(srv.account_sid, did)
        root = twiml(webhook, srv, INBOUND, p)
        assert_say(root[0], DEFAULT_DISCLAIMER)
        assert_voicemail(root, srv)
        out = twiml(webhook, srv, OVERFLOW, with_params(p, DialCallStatus="busy"), "agent=ana")
        assert_voicemail(out, srv)
        private_pg.start()
        db = Db(private_pg, srv)
        try:
            assert wait_for(lambda: spool_files(spool) == [], 20), srv.log()[-3000:]
            assert db.call(dict(p)["CallSid"], "routing", "dial_status", "phone_number_id") == {
                "routing": "voicemail", "dial_status": "busy", "phone_number_id": nid}
        finally:
            db.close()
    finally:
        factory.close()


def test_spooled_voice_events_outlive_a_restart(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        env = factory.env(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info", JOB_WORKERS="0",
                          TWILIO_WORKFLOW_SID=WORKFLOW_SID)
        srv = factory.start(env=env)
        db = Db(private_pg, srv)
        nid, did = db.add_number()
        db.close()
        private_pg.stop()
        p = call_params(srv.account_sid, did)
        call = dict(p)["CallSid"]
        rs = sid("RE")
        assert_enqueue(twiml(webhook, srv, INBOUND, p), srv)
        twiml(webhook, srv, VOICEMAIL, with_params(p, RecordingSid=rs, RecordingDuration="5"), "step=done")
        post(webhook, srv, RECORDING, recording_params(srv.account_sid, call, rs, RecordingSource="RecordVerb"))
        assert srv.stop() == 0
        assert len(spool_files(spool)) == 3

        private_pg.start()
        srv2 = factory.start(env=env)
        db = Db(private_pg, srv2)
        try:
            assert wait_for(lambda: spool_files(spool) == [], 20), srv2.log()[-3000:]
            assert db.call(call, "routing", "phone_number_id") == {"routing": "queue", "phone_number_id": nid}
            assert db.one("SELECT v.duration_s, r.status, r.voicemail_id = v.id FROM voicemails v"
                          " JOIN recordings r USING (recording_sid) WHERE recording_sid = %s", (rs,)) == (
                5, "completed", True)
            assert db.one("SELECT count(*) FROM jobs WHERE dedupe_key = %s", (rs,)) == (1,)
        finally:
            db.close()
    finally:
        factory.close()


def test_queue_wait_never_needs_the_database(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = start(factory, spool, TWILIO_WORKFLOW_SID=WORKFLOW_SID)
        private_pg.stop()
        p = call_params(srv.account_sid, "+551130000000", QueueTime="0", QueuePosition="3")
        root = twiml(webhook, srv, QUEUE_WAIT, p)
        assert "3º" in " ".join(e.text for e in root if e.tag == "Say")
        assert tags(root)[-2:] == ["Play", "Redirect"]
        assert spool_files(spool) == []
        ET.tostring(root)
    finally:
        factory.close()


def test_unverifiable_subaccount_gets_each_routes_own_answer(private_pg, tmp_path, fake_twilio_server, webhook):
    """A subaccount whose key this server never read, while the database
    is down: its signatures cannot be checked, so each voice route answers
    what is legal and safe where Twilio fetched it, without the database:
    never an <Enqueue> in a waitUrl or HoldUrl document, and never the
    queue for an agent's or a callee's leg (before issue #11 every route
    answered the fallback's <Enqueue>)."""
    spool = str(tmp_path)
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = start(factory, spool, TWILIO_WORKFLOW_SID=WORKFLOW_SID)
        sub, tok = sid("AC"), secrets.token_hex(16)
        r = harness.run_cli(["tenant", "add", sub], srv.env, input=tok + "\n")
        assert r.returncode == 0, r.stderr
        private_pg.stop()

        def answer(path, params, query=""):
            # checked as Twilio reads each route's document (voice.twiml)
            return twiml(webhook, srv, path, params, query, token=tok)

        did = "+551130000000"
        caller = call_params(sub, did, frm="+5511987654321")
        call = dict(caller)["CallSid"]

        # inbound: the caller is kept, after the default disclaimer
        root = answer(INBOUND, caller)
        assert tags(root) == ["Say", "Enqueue"]
        assert_say(root[0], DEFAULT_DISCLAIMER)
        attrs = assert_enqueue(root, srv)
        assert attrs["reason"] == "degraded" and attrs["call_sid"] == call and attrs["account_sid"] == sub

        # the dedicated agent's whisper: empty (Twilio bridges), not the queue
        leg = agent_leg(sub, "ana", "+5511987654321", call)
        root = answer(WHISPER, leg, "reason=dedicated&n=7")
        assert tags(root) == []
        # a queue leg still bridges to its reservation
        wr = sid("WR")
        root = answer(WHISPER, agent_leg(sub, "ana", "+5511987654321"),
                      "reason=overflow&reservation=%s&task=%s&call=%s" % (wr, sid("WT"), call))
        assert tags(root) == ["Say", "Dial"] and root.find("Dial/Queue").get("reservationSid") == wr

        # overflow: a conversation ended, or the queue with the agent named
        assert tags(answer(OVERFLOW, with_params(caller, DialCallStatus="completed"), "agent=ana")) == ["Hangup"]
        attrs = assert_enqueue(answer(OVERFLOW, with_params(caller, DialCallStatus="no-answer"), "agent=ana"), srv)
        assert attrs["reason"] == "overflow" and attrs["dedicated_agent"] == ""  # not the agent who missed it
        assert attrs["dial_status"] == "no-answer"

        # queue-wait: music and announcements (waitUrl verbs only)
        root = answer(QUEUE_WAIT, with_params(caller, QueueTime="40", QueuePosition="2"))
        assert "Play" in tags(root)
        root = answer(QUEUE_WAIT, with_params(caller, QueueTime="400", QueuePosition="2"))
        assert tags(root)[-1] == "Leave"

        # queue-exit: hang up after a conversation or a hang-up, else voicemail
        for result in ("bridged", "hangup"):
            assert tags(answer(QUEUE_EXIT, with_params(caller, QueueResult=result))) == ["Hangup"]
        assert_voicemail(answer(QUEUE_EXIT, with_params(caller, QueueResult="leave")), srv)

        # voicemail: the prompt, then thanks
        assert_voicemail(answer(VOICEMAIL, caller), srv)
        rs = sid("RE")
        assert tags(answer(VOICEMAIL, with_params(caller, RecordingSid=rs, RecordingDuration="4"),
                           "step=done")) == ["Say", "Hangup"]

        # an agent's outbound call cannot be placed now; never the queue
        out = agent_leg(sub, "ana", "client:ana")
        out = sorted(dict(out, From="client:ana", To="+5511912345678", Direction="inbound").items())
        root = answer(OUTBOUND, out)
        assert tags(root) == ["Say", "Hangup"]
        assert_say(root[0], contains=("não foi possível completar",))
        assert tags(answer(OUTBOUND, with_params(out, DialCallStatus="busy"), "step=done")) == ["Hangup"]

        # the callee's disclaimer: the default one, before the bridge
        callee = sorted({"AccountSid": sub, "CallSid": sid("CA"), "ParentCallSid": dict(out)["CallSid"],
                         "From": "+551130000000", "To": "+5511912345678", "CallStatus": "in-progress",
                         "Direction": "outbound-dial"}.items())
        root = answer(DISCLAIMER, callee, "caller=%2B551130000000")
        assert tags(root) == ["Say"]
        assert_say(root[0], DEFAULT_DISCLAIMER)

        # a held party: music (HoldUrl verbs only, error 13238 otherwise)
        root = answer(HOLD, callee)
        assert tags(root) == ["Play"] and root[0].get("loop") == "0"

        # the fallback keeps the caller, as always
        assert "Enqueue" in tags(answer(FALLBACK, caller))

        # unverified: nothing was spooled, nothing will be stored
        assert spool_files(spool) == []
        assert "degraded answer" in srv.log()
        private_pg.start()
    finally:
        factory.close()
