"""The tests' PostgreSQL: a throwaway cluster, and reading/writing a
server's database behind its back.

- Postgres: a throwaway PostgreSQL cluster in a temp dir, reachable only
  through a unix socket in that dir (one per test session, the `pg`
  fixture; one per outage test, `private_pg`).
- Db: an autocommit psycopg2 connection to a server's database, with the
  inserts the CLI would do.
- db(): one statement on a server's database in its own connection.
- dbname_of(): the database name of a DATABASE_URL.
"""

import os
import random
import secrets
import shutil
import subprocess
import tempfile
import urllib.parse

from .harness import free_port


def _pg_bindir():
    env_dir = os.environ.get("PG_BINDIR")
    if env_dir:
        return env_dir
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10)
        d = out.stdout.strip()
        if out.returncode == 0 and os.path.exists(os.path.join(d, "initdb")):
            return d
    except (OSError, subprocess.SubprocessError):
        pass
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        for v in sorted(os.listdir(base), key=lambda s: int(s) if s.isdigit() else 0, reverse=True):
            d = os.path.join(base, v, "bin")
            if os.path.exists(os.path.join(d, "initdb")):
                return d
    raise RuntimeError("PostgreSQL binaries not found (install postgresql; see scripts/deps.sh)")


class Postgres:
    """A throwaway PostgreSQL cluster listening only on a unix socket.

    When running as root, initdb/pg_ctl run as the `postgres` user through
    runuser, and the temp dir is handed to that user.
    """

    def __init__(self, prefix="ramal-pg-"):
        self.bindir = _pg_bindir()
        self.as_root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.datadir = os.path.join(self.dir, "data")
        self.logfile = os.path.join(self.dir, "postgres.log")
        self.port = self._socket_port()
        self.running = False
        self._dbseq = 0
        try:
            if self.as_root:
                shutil.chown(self.dir, "postgres", "postgres")
            self._initdb()
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _socket_port(self):
        for _ in range(50):
            p = free_port()
            if not os.path.exists(os.path.join(self.dir, ".s.PGSQL.%d" % p)):
                return p
        raise RuntimeError("no port number for the socket")

    def _run(self, args, check=True, timeout=120):
        cmd = [os.path.join(self.bindir, args[0])] + list(args[1:])
        if self.as_root:
            runuser = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin") or "runuser"
            cmd = [runuser, "-u", "postgres", "--"] + cmd
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        r = subprocess.run(cmd, env=env, cwd=self.dir, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(
                "%s failed (%d):\n%s\n%s\n%s"
                % (" ".join(cmd), r.returncode, r.stdout, r.stderr, self.server_log()[-3000:])
            )
        return r

    def _initdb(self):
        self._run(["initdb", "-D", self.datadir, "-A", "trust", "-U", "postgres",
                   "-E", "UTF8", "--locale=C", "--no-sync"])
        conf = (
            "\n# ramal test cluster\n"
            "listen_addresses = ''\n"
            "unix_socket_directories = '%s'\n"
            "port = %d\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
            "max_connections = 200\n"
            "shared_buffers = 32MB\n"
            "log_min_messages = warning\n"
        ) % (self.dir, self.port)
        path = os.path.join(self.datadir, "postgresql.conf")
        with open(path, "a") as f:
            f.write(conf)

    def server_log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self):
        if self.running:
            return self
        self._run(["pg_ctl", "-D", self.datadir, "-l", self.logfile, "-w", "-t", "60", "start"])
        self.running = True
        return self

    def stop(self, mode="fast"):
        if not self.running:
            return
        self._run(["pg_ctl", "-D", self.datadir, "-m", mode, "-w", "-t", "60", "stop"], check=False)
        self.running = False

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dsn(self, dbname="postgres", user="postgres", password=None):
        """A libpq URI for `dbname` over this cluster's unix socket."""
        auth = urllib.parse.quote(user, safe="")
        if password is not None:
            auth += ":" + urllib.parse.quote(password, safe="")
        return "postgresql://%s@/%s?host=%s&port=%d" % (
            auth, urllib.parse.quote(dbname, safe=""), urllib.parse.quote(self.dir, safe="/"), self.port)

    def connect(self, dbname="postgres"):
        import psycopg2  # imported here so bench.py works without it until needed

        conn = psycopg2.connect(host=self.dir, port=self.port, user="postgres", dbname=dbname,
                                connect_timeout=10)
        return conn

    def create_database(self, name=None):
        """Create a fresh, empty database and return its name."""
        if name is None:
            self._dbseq += 1
            name = "t%d_%d_%s" % (os.getpid(), self._dbseq, os.urandom(3).hex())
        conn = self.connect("postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute('CREATE DATABASE "%s"' % name.replace('"', '""'))
        finally:
            conn.close()
        return name

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


# --------------------------------------------------------------------------
# a server's database


def random_did():
    """A Brazilian landline E.164 number no other test uses."""
    return "+5511%08d" % random.randrange(10 ** 8)


def random_mobile():
    return "+55119%08d" % random.randrange(10 ** 8)


def dbname_of(dsn):
    """The database name of a libpq URI (None when there is none)."""
    if not dsn:
        return None
    u = urllib.parse.urlsplit(dsn)
    return urllib.parse.unquote(u.path.lstrip("/")) or None


def db(srv, pg, sql, args=()):
    conn = pg.connect(srv.dbname)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else cur.rowcount
    finally:
        conn.close()


class Db:
    """An autocommit psycopg2 connection to a server's database, with the
    inserts the CLI would do (the CLI is someone else's)."""

    def __init__(self, pg, srv):
        self.conn = pg.connect(srv.dbname)
        self.conn.autocommit = True
        self.account_sid = srv.account_sid

    def close(self):
        self.conn.close()

    def one(self, query, args=()):
        with self.conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchone()

    def all(self, query, args=()):
        with self.conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()

    def run(self, query, args=()):
        with self.conn.cursor() as cur:
            cur.execute(query, args)

    def tenant_id(self, account_sid=None):
        return self.one("SELECT id FROM tenants WHERE account_sid = %s",
                        (account_sid or self.account_sid,))[0]

    def add_user(self, status="available", disabled=False, identity=None):
        identity = identity or "agente_" + secrets.token_hex(4)
        uid = self.one(
            "INSERT INTO users (tenant_id, email, name, identity, status, disabled)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (self.tenant_id(), identity + "@example.com", "Agente " + identity, identity, status, disabled))[0]
        return uid, identity

    def add_number(self, owner=None, label="Vendas", ring_timeout_s=20, disclaimer_text=None,
                   disclaimer_language=None, disclaimer_voice=None, disclaimer_audio_url=None,
                   voicemail_enabled=True, e164=None):
        e164 = e164 or random_did()
        nid = self.one(
            "INSERT INTO phone_numbers (tenant_id, e164, label, owner_user_id, ring_timeout_s,"
            " disclaimer_text, disclaimer_language, disclaimer_voice, disclaimer_audio_url,"
            " voicemail_enabled) VALUES (%s, %s, %s, %s, %s, %s, coalesce(%s, 'pt-BR'),"
            " coalesce(%s, 'Polly.Camila'), %s, %s) RETURNING id",
            (self.tenant_id(), e164, label, owner, ring_timeout_s, disclaimer_text, disclaimer_language,
             disclaimer_voice, disclaimer_audio_url, voicemail_enabled))[0]
        return nid, e164

    def call(self, call_sid, *cols):
        cols = cols or ("routing", "phone_number_id", "direction", "from_number", "to_number",
                        "disclaimer_played", "status")
        row = self.one("SELECT %s FROM calls WHERE call_sid = %%s" % ", ".join(cols), (call_sid,))
        return None if row is None else dict(zip(cols, row))
