"""/twilio/recording: one row per RecordingSid whatever the order or
repetition of the callbacks, and exactly one recording.archive job per
completed recording, queued in the same transaction; the job's handler
(run by tests/tools/voicejob through the real job runner)."""

import itertools
import os
import subprocess

import pytest

from ramaltest import harness
from ramaltest.harness import sid
from ramaltest.voice import RECORDING, SERVER_ENV, WORKFLOW_SID, post, recording_params

TOOLS = harness.TOOLS
VOICEJOB = os.path.join(TOOLS, "voicejob")


# the module's server (conftest's env fixture)
RAMAL_ENV = dict(TWILIO_WORKFLOW_SID=WORKFLOW_SID, **SERVER_ENV)


COLS = ("status", "call_sid", "url", "channels", "duration_s", "source", "track", "started_at",
        "archive_state", "tenant_id")


def rec_row(db, rec_sid):
    row = db.one("SELECT %s FROM recordings WHERE recording_sid = %%s" % ", ".join(COLS), (rec_sid,))
    return None if row is None else dict(zip(COLS, row))


def jobs(db, rec_sid):
    return db.all("SELECT kind, state, payload, account_sid FROM jobs WHERE dedupe_key = %s", (rec_sid,))


def test_completed_recording_row_and_archive_job(env, webhook):
    srv, db = env
    call, rec_sid = sid("CA"), sid("RE")
    r = post(webhook, srv, RECORDING, recording_params(srv.account_sid, call, rec_sid))
    assert r.headers["Content-Type"].startswith("text/xml") and b"<Response" in r.content
    row = rec_row(db, rec_sid)
    started = row.pop("started_at")
    assert started.isoformat() == "2026-11-23T21:00:07+00:00"
    assert row == {"status": "completed", "call_sid": call,
                   "url": dict(recording_params(srv.account_sid, call, rec_sid))["RecordingUrl"],
                   "channels": 2, "duration_s": 42, "source": "DialVerb", "track": "both",
                   "archive_state": "queued", "tenant_id": db.tenant_id()}
    (kind, state, payload, account), = jobs(db, rec_sid)
    assert kind == "recording.archive" and state == "queued" and account == srv.account_sid
    assert payload["recording_sid"] == rec_sid and payload["call_sid"] == call
    assert payload["channels"] == "2" and payload["url"].endswith(rec_sid)


def test_duplicate_completed_callbacks_queue_one_job(env, webhook):
    srv, db = env
    call, rec_sid = sid("CA"), sid("RE")
    p = recording_params(srv.account_sid, call, rec_sid)
    for _ in range(3):
        post(webhook, srv, RECORDING, p)
    assert len(jobs(db, rec_sid)) == 1
    assert db.one("SELECT count(*) FROM recordings WHERE recording_sid = %s", (rec_sid,))[0] == 1


def test_no_second_job_after_the_first_finished(env, webhook):
    """The dedupe key covers only pending jobs; archive_state covers the rest."""
    srv, db = env
    call, rec_sid = sid("CA"), sid("RE")
    p = recording_params(srv.account_sid, call, rec_sid)
    post(webhook, srv, RECORDING, p)
    db.run("UPDATE jobs SET state = 'done', finished_at = now() WHERE dedupe_key = %s", (rec_sid,))
    post(webhook, srv, RECORDING, p)
    assert len(jobs(db, rec_sid)) == 1


def test_every_order_gives_the_same_recording(env, webhook):
    srv, db = env
    reference = None
    for order in itertools.permutations(range(3)):
        call, rec_sid = sid("CA"), sid("RE")
        events = [
            recording_params(srv.account_sid, call, rec_sid, "in-progress", RecordingDuration="-1",
                             RecordingUrl=None, RecordingChannels=None),
            recording_params(srv.account_sid, call, rec_sid, "completed"),
            recording_params(srv.account_sid, call, rec_sid, "completed"),
        ]
        for i in order:
            post(webhook, srv, RECORDING, events[i])
        row = rec_row(db, rec_sid)
        row.pop("url")
        row.pop("call_sid")
        assert len(jobs(db, rec_sid)) == 1, order
        if reference is None:
            reference = row
        assert row == reference, (order, row)
    assert reference["status"] == "completed" and reference["duration_s"] == 42 and reference["channels"] == 2


def test_late_in_progress_never_moves_a_recording_back(env, webhook):
    srv, db = env
    call, rec_sid = sid("CA"), sid("RE")
    post(webhook, srv, RECORDING, recording_params(srv.account_sid, call, rec_sid, "completed"))
    post(webhook, srv, RECORDING, recording_params(srv.account_sid, call, rec_sid, "in-progress",
                                                   RecordingDuration="0", RecordingChannels="1"))
    row = rec_row(db, rec_sid)
    assert (row["status"], row["duration_s"], row["channels"]) == ("completed", 42, 2)


def test_absent_recording_queues_nothing(env, webhook):
    srv, db = env
    call, rec_sid = sid("CA"), sid("RE")
    post(webhook, srv, RECORDING, recording_params(srv.account_sid, call, rec_sid, "absent",
                                                   RecordingDuration="0", ErrorCode="13617"))
    row = rec_row(db, rec_sid)
    assert row["status"] == "absent" and row["archive_state"] is None
    assert jobs(db, rec_sid) == []


def test_bad_recording_callbacks(env, webhook):
    srv, db = env
    p = recording_params(srv.account_sid, sid("CA"), "RE-not-a-sid")
    r = webhook.post(srv, p, path=RECORDING)
    assert r.status_code == 400
    # an unknown status is acknowledged but not stored
    rec_sid = sid("RE")
    post(webhook, srv, RECORDING, recording_params(srv.account_sid, sid("CA"), rec_sid, "paused"))
    assert rec_row(db, rec_sid) is None


def test_archive_job_handler_marks_awaiting_s3(env, webhook):
    srv, db = env
    if not os.access(VOICEJOB, os.X_OK):
        pytest.fail("no %s (make build/tools/voicejob, or set RAMAL_TOOLS)" % VOICEJOB)
    call, rec_sid = sid("CA"), sid("RE")
    post(webhook, srv, RECORDING, recording_params(srv.account_sid, call, rec_sid))
    # other tests' jobs are queued too: the tool works them all off
    r = subprocess.run([VOICEJOB, srv.database_url, "30"], env=harness.minimal_env({"RAMAL_JOB_POLL_MS": "50"}),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60 * harness.slow_factor())
    harness.assert_no_sanitizer_reports(r.stderr, "voicejob")
    assert r.returncode == 0, r.stderr
    assert rec_row(db, rec_sid)["archive_state"] == "awaiting-s3"
    (kind, state, payload, account), = jobs(db, rec_sid)
    assert state == "done"
    # and a callback repeated afterwards queues nothing more
    post(webhook, srv, RECORDING, recording_params(srv.account_sid, call, rec_sid))
    assert len(jobs(db, rec_sid)) == 1
