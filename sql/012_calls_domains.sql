-- The CHECK constraints of calls become domains, with the same rules.
--
-- PostgreSQL (up to 17 at least) reads every CHECK constraint of a table
-- back from its stored text and plans it again for each INSERT or UPDATE
-- statement it runs on the table; calls had ten, and under load that was
-- about a tenth of the database's CPU for the inbound webhook and the
-- status callback.  A domain's constraint is read once per session (the
-- type cache) and only compiled for each statement.
--
-- Changing a column to a domain with a constraint rewrites the table and
-- its indexes (under an exclusive lock) and checks every row against the
-- domain, as the CHECK constraints already did.

CREATE DOMAIN twilio_call_sid AS text
	CHECK (VALUE ~ '^CA[0-9a-fA-F]{32}$');
CREATE DOMAIN twilio_queue_sid AS text
	CHECK (VALUE ~ '^QU[0-9a-fA-F]{32}$');
CREATE DOMAIN twilio_conference_sid AS text
	CHECK (VALUE ~ '^CF[0-9a-fA-F]{32}$');
CREATE DOMAIN seconds AS integer CHECK (VALUE >= 0);
CREATE DOMAIN conference_state AS text
	CHECK (VALUE IN ('requested', 'redirected', 'active', 'ended'));

ALTER TABLE calls
	DROP CONSTRAINT calls_call_sid_check,
	DROP CONSTRAINT calls_parent_call_sid_check,
	DROP CONSTRAINT calls_duration_s_check,
	DROP CONSTRAINT calls_queue_time_s_check,
	DROP CONSTRAINT calls_queue_sid_check,
	DROP CONSTRAINT calls_conference_sid_check,
	DROP CONSTRAINT calls_conference_state_check,
	DROP CONSTRAINT calls_agent_call_sid_check,
	DROP CONSTRAINT calls_other_call_sid_check,
	DROP CONSTRAINT calls_held_call_sid_check,
	ALTER call_sid TYPE twilio_call_sid,
	ALTER parent_call_sid TYPE twilio_call_sid,
	ALTER duration_s TYPE seconds,
	ALTER queue_time_s TYPE seconds,
	ALTER queue_sid TYPE twilio_queue_sid,
	ALTER conference_sid TYPE twilio_conference_sid,
	ALTER conference_state TYPE conference_state,
	ALTER agent_call_sid TYPE twilio_call_sid,
	ALTER other_call_sid TYPE twilio_call_sid,
	ALTER held_call_sid TYPE twilio_call_sid;
