#!/usr/bin/python3
"""Load test of a built ramal with wrk (run by `make bench`).

Starts a throwaway PostgreSQL cluster and `ramal serve` (tests/py/ramaltest/),
seeds agents and numbers, and runs wrk at 64 and 4 connections against:

  - GET /healthz                 (the floor: no database, no signature)
  - POST /twilio/voice/fallback  (signed; TwiML from the configuration only)
  - POST /twilio/voice/inbound   (signed; number lookup, durable insert of a
                                  new calls row committed before the 200, TwiML)
  - POST /twilio/status          (signed; call_events insert + calls upsert in
                                  one statement, committed before the 200;
                                  initiated/ringing/in-progress/completed
                                  per call)

Every inbound and status request carries its own CallSid and signature:
bench.py pre-computes them (HMAC-SHA1 over BASE_URL + path and the sorted
parameters, as Twilio does) into per-thread Lua data files in a temp dir,
and scripts/bench-signed.lua sends them in order, once each, counting
200s and checking a sample of answers are text/xml TwiML.

The server runs with LOG_LEVEL=warn (no access-log line per request; the
fallback route still logs one warning per request, by design),
JOB_WORKERS=0 and HTTP_THREADS/DB_POOL_SIZE as below.  Each row of the
table also shows where the CPU went during the run: ramal, the cluster's
PostgreSQL processes, wrk, other processes (a test run alongside skews
the numbers: a warning is printed) and idle.

Targets (PASS/FAIL lines, exit code 1 when one fails):

  - signed fallback: >= 50% of /healthz req/s at each connection count;
  - inbound and status at 64 connections: >= 8% of /healthz req/s of the
    same run and p99 <= 15 ms; at 4 connections: p99 <= 3 ms;
  - no non-2xx answers and no socket errors on any of these;
  - durability: after each run the database holds at least one new row
    (calls for inbound, call_events for status) per 200 answered, and no
    more than requests sent (those in flight when wrk stopped may be
    stored without wrk seeing the answer);
  - consistency: inbound rows have the routing their number implies, and
    each status-callback call ends at the status of its highest
    SequenceNumber;
  - the server's peak RSS (VmHWM) stays at or under 20 MB.

The targets are judged on the harness cluster (fsync=off,
synchronous_commit=off: a commit waits for no WAL write or flush, so the
numbers are ramal's and PostgreSQL's CPU, not this VM's disk).  The inbound and status runs are then repeated with
PostgreSQL's production defaults (fsync, synchronous_commit and
full_page_writes on) and printed for information (--prod-duration 0 skips
them); their durability is still checked.

Agents (--only agents, or part of the default run; its own server and
cluster, HTTP_THREADS/DB_POOL_SIZE as above):

  - GET /token with a Bearer session (a session lookup in PostgreSQL and an
    HS256 token per request) vs GET /healthz, wrk at 64 connections:
    target >= 25% of /healthz req/s, no non-2xx;
  - GET /api/events: --sse-clients (500) supervisor streams opened by
    scripts/sse-clients.py (asyncio, raw sockets, loopback), then 20 events
    inserted 100 ms apart; the delay from just before each INSERT to its
    arrival at every client: all delivered, p99 <= 200 ms; the server's
    VmRSS, sampled every 50 ms while the clients are connected, <= 50 MB
    (VmHWM is not used: it counts the 32 MiB scrypt of the sign-in).

  - sign-in storm: LOGIN_LOOPERS (8) clients loop on successful sign-ins
    (each runs two scrypt hashes on the HTTP_CPU_WORKERS queue) while wrk
    measures GET /healthz at 4 connections: target p99 <= 5 ms; the
    sign-ins per second and their 429s are printed.

--only webhooks runs only the webhook runs above; --only agents only these.

Exit 0 all targets met, 1 a target missed, 2 the bench itself could not run.
"""

import argparse
import base64
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "py"))

from ramaltest import harness  # noqa: E402
from ramaltest.database import Postgres  # noqa: E402
from ramaltest.signing import twilio_signature  # noqa: E402

BASE_URL = "https://ramal.example.test"
FALLBACK = "/twilio/voice/fallback"
INBOUND = "/twilio/voice/inbound"
STATUS = "/twilio/status"
SIGNED_LUA = os.path.join(HERE, "bench-signed.lua")
WORKFLOW_SID = "WW" + "be" * 16

RSS_LIMIT_KB = 20 * 1024
RATIO_MIN = 0.50  # fallback vs /healthz
DB_RATIO_MIN = 0.08  # inbound and status vs /healthz at the high connection count
DB_P99_HIGH_MS = 15.0
DB_P99_LOW_MS = 3.0

NUMBERS = 16  # even ones owned by an available agent (<Dial>), odd ones queue (<Enqueue>)
AGENTS = NUMBERS // 2
STATUS_WAVE = 128  # calls in flight per wrk thread: each gets its 4 callbacks in turn
POOL_MARGIN = 1.6  # signed requests generated per run: expected req/s * seconds * this
CALIBRATE_S = 2
OTHER_CPU_WARN = 5.0  # % of all cores used outside the bench during a run: warn

# Server settings of the bench: the server's own defaults, so it measures
# what an operator gets.  HTTP_THREADS read requests; every authenticated
# route then waits in a first-in-first-out queue for worker threads.
# Before those queues a request held its HTTP thread while it waited on
# PostgreSQL, and the p99 at 64 connections was 20-50 ms whatever
# HTTP_THREADS was (2, 3, 4 or 8 tried): connections are spread unevenly
# over MHD's threads, so the ones on a busy thread waited for all of its
# others.  The inbound webhook and the status callback have their own
# queue (HTTP_COMMIT_WORKERS) and their writes are group committed
# (db_group.c): the threads waiting on them share one transaction and one
# round trip, at most DB_GROUP_BATCHES at a time.  The "batch" column is
# the mean number of statements per such transaction during the run.
# Measured on this 2-core VM (inbound / status at 64 connections, % of
# /healthz): one statement per transaction, 4 workers: 7.4% / 6.8%; group
# commit with 4 workers: 6.4% / 5.9% (groups of 2-3, only the
# 4-connection p99 improved); 8 workers 8.2% / 7.8%; 16 workers 8.4-9.9% /
# 8.6-9.9%; 32 about the same.  But 16 workers for every route cut /token
# from 37-43% to 25-27% of /healthz (CPU-bound work on 16 threads over 2
# cores), hence the two queues: 4 for the other routes, 16 for the two
# group-committed ones.  DB_GROUP_BATCHES=1 leaves a core idle while ramal
# prepares the next group; 2 keeps both busy.
DEFAULT_HTTP_THREADS = "4"
DEFAULT_DB_POOL_SIZE = "8"
DEFAULT_HTTP_WORKERS = "4"
DEFAULT_HTTP_COMMIT_WORKERS = "16"
DEFAULT_DB_GROUP_BATCHES = "2"

# agents: /token (session check + JWT) and live events
TOKEN_RATIO_MIN = 0.25  # /token with a Bearer session vs /healthz
SSE_CLIENTS = 500
SSE_EVENTS = 20  # events published, each to every client
SSE_GAP_S = 0.1  # between two published events
SSE_P99_MS = 200.0  # insert → received, over every (event, client)
SSE_RSS_LIMIT_KB = 50 * 1024
LOGIN_LOOPERS = 8  # clients looping on sign-ins during the storm
LOGIN_HEALTHZ_P99_MS = 5.0  # /healthz p99 while they do
SSE_CLIENT = os.path.join(HERE, "sse-clients.py")


# --------------------------------------------------------------------------
# signatures


def sign(token, url, params):
    try:
        from twilio.request_validator import RequestValidator
    except ImportError:  # same algorithm, no repeated keys here
        return twilio_signature(token, url, params)
    return RequestValidator(token).compute_signature(url, dict(params))


def webhook_params(account_sid):
    return [
        ("AccountSid", account_sid),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", "CA" + secrets.token_hex(16)),
        ("CallStatus", "ringing"),
        ("Called", "+551130000000"),
        ("CalledCity", "São Paulo"),
        ("CalledCountry", "BR"),
        ("CalledState", "SP"),
        ("Caller", "+5511987654321"),
        ("Direction", "inbound"),
        ("ErrorCode", "11200"),
        ("ErrorUrl", BASE_URL + "/twilio/voice/inbound"),
        ("From", "+5511987654321"),
        ("To", "+551130000000"),
    ]


def lua_script(path, body, signature):
    # a long-bracket Lua string: the urlencoded body holds no "]==]"
    assert "]==]" not in body
    with open(path, "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write("wrk.body = [==[%s]==]\n" % body)
        f.write('wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
        f.write('wrk.headers["X-Twilio-Signature"] = "%s"\n' % signature)


_MARK_RE = re.compile(r"QQVAR(\d)QQ")


def _split_marks(text, nvars):
    """text with QQVARnQQ marks -> (pieces, order of the variables)."""
    parts = _MARK_RE.split(text)
    pieces, order = parts[0::2], [int(i) for i in parts[1::2]]
    assert sorted(order) == list(range(nvars)), (text, order)
    return pieces, order


class SignedKind:
    """Signed requests to one route, built from templates whose variable
    parameters are 34-character SIDs (so a Lua entry is fixed-width).

    A template is a list of (name, value) pairs; the names in `variables`
    get their value per request.  For each template the urlencoded body
    and the signed string (BASE_URL + path, then name + value for each
    parameter sorted by name) are split around the variables, so a
    request costs one HMAC over a joined string here and one
    concatenation in Lua.
    """

    FIELD = 34

    def __init__(self, path, token):
        self.path = path
        self.url = BASE_URL + path
        self.token = token
        self.mac = hmac.new(token.encode("utf-8"), digestmod=hashlib.sha1)
        self.templates = []  # dicts: pairs, variables, body, body_order, sign, sign_order

    def add(self, pairs, variables):
        assert len(self.templates) < 99 and len(variables) <= 9
        names = [k for k, _ in pairs]
        assert len(names) == len(set(names)) and all(v in names for v in variables)
        marks = {v: "QQVAR%dQQ" % i for i, v in enumerate(variables)}
        marked = [(k, marks.get(k, val)) for k, val in pairs]
        body, border = _split_marks(urllib.parse.urlencode(marked), len(variables))
        signed, sorder = _split_marks(self.url + "".join(k + v for k, v in sorted(marked)), len(variables))
        for p in body:
            assert '"' not in p and "\\" not in p and "\n" not in p
        self.templates.append({"pairs": pairs, "variables": list(variables), "body": body, "body_order": border,
                               "sign": signed, "sign_order": sorder})
        return len(self.templates) - 1

    def entry(self, tidx, values):
        """The Lua entry for template tidx with these variable values."""
        t = self.templates[tidx]
        assert all(len(v) == self.FIELD for v in values)
        s = t["sign"][0]
        for piece, i in zip(t["sign"][1:], t["sign_order"]):
            s += values[i] + piece
        h = self.mac.copy()
        h.update(s.encode("utf-8"))
        sig = base64.b64encode(h.digest()).decode("ascii")
        return "%02d%s%s" % (tidx + 1, sig, "".join(values[i] for i in t["body_order"]))

    def decode(self, entry):
        """(params pairs, body, signature) of an entry, as the Lua script builds them."""
        t = self.templates[int(entry[:2]) - 1]
        sig = entry[2:30]
        fields = [entry[30 + k * self.FIELD:30 + (k + 1) * self.FIELD] for k in range(len(t["body_order"]))]
        body = t["body"][0]
        for piece, f in zip(t["body"][1:], fields):
            body += f + piece
        values = [None] * len(fields)
        for i, f in zip(t["body_order"], fields):
            values[i] = f
        byname = dict(zip(t["variables"], values))
        pairs = [(k, byname.get(k, v)) for k, v in t["pairs"]]
        return pairs, body, sig

    def selfcheck(self, entries):
        """Lua's body == urlencode(params) and the signature == twilio's
        RequestValidator's, for these entries."""
        for e in entries:
            pairs, body, sig = self.decode(e)
            assert body == urllib.parse.urlencode(pairs), (body, pairs)
            assert sig == sign(self.token, self.url, pairs), "signature disagrees with RequestValidator"

    def write(self, file, entries):
        with open(file, "w") as f:
            f.write("return {\npath = \"%s\",\ntemplates = {\n" % self.path)
            for t in self.templates:
                f.write("{%s},\n" % ", ".join('"%s"' % p for p in t["body"]))
            f.write("},\nentries = {\n")
            for k in range(0, len(entries), 1000):
                f.write("".join('"%s",\n' % e for e in entries[k:k + 1000]))
            f.write("}\n}\n")


def new_sids(n):
    raw = os.urandom(16 * n).hex()
    return ["CA" + raw[32 * i:32 * (i + 1)] for i in range(n)]


def inbound_kind(token, account, numbers):
    kind = SignedKind(INBOUND, token)
    for k, e164 in enumerate(numbers):
        frm = "+55119%08d" % (40000000 + k)
        kind.add(sorted({
            "AccountSid": account, "ApiVersion": "2010-04-01", "CallSid": "", "CallStatus": "ringing",
            "Called": e164, "CalledCity": "São Paulo", "CalledCountry": "BR", "CalledState": "SP",
            "Caller": frm, "Direction": "inbound", "From": frm, "FromCountry": "BR", "To": e164,
            "ToState": "SP"}.items()), ["CallSid"])
    return kind


def inbound_entries(kind, n):
    return [kind.entry(i % NUMBERS, (sid,)) for i, sid in enumerate(new_sids(n))]


STATUS_STEPS = [
    ("initiated", "Mon, 23 Nov 2026 21:00:00 +0000", {}),
    ("ringing", "Mon, 23 Nov 2026 21:00:01 +0000", {}),
    ("in-progress", "Mon, 23 Nov 2026 21:00:07 +0000", {}),
    ("completed", "Mon, 23 Nov 2026 21:02:07 +0000", {"CallDuration": "120", "Duration": "2",
                                                      "SipResponseCode": "200"}),
]


def status_kind(token, account, identities):
    """The callbacks of a dialled agent leg (<Client statusCallbackEvent=
    "initiated ringing answered completed">): template step * AGENTS + agent."""
    kind = SignedKind(STATUS, token)
    for seq, (status, ts, extra) in enumerate(STATUS_STEPS):
        for ident in identities:
            p = {"AccountSid": account, "ApiVersion": "2010-04-01", "CallSid": "", "ParentCallSid": "",
                 "Called": "client:" + ident, "Caller": "+5511987654321", "From": "+5511987654321",
                 "To": "client:" + ident, "Direction": "outbound-dial", "CallbackSource": "call-progress-events",
                 "CallStatus": status, "SequenceNumber": str(seq), "Timestamp": ts}
            p.update(extra)
            kind.add(sorted(p.items()), ["CallSid", "ParentCallSid"])
    return kind


def status_entries(kind, n):
    """n callbacks: waves of STATUS_WAVE calls, each wave's calls getting
    initiated, then ringing, then in-progress, then completed, so a call's
    callbacks come in order and never race each other on its row."""
    out = []
    call = 0
    while len(out) < n:
        sids = new_sids(2 * STATUS_WAVE)
        calls = [(sids[2 * i], sids[2 * i + 1], (call + i) % AGENTS) for i in range(STATUS_WAVE)]
        call += STATUS_WAVE
        for step in range(len(STATUS_STEPS)):
            for sid, parent, agent in calls:
                out.append(kind.entry(step * AGENTS + agent, (sid, parent)))
    return out[:n]


# --------------------------------------------------------------------------
# wrk

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError("latency %r" % text)
    return float(m.group(1)) * _UNITS[m.group(2)]


_LUA_LINE = re.compile(r"^ramal-bench thread=(\d+) sent=(\d+) ok=(\d+) bad=(\d+) checked=(\d+) "
                       r"badbody=(\d+) wrapped=(\d+)$", re.M)


def parse_wrk(out):
    """{'rps', 'p50', 'p99', 'requests', 'non2xx', 'errors'[, 'lua']} from wrk --latency output."""
    res = {"non2xx": 0, "errors": 0}
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if not m:
        raise ValueError("no Requests/sec in wrk output:\n" + out)
    res["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(r"^\s+%s(?:\.0+)?%%\s+(\S+)" % pct, out, re.M)
        if not m:
            raise ValueError("no %s%% latency in wrk output:\n%s" % (pct, out))
        res[key] = to_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    lines = _LUA_LINE.findall(out)
    if lines:
        keys = ("sent", "ok", "bad", "checked", "badbody", "wrapped")
        res["lua"] = {k: sum(int(ln[i + 1]) for ln in lines) for i, k in enumerate(keys)}
        res["lua"]["threads"] = len(lines)
    return res


class CpuMeter:
    """Where the machine's CPU time goes during a run: ramal, the bench
    cluster's PostgreSQL processes, wrk (this script's finished children),
    everything else, and idle; each in % of all cores.  "other" is load
    from outside the bench (another test run, say) that skews the numbers."""

    FIELDS = ("ramal", "pg", "wrk", "other", "idle")

    def __init__(self, ramal_pid, pg_datadir):
        self.ramal_pid = ramal_pid
        self.pg_datadir = pg_datadir
        self.hz = os.sysconf("SC_CLK_TCK")
        self.ncpu = os.cpu_count() or 1

    @staticmethod
    def _stat(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # after "(comm)": state ppid ...; utime stime cutime cstime are fields 14-17
        return int(fields[1]), [int(x) for x in fields[11:15]]

    def _pg(self):
        try:
            with open(os.path.join(self.pg_datadir, "postmaster.pid")) as f:
                master = int(f.readline())
        except (OSError, ValueError):
            return 0
        total = 0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                ppid, t = self._stat(int(d))
            except (OSError, IndexError, ValueError):
                continue
            if int(d) == master:
                total += sum(t)  # its own time and its reaped children's
            elif ppid == master:
                total += t[0] + t[1]
        return total

    def sample(self):
        import resource

        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        try:
            _, r = self._stat(self.ramal_pid)
            ramal = r[0] + r[1]
        except OSError:
            ramal = 0
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        me = resource.getrusage(resource.RUSAGE_SELF)
        return {"busy": sum(cpu) - cpu[3] - cpu[4], "all": sum(cpu), "ramal": ramal, "pg": self._pg(),
                "wrk": (ch.ru_utime + ch.ru_stime) * self.hz, "self": (me.ru_utime + me.ru_stime) * self.hz}

    def share(self, a, b):
        d = {k: b[k] - a[k] for k in a}
        total = d["all"] or 1
        out = {"ramal": d["ramal"], "pg": d["pg"], "wrk": d["wrk"]}
        out["other"] = max(0.0, d["busy"] - d["ramal"] - d["pg"] - d["wrk"] - d["self"])
        out["idle"] = max(0.0, d["all"] - d["busy"])
        return {k: 100.0 * v / total for k, v in out.items()}


def run_wrk(url, conns, seconds, script=None, threads=2, args=(), meter=None):
    cmd = ["wrk", "-t%d" % min(threads, conns), "-c%d" % conns, "-d%ds" % seconds, "--latency"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    cmd += list(args)
    before = meter.sample() if meter else None
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    after = meter.sample() if meter else None
    if r.returncode != 0:
        raise RuntimeError("wrk failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
    res = parse_wrk(r.stdout)
    if meter:
        res["cpu"] = meter.share(before, after)
    return res


def post_form(url, body, signature):
    """(status, content type, body) of one signed form POST."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def post_status(url, body, signature):
    return post_form(url, body, signature)[0]


# --------------------------------------------------------------------------
# the database


def seed(conn, account):
    """AGENTS available agents and NUMBERS numbers (even ones owned by an
    agent); returns (e164 list, identity list)."""
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM tenants WHERE account_sid = %s", (account,))
        tenant = cur.fetchone()[0]
        idents, owners = [], []
        for k in range(AGENTS):
            ident = "agente_bench_%d" % k
            cur.execute("INSERT INTO users (tenant_id, email, name, identity, status)"
                        " VALUES (%s, %s, %s, %s, 'available') RETURNING id",
                        (tenant, ident + "@example.com", "Agente %d" % k, ident))
            owners.append(cur.fetchone()[0])
            idents.append(ident)
        numbers = []
        for k in range(NUMBERS):
            e164 = "+5511300%05d" % k
            cur.execute("INSERT INTO phone_numbers (tenant_id, e164, label, owner_user_id)"
                        " VALUES (%s, %s, %s, %s)",
                        (tenant, e164, "Linha %d" % k, owners[k // 2] if k % 2 == 0 else None))
            numbers.append(e164)
    return numbers, idents


def count(conn, table):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM %s" % table)
        return cur.fetchone()[0]


def settled_count(conn, table, timeout=10.0):
    """The row count once it stops moving (requests in flight when wrk
    stopped are still being stored)."""
    last = count(conn, table)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = count(conn, table)
        if now == last:
            return now
        last = now
    return last


def spooled(spool_dir):
    try:
        return sum(1 for f in os.listdir(spool_dir) if f.endswith(".ev"))
    except OSError:
        return 0


def pg_settings(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT name, setting FROM pg_settings WHERE name IN"
                    " ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections')")
        s = dict(cur.fetchall())
        cur.execute("SHOW server_version")
        s["version"] = cur.fetchone()[0].split()[0]
    return s


def consistency(conn):
    """What the runs left in the database, beyond row counts:
    {'routing': {routing: inbound calls rows}, 'status_calls': n,
     'status_behind': calls whose status is not that of their highest
     SequenceNumber callback, 'status_events_over': calls with more than
     one event per SequenceNumber}."""
    steps = "ARRAY[%s]" % ", ".join("'%s'" % st for st, _, _ in STATUS_STEPS)
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(routing, '(none)'), count(*) FROM calls WHERE direction = 'inbound'"
                    " GROUP BY 1 ORDER BY 2 DESC")
        routing = dict(cur.fetchall())
        cur.execute("SELECT count(*),"
                    " count(*) FILTER (WHERE c.last_sequence <> e.seq OR c.status <> (%s)[e.seq + 1]),"
                    " count(*) FILTER (WHERE e.n > e.seq + 1)"
                    " FROM (SELECT call_sid, max((params->>'SequenceNumber')::int) AS seq, count(*) AS n"
                    "       FROM call_events WHERE route = %%s GROUP BY call_sid) e"
                    " JOIN calls c USING (call_sid)" % steps, (STATUS,))
        n, behind, over = cur.fetchone()
    return {"routing": routing, "status_calls": n, "status_behind": behind, "status_events_over": over}


def set_production_durability(pg):
    """fsync, synchronous_commit and full_page_writes back to PostgreSQL's
    defaults on the running cluster (a reload; ramal's pooled sessions
    pick it up), then a checkpoint so earlier unsynced writes are not
    flushed during the runs."""
    conn = pg.connect("postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in ("fsync", "synchronous_commit", "full_page_writes"):
                cur.execute("ALTER SYSTEM SET %s = on" % name)
            cur.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()
    deadline = time.monotonic() + 10
    while True:
        time.sleep(0.2)
        conn = pg.connect("postgres")
        try:
            conn.autocommit = True
            s = pg_settings(conn)
            if s["fsync"] == "on" and s["synchronous_commit"] == "on" and s["full_page_writes"] == "on":
                with conn.cursor() as cur:
                    cur.execute("CHECKPOINT")
                return s
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise RuntimeError("PostgreSQL did not take fsync=on after a reload: %s" % s)


# --------------------------------------------------------------------------
# runs


class SignedRun:
    """Runs of one signed route, each on fresh CallSids."""

    def __init__(self, name, kind, make, table, srv, work, db, spool_dir, wrk_threads, meter=None):
        self.name, self.kind, self.make, self.table = name, kind, make, table
        self.srv, self.work, self.db, self.spool_dir = srv, work, db, spool_dir
        self.wrk_threads = wrk_threads
        self.meter = meter
        self.rate = 0.0  # best req/s seen, to size the next pool
        self.seq = 0
        self.checks = []  # per run: label, ack(nowledged 200s), stored, sent, spooled, wrapped, bad, conns

    def pool(self, threads, per_thread):
        self.seq += 1
        prefix = os.path.join(self.work, "%s-%d" % (self.name, self.seq))
        for t in range(1, threads + 1):
            entries = self.make(self.kind, per_thread)
            if t == 1 and self.seq == 1:  # every template, against twilio's RequestValidator
                self.kind.selfcheck(entries[:NUMBERS] + entries[::max(1, len(entries) // 64)])
            self.kind.write("%s-%d.lua" % (prefix, t), entries)
        return prefix

    def run(self, conns, seconds, label, per_thread=None):
        threads = min(self.wrk_threads, conns)
        if per_thread is None:
            per_thread = int(math.ceil(self.rate * seconds * POOL_MARGIN / threads)) + 2000
        prefix = self.pool(threads, per_thread)
        before = settled_count(self.db, self.table)
        spool_before = spooled(self.spool_dir)
        group_before = group_counters(self.srv)
        res = run_wrk(self.srv.url + self.kind.path, conns, seconds, script=SIGNED_LUA, threads=threads,
                      args=[prefix], meter=self.meter)
        stored = settled_count(self.db, self.table) - before
        for t in range(1, threads + 1):
            os.unlink("%s-%d.lua" % (prefix, t))
        lua = res.get("lua")
        if lua is None or lua["threads"] != threads:
            raise RuntimeError("wrk did not report the Lua counters for %s" % self.kind.path)
        group_after = group_counters(self.srv)
        batches = group_after[0] - group_before[0]
        res["batch"] = (group_after[1] - group_before[1]) / batches if batches else 0.0
        self.rate = max(self.rate, res["rps"])
        self.checks.append({"label": label, "ack": lua["ok"], "stored": stored, "sent": lua["sent"],
                            "spooled": spooled(self.spool_dir) - spool_before, "wrapped": lua["wrapped"],
                            "bad": lua["bad"] + lua["badbody"], "conns": conns})
        return res


def group_counters(srv):
    """(batches, statements) of the server's group commit, from /metrics."""
    with urllib.request.urlopen(srv.url + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    vals = {}
    for ln in text.splitlines():
        if ln.startswith("ramal_db_group_"):
            name, value = ln.split()
            vals[name] = int(value)
    return vals.get("ramal_db_group_batches_total", 0), vals.get("ramal_db_group_statements_total", 0)


def sanity(srv, kind, entries, what):
    """The first signed requests of a kind must be answered 200 with TwiML,
    or we would measure 403s or errors."""
    for e in entries:
        _, body, sig = kind.decode(e)
        status, ctype, text = post_form(srv.url + kind.path, body.encode(), sig)
        if status != 200 or not ctype.startswith("text/xml") or b"<Response" not in text:
            raise RuntimeError("signed %s answered %s %s: %r" % (what, status, ctype, text[:300]))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--prod-duration", type=int, default=5,
                    help="seconds per inbound/status run with fsync=on (default 5; 0 skips them)")
    ap.add_argument("--http-threads", default=DEFAULT_HTTP_THREADS,
                    help="HTTP_THREADS for the server (default %s)" % DEFAULT_HTTP_THREADS)
    ap.add_argument("--http-workers", default=DEFAULT_HTTP_WORKERS,
                    help="HTTP_WORKERS for the server (default %s)" % DEFAULT_HTTP_WORKERS)
    ap.add_argument("--db-pool-size", default=DEFAULT_DB_POOL_SIZE,
                    help="DB_POOL_SIZE for the server (default %s)" % DEFAULT_DB_POOL_SIZE)
    ap.add_argument("--http-commit-workers", default=DEFAULT_HTTP_COMMIT_WORKERS,
                    help="HTTP_COMMIT_WORKERS (default %s)" % DEFAULT_HTTP_COMMIT_WORKERS)
    ap.add_argument("--db-group-batches", default=DEFAULT_DB_GROUP_BATCHES,
                    help="DB_GROUP_BATCHES (default %s)" % DEFAULT_DB_GROUP_BATCHES)
    ap.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (default 2)")
    ap.add_argument("--connections", default="64,4",
                    help="wrk connection counts, the first one the high load (default 64,4)")
    ap.add_argument("--only", choices=("all", "webhooks", "agents"), default="all",
                    help="webhooks: the Twilio webhook runs; agents: /token and SSE; all: both (default)")
    ap.add_argument("--sse-clients", type=int, default=SSE_CLIENTS,
                    help="concurrent /api/events clients (default %d)" % SSE_CLIENTS)
    return ap.parse_args()


class Verdicts:
    """PASS/FAIL lines; failed once any target was missed."""

    def __init__(self):
        self.failed = False

    def check(self, ok, text):
        self.failed |= not ok
        print("%s  %s" % ("PASS" if ok else "FAIL", text))


def tear_down(db, srv, pg, work):
    """Close what a bench run opened (any of them may be None)."""
    if db is not None:
        db.close()
    if srv is not None:
        srv.cleanup()
    if pg is not None:
        pg.cleanup()
    shutil.rmtree(work, ignore_errors=True)


def server_env(args, pg, dbname, account, token, spool_dir, **extra):
    """The bench server's environment: the settings named on the command
    line, no job workers (nothing but the requests touches the database),
    LOG_LEVEL=warn (no access-log line per request; it also hides the
    listening line, hence a fixed free port)."""
    env = {
        "DATABASE_URL": pg.dsn(dbname),
        "RAMAL_SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": BASE_URL,
        "TWILIO_ACCOUNT_SID": account,
        "TWILIO_AUTH_TOKEN": token,
        "LOG_LEVEL": "warn",
        "HTTP_THREADS": args.http_threads,
        "HTTP_WORKERS": args.http_workers,
        "HTTP_COMMIT_WORKERS": args.http_commit_workers,
        "DB_POOL_SIZE": args.db_pool_size,
        "DB_GROUP_BATCHES": args.db_group_batches,
        "JOB_WORKERS": "0",
        "SPOOL_DIR": spool_dir,
        "PORT": str(harness.free_port()),
    }
    env.update(extra)
    return env


def main():
    args = parse_args()
    rc = 0
    if args.only in ("all", "webhooks"):
        rc = max(rc, webhooks_main(args))
    if args.only in ("all", "agents"):
        rc = max(rc, agents_main(args))
    return rc


def webhooks_main(args):
    conns = [int(c) for c in args.connections.split(",")]
    high = conns[0]
    t_start = time.monotonic()

    for tool in ("wrk",):
        if shutil.which(tool) is None:
            print("bench: %s not found (make bench installs it via scripts/deps.sh)" % tool, file=sys.stderr)
            return 2
    binary = harness.ramal_bin()
    if not os.path.exists(binary):
        print("bench: %s not built (run make ramal)" % binary, file=sys.stderr)
        return 2

    account = "AC" + secrets.token_hex(16)
    token = secrets.token_hex(16)
    work = tempfile.mkdtemp(prefix="ramal-bench-")
    spool_dir = os.path.join(work, "spool")
    pg = srv = db = None
    rows, prod_rows = [], []
    runs = {}
    try:
        pg = Postgres(prefix="ramal-bench-pg-")
        pg.start()
        dbname = pg.create_database("bench")
        env = server_env(args, pg, dbname, account, token, spool_dir, TWILIO_WORKFLOW_SID=WORKFLOW_SID)
        srv = harness.Ramal(env)
        srv.start()
        meter = CpuMeter(srv.pid, pg.datadir)
        db = pg.connect(dbname)
        db.autocommit = True
        numbers, idents = seed(db, account)
        settings = pg_settings(db)

        params = webhook_params(account)
        body = urllib.parse.urlencode(params)
        signature = sign(token, BASE_URL + FALLBACK, params)
        script = os.path.join(work, "fallback.lua")
        lua_script(script, body, signature)

        # the signed request must really be accepted, or we would measure 403s
        status = post_status(srv.url + FALLBACK, body.encode(), signature)
        if status != 200:
            print("bench: signed fallback answered %s, not 200" % status, file=sys.stderr)
            return 2

        inbound = inbound_kind(token, account, numbers)
        callbacks = status_kind(token, account, idents)
        sanity(srv, inbound, inbound_entries(inbound, NUMBERS), "inbound call")
        sanity(srv, callbacks, status_entries(callbacks, 4 * STATUS_WAVE)[::STATUS_WAVE], "status callback")
        runs = {
            "inbound": SignedRun("inbound", inbound, inbound_entries, "calls", srv, work, db, spool_dir,
                                 args.wrk_threads, meter),
            "status": SignedRun("status", callbacks, status_entries, "call_events", srv, work, db, spool_dir,
                                args.wrk_threads, meter),
        }

        # warm-up, and the req/s that sizes the pools of signed requests
        run_wrk(srv.url + "/healthz", 16, 1)
        for r in runs.values():
            r.run(high, CALIBRATE_S, "warm-up", per_thread=40000)

        for c in conns:
            h = run_wrk(srv.url + "/healthz", c, args.duration, threads=args.wrk_threads, meter=meter)
            f = run_wrk(srv.url + FALLBACK, c, args.duration, script=script, threads=args.wrk_threads,
                        meter=meter)
            i = runs["inbound"].run(c, args.duration, "%d conns" % c)
            s = runs["status"].run(c, args.duration, "%d conns" % c)
            rows.append((c, "GET /healthz", h))
            rows.append((c, "POST " + FALLBACK + " (signed)", f))
            rows.append((c, "POST " + INBOUND + " (new call)", i))
            rows.append((c, "POST " + STATUS + " (4 per call)", s))

        prod_settings = None
        if args.prod_duration > 0:
            prod_settings = set_production_durability(pg)
            for c in conns:
                i = runs["inbound"].run(c, args.prod_duration, "%d conns, fsync=on" % c)
                s = runs["status"].run(c, args.prod_duration, "%d conns, fsync=on" % c)
                prod_rows.append((c, "POST " + INBOUND + " (new call)", i))
                prod_rows.append((c, "POST " + STATUS + " (4 per call)", s))

        state = consistency(db)
        hwm_kb = srv.vm_status("VmHWM")
        rss_kb = srv.vm_status("VmRSS")
        rc = srv.stop(timeout=15)
        if rc != 0:
            print("bench: ramal exited with %s; log tail:\n%s" % (rc, harness.tail(srv.log())), file=sys.stderr)
            return 2
        # LOG_LEVEL=warn: anything logged is a warning or an error
        logged = [ln for ln in srv.log().splitlines() if "level=" in ln]
    except Exception as e:  # noqa: BLE001 - a bench harness failure, not a target miss
        print("bench: %s" % e, file=sys.stderr)
        if srv is not None:
            print(harness.tail(srv.log()), file=sys.stderr)
        return 2
    finally:
        tear_down(db, srv, pg, work)

    def table(rs):
        print("%5s  %-42s %8s %8s %8s %7s %6s %6s   %s" % (
            "conns", "target", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors", "batch",
            "CPU % of all cores: " + "/".join(CpuMeter.FIELDS)))
        for c, name, r in rs:
            cpu = r.get("cpu")
            print("%5d  %-42s %8.0f %8.3f %8.3f %7d %6d %6s   %s" % (
                c, name, r["rps"], r["p50"], r["p99"], r["non2xx"], r["errors"],
                "%.1f" % r["batch"] if "batch" in r else "",
                "/".join("%.0f" % cpu[k] for k in CpuMeter.FIELDS) if cpu else ""))

    harness_pg = "fsync=%s synchronous_commit=%s full_page_writes=%s" % (
        settings["fsync"], settings["synchronous_commit"], settings["full_page_writes"])
    print()
    print("ramal bench: %s, %d cores, wrk -t%d -d%ds, PostgreSQL %s (shared_buffers=%s x 8kB)" % (
        os.path.relpath(binary, REPO), os.cpu_count() or 0, args.wrk_threads, args.duration,
        settings["version"], settings["shared_buffers"]))
    print("server: HTTP_THREADS=%s HTTP_WORKERS=%s HTTP_COMMIT_WORKERS=%s DB_POOL_SIZE=%s DB_GROUP_BATCHES=%s "
          "LOG_LEVEL=warn JOB_WORKERS=0; %d numbers (%d with an available owner), %d agents" % (
              args.http_threads, args.http_workers, args.http_commit_workers, args.db_pool_size,
              args.db_group_batches, NUMBERS, NUMBERS // 2, AGENTS))
    print()
    print("PostgreSQL %s (harness cluster; the targets below are judged on these rows):" % harness_pg)
    table(rows)
    if prod_rows:
        print()
        print("PostgreSQL fsync=%s synchronous_commit=%s full_page_writes=%s (production defaults; "
              "information only, wrk -d%ds):" % (prod_settings["fsync"], prod_settings["synchronous_commit"],
                                                 prod_settings["full_page_writes"], args.prod_duration))
        table(prod_rows)
    print("peak RSS (VmHWM) %.1f MB, RSS at end %.1f MB" % (hwm_kb / 1024, rss_kb / 1024))
    print()

    verdicts = Verdicts()
    verdict = verdicts.check

    def clean(r):
        return r["non2xx"] == 0 and r["errors"] == 0 and r.get("lua", {}).get("badbody", 0) == 0

    def pick(rs, c, prefix):
        return next(r for cc, n, r in rs if cc == c and n.startswith(prefix))

    print("Targets (PostgreSQL %s):" % harness_pg)
    for c in conns:
        h = pick(rows, c, "GET")
        f = pick(rows, c, "POST " + FALLBACK)
        ratio = f["rps"] / h["rps"] if h["rps"] else 0.0
        verdict(ratio >= RATIO_MIN and clean(f) and clean(h),
                "signed webhook at %d conns: %.0f%% of /healthz req/s (target >= %.0f%%)%s" % (
                    c, ratio * 100, RATIO_MIN * 100, "" if clean(f) and clean(h) else ", with non-2xx or errors"))

    def db_targets(rs, c, judge):
        h = pick(rows, c, "GET")
        out = []
        for route in (INBOUND, STATUS):
            r = pick(rs, c, "POST " + route)
            ratio = r["rps"] / h["rps"] if h["rps"] else 0.0
            dirty = "" if clean(r) else ", %d non-2xx, %d socket errors, %d bad TwiML samples" % (
                r["non2xx"], r["errors"], r.get("lua", {}).get("badbody", 0))
            if c == high:
                ok = ratio >= DB_RATIO_MIN and r["p99"] <= DB_P99_HIGH_MS and clean(r)
                text = "%s at %d conns: %.1f%% of /healthz req/s (target >= %.0f%%), p99 %.2f ms (target <= %.0f ms)%s" % (
                    route, c, ratio * 100, DB_RATIO_MIN * 100, r["p99"], DB_P99_HIGH_MS, dirty)
            else:
                ok = r["p99"] <= DB_P99_LOW_MS and clean(r)
                text = "%s at %d conns: p99 %.2f ms (target <= %.0f ms), %.0f req/s%s" % (
                    route, c, r["p99"], DB_P99_LOW_MS, r["rps"], dirty)
            out.append((ok, text))
        for ok, text in out:
            judge(ok, text)

    for c in conns:
        db_targets(rows, c, verdict)
    if prod_rows:
        print()
        print("With fsync=on synchronous_commit=on (information, not in the exit code; /healthz of the runs above):")
        for c in conns:
            db_targets(prod_rows, c, lambda ok, text: print("%s  %s" % ("info" if ok else "miss", text)))

    print()
    print("Durability (every 200 stored; requests in flight when wrk stopped may be stored unanswered):")
    for name, what in (("inbound", "calls rows"), ("status", "call_events rows")):
        for ck in runs[name].checks:
            ok = ck["ack"] <= ck["stored"] + ck["spooled"] <= ck["sent"] and ck["wrapped"] == 0 and ck["bad"] == 0
            extra = ""
            if ck["wrapped"]:
                extra += ", CallSid pool wrapped %d times (counts inexact: raise POOL_MARGIN)" % ck["wrapped"]
            if ck["bad"]:
                extra += ", %d non-200 or bad TwiML" % ck["bad"]
            verdict(ok, "%-7s %-20s %7d answered 200, %7d new %s (+%d spooled), %7d sent (%d unanswered)%s" % (
                name, ck["label"] + ":", ck["ack"], ck["stored"], what, ck["spooled"], ck["sent"],
                ck["sent"] - ck["ack"], extra))

    routing = state["routing"]
    expected = {"dedicated", "queue"}  # even numbers ring their available owner, odd ones queue
    verdict(set(routing) <= expected and all(routing.get(k) for k in expected),
            "inbound calls rows by routing: %s (want only dedicated and queue)" % ", ".join(
                "%s %d" % kv for kv in routing.items()))
    verdict(state["status_behind"] == 0 and state["status_events_over"] == 0,
            "status: %d calls, %d not at the status of their highest SequenceNumber, %d with extra events" % (
                state["status_calls"], state["status_behind"], state["status_events_over"]))

    ok = hwm_kb <= RSS_LIMIT_KB
    verdict(ok, "peak RSS %.1f MB under %d connections (target <= %d MB)" % (
        hwm_kb / 1024, max(conns), RSS_LIMIT_KB // 1024))
    if logged:
        kinds = {}
        for ln in logged:
            rec = harness.parse_logfmt(ln)
            key = "%s %r" % (rec.get("level"), rec.get("msg"))
            kinds[key] = kinds.get(key, 0) + 1
        print("server log (LOG_LEVEL=warn): %s" % "; ".join(
            "%d x %s" % (n, k) for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])))
    busy = [(name, r["cpu"]["other"]) for c, name, r in rows + prod_rows if r.get("cpu")]
    worst = max(busy, key=lambda x: x[1]) if busy else ("", 0.0)
    if worst[1] > OTHER_CPU_WARN:
        print("WARNING: processes outside the bench used up to %.0f%% of the CPU during a run (%s): the numbers"
              " are skewed low; rerun when the machine is quiet" % (worst[1], worst[0]))
    print("bench wall time %.0f s" % (time.monotonic() - t_start))
    return 1 if verdicts.failed else 0


def sign_in_storm(url, email, password, seconds):
    """LOGIN_LOOPERS threads signing in again and again for seconds, while
    wrk measures /healthz at 4 connections."""
    stop = threading.Event()
    counts = {"ok": 0, "busy": 0, "other": 0}
    lock = threading.Lock()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    body = json.dumps({"email": email, "password": password}).encode()

    def loop():
        while not stop.is_set():
            req = urllib.request.Request(url + "/api/login", method="POST", data=body,
                                         headers={"Content-Type": "application/json"})
            try:
                code = opener.open(req, timeout=30).status
            except urllib.error.HTTPError as e:
                code = e.code
            except OSError:
                code = 0
            key = "ok" if code == 200 else "busy" if code == 429 else "other"
            with lock:
                counts[key] += 1
            if code == 429:
                time.sleep(0.2)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(LOGIN_LOOPERS)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    time.sleep(1.0)  # the loopers are all hashing
    h = run_wrk(url + "/healthz", 4, seconds, threads=1)
    stop.set()
    for th in threads:
        th.join()
    counts["seconds"] = time.monotonic() - t0
    counts["healthz"] = h
    return counts


def agents_main(args):
    """/token vs /healthz, and SSE_CLIENTS live-event clients on one server."""
    t_start = time.monotonic()
    if shutil.which("wrk") is None:
        print("bench: wrk not found (make bench installs it via scripts/deps.sh)", file=sys.stderr)
        return 2
    account = "AC" + secrets.token_hex(16)
    work = tempfile.mkdtemp(prefix="ramal-bench-agents-")
    pg = srv = db = clients = None
    try:
        pg = Postgres(prefix="ramal-bench-pg-")
        pg.start()
        dbname = pg.create_database("bench_agents")
        # Every SSE client comes from 127.0.0.1 here, where 500 agents would
        # come from 500 addresses: no per-address limit for this run.
        env = server_env(args, pg, dbname, account, secrets.token_hex(16), os.path.join(work, "spool"),
                         HTTP_MAX_PER_ADDRESS="0",
                         TWILIO_API_KEY_SID="SK" + secrets.token_hex(16),
                         TWILIO_API_KEY_SECRET=secrets.token_hex(16),
                         TWILIO_TWIML_APP_SID="AP" + secrets.token_hex(16))
        srv = harness.Ramal(env)
        srv.start()
        password = secrets.token_hex(12)
        r = harness.run_cli(["create-user", "--email", "sup@example.com", "--name", "Sup", "--role", "supervisor",
                             "--password-stdin"], env, input=password + "\n")
        if r.returncode != 0:
            raise RuntimeError("create-user: %s" % r.stderr)
        req = urllib.request.Request(srv.url + "/api/login", method="POST",
                                     data=('{"email": "sup@example.com", "password": "%s"}' % password).encode(),
                                     headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        login = json.loads(opener.open(req, timeout=30).read())
        token = login["token"]
        tenant = login["user"]["tenant"]["id"]
        db = pg.connect(dbname)
        db.autocommit = True

        # --- SSE: every client connected, events published, delays measured
        clients = subprocess.Popen(["/usr/bin/python3", SSE_CLIENT, str(srv.port), token, str(args.sse_clients),
                                    str(SSE_EVENTS), "90"], stdout=subprocess.PIPE, text=True)
        line = clients.stdout.readline().split()
        if len(line) != 2 or line[0] != "READY":
            raise RuntimeError("SSE clients did not start: %r" % line)
        connected = int(line[1])
        time.sleep(0.5)
        # VmRSS while the clients are connected (VmHWM would count the
        # 32 MiB scrypt of the sign-in above), sampled through the run
        rss_samples = [srv.vm_status("VmRSS")]
        sampling = threading.Event()

        def sample_rss():
            while not sampling.wait(0.05):
                rss_samples.append(srv.vm_status("VmRSS"))
        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        sent = {}
        with db.cursor() as cur:
            for i in range(SSE_EVENTS):
                t = time.time()
                cur.execute("INSERT INTO events (tenant_id, audience, type, data)"
                            " VALUES (%s, 'supervisors', 'queue', jsonb_build_object('size', %s)) RETURNING id",
                            (tenant, i))
                sent[cur.fetchone()[0]] = t
                time.sleep(SSE_GAP_S)
        out, _ = clients.communicate(timeout=120)
        clients = None
        sampling.set()
        sampler.join()
        rss_connected_kb = rss_samples[0]
        rss_max_kb = max(rss_samples)
        result = json.loads(out.strip().splitlines()[-1])
        delays = []
        for eid, t in sent.items():
            for got in result["recv"].get(str(eid), []):
                delays.append((got - t) * 1000.0)
        delays.sort()
        expected = connected * len(sent)

        # --- /token with session validation vs /healthz
        auth = ["-H", "Authorization: Bearer " + token]
        run_wrk(srv.url + "/healthz", 16, 1)
        h = run_wrk(srv.url + "/healthz", 64, args.duration, threads=args.wrk_threads)
        t = run_wrk(srv.url + "/token", 64, args.duration, threads=args.wrk_threads, args=auth)

        # --- sign-in storm: /healthz while LOGIN_LOOPERS loop on sign-ins
        storm = sign_in_storm(srv.url, "sup@example.com", password, args.duration)
        rc = srv.stop(timeout=15)
        if rc != 0:
            raise RuntimeError("ramal exited with %s" % rc)
    except Exception as e:  # noqa: BLE001 - a bench harness failure, not a target miss
        print("bench: agents: %s" % e, file=sys.stderr)
        if srv is not None:
            print(harness.tail(srv.log()), file=sys.stderr)
        return 2
    finally:
        if clients is not None:
            clients.kill()
            clients.wait()
        tear_down(db, srv, pg, work)

    def pct(p):
        return delays[min(len(delays) - 1, int(math.ceil(p / 100.0 * len(delays))) - 1)] if delays else float("inf")

    print()
    print("ramal bench (agents): HTTP_THREADS=%s HTTP_WORKERS=%s DB_POOL_SIZE=%s, wrk -t%d -d%ds -c64" % (
        args.http_threads, args.http_workers, args.db_pool_size, args.wrk_threads, args.duration))
    print("  GET /healthz           %8.0f req/s  p99 %.3f ms  non-2xx %d  errors %d" % (
        h["rps"], h["p99"], h["non2xx"], h["errors"]))
    print("  GET /token (Bearer)    %8.0f req/s  p99 %.3f ms  non-2xx %d  errors %d" % (
        t["rps"], t["p99"], t["non2xx"], t["errors"]))
    print("  SSE: %d of %d clients connected, %d events x %d clients = %d deliveries expected, %d received;"
          " delay p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
              connected, args.sse_clients, len(sent), connected, expected, len(delays), pct(50), pct(99),
              delays[-1] if delays else float("inf")))
    print("  server RSS with the clients connected %.1f MB, at most %.1f MB while the events went out" % (
        rss_connected_kb / 1024, rss_max_kb / 1024))
    sh = storm["healthz"]
    print("  sign-in storm: %d clients, %d sign-ins in %.0f s (%.1f/s), %d answered 429, %d other;"
          " GET /healthz meanwhile %.0f req/s, p99 %.3f ms" % (
              LOGIN_LOOPERS, storm["ok"], storm["seconds"], storm["ok"] / storm["seconds"], storm["busy"],
              storm["other"], sh["rps"], sh["p99"]))
    print()
    verdicts = Verdicts()
    verdict = verdicts.check

    ratio = t["rps"] / h["rps"] if h["rps"] else 0.0
    verdict(ratio >= TOKEN_RATIO_MIN and t["non2xx"] == 0 and t["errors"] == 0,
            "/token with session validation: %.0f%% of /healthz req/s (target >= %.0f%%), %d non-2xx" % (
                ratio * 100, TOKEN_RATIO_MIN * 100, t["non2xx"]))
    verdict(connected == args.sse_clients and len(delays) == expected,
            "SSE: %d/%d clients connected, %d/%d (event, client) deliveries" % (
                connected, args.sse_clients, len(delays), expected))
    verdict(pct(99) <= SSE_P99_MS, "SSE: insert-to-receipt p99 %.1f ms over %d deliveries (target <= %.0f ms)" % (
        pct(99), len(delays), SSE_P99_MS))
    verdict(sh["p99"] <= LOGIN_HEALTHZ_P99_MS and storm["ok"] > 0 and storm["other"] == 0 and sh["errors"] == 0,
            "sign-in storm: /healthz p99 %.3f ms with %d clients looping on sign-ins (target <= %.0f ms),"
            " %d sign-ins, %d unexpected answers" % (
                sh["p99"], LOGIN_LOOPERS, LOGIN_HEALTHZ_P99_MS, storm["ok"], storm["other"]))
    verdict(rss_max_kb <= SSE_RSS_LIMIT_KB, "SSE: server RSS at most %.1f MB with %d clients (target <= %d MB)" % (
        rss_max_kb / 1024, connected, SSE_RSS_LIMIT_KB // 1024))
    print("bench (agents) wall time %.0f s" % (time.monotonic() - t_start))
    return 1 if verdicts.failed else 0


if __name__ == "__main__":
    sys.exit(main())
