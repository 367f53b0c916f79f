"""The job queue (src/core/job.c) against a real PostgreSQL, through
tests/tools/jobctl (built with `make build/tools/jobctl`; RAMAL_TOOLS names
its directory, default build/tools).

jobctl's test handlers record every call in job_test_runs on a separate,
autocommitted connection (so a call counts even if its attempt is lost),
and write job_test_effects inside the attempt's own transaction (so that
row exists only for the attempt that succeeded).  Every assertion below
reads those tables and `jobs`; every jobctl process must exit 0 on
SIGTERM with no sanitizer report.
"""

import concurrent.futures
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

from ramaltest import harness

TOOLS = harness.TOOLS
JOBCTL = os.path.join(TOOLS, "jobctl")
READY = 'msg="job worker ready"'


def slow():
    return 3.0 if harness.binary_is_asan(JOBCTL) else 1.0


@pytest.fixture(scope="module", autouse=True)
def _have_jobctl():
    if not os.access(JOBCTL, os.X_OK):
        pytest.fail("no %s (make build/tools/jobctl, or set RAMAL_TOOLS)" % JOBCTL)


# --------------------------------------------------------------------------
# helpers


def jobctl(*args, timeout=30):
    r = subprocess.run([JOBCTL] + [str(a) for a in args], env=harness.minimal_env({"LOG_LEVEL": "info"}),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout * slow())
    harness.assert_no_sanitizer_reports(r.stderr, "jobctl " + str(args[0]))
    assert r.returncode == 0, "jobctl %s failed (%d):\n%s" % (args[0], r.returncode, r.stderr)
    return r


def enqueue(dsn, kind, payload=None, dedupe=None, delay=None):
    """Queue one job through job_enqueue_pg; its id, or 0 when deduplicated."""
    args = ["enqueue", dsn, kind, json.dumps(payload or {}), dedupe or "-"]
    if delay is not None:
        args.append(delay)
    return int(jobctl(*args).stdout.strip())


def new_db(pg):
    db = pg.create_database()
    dsn = pg.dsn(db)
    jobctl("migrate", dsn)
    return dsn, db


def q(pg, db, sql, args=()):
    conn = pg.connect(db)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def wait_for(fn, within, what):
    """Poll fn until it returns something true; fail after within seconds."""
    deadline = time.monotonic() + within * slow()
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (within * slow(), what, v))
        time.sleep(0.05)


def job(pg, db, jid):
    rows = q(pg, db, "SELECT state, attempts, last_error, run_at, created_at, finished_at, claimed_by"
                     " FROM jobs WHERE id = %s", (jid,))
    assert rows, "job %d does not exist" % jid
    keys = ("state", "attempts", "last_error", "run_at", "created_at", "finished_at", "claimed_by")
    return dict(zip(keys, rows[0]))


def runs(pg, db, jid):
    return q(pg, db, "SELECT attempt, worker_pid, ran_at FROM job_test_runs WHERE job_id = %s"
                     " ORDER BY ran_at", (jid,))


def effects(pg, db, jid):
    return q(pg, db, "SELECT attempt, worker_pid FROM job_test_effects WHERE job_id = %s ORDER BY at", (jid,))


def finished(pg, db, ids):
    n = q(pg, db, "SELECT count(*) FROM jobs WHERE id = ANY(%s) AND state IN ('done', 'dead')", (list(ids),))
    return n[0][0] == len(ids)


class Worker:
    """One `jobctl work` process; stderr goes to a file."""

    def __init__(self, dsn, threads, poll_ms=None, seconds=300):
        env = {"LOG_LEVEL": "info"}
        if poll_ms is not None:
            env["RAMAL_JOB_POLL_MS"] = poll_ms
        fd, self.logfile = tempfile.mkstemp(prefix="jobctl-", suffix=".log")
        self.threads = threads
        with os.fdopen(fd, "wb") as err:
            self.proc = subprocess.Popen([JOBCTL, "work", dsn, str(threads), str(seconds)],
                                         env=harness.minimal_env(env), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        self.pid = self.proc.pid

    def log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def wait_ready(self, within=10):
        wait_for(lambda: self.log().count(READY) >= self.threads or not self.alive(), within,
                 "%d worker threads ready" % self.threads)
        assert self.alive(), "jobctl work exited:\n" + harness.tail(self.log())

    def stop(self):
        """SIGTERM: it must exit 0, promptly, with no sanitizer report."""
        assert self.alive(), "jobctl work (pid %d) died:\n%s" % (self.pid, harness.tail(self.log()))
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=15 * slow())
        took = time.monotonic() - t0
        text = self.log()
        harness.assert_no_sanitizer_reports(text, "jobctl work")
        assert rc == 0, "jobctl work exited %d:\n%s" % (rc, harness.tail(text))
        assert took < 3 * slow(), "stopping took %.1fs" % took
        return text

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def cleanup(self):
        if self.alive():
            self.kill()
        try:
            os.unlink(self.logfile)
        except OSError:
            pass


@pytest.fixture
def workers():
    started = []

    def start(dsn, threads, **kw):
        w = Worker(dsn, threads, **kw)
        started.append(w)
        return w

    yield start
    for w in started:
        w.cleanup()


# --------------------------------------------------------------------------
# (1) exactly once under contention


def test_each_job_runs_exactly_once_across_processes(pg, workers):
    dsn, db = new_db(pg)
    ws = [workers(dsn, 2) for _ in range(3)]
    for w in ws:
        w.wait_ready()
    jobctl("enqueue-many", dsn, "test.record", 500)
    wait_for(lambda: q(pg, db, "SELECT count(*) FROM jobs WHERE state = 'done'")[0][0] == 500, 30,
             "500 jobs done")
    for w in ws:
        w.stop()

    rows = q(pg, db, "SELECT j.id, j.state, j.attempts,"
                     " (SELECT count(*) FROM job_test_runs r WHERE r.job_id = j.id),"
                     " (SELECT count(*) FROM job_test_effects e WHERE e.job_id = j.id)"
                     " FROM jobs j ORDER BY j.id")
    assert len(rows) == 500
    bad = [r for r in rows if r[1:] != ("done", 1, 1, 1)]
    assert not bad, "jobs not run exactly once (id, state, attempts, calls, effects): %r" % bad[:10]
    assert q(pg, db, "SELECT count(*) FROM job_test_runs")[0][0] == 500
    pids = {p for (p,) in q(pg, db, "SELECT DISTINCT worker_pid FROM job_test_runs")}
    assert pids <= {w.pid for w in ws}
    assert len(pids) >= 2, "one process ran everything: no contention was tested"
    assert q(pg, db, "SELECT count(DISTINCT claimed_by) FROM jobs")[0][0] >= 3


# --------------------------------------------------------------------------
# (2) (3) retries, backoff, dead jobs — one run shared by several tests


# The retry scenario takes about 7 s whichever of its tests runs first, so
# every test that reads it is marked slow.
@pytest.fixture(scope="module")
def retry_run(pg):
    dsn, db = new_db(pg)
    ids = {
        "flaky": enqueue(dsn, "test.flaky", {"fail": 2}),
        "exhaust": enqueue(dsn, "test.flaky", {"fail": 99}),
        "fail": enqueue(dsn, "test.fail"),
        "unknown": enqueue(dsn, "test.no-such-kind"),
        "chain": enqueue(dsn, "test.chain", {"fail": 1}),
    }
    q(pg, db, "UPDATE jobs SET max_attempts = 3 WHERE id = %s", (ids["exhaust"],))
    q(pg, db, "UPDATE jobs SET max_attempts = 2 WHERE id = %s", (ids["unknown"],))
    w = Worker(dsn, 2)
    try:
        wait_for(lambda: finished(pg, db, ids.values()), 20, "the retry scenario to finish")
        wait_for(lambda: finished(pg, db, [i for (i,) in q(pg, db, "SELECT id FROM jobs")]), 5,
                 "the chained job")
        metrics = jobctl("metrics", dsn).stdout
        log = w.stop()
    finally:
        w.cleanup()
    return {"pg": pg, "db": db, "ids": ids, "log": log, "metrics": metrics}


@pytest.mark.slow
def test_flaky_job_retries_with_growing_delays_then_succeeds(retry_run):
    pg, db, jid = retry_run["pg"], retry_run["db"], retry_run["ids"]["flaky"]
    j = job(pg, db, jid)
    assert j["state"] == "done" and j["attempts"] == 3, j
    assert j["last_error"] == "flaky attempt 2 of 2"
    calls = runs(pg, db, jid)
    assert [a for a, _, _ in calls] == [1, 2, 3]
    gap1 = (calls[1][2] - calls[0][2]).total_seconds()
    gap2 = (calls[2][2] - calls[1][2]).total_seconds()
    # 2 s then 4 s, each +-20%, plus a little scheduling slack
    assert 1.6 <= gap1 <= 2.4 + 0.8 * slow(), "first retry after %.2fs" % gap1
    assert 3.2 <= gap2 <= 4.8 + 0.8 * slow(), "second retry after %.2fs" % gap2
    # only the successful attempt's transaction committed its effect
    assert [a for a, _ in effects(pg, db, jid)] == [3]


@pytest.mark.slow
def test_job_out_of_attempts_is_dead_with_last_error(retry_run):
    pg, db, jid = retry_run["pg"], retry_run["db"], retry_run["ids"]["exhaust"]
    j = job(pg, db, jid)
    assert j["state"] == "dead" and j["attempts"] == 3, j
    assert j["last_error"] == "flaky attempt 3 of 99"
    assert j["finished_at"] is not None
    assert [a for a, _, _ in runs(pg, db, jid)] == [1, 2, 3]
    assert effects(pg, db, jid) == []
    dead = [ln for ln in retry_run["log"].splitlines() if 'msg="job dead"' in ln and "job=%d " % jid in ln]
    assert len(dead) == 1, retry_run["log"]
    assert "level=error" in dead[0] and "kind=test.flaky" in dead[0] and "flaky attempt 3 of 99" in dead[0]


@pytest.mark.slow
def test_permanent_failure_is_dead_at_once(retry_run):
    pg, db = retry_run["pg"], retry_run["db"]
    jf = job(pg, db, retry_run["ids"]["fail"])
    assert jf["state"] == "dead" and jf["attempts"] == 1 and jf["last_error"] == "permanent failure requested"
    assert len(runs(pg, db, retry_run["ids"]["fail"])) == 1
    assert (jf["finished_at"] - jf["created_at"]).total_seconds() < 1.5 * slow(), jf


@pytest.mark.slow
def test_unknown_kind_waits_for_an_instance_that_knows_it(retry_run):
    """A rolling deploy: the kind may be known to a newer instance, so the
    job is postponed with backoff, and dead only when its attempts run out."""
    pg, db, log = retry_run["pg"], retry_run["db"], retry_run["log"]
    ju = job(pg, db, retry_run["ids"]["unknown"])
    assert ju["state"] == "dead" and ju["attempts"] == 1, ju
    assert ju["last_error"] == "no handler for kind test.no-such-kind"
    assert runs(pg, db, retry_run["ids"]["unknown"]) == []
    took = (ju["finished_at"] - ju["created_at"]).total_seconds()
    assert 1.5 <= took <= 4 * slow(), ju  # one backoff (about 2 s) first
    assert any('msg="job postponed: no handler in this instance" kind=test.no-such-kind' in ln
               for ln in log.splitlines()), log
    assert any('level=error msg="job dead" kind=test.no-such-kind' in ln for ln in log.splitlines()), log


@pytest.mark.slow
def test_follow_up_job_is_queued_only_by_the_successful_attempt(retry_run):
    pg, db, jid = retry_run["pg"], retry_run["db"], retry_run["ids"]["chain"]
    j = job(pg, db, jid)
    assert j["state"] == "done" and j["attempts"] == 2, j
    children = q(pg, db, "SELECT state FROM jobs WHERE kind = 'test.record' AND (payload->>'parent')::bigint = %s",
                 (jid,))
    assert children == [("done",)], "attempt 1 queued a child although it failed: %r" % children


@pytest.mark.slow
def test_metrics_count_jobs_by_state(retry_run):
    pg, db = retry_run["pg"], retry_run["db"]
    samples = harness.parse_metrics(retry_run["metrics"])
    counts = dict(q(pg, db, "SELECT state, count(*) FROM jobs GROUP BY state"))
    for state in ("queued", "running", "done", "dead"):
        assert harness.metric(samples, "ramal_jobs", state=state) == counts.get(state, 0), state
    assert counts == {"done": 3, "dead": 3}
    assert harness.metric(samples, "ramal_jobs_oldest_ready_seconds") == 0


# --------------------------------------------------------------------------
# (4) dedupe


def test_dedupe_key_makes_one_job_while_pending(pg, workers):
    dsn, db = new_db(pg)
    first = enqueue(dsn, "test.record", {"n": 1}, dedupe="call-1")
    assert first > 0
    assert enqueue(dsn, "test.record", {"n": 2}, dedupe="call-1") == 0
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(lambda i: enqueue(dsn, "test.record", {"n": i}, dedupe="call-2"), range(8)))
    assert sum(1 for g in got if g > 0) == 1, got
    rows = q(pg, db, "SELECT dedupe_key, payload->>'n' FROM jobs ORDER BY id")
    assert [r[0] for r in rows] == ["call-1", "call-2"]
    assert rows[0][1] == "1", "the second enqueue changed the pending job"

    w = workers(dsn, 1)
    wait_for(lambda: finished(pg, db, [first]), 10, "the deduplicated job")
    # once finished, the same key queues a new job
    again = enqueue(dsn, "test.record", {"n": 3}, dedupe="call-1")
    assert again > first
    wait_for(lambda: finished(pg, db, [again]), 10, "the re-queued job")
    w.stop()
    assert q(pg, db, "SELECT count(*) FROM job_test_runs WHERE job_id = %s", (first,)) == [(1,)]
    assert q(pg, db, "SELECT count(*) FROM jobs WHERE dedupe_key = 'call-1'") == [(2,)]


# --------------------------------------------------------------------------
# (5) a worker killed mid-job


@pytest.mark.slow
def test_job_of_a_killed_worker_is_finished_by_another(pg, workers):
    dsn, db = new_db(pg)
    a, b = workers(dsn, 1, poll_ms=200), workers(dsn, 1, poll_ms=200)
    a.wait_ready()
    b.wait_ready()
    jid = enqueue(dsn, "test.slow", {"ms": 1000})
    first = wait_for(lambda: runs(pg, db, jid), 5, "the slow job to start")
    victim, survivor = (a, b) if first[0][1] == a.pid else (b, a)
    assert first[0][1] == victim.pid
    victim.kill()
    killed_at = time.time()
    assert job(pg, db, jid)["state"] == "running"

    wait_for(lambda: job(pg, db, jid)["state"] == "done", 15, "the survivor to finish the job")
    survivor.stop()
    j = job(pg, db, jid)
    assert j["attempts"] == 2, j
    assert "attempt 1 was interrupted" in j["last_error"]
    calls = runs(pg, db, jid)
    assert [(att, pid) for att, pid, _ in calls] == [(1, victim.pid), (2, survivor.pid)]
    assert calls[1][2].timestamp() >= killed_at - 0.05, "the second run started before the first worker died"
    assert effects(pg, db, jid) == [(2, survivor.pid)]


# --------------------------------------------------------------------------
# (6) (7) wake-ups


def test_notify_wakes_an_idle_worker(pg, workers):
    dsn, db = new_db(pg)
    w = workers(dsn, 2, poll_ms=60000)
    w.wait_ready()
    time.sleep(0.5)  # both threads asleep in poll
    # A row inserted behind the queue's back (no NOTIFY) waits for the poll...
    silent = q(pg, db, "INSERT INTO jobs (kind) VALUES ('test.record') RETURNING id")[0][0]
    time.sleep(1.5)
    assert runs(pg, db, silent) == [], "the worker polled: the test cannot tell a NOTIFY from a poll"
    # ...while job_enqueue's NOTIFY wakes a worker at once.
    jid = enqueue(dsn, "test.record")
    wait_for(lambda: runs(pg, db, jid), 3, "the notified job")
    latency = q(pg, db, "SELECT extract(epoch FROM r.ran_at - j.created_at) FROM jobs j"
                        " JOIN job_test_runs r ON r.job_id = j.id WHERE j.id = %s", (jid,))[0][0]
    assert latency < 1.0 * slow(), "ran %.2fs after it was queued" % latency
    wait_for(lambda: runs(pg, db, silent), 2, "the silent job, found on the same wake-up")
    w.stop()


def test_delayed_job_waits_for_its_time(pg, workers):
    dsn, db = new_db(pg)
    w = workers(dsn, 1, poll_ms=60000)
    w.wait_ready()
    jid = enqueue(dsn, "test.record", delay=2)
    time.sleep(1.2)
    assert job(pg, db, jid)["state"] == "queued" and runs(pg, db, jid) == []
    wait_for(lambda: runs(pg, db, jid), 4, "the delayed job")
    after = q(pg, db, "SELECT extract(epoch FROM r.ran_at - j.created_at) FROM jobs j"
                      " JOIN job_test_runs r ON r.job_id = j.id WHERE j.id = %s", (jid,))[0][0]
    assert 2.0 <= after <= 2.0 + 1.0 * slow(), "ran %.2fs after it was queued with delay 2" % after
    w.stop()


# --------------------------------------------------------------------------
# (8) the database restarts under running workers


@pytest.mark.outage
@pytest.mark.slow
def test_workers_survive_a_database_restart(private_pg, workers):
    pg = private_pg
    dsn, db = new_db(pg)
    w = workers(dsn, 2, poll_ms=60000)
    w.wait_ready()
    jobctl("enqueue-many", dsn, "test.slow", 40, '{"ms": 100}')
    wait_for(lambda: q(pg, db, "SELECT count(*) FROM jobs WHERE state = 'done'")[0][0] >= 4, 10,
             "some jobs done")
    pg.stop()
    time.sleep(1.0)
    assert w.alive(), "the worker exited when the database went away:\n" + harness.tail(w.log())
    pg.start()
    wait_for(lambda: q(pg, db, "SELECT count(*) FROM jobs WHERE state = 'done'")[0][0] == 40, 20,
             "all queued jobs done after the restart")
    # the reconnected workers LISTEN again: a new job wakes them at once
    jid = enqueue(dsn, "test.record")
    wait_for(lambda: runs(pg, db, jid), 2, "a job queued after the restart")
    text = w.stop()

    assert q(pg, db, "SELECT count(*) FROM jobs WHERE state <> 'done'") == [(0,)]
    assert q(pg, db, "SELECT count(*) FROM jobs WHERE attempts > 1")[0][0] >= 1, \
        "no job was interrupted by the restart: the test proved nothing"
    bad = q(pg, db, "SELECT j.id, count(e.job_id) FROM jobs j LEFT JOIN job_test_effects e ON e.job_id = j.id"
                    " GROUP BY j.id HAVING count(e.job_id) <> 1")
    assert bad == [], "jobs whose effect was not committed exactly once: %r" % bad
    assert "job workers cannot reach the database" in text
    assert "job workers: database reachable again" in text


# --------------------------------------------------------------------------
# the jobs inside `ramal serve` and `ramal worker`


def test_serve_runs_workers_and_reports_the_queue(ramal_factory, http):
    srv = ramal_factory.start(JOB_WORKERS="2", LOG_LEVEL="info")
    text = http.get(srv.url + "/metrics").text
    assert 'ramal_jobs{state="queued"} 0' in text, text[-1500:]
    assert "ramal_jobs_oldest_ready_seconds" in text


def test_worker_command_starts_and_stops(ramal_factory):
    env = ramal_factory.env(JOB_WORKERS="0", LOG_LEVEL="info")
    logdir = tempfile.mkdtemp(prefix="ramal-worker-")
    with open(os.path.join(logdir, "err"), "wb") as err:
        p = subprocess.Popen([harness.ramal_bin(), "worker"], env=harness.minimal_env(env),
                             cwd=logdir, stdin=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 15 * slow()
            text = ""
            while time.monotonic() < deadline and "msg=\"worker running\"" not in text:
                time.sleep(0.1)
                text = open(os.path.join(logdir, "err")).read()
            assert "msg=\"worker running\"" in text, text
            p.send_signal(signal.SIGTERM)
            assert p.wait(10 * slow()) == 0
        finally:
            if p.poll() is None:
                p.kill()
    text = open(os.path.join(logdir, "err")).read()
    harness.assert_no_sanitizer_reports(text)
    assert "msg=stopped" in text
