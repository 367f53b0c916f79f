-- Sign-in: password hashes, sessions and failed-login counters.
--
-- password_hash keeps the KDF's name, parameters and salt with the hash,
-- "scrypt$N$r$p$salt_b64$hash_b64", so the cost can be raised later
-- without a migration.  NULL: the user cannot sign in until an operator
-- sets a password (`ramal user password`).
--
-- A session token is 32 random bytes; only its SHA-256 (hex) is stored,
-- so a copy of this table does not let anyone sign in.  The CSRF token of
-- the session is stored the same way.
--
-- login_attempts holds one row per failed sign-in, per account (the
-- lower-cased email as typed, known or not) and per client address; the
-- rate limit counts the rows of the last window, so every instance shares
-- it.

ALTER TABLE users ADD COLUMN password_hash text
	CHECK (password_hash ~ '^[a-z0-9]+\$');
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;

-- Sign-in looks a user up by email across tenants.
CREATE INDEX users_email ON users (email);

CREATE TABLE sessions (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	csrf_hash text NOT NULL CHECK (csrf_hash ~ '^[0-9a-f]{64}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	-- Fixed lifetime from sign-in (SESSION_TTL_H); never extended.
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	user_agent text,
	client_addr text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_attempts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	scope text NOT NULL CHECK (scope IN ('account', 'address')),
	key text NOT NULL,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_key ON login_attempts (scope, key, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- Disabling a user ends every session at once, whoever disables it.
CREATE FUNCTION sessions_revoke_disabled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE sessions SET revoked_at = now()
	WHERE user_id = NEW.id AND revoked_at IS NULL;
	RETURN NEW;
END
$$;

CREATE TRIGGER users_disabled_revokes_sessions
	AFTER UPDATE OF disabled ON users
	FOR EACH ROW WHEN (NEW.disabled AND NOT OLD.disabled)
	EXECUTE FUNCTION sessions_revoke_disabled();
