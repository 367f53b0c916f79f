"""Alerts across a database outage: the callbacks Twilio sends while
PostgreSQL is down are spooled, and their replay, mixed with the same
callbacks sent again before and after, still makes one alert (and one
message, and one callback) per event: the alert's key is written in the
transaction that stores the fact, live or replayed."""

import time

import pytest

from ramaltest.alerts import (abandon, assert_no_full_number, caller_leg_status, inbound_call, leave_voicemail,
                              status, wait_until)
from ramaltest.database import Db
from ramaltest.fake_slack import FakeSlack
from ramaltest.harness import sid
from ramaltest.server import RamalFactory
from ramaltest.voice import WORKFLOW_SID, spool_files

pytestmark = pytest.mark.outage

SLACK = "/services/T1/B1/outage"


def test_replays_after_an_outage_make_no_second_alert(private_pg, tmp_path, fake_twilio_server, webhook):
    spool = str(tmp_path)
    slack = FakeSlack().start()
    factory = RamalFactory(private_pg, fake_twilio_server)
    try:
        srv = factory.start(SPOOL_DIR=spool, DB_ACQUIRE_TIMEOUT_MS="500", LOG_LEVEL="info", JOB_WORKERS="2",
                            TWILIO_WORKFLOW_SID=WORKFLOW_SID, SLACK_WEBHOOK_URL=slack.url + SLACK)
        db = Db(private_pg, srv)
        nid, did = db.add_number(label="Queda")
        db.close()

        # A abandons while the database is up: told at once
        a, _ = inbound_call(webhook, srv, did, caller="+5511944445555")
        abandon(webhook, srv, a, queue_time=50)
        assert len(wait_until(lambda: slack.posts(SLACK), 10)) == 1

        private_pg.stop()
        # the same callback twice more, and B's whole call, three times over
        abandon(webhook, srv, a, queue_time=50)
        status(webhook, srv, caller_leg_status(srv.account_sid, a))
        abandon(webhook, srv, a, queue_time=50)
        b, _ = inbound_call(webhook, srv, did, caller="+5511966667777")
        rec = sid("RE")
        for _ in range(3):
            leave_voicemail(webhook, srv, b, rec, duration=12)
            status(webhook, srv, caller_leg_status(srv.account_sid, b))
        # A twice, A's status, B's inbound, 3 x (B's voicemail, B's status)
        assert len(spool_files(spool)) == 10
        time.sleep(0.5)
        assert len(slack.posts(SLACK)) == 1

        private_pg.start()
        db = Db(private_pg, srv)
        try:
            assert wait_until(lambda: spool_files(spool) == [], 30), srv.log()[-3000:]
            # and once more, live, after the replay
            leave_voicemail(webhook, srv, b, rec, duration=12)
            abandon(webhook, srv, a, queue_time=50)
            msgs = wait_until(lambda: len(slack.posts(SLACK)) >= 2 and slack.posts(SLACK), 20)
            time.sleep(1.5)
            msgs = slack.posts(SLACK)
            texts = sorted(m.json()["text"].split(" · ")[0] for m in msgs)
            assert texts == ["Chamada abandonada na fila", "Novo recado na caixa postal"], texts
            assert db.one("SELECT count(*) FROM alerts")[0] == 2
            assert db.one("SELECT count(*) FROM callbacks")[0] == 2
            assert db.one("SELECT state FROM alerts WHERE recording_sid = %s", (rec,))[0] == "notified"
            assert db.one("SELECT count(*) FROM alert_deliveries WHERE state = 'sent'")[0] == 2
            assert_no_full_number([m.body for m in msgs], ["+5511944445555", "+5511966667777"])
            assert slack.violations == []
        finally:
            db.close()
    finally:
        factory.close()
        slack.close()
