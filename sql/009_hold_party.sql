-- Hold on agent-to-agent calls (issue #4): either agent may hold the other.
-- The party the last hold asked for; NULL: the default of the bridge (the
-- caller of an inbound call, the callee of an outbound one).
ALTER TABLE calls
	ADD COLUMN held_call_sid text CHECK (held_call_sid ~ '^CA[0-9a-fA-F]{32}$');
