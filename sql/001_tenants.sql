-- Tenants: one row per Twilio account or subaccount that ramal serves.
-- The auth token is stored sealed with AES-256-GCM under RAMAL_SECRET_KEY
-- ("v1:" + base64), bound to its account SID; it is never stored in clear.

CREATE TABLE tenants (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_sid text NOT NULL UNIQUE
		CHECK (account_sid ~ '^AC[0-9a-fA-F]{32}$'),
	parent_account_sid text
		CHECK (parent_account_sid ~ '^AC[0-9a-fA-F]{32}$'),
	friendly_name text NOT NULL DEFAULT '',
	environment text NOT NULL DEFAULT 'production',
	auth_token_enc text NOT NULL CHECK (auth_token_enc LIKE 'v1:%'),
	is_primary boolean NOT NULL DEFAULT false,
	status text NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'suspended', 'closed')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- At most one primary tenant: the account of TWILIO_ACCOUNT_SID.
CREATE UNIQUE INDEX tenants_one_primary ON tenants (is_primary)
	WHERE is_primary;
