-- Tenant scoping of the webhooks (issue #10, item 1).
--
-- Twilio's SIDs are unique across accounts, so the keys that hold them
-- stay global (calls.call_sid, recordings.recording_sid,
-- voicemails.recording_sid, tasks.task_sid, reservations.reservation_sid,
-- conference_participants (conference_sid, call_sid), and the conference
-- name 'ramal-' || the anchor's CallSid): a SID belongs to the tenant
-- whose webhook stored it first, and a webhook of another tenant that
-- names it is refused and changes nothing.  The statements enforce it
-- (see src/store/store_scope.c): every upsert updates an existing row
-- only WHERE its tenant_id is the webhook's, and inserts nothing when a
-- SID of the request is already another tenant's.
--
-- Finding the owner of a conference by its ConferenceSid (a conference
-- event of another account) must not scan calls.
CREATE INDEX calls_conference_sid ON calls (conference_sid)
	WHERE conference_sid IS NOT NULL;
