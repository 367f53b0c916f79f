"""Alerts (docs/alerts.md): each event raised once however often Twilio
sends its callbacks, delivered to Slack (Block Kit), the signed webhook
and WhatsApp (Twilio's Messages API, forms checked against the OpenAPI
data by the fake), with retries honouring Retry-After, rules per tenant
(channels, cooldown, quiet hours with their digest) on a controllable
clock, and no caller's number ever sent whole."""

import datetime
import hashlib
import hmac
import json
import time

import pytest

from ramaltest import agents
from ramaltest.alerts import (CALLER, ClockFile, abandon, assert_no_full_number, caller_leg_status, inbound_call,
                              leave_voicemail, status, voicemail_done, wait_until)
from ramaltest.fake_slack import FakeSlack
from ramaltest.harness import sid
from ramaltest.voice import OVERFLOW, RECORDING, VOICEMAIL, WORKFLOW_SID, follow, post, recording_params, twiml, \
    with_params

SLACK = "/services/T0001/B0001/secrethook"
HOOK = "/hooks/ramal"
HOOK_SECRET = "s3cr3t-for-the-receiver-0123456789"
WA_FROM = "whatsapp:+14155238886"
WA_TO = "whatsapp:+5511912345678"
TPL_VOICEMAIL = "HX" + "1" * 32
TPL_DIGEST = "HX" + "2" * 32
CALLERS = [CALLER]  # every caller number a test used: none may leak


@pytest.fixture(scope="module")
def slack():
    s = FakeSlack().start()
    yield s
    s.close()


@pytest.fixture(scope="module")
def clock():
    c = ClockFile()
    yield c
    c.clear()


@pytest.fixture(scope="module")
def alerts_env(start_with_db, slack, clock):
    srv, db = start_with_db(TWILIO_WORKFLOW_SID=WORKFLOW_SID, JOB_WORKERS="2", LOG_LEVEL="info",
                            SLACK_WEBHOOK_URL=slack.url + SLACK, ALERT_WEBHOOK_URL=slack.url + HOOK,
                            ALERT_WEBHOOK_SECRET=HOOK_SECRET, WHATSAPP_FROM=WA_FROM, WHATSAPP_TO=WA_TO,
                            WHATSAPP_TEMPLATE_VOICEMAIL=TPL_VOICEMAIL, WHATSAPP_TEMPLATE_DIGEST=TPL_DIGEST,
                            ALERT_MAX_ATTEMPTS="3", RAMAL_TEST_ALERTS_CLOCK=clock.path)
    admin = agents.User(srv, role="admin")
    return srv, db, admin


@pytest.fixture
def env(alerts_env, slack, fake_twilio, clock):
    """The module's server with the default rules, an empty receiver and
    the system clock; afterwards, nothing received may break Slack's
    format and no caller's number may have gone out whole."""
    srv, db, admin = alerts_env
    db.run("DELETE FROM alert_rules")
    clock.clear()
    slack.reset()
    yield srv, db, admin
    bodies = [r.body for r in slack.posts()] + [r.body for r in fake_twilio.requests_to("POST", r"/Messages\.json$")]
    assert_no_full_number(bodies, CALLERS)
    assert slack.violations == []


def put_rules(srv, admin, body):
    r = admin.request("PUT", "/api/admin/alert-rules", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def alerts(srv, user, **q):
    r = user.request("GET", "/api/alerts", params=q)
    assert r.status_code == 200, r.text
    return r.json()["alerts"]


def alert_of(srv, user, key_sid, event):
    for a in alerts(srv, user, limit=200):
        if a["event"] == event and key_sid in (a["call_sid"], a["recording_sid"]):
            return a
    return None


def settled(srv, user, key_sid, event, within=10.0):
    """The alert once dispatched and every delivery finished trying."""
    def done():
        a = alert_of(srv, user, key_sid, event)
        if a is None or a["state"] == "new":
            return None
        if any(d["state"] in ("queued", "retrying") for d in a["deliveries"]):
            return None
        return a
    a = wait_until(done, within)
    assert a is not None, (key_sid, event, alert_of(srv, user, key_sid, event))
    return a


def queue_line(db, label="Fila"):
    return db.add_number(label=label)


def slack_messages(slack, needle):
    return [r.json() for r in slack.posts(SLACK) if needle in r.body.decode()]


# --------------------------------------------------------------------------
# one alert per event


def test_abandoned_call_alerts_once_however_often_twilio_calls(env, slack, webhook):
    srv, db, admin = env
    nid, did = queue_line(db, "Suporte")
    params, root = inbound_call(webhook, srv, did)
    call = dict(params)["CallSid"]
    for _ in range(3):
        abandon(webhook, srv, params, queue_time=42)
        status(webhook, srv, caller_leg_status(srv.account_sid, params))
    a = settled(srv, admin, call, "abandoned")
    assert a["state"] == "notified"
    assert a["caller"] == "+55 11 9****-4321"
    assert a["line"] == "Suporte"
    assert a["detail"] == "esperou 42 s na fila"
    assert {d["channel"]: d["state"] for d in a["deliveries"]} == {"slack": "sent", "webhook": "sent"}
    time.sleep(1.0)  # nothing more comes
    msgs = slack_messages(slack, "Suporte")
    assert len(msgs) == 1, msgs
    m = msgs[0]
    assert m["text"].startswith("Chamada abandonada na fila · Suporte · +55 11 9****-4321 · esperou 42 s")
    assert m["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Chamada abandonada na fila"}}
    button = m["blocks"][-1]["elements"][0]
    assert button["text"]["text"] == "Ligar de volta"
    assert button["url"] == "%s/?callback=%d" % (srv.base_url, a["callback_id"])
    assert db.one("SELECT count(*) FROM alerts WHERE call_sid = %s", (call,))[0] == 1


def test_short_abandon_raises_nothing_outside(env, slack, webhook):
    srv, db, admin = env
    nid, did = queue_line(db)
    params, _ = inbound_call(webhook, srv, did)
    call = dict(params)["CallSid"]
    abandon(webhook, srv, params, queue_time=3)
    a = settled(srv, admin, call, "abandoned")
    assert (a["state"], a["reason"], a["deliveries"], a["callback_id"]) == ("suppressed", "short abandon", [], None)
    assert db.one("SELECT count(*) FROM callbacks WHERE call_sid = %s", (call,))[0] == 0
    time.sleep(0.5)
    assert slack.posts() == []


def test_voicemail_alerts_once_in_any_order_with_its_recording(env, slack, webhook, fake_twilio):
    srv, db, admin = env
    nid, did = queue_line(db, "Recados")
    caller = "+5511933334444"
    CALLERS.append(caller)
    params, _ = inbound_call(webhook, srv, did, caller=caller)
    rec = sid("RE")
    call = dict(params)["CallSid"]
    recording = recording_params(srv.account_sid, call, rec, RecordingSource="RecordVerb", RecordingChannels="1")
    for order in (("vm", "rec"), ("rec", "vm"), ("vm", "vm")):
        for step in order:
            if step == "vm":
                leave_voicemail(webhook, srv, params, rec, duration=23)
            else:
                post(webhook, srv, RECORDING, recording)
    a = settled(srv, admin, rec, "voicemail")
    assert a["state"] == "notified" and a["detail"] == "duração 23 s"
    # Slack and the webhook by default; WhatsApp only where the rules say
    assert sorted(d["channel"] for d in a["deliveries"]) == ["slack", "webhook"]
    time.sleep(1.0)
    msgs = slack_messages(slack, "Recados")
    assert len(msgs) == 1
    assert "Novo recado na caixa postal" in msgs[0]["text"]
    assert "Recordings" not in json.dumps(msgs[0]), "the recording's URL went to Slack"
    cb = db.one("SELECT reason, caller, recording_sid FROM callbacks WHERE id = %s", (a["callback_id"],))
    assert cb == ("voicemail", caller, rec)


def test_missed_dedicated_call_alerts_once_when_the_call_ends(env, slack, webhook):
    srv, db, admin = env
    uid, ident = db.add_user("available")
    db.run("UPDATE users SET name = 'Ana Souza' WHERE id = %s", (uid,))
    nid, did = db.add_number(owner=uid, label="Ana direto")
    params, root = inbound_call(webhook, srv, did)
    call = dict(params)["CallSid"]
    action = root.find("Dial").get("action")
    follow(webhook, srv, action, with_params(params, DialCallStatus="no-answer", CallStatus="in-progress"))
    # the caller then gives up in the queue: told once, as a missed dedicated call
    abandon(webhook, srv, params, queue_time=30)
    for seq in (3, 3, 3):
        status(webhook, srv, caller_leg_status(srv.account_sid, params, seq=seq))
    a = settled(srv, admin, call, "missed-dedicated")
    assert a["detail"] == "Ana Souza não atendeu e ninguém mais"
    assert alert_of(srv, admin, call, "abandoned") is None
    time.sleep(1.0)
    msgs = slack_messages(slack, "Ana direto")
    assert len(msgs) == 1 and msgs[0]["blocks"][0]["text"]["text"] == "Ligação dedicada não atendida"


def test_dedicated_call_taken_by_the_queue_is_no_alert(env, slack, webhook):
    srv, db, admin = env
    uid, ident = db.add_user("available")
    other, other_ident = db.add_user("available")
    nid, did = db.add_number(owner=uid, label="Bia direto")
    params, root = inbound_call(webhook, srv, did)
    call = dict(params)["CallSid"]
    follow(webhook, srv, root.find("Dial").get("action"), with_params(params, DialCallStatus="busy"))
    # another agent takes it from the queue (the whisper marks the caller's row)
    db.run("UPDATE calls SET agent_user_id = %s WHERE call_sid = %s", (other, call))
    status(webhook, srv, caller_leg_status(srv.account_sid, params))
    time.sleep(1.5)
    assert alert_of(srv, admin, call, "missed-dedicated") is None
    assert slack_messages(slack, "Bia direto") == []


def test_failed_call_goes_to_the_signed_webhook(env, slack, webhook):
    srv, db, admin = env
    call = sid("CA")
    leg = {"AccountSid": srv.account_sid, "CallSid": call, "From": "+551130000000", "To": "+5511955554444",
           "Direction": "outbound-dial", "CallStatus": "failed", "SequenceNumber": "1",
           "SipResponseCode": "404", "Timestamp": "Mon, 23 Nov 2026 21:00:00 +0000"}
    CALLERS.append("+5511955554444")
    for _ in range(3):
        status(webhook, srv, sorted(leg.items()))
    a = settled(srv, admin, call, "failed")
    assert [d["channel"] for d in a["deliveries"]] == ["webhook"]
    hooks = [r for r in slack.posts(HOOK) if r.headers.get("x-ramal-event") == "failed"]
    assert len(hooks) == 1
    h = hooks[0]
    want = "sha256=" + hmac.new(HOOK_SECRET.encode(), h.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(h.headers["x-ramal-signature"], want)
    body = h.json()
    assert body["type"] == "alert" and body["delivery_id"] == int(h.headers["x-ramal-delivery"])
    assert body["alert"]["event"] == "failed"
    assert body["alert"]["caller"] == "+55 11 9****-4444"
    assert body["alert"]["detail"] == "saída, código SIP 404"
    assert slack.posts(SLACK) == []  # failed goes to the webhook only by default


def test_dead_job_alerts_but_a_dead_alert_delivery_does_not(env, slack, webhook):
    srv, db, admin = env
    job = db.one("INSERT INTO jobs (kind, max_attempts, payload) VALUES ('test.nobody-runs-this', 1,"
                 " '{}') RETURNING id")[0]
    db.run("NOTIFY ramal_jobs")
    msgs = wait_until(lambda: slack_messages(slack, "test.nobody-runs-this"), 10)
    assert len(msgs) == 1
    # it never ran: no handler in this instance, and no attempt left
    assert msgs[0]["text"].startswith("Tarefa em segundo plano desistiu · test.nobody-runs-this não pôde ser"
                                      " executada: no handler for kind test.nobody-runs-this")
    assert db.one("SELECT count(*) FROM alerts WHERE key = %s", ("dead-job:%d" % job,))[0] == 1
    # an alert's own job dying is only logged
    db.run("INSERT INTO jobs (kind, max_attempts, payload) VALUES ('alert.deliver', 1, '{\"delivery_id\": 0}')")
    dead = db.one("INSERT INTO jobs (kind, max_attempts) VALUES ('alert.nonesuch', 1) RETURNING id")[0]
    db.run("NOTIFY ramal_jobs")
    assert wait_until(lambda: db.one("SELECT state FROM jobs WHERE id = %s", (dead,))[0] == "dead", 10)
    time.sleep(0.5)
    assert db.one("SELECT count(*) FROM alerts WHERE key = %s", ("dead-job:%d" % dead,))[0] == 0


# --------------------------------------------------------------------------
# delivery


def test_slack_429_with_retry_after_then_success(env, slack, webhook):
    srv, db, admin = env
    slack.respond(SLACK, 429, b"rate_limited", headers={"Retry-After": "3"}, times=1)
    nid, did = queue_line(db, "Limite")
    params, _ = inbound_call(webhook, srv, did)
    call = dict(params)["CallSid"]
    abandon(webhook, srv, params)
    a = settled(srv, admin, call, "abandoned", within=20)
    slack_d = [d for d in a["deliveries"] if d["channel"] == "slack"][0]
    assert (slack_d["state"], slack_d["attempts"], slack_d["last_status"]) == ("sent", 2, 200)
    tries = [r for r in slack.posts(SLACK) if b"Limite" in r.body]
    assert [t.status for t in tries] == [429, 200]
    # the job's own backoff after a first failure is about 2 s: 3 s is Retry-After
    assert tries[1].at - tries[0].at >= 2.9, tries[1].at - tries[0].at
    assert tries[0].body == tries[1].body


def test_delivery_gives_up_after_its_attempts_and_only_logs_it(env, slack, webhook):
    srv, db, admin = env
    slack.respond(SLACK, 500, b"boom", headers={"Retry-After": "0"})
    nid, did = queue_line(db, "Quebrado")
    params, _ = inbound_call(webhook, srv, did)
    call = dict(params)["CallSid"]
    abandon(webhook, srv, params)
    a = settled(srv, admin, call, "abandoned", within=30)
    slack_d = [d for d in a["deliveries"] if d["channel"] == "slack"][0]
    assert (slack_d["state"], slack_d["attempts"], slack_d["error"]) == ("dead", 3, "HTTP 500")
    srv.wait_log(lambda r: r.get("msg") == "alert delivery given up" and r.get("channel") == "slack")
    assert db.one("SELECT count(*) FROM alerts WHERE event = 'dead-job'"
                  " AND details->>'kind' LIKE 'alert.%%'")[0] == 0


def test_slack_404_is_not_retried(env, slack, webhook):
    srv, db, admin = env
    slack.respond(SLACK, 404, b"no_service")
    nid, did = queue_line(db, "Sumiu")
    params, _ = inbound_call(webhook, srv, did)
    abandon(webhook, srv, params)
    a = settled(srv, admin, dict(params)["CallSid"], "abandoned")
    slack_d = [d for d in a["deliveries"] if d["channel"] == "slack"][0]
    assert (slack_d["state"], slack_d["attempts"]) == ("dead", 1)


# --------------------------------------------------------------------------
# WhatsApp


def test_whatsapp_sends_the_template_and_skips_events_without_one(env, slack, webhook, fake_twilio):
    srv, db, admin = env
    put_rules(srv, admin, {"events": {"voicemail": {"channels": ["whatsapp"]},
                                      "abandoned": {"channels": ["whatsapp", "slack"]}}})
    nid, did = queue_line(db, "Zap")
    params, _ = inbound_call(webhook, srv, did)
    rec = sid("RE")
    leave_voicemail(webhook, srv, params, rec, duration=31)
    leave_voicemail(webhook, srv, params, rec, duration=31)
    a = settled(srv, admin, rec, "voicemail")
    assert [(d["channel"], d["state"]) for d in a["deliveries"]] == [("whatsapp", "sent")]
    sent = fake_twilio.requests_to("POST", r"/Messages\.json$")
    assert len(sent) == 1
    m = sent[0]
    assert m.path == "/2010-04-01/Accounts/%s/Messages.json" % srv.account_sid
    assert m.violations == [] and m.status == 201
    form = m.form_dict()
    assert form["To"] == [WA_TO] and form["From"] == [WA_FROM] and form["ContentSid"] == [TPL_VOICEMAIL]
    assert "Body" not in form
    v = json.loads(form["ContentVariables"][0])
    assert v == {"1": "Novo recado na caixa postal", "2": "Zap", "3": "+55 11 9****-4321", "4": "duração 31 s",
                 "5": "%s/?callback=%d" % (srv.base_url, a["callback_id"])}
    # no template for abandoned: skipped on WhatsApp, Slack still told
    params2, _ = inbound_call(webhook, srv, did, caller="+5511976543210")
    CALLERS.append("+5511976543210")
    abandon(webhook, srv, params2)
    b = settled(srv, admin, dict(params2)["CallSid"], "abandoned")
    got = {d["channel"]: (d["state"], d["error"]) for d in b["deliveries"]}
    assert got == {"slack": ("sent", None),
                   "whatsapp": ("skipped", "no WhatsApp template for abandoned (WHATSAPP_TEMPLATE_ABANDONED)")}
    assert len(fake_twilio.requests_to("POST", r"/Messages\.json$")) == 1


def test_whatsapp_429_is_retried(env, slack, webhook, fake_twilio):
    srv, db, admin = env
    put_rules(srv, admin, {"events": {"voicemail": {"channels": ["whatsapp"]}}})
    fake_twilio.respond("POST", r"/Messages\.json$", 429,
                        {"code": 20429, "message": "Too Many Requests", "status": 429}, times=1,
                        headers={"Retry-After": "1"})
    nid, did = queue_line(db, "Zap2")
    params, _ = inbound_call(webhook, srv, did)
    rec = sid("RE")
    leave_voicemail(webhook, srv, params, rec)
    a = settled(srv, admin, rec, "voicemail", within=20)
    assert [(d["channel"], d["state"], d["attempts"]) for d in a["deliveries"]] == [("whatsapp", "sent", 2)]
    assert [r.status for r in fake_twilio.requests_to("POST", r"/Messages\.json$")] == [429, 201]


# --------------------------------------------------------------------------
# rules on the alerts' clock


def local_epoch(y, mo, d, h, mi, tz_hours=-3):
    """Epoch seconds of a wall-clock time in America/Sao_Paulo (UTC-3)."""
    t = datetime.datetime(y, mo, d, h, mi, tzinfo=datetime.timezone(datetime.timedelta(hours=tz_hours)))
    return t.timestamp()


def test_cooldown_per_event_and_line(env, slack, webhook, clock):
    srv, db, admin = env
    put_rules(srv, admin, {"events": {"abandoned": {"channels": ["slack"], "cooldown_s": 600}}})
    t0 = local_epoch(2026, 11, 23, 14, 0)
    nid, did = queue_line(db, "Esfriando")
    nid2, did2 = queue_line(db, "Outra")

    def one_abandon(at, line_did, caller):
        clock.set(at)
        params, _ = inbound_call(webhook, srv, line_did, caller=caller)
        abandon(webhook, srv, params)
        return settled(srv, admin, dict(params)["CallSid"], "abandoned")

    CALLERS.extend(["+5511911110001", "+5511911110002", "+5511911110003", "+5511911110004"])
    assert one_abandon(t0, did, "+5511911110001")["state"] == "notified"
    second = one_abandon(t0 + 60, did, "+5511911110002")
    assert (second["state"], second["deliveries"]) == ("cooldown", [])
    assert second["callback_id"] is not None  # the callback is owed all the same
    assert one_abandon(t0 + 90, did2, "+5511911110003")["state"] == "notified"  # another line
    assert one_abandon(t0 + 601, did, "+5511911110004")["state"] == "notified"
    assert len(slack_messages(slack, "Esfriando")) == 2
    assert len(slack_messages(slack, "Outra")) == 1


def test_quiet_hours_hold_alerts_for_one_digest(env, slack, webhook, clock, fake_twilio):
    srv, db, admin = env
    rules = put_rules(srv, admin, {"quiet_hours": {"start": "22:00", "end": "07:00"},
                                   "events": {"abandoned": {"channels": ["slack"]},
                                              "voicemail": {"channels": ["slack", "whatsapp"]}}})
    assert rules["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    clock.set(local_epoch(2026, 11, 23, 23, 30))
    nid, did = queue_line(db, "Noturna")
    params, _ = inbound_call(webhook, srv, did)
    abandon(webhook, srv, params)
    a = settled(srv, admin, dict(params)["CallSid"], "abandoned")
    assert (a["state"], a["reason"]) == ("held", "quiet hours")
    params2, _ = inbound_call(webhook, srv, did, caller="+5511922223333")
    CALLERS.append("+5511922223333")
    rec = sid("RE")
    leave_voicemail(webhook, srv, params2, rec)
    b = settled(srv, admin, rec, "voicemail")
    assert b["state"] == "held"
    time.sleep(0.5)
    assert slack.posts(SLACK) == []
    # the digest waits for 07:00 local, 7 h 30 min away
    row = db.one("SELECT extract(epoch FROM run_at - now()) FROM jobs WHERE kind = 'alert.digest'"
                 " AND state = 'queued' AND payload->>'channel' = 'slack'")
    assert 7.5 * 3600 - 120 < row[0] < 7.5 * 3600 + 5, row
    # the job's scheduled time comes: one message with both
    clock.set(local_epoch(2026, 11, 24, 7, 0))
    db.run("UPDATE jobs SET run_at = now() WHERE kind = 'alert.digest' AND state = 'queued'")
    db.run("NOTIFY ramal_jobs")
    digests = wait_until(lambda: [r.json() for r in slack.posts(SLACK)], 10)
    assert len(digests) == 1
    d = digests[0]
    assert d["text"].startswith("Resumo do horário silencioso: 2 alertas")
    section = d["blocks"][1]["text"]["text"]
    assert "Chamada abandonada na fila · Noturna · +55 11 9****-4321" in section
    assert "Novo recado na caixa postal · Noturna · +55 11 9****-3333" in section
    a = alert_of(srv, admin, dict(params)["CallSid"], "abandoned")
    assert [(x["channel"], x["state"], x["digest_state"]) for x in a["deliveries"]] == [("slack", "digested",
                                                                                         "sent")]
    wa = wait_until(lambda: fake_twilio.requests_to("POST", r"/Messages\.json$"), 10)
    assert wa and wa[0].form_dict()["ContentSid"] == [TPL_DIGEST]


def test_outside_quiet_hours_alerts_go_at_once(env, slack, webhook, clock):
    srv, db, admin = env
    put_rules(srv, admin, {"quiet_hours": {"start": "22:00", "end": "07:00"},
                           "events": {"abandoned": {"channels": ["slack"]}}})
    clock.set(local_epoch(2026, 11, 24, 9, 15))
    nid, did = queue_line(db, "Diurna")
    params, _ = inbound_call(webhook, srv, did)
    abandon(webhook, srv, params)
    assert settled(srv, admin, dict(params)["CallSid"], "abandoned")["state"] == "notified"
    m = slack_messages(slack, "Diurna")
    assert len(m) == 1 and m[0]["text"].endswith(" · %s" % alert_of(srv, admin, dict(params)["CallSid"],
                                                                      "abandoned")["text"].split(" · ")[-1])


# --------------------------------------------------------------------------
# the admin's rules


def test_alert_rules_defaults_and_roles(env):
    srv, db, admin = env
    r = admin.request("GET", "/api/admin/alert-rules")
    assert r.status_code == 200
    body = r.json()
    assert body["events"]["abandoned"] == {"channels": ["slack", "webhook"], "cooldown_s": 0}
    assert body["events"]["failed"] == {"channels": ["webhook"], "cooldown_s": 300}
    assert body["quiet_hours"] is None and body["timezone"] == "America/Sao_Paulo"
    assert body["channels"]["slack"] == {"configured": True, "source": "default"}
    assert body["channels"]["whatsapp"]["templates"]["voicemail"] is True
    assert body["channels"]["whatsapp"]["templates"]["abandoned"] is False
    assert "secrethook" not in r.text and HOOK_SECRET not in r.text
    sup = agents.User(srv, role="supervisor")
    assert sup.request("GET", "/api/admin/alert-rules").status_code == 403
    assert sup.request("PUT", "/api/admin/alert-rules", json={}).status_code == 403
    assert sup.request("GET", "/api/alerts").status_code == 200
    agent = agents.User(srv)
    assert agent.request("GET", "/api/alerts").status_code == 403


@pytest.mark.parametrize("body, why", [
    ({"events": {"nope": {}}}, "unknown event"),
    ({"events": {"abandoned": {"channels": ["email"]}}}, "slack, whatsapp or webhook"),
    ({"events": {"abandoned": {"cooldown_s": -1}}}, "cooldown_s"),
    ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "HH:MM"),
    ({"quiet_hours": {"start": "07:00", "end": "07:00"}}, "differ"),
    ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
    ({"whatsapp_to": "5511999"}, "whatsapp_to"),
    ({"slack_webhook_url": "ftp://x"}, "slack_webhook_url"),
    ({"webhook_secret": "short"}, "webhook_secret"),
    ([], "JSON object"),
])
def test_bad_alert_rules_are_refused(env, body, why):
    srv, db, admin = env
    r = admin.request("PUT", "/api/admin/alert-rules", json=body)
    assert r.status_code == 400, r.text
    assert why in r.json()["error"]


def test_tenant_slack_url_is_sealed_and_used(env, slack, webhook):
    srv, db, admin = env
    own = slack.url + "/services/T0002/B0002/tenantown"
    body = put_rules(srv, admin, {"slack_webhook_url": own, "events": {"abandoned": {"channels": ["slack"]}}})
    assert body["channels"]["slack"] == {"configured": True, "source": "tenant"}
    stored = db.one("SELECT slack_webhook_url_enc FROM alert_rules")[0]
    assert stored.startswith("v1:") and "tenantown" not in stored
    nid, did = queue_line(db, "Propria")
    params, _ = inbound_call(webhook, srv, did)
    abandon(webhook, srv, params)
    settled(srv, admin, dict(params)["CallSid"], "abandoned")
    assert len(slack.posts("/services/T0002/")) == 1 and slack.posts(SLACK) == []
    # null clears it: back to SLACK_WEBHOOK_URL
    body = put_rules(srv, admin, {"slack_webhook_url": None})
    assert body["channels"]["slack"]["source"] == "default"
