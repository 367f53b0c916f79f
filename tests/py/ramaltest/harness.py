"""Process helpers for ramal's black-box tests and for scripts/bench.py.

- Ramal: the built server started as `ramal serve` with a controlled
  environment, stderr captured to a file, port read back from the
  `msg=listening` log line.
- run_cli(): one-shot commands (`ramal migrate`, `ramal version`, ...).
- logfmt records, raw HTTP/1.1 (what requests cannot do) and the
  Prometheus text format.

The throwaway PostgreSQL cluster is ramaltest.database.Postgres; the
X-Twilio-Signature helpers are in ramaltest.signing.  Nothing here reads
files outside the repository at run time.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# tests/py/ramaltest/harness.py -> the repository's top directory
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

# The test tools (tests/tools/*.c), built by `make tools`.
TOOLS = os.environ.get("RAMAL_TOOLS") or os.path.join(REPO, "build", "tools")

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
)

# Environment variables passed through from the caller to every ramal
# process, so `make asan` settings reach the binary.  Nothing else leaks in.
PASSTHROUGH = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def ramal_bin():
    return os.environ.get("RAMAL_BIN") or os.path.join(REPO, "ramal")


_asan_cache = {}


def binary_is_asan(path=None):
    """True when the binary was built with AddressSanitizer (or RAMAL_ASAN=1)."""
    if os.environ.get("RAMAL_ASAN") == "1":
        return True
    path = path or ramal_bin()
    if path not in _asan_cache:
        try:
            with open(path, "rb") as f:
                data = f.read()
            _asan_cache[path] = b"__asan_init" in data or b"AddressSanitizer" in data
        except OSError:
            _asan_cache[path] = False
    return _asan_cache[path]


def slow_factor():
    """Multiplier for timeouts: sanitizer builds run several times slower."""
    return 3.0 if binary_is_asan() else 1.0


def minimal_env(extra=None):
    """PATH/HOME/LANG plus sanitizer options from os.environ, plus `extra`.

    A value of None in `extra` removes that variable.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    for k in PASSTHROUGH:
        if k in os.environ:
            env[k] = os.environ[k]
    return overlay(env, extra, str)


def overlay(base, changes, conv=lambda v: v):
    """base updated in place with changes: a None value removes the key,
    any other is set (through conv).  Returns base."""
    for k, v in (changes or {}).items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = conv(v)
    return base


def sanitizer_reports(text):
    """The lines of `text` that are sanitizer reports (empty list if none)."""
    return [ln for ln in text.splitlines() if any(m in ln for m in SANITIZER_MARKERS)]


def assert_no_sanitizer_reports(text, what="ramal"):
    bad = sanitizer_reports(text)
    if bad:
        raise AssertionError(
            "%s: sanitizer report(s):\n%s\n--- output tail ---\n%s"
            % (what, "\n".join(bad[:10]), tail(text, 60))
        )


def tail(text, n=40):
    return "\n".join(text.splitlines()[-n:])


def sid(prefix):
    """A random Twilio SID with that two-letter prefix."""
    return prefix + secrets.token_hex(16)


def free_port():
    """A TCP port number that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# logfmt

_LOGFMT_RE = re.compile(r'([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|[^\s]*)')


def parse_logfmt(line):
    """Parse one logfmt line into a dict (quoted values unescaped)."""
    out = {}
    for m in _LOGFMT_RE.finditer(line):
        k, v = m.group(1), m.group(2)
        if v.startswith('"') and v.endswith('"') and len(v) >= 2:
            v = re.sub(r"\\(.)", lambda mm: {"n": "\n", "t": "\t"}.get(mm.group(1), mm.group(1)), v[1:-1])
        out.setdefault(k, v)
    return out


def log_records(text):
    """All logfmt records (dicts) of a log text that have ts/level/msg."""
    recs = []
    for ln in text.splitlines():
        if "level=" in ln and "msg=" in ln:
            r = parse_logfmt(ln)
            r["_line"] = ln
            recs.append(r)
    return recs


# --------------------------------------------------------------------------
# ramal


class RamalStartError(RuntimeError):
    pass


class Ramal:
    """One `ramal serve` process.

    env is the complete set of ramal variables for the process (on top of
    minimal_env()); PORT defaults to 0.  The working directory is a fresh
    temp dir unless cwd is given, so no stray .env is read.
    """

    LISTEN_TIMEOUT = 15.0

    def __init__(self, env, cwd=None, binary=None, args=("serve",)):
        self.binary = binary or ramal_bin()
        self.env = dict(env)
        self.env.setdefault("PORT", "0")
        # Tests listen on loopback only (production binds 0.0.0.0).
        self.env.setdefault("BIND_ADDRESS", "127.0.0.1")
        self._own_cwd = cwd is None
        self.cwd = cwd or tempfile.mkdtemp(prefix="ramal-run-")
        self.logdir = tempfile.mkdtemp(prefix="ramal-log-")
        self.logfile = os.path.join(self.logdir, "stderr.log")
        self.outfile = os.path.join(self.logdir, "stdout.log")
        self.args = list(args)
        self.proc = None
        self.port = None
        self.returncode = None
        self.signalled = False  # a test (or stop()) signalled the process

    # -- lifecycle --------------------------------------------------------

    def start(self, timeout=None, wait=True):
        """Spawn the process; with wait, block until it logs msg=listening
        (RamalStartError if it exits first or takes longer than timeout)."""
        timeout = timeout or self.LISTEN_TIMEOUT * slow_factor()
        if not os.path.exists(self.binary):
            raise RamalStartError("ramal binary not found at %s (run `make ramal`)" % self.binary)
        self._err = open(self.logfile, "wb")
        self._out = open(self.outfile, "wb")
        self.proc = subprocess.Popen(
            [self.binary] + self.args,
            env=minimal_env(self.env),
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
        )
        if not wait:
            return self
        fixed_port = int(self.env["PORT"]) if self.env.get("PORT", "0").isdigit() else 0
        # LOG_LEVEL=warn or error hides the listening line: then an open
        # fixed port is the only sign.  Otherwise the line is awaited even
        # when the port opens first (it is written just after listen()).
        no_listen_line = self.env.get("LOG_LEVEL", "").lower() in ("warn", "error")
        deadline = time.monotonic() + timeout
        while True:
            text = self.log()
            for ln in text.splitlines():
                if "msg=listening" in ln:
                    m = re.search(r"\bport=(\d+)", ln)
                    if m:
                        self.port = int(m.group(1))
                        self.listen_line = ln
                        return self
            if fixed_port and no_listen_line and self._port_open(fixed_port):
                self.port = fixed_port
                self.listen_line = None
                return self
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                self._close_files()
                raise RamalStartError(
                    "ramal exited with %d before listening; log tail:\n%s" % (rc, tail(self.log())))
            if time.monotonic() > deadline:
                self._kill()
                raise RamalStartError(
                    "ramal did not log msg=listening within %.0fs; log tail:\n%s" % (timeout, tail(self.log())))
            time.sleep(0.02)

    @staticmethod
    def _port_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    @property
    def pid(self):
        return self.proc.pid

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        """Everything the process wrote to stderr so far."""
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def stdout(self):
        try:
            with open(self.outfile, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def records(self):
        return log_records(self.log())

    def wait_log(self, pred, timeout=5.0):
        """Poll the log until some record satisfies pred(record); return it."""
        deadline = time.monotonic() + timeout * slow_factor()
        while True:
            for r in self.records():
                if pred(r):
                    return r
            if time.monotonic() > deadline:
                raise AssertionError("no matching log line within %.1fs; tail:\n%s" % (timeout, tail(self.log())))
            time.sleep(0.02)

    def vm_status(self, field):
        """A field of /proc/<pid>/status in kB (e.g. VmHWM, VmRSS)."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for ln in f:
                if ln.startswith(field + ":"):
                    return int(ln.split()[1])
        raise KeyError(field)

    def send_signal(self, sig):
        self.signalled = True
        self.proc.send_signal(sig)

    def wait(self, timeout):
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._close_files()
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=10.0, check=True):
        """Signal the process and wait for it; return its exit code.

        Fails (AssertionError) when it does not end within timeout seconds
        (then it is killed) or, with check, when the log holds a sanitizer
        report.
        """
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.signalled = True
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            t0 = time.monotonic()
            rc = self.wait(timeout)
            if rc is None:
                self._kill()
                raise AssertionError(
                    "ramal did not exit within %.1fs of signal %d; log tail:\n%s" % (timeout, sig, tail(self.log())))
            self.stop_seconds = time.monotonic() - t0
        else:
            self.returncode = self.proc.returncode
            self._close_files()
        if check:
            assert_no_sanitizer_reports(self.log())
        return self.returncode

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            self.returncode = self.proc.returncode
        self._close_files()

    def _close_files(self):
        for f in (getattr(self, "_err", None), getattr(self, "_out", None)):
            if f and not f.closed:
                f.close()

    def cleanup(self):
        self._kill()
        if self._own_cwd:
            shutil.rmtree(self.cwd, ignore_errors=True)
        shutil.rmtree(self.logdir, ignore_errors=True)


def run_cli(args, env, input=None, cwd=None, timeout=60, binary=None, check_sanitizers=True):
    """Run one ramal command to completion; a CompletedProcess with text output.

    cwd defaults to a fresh temp dir (no stray .env).  `input` (str) goes to
    stdin.  Sanitizer reports on stderr raise AssertionError.
    """
    binary = binary or ramal_bin()
    own = cwd is None
    cwd = cwd or tempfile.mkdtemp(prefix="ramal-cli-")
    try:
        r = subprocess.run(
            [binary] + list(args),
            env=minimal_env(env),
            cwd=cwd,
            input=(input.encode("utf-8") if isinstance(input, str) else input),
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout * slow_factor(),
        )
    finally:
        if own:
            shutil.rmtree(cwd, ignore_errors=True)
    r.stdout = r.stdout.decode("utf-8", errors="replace")
    r.stderr = r.stderr.decode("utf-8", errors="replace")
    if check_sanitizers:
        assert_no_sanitizer_reports(r.stderr, "ramal " + " ".join(args))
    return r


# --------------------------------------------------------------------------
# raw HTTP (for what requests cannot do: partial requests, stalls, chunks)


def read_response(sock, timeout=10.0):
    """Read one HTTP/1.1 response from sock.

    Returns (status, headers{lower-case name: value}, body bytes).  Raises
    ConnectionError when the peer closes before a full status line and
    headers arrive.
    """
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed after %d bytes: %r" % (len(data), data[:200]))
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        body = rest[:n]
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = sock.recv(65536)
                if not chunk:
                    return status, headers, body
                rest += chunk
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                break
    else:
        body = rest
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            body += chunk
    return status, headers, body


def connect(port, host="127.0.0.1", timeout=10.0):
    return socket.create_connection((host, port), timeout=timeout)


def wait_closed(sock, timeout):
    """Seconds until the peer closes sock (recv gives b'' or a reset), or None
    if it is still open after timeout.  Data received meanwhile is dropped."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return None
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0
        if not chunk:
            return time.monotonic() - t0


# --------------------------------------------------------------------------
# Prometheus text format

_METRIC_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels.items())): float} of a Prometheus text page.

    Raises ValueError on a line that is not a comment, blank or a sample.
    """
    out = {}
    for ln in text.splitlines():
        if not ln.strip() or ln.startswith("#"):
            continue
        m = _METRIC_RE.match(ln)
        if not m:
            raise ValueError("not a Prometheus sample line: %r" % ln)
        labels = {}
        if m.group(3):
            labels = dict((k, v.replace('\\"', '"').replace("\\\\", "\\")) for k, v in _LABEL_RE.findall(m.group(3)))
        v = m.group(4)
        out[(m.group(1), frozenset(labels.items()))] = float(v.replace("+Inf", "inf").replace("-Inf", "-inf"))
    return out


def metric(samples, name, **labels):
    """The value of one sample (0.0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def metric_series(samples, name, **labels):
    """[(labels dict, value)] of every sample of name whose labels include `labels`."""
    want = set(labels.items())
    return [(dict(lbls), v) for (n, lbls), v in samples.items() if n == name and want <= set(lbls)]
