-- TaskRouter: what `ramal provision` set up, and the state TaskRouter
-- reports through its callbacks.
--
-- taskrouter_config holds one row per tenant, written only after a whole
-- provisioning run succeeded.
--
-- Event callbacks may arrive twice or out of order, so rows only move
-- forward.  A task orders its states by (final, event time, rank): a task
-- may go back from reserved to pending when a reservation is rejected, so
-- time decides, but canceled/completed are final.  A reservation only
-- moves to a higher rank (pending 0 < accepted 1 < wrapping 2 < final 3),
-- the event time breaking ties.  A worker's activity (users.status) moves
-- by WorkerVersion when both sides have one, else by event time.
-- taskrouter_events keeps every raw callback, append-only.

CREATE TABLE taskrouter_config (
	tenant_id bigint PRIMARY KEY REFERENCES tenants (id),
	workspace_sid text NOT NULL
		CHECK (workspace_sid ~ '^WS[0-9a-fA-F]{32}$'),
	workflow_sid text NOT NULL
		CHECK (workflow_sid ~ '^WW[0-9a-fA-F]{32}$'),
	task_queue_sid text NOT NULL
		CHECK (task_queue_sid ~ '^WQ[0-9a-fA-F]{32}$'),
	activity_available_sid text NOT NULL
		CHECK (activity_available_sid ~ '^WA[0-9a-fA-F]{32}$'),
	activity_busy_sid text NOT NULL
		CHECK (activity_busy_sid ~ '^WA[0-9a-fA-F]{32}$'),
	activity_offline_sid text NOT NULL
		CHECK (activity_offline_sid ~ '^WA[0-9a-fA-F]{32}$'),
	activity_wrapup_sid text NOT NULL
		CHECK (activity_wrapup_sid ~ '^WA[0-9a-fA-F]{32}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	task_sid text NOT NULL UNIQUE CHECK (task_sid ~ '^WT[0-9a-fA-F]{32}$'),
	workspace_sid text CHECK (workspace_sid ~ '^WS[0-9a-fA-F]{32}$'),
	workflow_sid text CHECK (workflow_sid ~ '^WW[0-9a-fA-F]{32}$'),
	task_queue_sid text CHECK (task_queue_sid ~ '^WQ[0-9a-fA-F]{32}$'),
	-- TaskAttributes.call_sid: the caller's leg of a voice task.
	call_sid text CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	attributes jsonb NOT NULL DEFAULT '{}',
	-- TaskAssignmentStatus: pending reserved assigned wrapping
	-- completed canceled.
	assignment_status text,
	status_rank smallint NOT NULL DEFAULT -1,
	-- TaskCanceledReason / TaskCompletedReason.
	reason text,
	priority integer,
	last_event_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_call ON tasks (call_sid) WHERE call_sid IS NOT NULL;
CREATE INDEX tasks_tenant_created ON tasks (tenant_id, created_at DESC);

CREATE TABLE reservations (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	reservation_sid text NOT NULL UNIQUE
		CHECK (reservation_sid ~ '^WR[0-9a-fA-F]{32}$'),
	task_sid text NOT NULL CHECK (task_sid ~ '^WT[0-9a-fA-F]{32}$'),
	worker_sid text CHECK (worker_sid ~ '^WK[0-9a-fA-F]{32}$'),
	call_sid text CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	-- pending accepted rejected timeout canceled rescinded wrapping
	-- completed failed
	status text NOT NULL DEFAULT 'pending',
	status_rank smallint NOT NULL DEFAULT 0,
	last_event_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_task ON reservations (task_sid);
CREATE INDEX reservations_worker ON reservations (worker_sid, created_at DESC)
	WHERE worker_sid IS NOT NULL;

CREATE TABLE taskrouter_events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	-- EventType, or "assignment" for an assignment callback.
	event_type text NOT NULL,
	resource_type text,
	resource_sid text,
	-- The event's own Sid (EV...) when TaskRouter sends one.
	event_sid text,
	event_at timestamptz,
	received_at timestamptz NOT NULL,
	stored_at timestamptz NOT NULL DEFAULT now(),
	-- Every parameter as received (a repeated name keeps all its values
	-- as an array).  Duplicates are kept: this is the audit trail.
	params jsonb NOT NULL,
	replayed boolean NOT NULL DEFAULT false
);
CREATE INDEX taskrouter_events_resource ON taskrouter_events
	(resource_sid, event_at) WHERE resource_sid IS NOT NULL;
CREATE INDEX taskrouter_events_tenant ON taskrouter_events
	(tenant_id, received_at DESC);

-- The WorkerVersion and time of the last TaskRouter worker event applied
-- to users.status (status_since moves only when the status changes).
ALTER TABLE users
	ADD COLUMN worker_version bigint,
	ADD COLUMN worker_event_at timestamptz;
CREATE UNIQUE INDEX users_worker_sid ON users (worker_sid)
	WHERE worker_sid IS NOT NULL;
