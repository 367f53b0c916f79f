-- Live events for the softphone and supervisors (GET /api/events).
--
-- Every event is a row of `events`, written by the triggers below (or by a
-- statement of the server, call.incoming), whoever changes the data: the
-- API, a TaskRouter callback, the CLI, a manual UPDATE.  An AFTER INSERT
-- trigger sends a small NOTIFY on channel ramal_events ({"id", "t"
-- (tenant), "u" (user or null), "a" ("user" | "supervisors")}, well under
-- the 8000-byte limit); each server's event hub LISTENs, reads the rows by
-- id and hands them to its connected clients.  A NOTIFY is delivered at
-- commit, so a rolled-back change sends nothing.
--
-- audience 'user': only user_id sees it.  audience 'supervisors': every
-- supervisor and admin of the tenant (user_id is NULL).
--
-- Retention: 24 hours.  The hub of each server deletes older rows every
-- few minutes (a bounded batch at a time); Last-Event-ID replays only what
-- is still here.

CREATE TABLE events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	user_id bigint REFERENCES users (id) ON DELETE CASCADE,
	audience text NOT NULL CHECK (audience IN ('user', 'supervisors')),
	type text NOT NULL CHECK (type ~ '^[a-z][a-z.]{0,31}$'),
	data jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((audience = 'user') = (user_id IS NOT NULL))
);
-- Replay (Last-Event-ID) of one user's and of the supervisors' events.
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX events_tenant ON events (tenant_id, audience, id);
CREATE INDEX events_created ON events (created_at);

CREATE FUNCTION events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('ramal_events', json_build_object('id', NEW.id,
	    't', NEW.tenant_id, 'u', NEW.user_id, 'a', NEW.audience)::text);
	RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
	FOR EACH ROW EXECUTE FUNCTION events_notify();

-- status (to the user) and agent (to the supervisors) when users.status
-- changes, whoever changes it.
CREATE FUNCTION events_user_status() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	since text := to_char(NEW.status_since AT TIME ZONE 'UTC',
	    'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
BEGIN
	INSERT INTO events (tenant_id, user_id, audience, type, data)
	VALUES (NEW.tenant_id, NEW.id, 'user', 'status',
	    jsonb_build_object('user_id', NEW.id, 'status', NEW.status,
		'since', since)),
	    (NEW.tenant_id, NULL, 'supervisors', 'agent',
	    jsonb_build_object('id', NEW.id, 'status', NEW.status,
		'since', since));
	RETURN NULL;
END
$$;

CREATE TRIGGER users_status_events AFTER UPDATE OF status ON users
	FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
	EXECUTE FUNCTION events_user_status();

-- call.ended to the agent of a call that reaches a final status
-- (status_rank 4).  The WHEN clauses keep calls without an agent, and
-- updates that do not end a call, out of PL/pgSQL altogether: the status
-- callback and the inbound webhook pay one cheap comparison.
CREATE FUNCTION events_call_ended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO events (tenant_id, user_id, audience, type, data)
	VALUES (NEW.tenant_id, NEW.agent_user_id, 'user', 'call.ended',
	    jsonb_build_object('call_sid', NEW.call_sid, 'status', NEW.status,
		'duration_s', NEW.duration_s));
	RETURN NULL;
END
$$;

CREATE TRIGGER calls_ended_events AFTER UPDATE ON calls
	FOR EACH ROW WHEN (NEW.agent_user_id IS NOT NULL
	    AND NEW.status_rank >= 4
	    AND (OLD.status_rank < 4 OR OLD.agent_user_id IS NULL))
	EXECUTE FUNCTION events_call_ended();

CREATE TRIGGER calls_ended_events_insert AFTER INSERT ON calls
	FOR EACH ROW WHEN (NEW.agent_user_id IS NOT NULL
	    AND NEW.status_rank >= 4)
	EXECUTE FUNCTION events_call_ended();

-- queue to the supervisors when a task enters or leaves the waiting set
-- (assignment status pending or reserved: the caller still waits).
CREATE INDEX tasks_waiting ON tasks (tenant_id)
	WHERE assignment_status IN ('pending', 'reserved');

CREATE FUNCTION events_queue_size() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO events (tenant_id, user_id, audience, type, data)
	SELECT NEW.tenant_id, NULL, 'supervisors', 'queue',
	    jsonb_build_object('size', count(*))
	FROM tasks k WHERE k.tenant_id = NEW.tenant_id
	AND k.assignment_status IN ('pending', 'reserved');
	RETURN NULL;
END
$$;

CREATE TRIGGER tasks_queue_events AFTER UPDATE OF assignment_status ON tasks
	FOR EACH ROW WHEN (coalesce(OLD.assignment_status IN ('pending',
	    'reserved'), false) IS DISTINCT FROM
	    coalesce(NEW.assignment_status IN ('pending', 'reserved'), false))
	EXECUTE FUNCTION events_queue_size();

CREATE TRIGGER tasks_queue_events_insert AFTER INSERT ON tasks
	FOR EACH ROW WHEN (NEW.assignment_status IN ('pending', 'reserved'))
	EXECUTE FUNCTION events_queue_size();
