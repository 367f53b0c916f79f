-- Tickets for live events (POST /api/events/ticket, docs/api.md).
--
-- A browser's EventSource cannot send an Authorization header, so a page
-- on another origin asks for a ticket with its Bearer token and opens
-- GET /api/events?ticket=... with it.  A ticket is 32 random bytes; only
-- its SHA-256 (hex) is kept, it is valid once (taking it deletes it) and
-- for at most 30 seconds, and it belongs to the session that asked: the
-- stream it opens is that session's, and ends with it.  Kept here rather
-- than in memory so that any instance behind the load balancer takes a
-- ticket another instance gave.  Expired rows are deleted when a new
-- ticket is made; a deleted session takes its tickets with it.

CREATE TABLE event_tickets (
	ticket_hash text PRIMARY KEY CHECK (ticket_hash ~ '^[0-9a-f]{64}$'),
	session_id bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	expires_at timestamptz NOT NULL
);
CREATE INDEX event_tickets_session ON event_tickets (session_id, expires_at);
CREATE INDEX event_tickets_expires ON event_tickets (expires_at);
