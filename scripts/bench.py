#!/usr/bin/python3
"""Load test of a built ramal with wrk (run by `make bench`).

Starts a throwaway PostgreSQL cluster and `ramal serve` (tests/py/harness.py),
then runs wrk against GET /healthz and a signed POST /twilio/voice/fallback,
at 64 and 4 connections, and checks two targets:

  - the signed webhook route serves at least 50% of /healthz's req/s in
    the same run (signature checking and TwiML must stay cheap);
  - the server's peak RSS (VmHWM) stays at or under 20 MB.

Prints a table and one PASS/FAIL line per target; exits 1 when a target
fails, 2 when the bench itself could not run.
"""

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "py"))

import harness  # noqa: E402

BASE_URL = "https://ramal.example.test"
FALLBACK = "/twilio/voice/fallback"
RSS_LIMIT_KB = 20 * 1024
RATIO_MIN = 0.50


def sign(token, url, params):
    try:
        from twilio.request_validator import RequestValidator
    except ImportError:  # same algorithm, no repeated keys here
        return harness.twilio_signature(token, url, params)
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


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError("latency %r" % text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out):
    """{'rps', 'p50', 'p99', 'requests', 'non2xx', 'errors'} from wrk --latency output."""
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
    return res


def post_status(url, body, signature):
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    try:
        with opener.open(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def run_wrk(url, conns, seconds, script=None, threads=2):
    cmd = ["wrk", "-t%d" % min(threads, conns), "-c%d" % conns, "-d%ds" % seconds, "--latency"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    if r.returncode != 0:
        raise RuntimeError("wrk failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
    return parse_wrk(r.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--http-threads", default="8",
                    help="HTTP_THREADS for the server (default 8: fastest of 1/2/4/8 tried on 2 cores)")
    ap.add_argument("--connections", default="64,4", help="wrk connection counts (default 64,4)")
    args = ap.parse_args()
    conns = [int(c) for c in args.connections.split(",")]

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
    pg = srv = None
    try:
        pg = harness.Postgres(prefix="ramal-bench-pg-")
        pg.start()
        db = pg.create_database("bench")
        env = {
            "DATABASE_URL": pg.dsn(db),
            "RAMAL_SECRET_KEY": secrets.token_hex(32),
            "BASE_URL": BASE_URL,
            "TWILIO_ACCOUNT_SID": account,
            "TWILIO_AUTH_TOKEN": token,
            "LOG_LEVEL": "warn",
            "HTTP_THREADS": args.http_threads,
            # LOG_LEVEL=warn hides the listening line: use a fixed port
            "PORT": str(harness.free_port()),
        }
        srv = harness.Ramal(env)
        srv.start()

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

        run_wrk(srv.url + "/healthz", 16, 1)  # warm-up
        rows = []
        for c in conns:
            h = run_wrk(srv.url + "/healthz", c, args.duration)
            f = run_wrk(srv.url + FALLBACK, c, args.duration, script=script)
            rows.append((c, "GET /healthz", h))
            rows.append((c, "POST " + FALLBACK + " (signed)", f))
        hwm_kb = srv.vm_status("VmHWM")
        rss_kb = srv.vm_status("VmRSS")
        rc = srv.stop(timeout=15)
        if rc != 0:
            print("bench: ramal exited with %s; log tail:\n%s" % (rc, harness.tail(srv.log())), file=sys.stderr)
            return 2
    except Exception as e:  # noqa: BLE001 - a bench harness failure, not a target miss
        print("bench: %s" % e, file=sys.stderr)
        if srv is not None:
            print(harness.tail(srv.log()), file=sys.stderr)
        return 2
    finally:
        if srv is not None:
            srv.cleanup()
        if pg is not None:
            pg.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("ramal bench: %s, HTTP_THREADS=%s, wrk -t2 -d%ds, %d cores" % (
        os.path.relpath(binary, REPO), args.http_threads, args.duration, os.cpu_count() or 0))
    print("%5s  %-40s %12s %10s %10s %8s %7s" % ("conns", "target", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors"))
    for c, name, r in rows:
        print("%5d  %-40s %12.0f %10.3f %10.3f %8d %7d" % (c, name, r["rps"], r["p50"], r["p99"],
                                                         r["non2xx"], r["errors"]))
    print("peak RSS (VmHWM) %.1f MB, RSS at end %.1f MB" % (hwm_kb / 1024, rss_kb / 1024))
    print()

    failed = False
    for c in conns:
        h = next(r for cc, n, r in rows if cc == c and n.startswith("GET"))
        f = next(r for cc, n, r in rows if cc == c and n.startswith("POST"))
        ratio = f["rps"] / h["rps"] if h["rps"] else 0.0
        ok = ratio >= RATIO_MIN and f["non2xx"] == 0 and h["non2xx"] == 0
        failed |= not ok
        print("%s  signed webhook at %d conns: %.0f%% of /healthz req/s (target >= %.0f%%)%s" % (
            "PASS" if ok else "FAIL", c, ratio * 100, RATIO_MIN * 100,
            "" if f["non2xx"] == 0 and h["non2xx"] == 0 else ", with non-2xx answers"))
    ok = hwm_kb <= RSS_LIMIT_KB
    failed |= not ok
    print("%s  peak RSS %.1f MB under %d connections (target <= %d MB)" % (
        "PASS" if ok else "FAIL", hwm_kb / 1024, max(conns), RSS_LIMIT_KB // 1024))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
