-- Inbound call flows: what the TwiML webhooks learn about a call, the
-- recordings Twilio reports, and the voicemails callers leave.
--
-- recordings has one row per RecordingSid.  Recording callbacks may come
-- twice or out of order, so the status only moves forward (status_rank:
-- in-progress 0 < completed / absent / failed 1).  archive_state follows
-- the copy to S3: NULL (nothing asked yet), queued (a recording.archive
-- job is queued), awaiting-s3 (the job ran before S3 archiving existed),
-- archived, failed.  Only the transition NULL -> queued queues the job,
-- so a repeated "completed" callback never queues a second one.

ALTER TABLE calls
	-- DialCallStatus of the dedicated <Dial> (busy, no-answer, ...).
	ADD COLUMN dial_status text,
	ADD COLUMN queue_sid text CHECK (queue_sid ~ '^QU[0-9a-fA-F]{32}$');

-- The agent's whisper finds the caller by the TaskRouter reservation.
CREATE INDEX calls_reservation ON calls (reservation_sid)
	WHERE reservation_sid IS NOT NULL;

CREATE TABLE voicemails (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	call_sid text NOT NULL CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	phone_number_id bigint REFERENCES phone_numbers (id)
		ON DELETE SET NULL,
	recording_sid text NOT NULL UNIQUE
		CHECK (recording_sid ~ '^RE[0-9a-fA-F]{32}$'),
	recording_url text CHECK (recording_url ~ '^https?://'),
	from_number text,
	duration_s integer CHECK (duration_s >= 0),
	-- When the caller left it (the webhook's arrival, also when the row
	-- was stored later from the spool).
	created_at timestamptz NOT NULL DEFAULT now(),
	listened_at timestamptz
);
-- The unheard voicemails of a tenant, newest first; those of a line.
CREATE INDEX voicemails_unheard ON voicemails (tenant_id, created_at DESC)
	WHERE listened_at IS NULL;
CREATE INDEX voicemails_number ON voicemails (phone_number_id, created_at DESC)
	WHERE phone_number_id IS NOT NULL;
CREATE INDEX voicemails_call ON voicemails (call_sid);

CREATE TABLE recordings (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	recording_sid text NOT NULL UNIQUE
		CHECK (recording_sid ~ '^RE[0-9a-fA-F]{32}$'),
	call_sid text CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
	url text CHECK (url ~ '^https?://'),
	status text NOT NULL
		CHECK (status IN ('in-progress', 'completed', 'absent', 'failed')),
	status_rank smallint NOT NULL DEFAULT 0,
	channels smallint CHECK (channels IN (1, 2)),
	duration_s integer CHECK (duration_s >= 0),
	source text, -- RecordingSource: DialVerb, RecordVerb, ...
	track text, -- RecordingTrack: both, inbound, outbound
	started_at timestamptz,
	error_code text,
	voicemail_id bigint REFERENCES voicemails (id) ON DELETE SET NULL,
	archive_state text CHECK (archive_state IN
		('queued', 'awaiting-s3', 'archived', 'failed')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recordings_call ON recordings (call_sid)
	WHERE call_sid IS NOT NULL;
-- Recordings whose copy to S3 is not finished.
CREATE INDEX recordings_archive_pending ON recordings (archive_state, id)
	WHERE archive_state IN ('queued', 'awaiting-s3', 'failed');
