-- Session cache invalidation (include/session_cache.h).  Each instance
-- keeps session look-ups in memory for up to SESSION_CACHE_S seconds and
-- LISTENs on channel ramal_sessions; these triggers NOTIFY it, whoever
-- changes the data, so a revocation reaches every instance as soon as it
-- commits.  Payload: a user id (drop that user's cached sessions) or '*'
-- (drop all).  NOTIFY is sent at commit and identical payloads of one
-- transaction are sent once, so revoking many sessions of a user costs one
-- notification.

CREATE FUNCTION session_cache_notify_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'sessions' THEN
		PERFORM pg_notify('ramal_sessions', OLD.user_id::text);
		IF TG_OP = 'UPDATE' AND NEW.user_id <> OLD.user_id THEN
			PERFORM pg_notify('ramal_sessions', NEW.user_id::text);
		END IF;
	ELSE
		PERFORM pg_notify('ramal_sessions', OLD.id::text);
	END IF;
	RETURN NULL;
END
$$;

CREATE FUNCTION session_cache_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('ramal_sessions', '*');
	RETURN NULL;
END
$$;

-- A session revoked, cut short, re-keyed or moved; not last_seen_at, which
-- moves once a minute per active session.
CREATE TRIGGER sessions_cache_update AFTER UPDATE ON sessions
	FOR EACH ROW WHEN ((OLD.revoked_at, OLD.expires_at, OLD.token_hash,
	    OLD.csrf_hash, OLD.user_id) IS DISTINCT FROM (NEW.revoked_at,
	    NEW.expires_at, NEW.token_hash, NEW.csrf_hash, NEW.user_id))
	EXECUTE FUNCTION session_cache_notify_user();

-- Only a live session can be cached (the purge of old ones stays quiet).
CREATE TRIGGER sessions_cache_delete AFTER DELETE ON sessions
	FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND OLD.expires_at > now())
	EXECUTE FUNCTION session_cache_notify_user();

-- What a cached session carries of its user (see auth_session_get).
CREATE TRIGGER users_cache_update AFTER UPDATE ON users
	FOR EACH ROW WHEN ((OLD.disabled, OLD.role, OLD.tenant_id, OLD.identity,
	    OLD.email, OLD.name, OLD.status) IS DISTINCT FROM (NEW.disabled,
	    NEW.role, NEW.tenant_id, NEW.identity, NEW.email, NEW.name,
	    NEW.status))
	EXECUTE FUNCTION session_cache_notify_user();

CREATE TRIGGER users_cache_delete AFTER DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION session_cache_notify_user();

-- A tenant suspended, closed or renamed: rare, so everything goes.
CREATE TRIGGER tenants_cache_update AFTER UPDATE ON tenants
	FOR EACH ROW WHEN ((OLD.status, OLD.friendly_name, OLD.account_sid)
	    IS DISTINCT FROM (NEW.status, NEW.friendly_name, NEW.account_sid))
	EXECUTE FUNCTION session_cache_notify_all();

CREATE TRIGGER tenants_cache_delete AFTER DELETE ON tenants
	FOR EACH STATEMENT EXECUTE FUNCTION session_cache_notify_all();

CREATE TRIGGER sessions_cache_truncate AFTER TRUNCATE ON sessions
	FOR EACH STATEMENT EXECUTE FUNCTION session_cache_notify_all();
CREATE TRIGGER users_cache_truncate AFTER TRUNCATE ON users
	FOR EACH STATEMENT EXECUTE FUNCTION session_cache_notify_all();
CREATE TRIGGER tenants_cache_truncate AFTER TRUNCATE ON tenants
	FOR EACH STATEMENT EXECUTE FUNCTION session_cache_notify_all();
