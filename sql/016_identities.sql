-- Voice identities: letters, digits and _ only.
--
-- Twilio's Voice access tokens allow only alphanumeric and underscore
-- characters in an identity, and TaskRouter expressions (the workflow
-- compares worker.identity with task.dedicated_agent) do not support
-- hyphens; 003 allowed '.' and '-' as well (docs/twilio-behaviour.md).
--
-- Every identity with another character is rewritten: each run of such
-- characters becomes one '_' ("ana.souza" -> "ana_souza"), the same rule
-- as `ramal create-user` (twparam_identity_safe), and when that name is
-- taken in the tenant, _2, _3, ... is added (in user id order, so the
-- result does not depend on the plan).  Users are referenced by id
-- everywhere but in the calls of agent-to-agent legs, whose from_number /
-- to_number say client:<identity>; those follow.  The users_cache_update
-- trigger (010) tells every instance's session cache, and the softphone
-- gets the new identity with its next token.  TaskRouter's workers (named
-- and addressed by identity) are renamed by the next `ramal provision`,
-- which finds each worker by the user's worker_sid.

CREATE TEMP TABLE identity_renames (
	user_id bigint PRIMARY KEY,
	tenant_id bigint NOT NULL,
	old_identity text NOT NULL,
	new_identity text NOT NULL
) ON COMMIT DROP;

DO $$
DECLARE
	u record;
	base text;
	cand text;
	n integer;
BEGIN
	FOR u IN SELECT id, tenant_id, identity FROM users
	    WHERE identity !~ '^[A-Za-z0-9_]+$' ORDER BY id
	LOOP
		base := left(regexp_replace(u.identity, '[^A-Za-z0-9_]+', '_',
		    'g'), 121);
		cand := base;
		n := 1;
		WHILE EXISTS (SELECT 1 FROM users
		    WHERE tenant_id = u.tenant_id AND identity = cand
		    AND id <> u.id)
		LOOP
			n := n + 1;
			cand := left(base, 120 - length(n::text)) || '_' || n;
		END LOOP;
		UPDATE users SET identity = cand, updated_at = now()
		    WHERE id = u.id;
		INSERT INTO identity_renames
		    VALUES (u.id, u.tenant_id, u.identity, cand);
	END LOOP;
END
$$;

UPDATE calls c SET to_number = 'client:' || r.new_identity
FROM identity_renames r
WHERE c.tenant_id = r.tenant_id
    AND c.to_number = 'client:' || r.old_identity;

UPDATE calls c SET from_number = 'client:' || r.new_identity
FROM identity_renames r
WHERE c.tenant_id = r.tenant_id
    AND c.from_number = 'client:' || r.old_identity;

ALTER TABLE users DROP CONSTRAINT users_identity_check,
	ADD CONSTRAINT users_identity_check
	    CHECK (identity ~ '^[A-Za-z0-9_]{1,121}$');
