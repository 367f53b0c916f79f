-- Outbound calls and hold (issue #4).  See docs/call-flows.md.

-- The tenant's default caller ID for outbound calls of agents without a
-- DID of their own (TWILIO_CALLER_ID stands in for the primary account).
ALTER TABLE tenants
	ADD COLUMN caller_id text CHECK (caller_id ~ '^\+[1-9][0-9]{7,14}$');

ALTER TABLE calls
	-- Outbound: the caller ID the agent dialled with (E.164), and the
	-- number as the agent typed it.
	ADD COLUMN caller_id text,
	ADD COLUMN dialled text,
	-- Hold.  The call's "anchor" row (the leg whose <Dial>/<Enqueue>
	-- action sees the end of the first bridge: the caller of an inbound
	-- call, the agent of an outbound one) carries the conference.
	-- bridge: dedicated | queue | outbound | client (agent-to-agent).
	ADD COLUMN bridge text,
	-- Set (committed) before the legs are moved: the action handlers
	-- answer <Dial><Conference> instead of <Hangup/> when they see it.
	ADD COLUMN conference_name text,
	ADD COLUMN conference_sid text CHECK (conference_sid ~ '^CF[0-9a-fA-F]{32}$'),
	-- requested (marked), redirected (the other leg was moved by REST),
	-- active (the held party joined), ended.
	ADD COLUMN conference_state text CHECK (conference_state IN
		('requested', 'redirected', 'active', 'ended')),
	-- The agent's leg and the other party's leg (the one held).
	ADD COLUMN agent_call_sid text CHECK (agent_call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	ADD COLUMN other_call_sid text CHECK (other_call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	-- What the agent asked for last; hold_confirmed is what Twilio said.
	ADD COLUMN hold_wanted boolean NOT NULL DEFAULT false,
	ADD COLUMN hold_confirmed boolean NOT NULL DEFAULT false,
	ADD COLUMN hold_changed_at timestamptz;

CREATE UNIQUE INDEX calls_conference_name ON calls (conference_name)
	WHERE conference_name IS NOT NULL;
CREATE INDEX calls_agent_leg ON calls (agent_call_sid)
	WHERE agent_call_sid IS NOT NULL;

-- One row per call leg in a conference, from /twilio/conference.
CREATE TABLE conference_participants (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	conference_sid text NOT NULL CHECK (conference_sid ~ '^CF[0-9a-fA-F]{32}$'),
	conference_name text NOT NULL,
	call_sid text NOT NULL CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	hold boolean NOT NULL DEFAULT false,
	muted boolean NOT NULL DEFAULT false,
	joined_at timestamptz,
	left_at timestamptz,
	-- SequenceNumber of the last event applied (-1: none).
	last_sequence integer NOT NULL DEFAULT -1,
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (conference_sid, call_sid)
);
CREATE INDEX conference_participants_name ON conference_participants
	(conference_name);
