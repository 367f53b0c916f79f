-- Alerts (an outbox of what went wrong, delivered to Slack, WhatsApp and a
-- signed webhook) and the callback list (callers the team owes a call).
-- docs/alerts.md describes both; src/calls/alerts.c delivers them.
--
-- alerts is an outbox.  Each row is one thing that happened, under an
-- idempotency key derived from it (abandoned:<CallSid>,
-- missed-dedicated:<CallSid>, voicemail:<RecordingSid>, failed:<CallSid>,
-- dead-job:<job id>).  The rows are written by the triggers below, in the
-- transaction (for the status callback and the inbound webhook: the
-- group-committed statement) that stores the fact itself, with ON
-- CONFLICT DO NOTHING; so a callback Twilio sends twice, or that the spool
-- replays after an outage, finds its alert there already and adds none.
-- A new alert queues one alert.dispatch job (same transaction), which
-- applies the tenant's rules, opens a callback when one is owed and
-- queues one alert.deliver job per channel (alert_deliveries).
--
-- alerts.state: new (not dispatched yet), notified (deliveries made),
-- held (quiet hours: it goes out in the digest at their end), cooldown
-- (an alert of the same event and scope was notified within the
-- cooldown), suppressed (reason says why: a short abandon, no channel).
-- scope is what the cooldown is counted per: the line (line:<id>) for
-- call events, the job kind (kind:<kind>) for dead jobs.  caller is the
-- full number, kept here like in calls; it leaves ramal only masked.

CREATE TABLE alert_rules (
	tenant_id bigint PRIMARY KEY REFERENCES tenants (id),
	-- events, quiet_hours, timezone, whatsapp_to: docs/alerts.md; the
	-- server validates it and fills in defaults when it reads it.
	rules jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(rules) = 'object'),
	-- The tenant's Slack incoming webhook (a secret: anyone holding it
	-- may post), sealed under RAMAL_SECRET_KEY with the account SID.
	slack_webhook_url_enc text CHECK (slack_webhook_url_enc LIKE 'v1:%'),
	webhook_url text CHECK (webhook_url ~ '^https?://'),
	webhook_secret_enc text CHECK (webhook_secret_enc LIKE 'v1:%'),
	updated_by bigint REFERENCES users (id) ON DELETE SET NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	key text NOT NULL UNIQUE CHECK (length(key) BETWEEN 3 AND 200),
	event text NOT NULL CHECK (event IN ('abandoned', 'missed-dedicated',
		'voicemail', 'failed', 'dead-job')),
	call_sid text CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	recording_sid text CHECK (recording_sid ~ '^RE[0-9a-fA-F]{32}$'),
	job_id bigint,
	phone_number_id bigint REFERENCES phone_numbers (id) ON DELETE SET NULL,
	line text, -- the number's label (or the number) when it happened
	caller text,
	scope text NOT NULL DEFAULT '',
	details jsonb NOT NULL DEFAULT '{}',
	occurred_at timestamptz NOT NULL DEFAULT now(),
	state text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'notified',
		'held', 'cooldown', 'suppressed')),
	reason text,
	-- When the rules were applied, by the alerts' clock (docs/alerts.md).
	decided_at timestamptz,
	callback_id bigint
);
CREATE INDEX alerts_tenant ON alerts (tenant_id, id DESC);
CREATE INDEX alerts_call ON alerts (call_sid) WHERE call_sid IS NOT NULL;
-- The cooldown's look-up: the last notified alert of an event and scope.
CREATE INDEX alerts_cooldown ON alerts (tenant_id, event, scope, decided_at)
	WHERE state = 'notified';

-- One row per alert and channel; a digest (alert_id NULL) gathers the
-- held rows of a tenant and channel (digest_id) into one message.
-- state: queued (an alert.deliver job will send it), retrying (it failed
-- with 429, 5xx or no answer; next_at says when it tries again), sent,
-- dead (given up: a 4xx, or ALERT_MAX_ATTEMPTS tries), held (waits for
-- the digest), digested (went out in digest_id), skipped (the channel
-- cannot carry this event: no WhatsApp template for it).
CREATE TABLE alert_deliveries (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	alert_id bigint REFERENCES alerts (id) ON DELETE CASCADE,
	channel text NOT NULL CHECK (channel IN ('slack', 'whatsapp', 'webhook')),
	state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued',
		'retrying', 'sent', 'dead', 'held', 'digested', 'skipped')),
	attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	last_status integer,
	last_error text,
	next_at timestamptz,
	sent_at timestamptz,
	digest_id bigint REFERENCES alert_deliveries (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (alert_id, channel)
);
CREATE INDEX alert_deliveries_held ON alert_deliveries (tenant_id, channel)
	WHERE state = 'held';
CREATE INDEX alert_deliveries_digest ON alert_deliveries (digest_id)
	WHERE digest_id IS NOT NULL;

-- Callers to call back.  key is the key of the alert that opened it.  A
-- caller has at most one open callback per tenant: a second missed call
-- of the same number counts in missed_calls instead.  state: open ->
-- in-progress (an agent took it) -> done | no-answer | canceled.
-- closed_reason: agent (closed with a result), caller-called-again (the
-- caller reached an agent by calling in).
CREATE TABLE callbacks (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	key text NOT NULL UNIQUE,
	caller text NOT NULL,
	phone_number_id bigint REFERENCES phone_numbers (id) ON DELETE SET NULL,
	line text,
	reason text NOT NULL CHECK (reason IN ('abandoned', 'missed-dedicated',
		'voicemail')),
	call_sid text CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	recording_sid text CHECK (recording_sid ~ '^RE[0-9a-fA-F]{32}$'),
	missed_calls integer NOT NULL DEFAULT 1 CHECK (missed_calls >= 1),
	created_at timestamptz NOT NULL DEFAULT now(),
	assigned_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
	assigned_at timestamptz,
	state text NOT NULL DEFAULT 'open' CHECK (state IN ('open',
		'in-progress', 'done', 'no-answer', 'canceled')),
	attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	closed_at timestamptz,
	closed_by bigint REFERENCES users (id) ON DELETE SET NULL,
	closed_reason text CHECK (closed_reason IN ('agent',
		'caller-called-again')),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((state IN ('done', 'no-answer', 'canceled'))
		= (closed_at IS NOT NULL))
);
CREATE UNIQUE INDEX callbacks_open_caller ON callbacks (tenant_id, caller)
	WHERE state IN ('open', 'in-progress');
CREATE INDEX callbacks_tenant ON callbacks (tenant_id, id DESC);
CREATE INDEX callbacks_open ON callbacks (tenant_id, created_at, id)
	WHERE state = 'open';

-- ---------------------------------------------------------------------
-- Raising an alert: the row, once per key; its dispatch job, woken.

CREATE FUNCTION alerts_raise(p_tenant bigint, p_key text, p_event text,
    p_call text, p_recording text, p_job bigint, p_number bigint,
    p_caller text, p_scope text, p_details jsonb) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO alerts (tenant_id, key, event, call_sid, recording_sid,
	    job_id, phone_number_id, line, caller, scope, details)
	SELECT p_tenant, p_key, p_event, p_call, p_recording, p_job, p_number,
	    (SELECT coalesce(nullif(p.label, ''), p.e164) FROM phone_numbers p
		WHERE p.id = p_number),
	    p_caller, p_scope, coalesce(p_details, '{}')
	ON CONFLICT (key) DO NOTHING;
$$;

CREATE FUNCTION alerts_queue_dispatch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO jobs (kind, payload, dedupe_key, account_sid)
	SELECT 'alert.dispatch', jsonb_build_object('alert_id', NEW.id),
	    'alert.dispatch:' || NEW.id, t.account_sid
	FROM tenants t WHERE t.id = NEW.tenant_id;
	PERFORM pg_notify('ramal_jobs', '');
	RETURN NULL;
END
$$;

CREATE TRIGGER alerts_dispatch AFTER INSERT ON alerts
	FOR EACH ROW EXECUTE FUNCTION alerts_queue_dispatch();

-- ---------------------------------------------------------------------
-- The facts, as the calls row records them.
--
-- abandoned: queue-exit stored QueueResult=hangup (calls.abandoned).  A
-- call that first rang its dedicated agent (routing overflow) is told
-- as missed-dedicated instead, when it ends; one of the two per call.
-- missed-dedicated: a caller's leg on a dedicated line (routing
-- dedicated or overflow) ended, no agent ever took it (the whisper sets
-- agent_user_id when one does), and it left no voicemail (that one is
-- told as voicemail).
-- failed: any leg whose final status is failed.
-- A caller who reaches an agent (the whisper marks the caller's inbound
-- row) closes their open callback.

CREATE FUNCTION alerts_calls() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	was_abandoned boolean := false;
	was_final boolean := false;
	had_agent boolean := false;
	scope text := 'line:' || coalesce(NEW.phone_number_id::text, '');
BEGIN
	IF TG_OP = 'UPDATE' THEN
		was_abandoned := OLD.abandoned;
		was_final := OLD.status_rank >= 4;
		had_agent := OLD.agent_user_id IS NOT NULL
		    AND OLD.from_number IS NOT NULL;
	END IF;

	IF NEW.abandoned AND NOT was_abandoned
	    AND coalesce(NEW.routing, '') <> 'overflow'
	    AND NOT EXISTS (SELECT 1 FROM alerts
		WHERE key = 'missed-dedicated:' || NEW.call_sid) THEN
		PERFORM alerts_raise(NEW.tenant_id, 'abandoned:' || NEW.call_sid,
		    'abandoned', NEW.call_sid, NULL, NULL, NEW.phone_number_id,
		    NEW.from_number, scope,
		    jsonb_build_object('queue_time_s', NEW.queue_time_s));
	END IF;

	IF NEW.status_rank >= 4 AND NOT was_final THEN
		IF NEW.status = 'failed' THEN
			PERFORM alerts_raise(NEW.tenant_id,
			    'failed:' || NEW.call_sid, 'failed', NEW.call_sid,
			    NULL, NULL, NEW.phone_number_id,
			    CASE WHEN NEW.direction = 'inbound'
				THEN NEW.from_number ELSE NEW.to_number END,
			    scope, jsonb_build_object('direction',
				NEW.direction, 'sip_response_code',
				NEW.sip_response_code));
		END IF;
		IF NEW.parent_call_sid IS NULL AND NEW.direction = 'inbound'
		    AND NEW.routing IN ('dedicated', 'overflow')
		    AND NEW.agent_user_id IS NULL
		    AND NOT EXISTS (SELECT 1 FROM alerts
			WHERE key = 'abandoned:' || NEW.call_sid)
		    AND NOT EXISTS (SELECT 1 FROM voicemails v
			WHERE v.call_sid = NEW.call_sid) THEN
			PERFORM alerts_raise(NEW.tenant_id,
			    'missed-dedicated:' || NEW.call_sid,
			    'missed-dedicated', NEW.call_sid, NULL, NULL,
			    NEW.phone_number_id, NEW.from_number, scope,
			    jsonb_build_object('dial_status', NEW.dial_status,
				'owner', (SELECT u.name FROM phone_numbers p
				    JOIN users u ON u.id = p.owner_user_id
				    WHERE p.id = NEW.phone_number_id)));
		END IF;
	END IF;

	IF NEW.agent_user_id IS NOT NULL AND NEW.from_number IS NOT NULL
	    AND NOT had_agent AND NEW.direction = 'inbound'
	    AND NEW.parent_call_sid IS NULL THEN
		UPDATE callbacks SET state = 'done', closed_at = now(),
		    closed_reason = 'caller-called-again', updated_at = now()
		WHERE tenant_id = NEW.tenant_id AND caller = NEW.from_number
		AND state IN ('open', 'in-progress')
		AND call_sid IS DISTINCT FROM NEW.call_sid;
	END IF;
	RETURN NULL;
END
$$;

-- The WHEN clauses keep every other write to calls (most of them) out
-- of PL/pgSQL, as in 007.
CREATE TRIGGER calls_alerts AFTER UPDATE ON calls
	FOR EACH ROW WHEN ((NEW.abandoned AND NOT OLD.abandoned)
	    OR (NEW.status_rank >= 4 AND OLD.status_rank < 4)
	    OR (NEW.agent_user_id IS NOT NULL AND NEW.from_number IS NOT NULL
		AND (OLD.agent_user_id IS NULL OR OLD.from_number IS NULL)))
	EXECUTE FUNCTION alerts_calls();

CREATE TRIGGER calls_alerts_insert AFTER INSERT ON calls
	FOR EACH ROW WHEN (NEW.abandoned OR NEW.status_rank >= 4
	    OR (NEW.agent_user_id IS NOT NULL AND NEW.from_number IS NOT NULL))
	EXECUTE FUNCTION alerts_calls();

-- voicemail: the voicemail's row is written once per RecordingSid.
CREATE FUNCTION alerts_voicemail() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM alerts_raise(NEW.tenant_id, 'voicemail:' || NEW.recording_sid,
	    'voicemail', NEW.call_sid, NEW.recording_sid, NULL,
	    NEW.phone_number_id, NEW.from_number,
	    'line:' || coalesce(NEW.phone_number_id::text, ''),
	    jsonb_build_object('duration_s', NEW.duration_s,
		'voicemail_id', NEW.id));
	RETURN NULL;
END
$$;

CREATE TRIGGER voicemails_alerts AFTER INSERT ON voicemails
	FOR EACH ROW EXECUTE FUNCTION alerts_voicemail();

-- dead-job: a job went dead (its last attempt failed, or it could not
-- start).  The alerts' own jobs are left out: a delivery that fails for
-- good is only logged, never alerted about.  The tenant is the job's
-- account's, else the primary one.
CREATE FUNCTION alerts_dead_job() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	tid bigint;
BEGIN
	SELECT id INTO tid FROM tenants WHERE account_sid = NEW.account_sid;
	IF tid IS NULL THEN
		SELECT id INTO tid FROM tenants
		ORDER BY is_primary DESC, id LIMIT 1;
	END IF;
	IF tid IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM alerts_raise(tid, 'dead-job:' || NEW.id, 'dead-job', NULL,
	    NULL, NEW.id, NULL, NULL, 'kind:' || NEW.kind,
	    jsonb_build_object('kind', NEW.kind, 'attempts', NEW.attempts,
		'error', left(coalesce(NEW.last_error, ''), 300)));
	RETURN NULL;
END
$$;

CREATE TRIGGER jobs_dead_alerts AFTER UPDATE OF state ON jobs
	FOR EACH ROW WHEN (NEW.state = 'dead' AND OLD.state <> 'dead'
	    AND NEW.kind NOT LIKE 'alert.%')
	EXECUTE FUNCTION alerts_dead_job();
