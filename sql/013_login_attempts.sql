-- Sign-in attempts are counted before the password is checked, in one
-- statement that cannot race with itself: login_attempt_begin takes a
-- transaction-scoped advisory lock on each of its two keys (the email and
-- the client address, always in that order), counts the attempts of the
-- window, and either answers how long to wait or records this attempt
-- under both keys.  Concurrent sign-ins for one email are so serialised
-- at the count: forty at once get exactly the allowed number of tries.
-- A sign-in that succeeds deletes its two rows again (login_attempt_forget);
-- one that fails leaves them, as the record of the failure.

CREATE FUNCTION login_attempt_begin(p_email text, p_addr text,
	p_window_s integer, p_max_account integer, p_max_address integer,
	OUT retry_after_s bigint, OUT account_row bigint, OUT address_row bigint)
LANGUAGE plpgsql AS $$
DECLARE
	k_account text := lower(p_email);
	w interval := make_interval(secs => p_window_s);
	wait_account bigint;
	wait_address bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('login:account:' || k_account));
	PERFORM pg_advisory_xact_lock(hashtext('login:address:' || p_addr));
	-- The max-th newest attempt inside the window: while it is there the
	-- limit is reached, and it leaves the window when one more attempt
	-- becomes allowed.
	SELECT ceil(extract(epoch FROM a.at + w - now()))::bigint
	INTO wait_account FROM login_attempts a
	WHERE a.scope = 'account' AND a.key = k_account AND a.at > now() - w
	ORDER BY a.at DESC OFFSET p_max_account - 1 LIMIT 1;
	SELECT ceil(extract(epoch FROM a.at + w - now()))::bigint
	INTO wait_address FROM login_attempts a
	WHERE a.scope = 'address' AND a.key = p_addr AND a.at > now() - w
	ORDER BY a.at DESC OFFSET p_max_address - 1 LIMIT 1;
	retry_after_s := greatest(coalesce(wait_account, 0),
		coalesce(wait_address, 0), 0);
	IF retry_after_s > 0 THEN
		RETURN;
	END IF;
	-- Old rows go a few at a time, so the table stays small.
	DELETE FROM login_attempts WHERE id IN (SELECT id FROM login_attempts
		WHERE at < now() - w ORDER BY at LIMIT 200);
	INSERT INTO login_attempts (scope, key) VALUES ('account', k_account)
	RETURNING id INTO account_row;
	INSERT INTO login_attempts (scope, key) VALUES ('address', p_addr)
	RETURNING id INTO address_row;
END
$$;
