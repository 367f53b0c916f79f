-- Jobs: the durable work queue (src/job.c, include/job.h).
--
-- state
--   queued   waits for run_at.
--   running  an attempt was started and counted in attempts.  While its
--            worker lives, the row is locked in the worker's open
--            transaction and run_at is the attempt's lease; a row still
--            'running' after run_at lost its worker and is claimed again.
--   done     finished; dead: failed for good or ran out of attempts.
--            finished_at is set exactly for these two.
-- dedupe_key is unique among queued and running jobs, so queuing the same
-- logical job twice while it is pending does nothing.

CREATE TABLE jobs (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,63}$'),
	payload jsonb NOT NULL DEFAULT '{}'
		CHECK (jsonb_typeof(payload) = 'object'),
	state text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'done', 'dead')),
	attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts integer NOT NULL DEFAULT 8
		CHECK (max_attempts BETWEEN 1 AND 100),
	run_at timestamptz NOT NULL DEFAULT now(),
	last_error text,
	dedupe_key text CHECK (length(dedupe_key) BETWEEN 1 AND 200),
	account_sid text CHECK (account_sid ~ '^AC[0-9a-fA-F]{32}$'),
	claimed_by text, -- host:pid:thread of the last attempt
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	CHECK ((state IN ('done', 'dead')) = (finished_at IS NOT NULL))
);

-- The claim query: pending rows in run_at order.
CREATE INDEX jobs_pending ON jobs (run_at, id)
	WHERE state IN ('queued', 'running');

CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key)
	WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
