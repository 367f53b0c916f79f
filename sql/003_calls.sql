-- Agents, numbers and the call record.
--
-- calls has one row per CallSid (parent and child legs alike).  Status
-- callbacks may arrive twice or out of order, so the row is only ever moved
-- forward: status_rank orders the call states (queued < initiated <
-- ringing < in-progress < final) and last_sequence breaks ties with
-- Twilio's SequenceNumber; the time columns keep the earliest start and
-- the latest end seen.  call_events keeps every raw callback, append-only.

CREATE TABLE users (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	email text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
	name text NOT NULL,
	role text NOT NULL DEFAULT 'agent'
		CHECK (role IN ('agent', 'supervisor', 'admin')),
	-- The Voice SDK identity (client:<identity>): letters, digits, _ . -
	identity text NOT NULL CHECK (identity ~ '^[A-Za-z0-9_.-]{1,121}$'),
	worker_sid text CHECK (worker_sid ~ '^WK[0-9a-fA-F]{32}$'),
	status text NOT NULL DEFAULT 'offline'
		CHECK (status IN ('available', 'busy', 'wrapup', 'offline')),
	status_since timestamptz NOT NULL DEFAULT now(),
	disabled boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, email),
	UNIQUE (tenant_id, identity)
);

CREATE TABLE phone_numbers (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	e164 text NOT NULL UNIQUE CHECK (e164 ~ '^\+[1-9][0-9]{7,14}$'),
	sid text UNIQUE CHECK (sid ~ '^PN[0-9a-fA-F]{32}$'),
	label text NOT NULL DEFAULT '',
	-- Dedicated routing: calls to this number ring this agent first.
	owner_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
	ring_timeout_s integer NOT NULL DEFAULT 20
		CHECK (ring_timeout_s BETWEEN 5 AND 120),
	disclaimer_text text,
	disclaimer_language text NOT NULL DEFAULT 'pt-BR',
	disclaimer_voice text NOT NULL DEFAULT 'Polly.Camila',
	disclaimer_audio_url text CHECK (disclaimer_audio_url ~ '^https?://'),
	voicemail_enabled boolean NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phone_numbers_owner ON phone_numbers (owner_user_id)
	WHERE owner_user_id IS NOT NULL;

CREATE TABLE calls (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	call_sid text NOT NULL UNIQUE CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	parent_call_sid text CHECK (parent_call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	direction text,
	from_number text,
	to_number text,
	phone_number_id bigint REFERENCES phone_numbers (id) ON DELETE SET NULL,
	agent_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
	routing text,
	status text NOT NULL DEFAULT 'queued',
	status_rank smallint NOT NULL DEFAULT 0,
	last_sequence integer NOT NULL DEFAULT -1,
	started_at timestamptz,
	ringing_at timestamptz,
	answered_at timestamptz,
	ended_at timestamptz,
	duration_s integer CHECK (duration_s >= 0),
	queue_time_s integer CHECK (queue_time_s >= 0),
	queue_result text,
	task_sid text,
	reservation_sid text,
	answered_by text,
	disclaimer_played boolean NOT NULL DEFAULT false,
	abandoned boolean NOT NULL DEFAULT false,
	sip_response_code integer,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_parent ON calls (parent_call_sid)
	WHERE parent_call_sid IS NOT NULL;
CREATE INDEX calls_tenant_started ON calls (tenant_id, created_at DESC);
CREATE INDEX calls_agent_started ON calls (agent_user_id, created_at DESC)
	WHERE agent_user_id IS NOT NULL;

CREATE TABLE call_events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	call_sid text,
	route text NOT NULL,
	received_at timestamptz NOT NULL,
	stored_at timestamptz NOT NULL DEFAULT now(),
	-- Every parameter as received; a repeated name keeps all its values
	-- as an array.  Duplicates are kept too: this is the audit trail.
	params jsonb NOT NULL,
	-- Received while the database was down, stored later from the spool.
	replayed boolean NOT NULL DEFAULT false
);
CREATE INDEX call_events_call ON call_events (call_sid, received_at)
	WHERE call_sid IS NOT NULL;
