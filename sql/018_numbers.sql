-- Numbers (DIDs) bought, imported and kept pointed at this deployment by
-- ramal (issue #12; docs/numbers.md).
--
-- A phone number keeps what ramal last read of it at Twilio: its
-- regulatory bundle and address (Brazilian numbers are bought with an
-- approved bundle), and its webhooks (hooks: the IncomingPhoneNumber's
-- voice_url, voice_method, voice_fallback_url, voice_fallback_method,
-- status_callback, status_callback_method, voice_application_sid and
-- trunk_sid, as Twilio named them), read at hooks_read_at by `ramal
-- number buy|import|list --twilio` and `ramal sync-webhooks`.  NULL:
-- never read (a number added by hand with `ramal number add`).

ALTER TABLE phone_numbers
	ADD COLUMN bundle_sid text CHECK (bundle_sid ~ '^BU[0-9a-fA-F]{32}$'),
	ADD COLUMN address_sid text CHECK (address_sid ~ '^AD[0-9a-fA-F]{32}$'),
	ADD COLUMN hooks jsonb CHECK (jsonb_typeof(hooks) = 'object'),
	ADD COLUMN hooks_read_at timestamptz;

CREATE INDEX phone_numbers_bundle ON phone_numbers (bundle_sid)
	WHERE bundle_sid IS NOT NULL;

-- The status of each regulatory bundle a number uses, as the daily
-- numbers.bundles job last read it (GET numbers.twilio.com/v2/
-- RegulatoryCompliance/Bundles/{Sid}).  Bundle SIDs are unique across
-- accounts; a bundle belongs to the tenant whose numbers use it.  status
-- is Twilio's (draft, pending-review, in-review, twilio-rejected,
-- twilio-approved, provisionally-approved), NULL until read; error says
-- why the last read failed (NULL when it worked).
CREATE TABLE number_bundles (
	sid text PRIMARY KEY CHECK (sid ~ '^BU[0-9a-fA-F]{32}$'),
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	status text,
	status_since timestamptz,
	checked_at timestamptz,
	error text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
