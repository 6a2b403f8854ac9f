"""PostgreSQL as a test subject: a private server per run, psycopg 3 clients.

Theory of operation
-------------------
``setup(workdir)`` runs ``initdb`` into ``workdir/pg`` and starts ``postgres`` on a free
127.0.0.1 port (Unix socket in the same directory).  PostgreSQL refuses to run as root,
so as root both run as the ``postgres`` user (``subprocess`` with ``user=``: the pid we
hold is the server's own, and ``teardown`` stops it by that pid with SIGINT, "fast
shutdown").  fsync and synchronous commit are on: an ok txn is durable (its completion
says so, ``durable: true``).  Faults signal the postmaster and all its descendants
(``ProcessFaults(tree=True)``): ``kill`` SIGKILLs postmaster and backends (a crash;
``start`` restarts on the same directory and port and waits out crash recovery),
``pause`` SIGSTOPs them all.

Timeouts: each connection sets ``statement_timeout`` and ``lock_timeout`` to
``--op-timeout`` (the runner's ``op_timeout``; PostgreSQL has no option of its own) and
``idle_in_transaction_session_timeout`` to twice that, so a blocked statement ends at the
server as a definite ``fail`` (57014, 55P03) and an abandoned txn cannot hold its locks
for long; the client's ``cancel()`` sends PostgreSQL's cancel request for the statement in
flight (``cancel_safe``).

Tables: ``lists(k int primary key, v int[])`` (list-append: an upsert that concatenates),
``regs(k, v)`` (rw-register: an upsert), ``accounts(k, v)`` (bank: each client inserts
the initial balances, ``ON CONFLICT DO NOTHING``, before its first bank op).

The register workload (``read``/``write``/``cas`` on ``regs``, one autocommit statement
each: a ``SELECT``, an upsert, an ``UPDATE ... WHERE v = old`` or, for ``old = None``, an
``INSERT ... ON CONFLICT DO NOTHING``; no row changed is a definite ``fail``) is what the
durability checker reads under ``--nemesis kill``: every ok write is ``durable``.

Each txn is ``BEGIN ISOLATION LEVEL ...``, one statement per micro-op, ``COMMIT``, on an
autocommit connection, so we know which statement failed:

* any error before ``COMMIT`` was sent -> ``fail`` (the server rolls the txn back);
* an error reply to ``COMMIT`` (SQLSTATE 40001 serialization failure, 40P01 deadlock) ->
  ``fail``: the server answered that it did not commit;
* a lost connection during ``COMMIT`` -> ``info`` (it may have committed).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import signal
import subprocess
from collections.abc import Mapping
from typing import Any

from systems.external import _sqlbank as sqlbank
from systems.external._base import (
    MissingServer,
    ProcessAbilities,
    done,
    find_binary,
    free_port,
    stop_process,
    wait_until,
)
from systems.external._options import PostgresOptions, settings_of, timeout_s

INSTALL = "apt-get install postgresql (Debian/Ubuntu), then re-run"
LEVELS = {
    "read-committed": "READ COMMITTED",
    "repeatable-read": "REPEATABLE READ",
    "serializable": "SERIALIZABLE",
}
SCHEMA = (
    "CREATE TABLE lists (k int PRIMARY KEY, v int[] NOT NULL)",
    "CREATE TABLE regs (k int PRIMARY KEY, v int)",
    "CREATE TABLE accounts (k int PRIMARY KEY, v int NOT NULL)",
)
#: SQLSTATE classes whose errors mean "this txn did not commit"
DEFINITE_COMMIT_ERRORS = ("40001", "40P01", "23505", "25P02")


def pg_bindir() -> str:
    """Where initdb/postgres live: Debian's versioned dir first, then PATH."""
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    return os.path.dirname(find_binary("initdb", install=INSTALL))


class PostgresServer:
    """One throwaway PostgreSQL server on 127.0.0.1."""

    def __init__(self, workdir: str) -> None:
        self.dir = os.path.join(workdir, "pg")
        self.log = os.path.join(workdir, "postgres.log")
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.user: str | None = None

    def start(self) -> None:
        bindir = pg_bindir()
        self.user = _run_as()
        os.makedirs(self.dir, mode=0o700)
        self._chown(self.dir)
        subprocess.run(
            [os.path.join(bindir, "initdb"), "-D", self.dir, "-U", "postgres",
             "-A", "trust", "--no-sync", "-E", "UTF8"],
            user=self.user, check=True, capture_output=True, cwd=self.dir,
        )  # fmt: skip
        self.port = free_port()
        self.spawn()

    def spawn(self) -> int:
        """Start the server on the initialised directory (again after a crash): its pid."""
        with open(self.log, "ab") as log:
            self._chown(self.log)
            self.proc = subprocess.Popen(
                [os.path.join(pg_bindir(), "postgres"), "-D", self.dir, "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
                 "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "max_connections=300"],
                user=self.user, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir,
            )  # fmt: skip
        wait_until(self._ready, 60, "postgres", self.proc)
        return self.proc.pid

    def _chown(self, path: str) -> None:
        if self.user is not None:
            pw = pwd.getpwnam(self.user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _ready(self) -> bool:
        import psycopg

        try:
            psycopg.connect(self.dsn(), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise MissingServer("running as root needs a 'postgres' user; " + INSTALL) from None
    return "postgres"


#: what each level guarantees as PostgreSQL implements it (REPEATABLE READ is snapshot
#: isolation, which allows write skew: not Adya's PL-2.99)
CLAIMS: dict[str, frozenset[str]] = {
    "read-committed": frozenset({"read-committed"}),
    "repeatable-read": frozenset({"snapshot-isolation", "read-committed"}),
    "serializable": frozenset({"serializable", "snapshot-isolation"}),
}


class Postgres(ProcessAbilities):
    """A real PostgreSQL at one isolation level (each entry passes its own)."""

    real_datastore = True

    def __init__(self, options: Mapping[str, Any], isolation: str = "serializable") -> None:
        if isolation not in LEVELS:
            raise ValueError(f"isolation is one of {sorted(LEVELS)}, not {isolation!r}")
        self.isolation = isolation
        self.name = f"postgres-{self.isolation}"
        self.claims = CLAIMS[self.isolation]
        _none, facts = settings_of(PostgresOptions, options, self.name)
        self.workload = facts.workload
        self.timeout = timeout_s(None, facts, 5.0)
        self.server: PostgresServer | None = None
        self.faults: Any = None

    def node_names(self) -> list[str]:
        return ["pg"]

    def setup(self, workdir: str) -> None:
        import psycopg

        self.server = PostgresServer(workdir)
        self.server.start()
        with psycopg.connect(self.server.dsn(), autocommit=True) as conn:
            for sql in SCHEMA:
                conn.execute(sql)
        from systems.external._process import ProcessFaults

        server, proc = self.server, self.server.proc
        assert proc is not None
        self.faults = ProcessFaults({"pg": proc.pid}, lambda n: server.spawn(), True)

    def after_kill(self, node: str) -> None:
        if self.server is not None and self.server.proc is not None:
            self.server.proc.poll()  # ProcessFaults reaped it; let Popen know

    def teardown(self) -> None:
        self.resume_all()
        if self.server is not None:
            self.server.stop()

    def log_files(self) -> dict[str, str]:
        return {"postgres.log": self.server.log} if self.server else {}

    def client(self, process: int) -> PostgresClient:
        assert self.server is not None, "setup() first"
        lists = self.workload != "rw-register"
        ms = max(1, round(self.timeout * 1000))
        dsn = self.server.dsn() + _options(ms)
        return PostgresClient(dsn, LEVELS[self.isolation], lists)


def _options(ms: int) -> str:
    """libpq ``options``: the server-side timeouts of a connection (see module doc)."""
    opts = f"-c statement_timeout={ms} -c lock_timeout={ms}"
    return f" options='{opts} -c idle_in_transaction_session_timeout={2 * ms}'"


class PostgresClient:
    def __init__(self, dsn: str, level: str, lists: bool = True) -> None:
        self.dsn, self.level = dsn, level
        self.lists = lists  # reads read ``lists`` (list-append) or ``regs`` (rw-register)
        self.conn: Any = None
        self.bank_ready = False

    def open(self, node: str) -> None:
        import psycopg

        self.conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def cancel(self) -> None:
        """PostgreSQL's cancel request, bounded: ``cancel_safe`` waits without holding the
        GIL (plain ``cancel()`` blocks every thread while a paused server does not answer)."""
        if self.conn is not None:
            self.conn.cancel_safe(timeout=5.0)

    def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        f, value = op["f"], op.get("value")
        if f == "txn" and value is not None:
            return self._txn(value, lambda: [self._mop(list(m)) for m in value])
        if op.get("accounts") is not None and not self.bank_ready:
            self._init_accounts(int(op["accounts"]), int(op.get("initial", 0)))
        if f == "transfer" and value is not None:
            return self._txn(value, lambda: self._transfer(value))
        if f == "read" and op.get("accounts") is not None:
            return self._txn(value, lambda: self._read_all(int(op["accounts"])))
        if f in ("read", "write", "cas") and isinstance(value, list):
            return self._register(f, value)
        return done("fail", value, f"unknown-f:{f}")

    def _register(self, f: str, value: list[Any]) -> dict[str, Any]:
        """One autocommit statement; an error is ``fail`` unless it may have committed."""
        import psycopg

        k, v = value
        try:
            if f == "read":
                return done("ok", [k, self._read_reg(k)])
            if f == "write":
                self._mop(["w", k, v])
                return {**done("ok", [k, v]), "durable": True}
            return self._cas(k, v)
        except psycopg.Error as e:
            definite = f == "read" or e.sqlstate is not None
            return done("fail" if definite else "info", [k, v], _code(e))

    def _cas(self, k: Any, v: list[Any]) -> dict[str, Any]:
        old, new = v
        args: tuple[Any, ...] = (k, new)
        sql = "INSERT INTO regs (k, v) VALUES (%s, %s) ON CONFLICT DO NOTHING"
        if old is not None:
            sql, args = "UPDATE regs SET v = %s WHERE k = %s AND v = %s", (new, k, old)
        if self.conn.execute(sql, args).rowcount == 1:
            return {**done("ok", [k, v]), "durable": True}
        return done("fail", [k, v], "cas-mismatch")

    def _txn(self, value: Any, body: Any) -> dict[str, Any]:
        import psycopg

        try:
            self.conn.execute(f"BEGIN ISOLATION LEVEL {self.level}")
            result = body()
        except sqlbank.Rollback as e:
            self._rollback()
            return done("fail", value, str(e))
        except psycopg.Error as e:
            self._rollback()
            return done("fail", value, _code(e))
        try:
            self.conn.execute("COMMIT")
        except psycopg.Error as e:
            if e.sqlstate in DEFINITE_COMMIT_ERRORS:
                return done("fail", value, _code(e))
            return done("info", value, _code(e))
        return {**done("ok", result), "durable": True}

    def _rollback(self) -> None:
        import psycopg

        with contextlib.suppress(psycopg.Error):
            self.conn.execute("ROLLBACK")

    def _mop(self, mop: list[Any]) -> list[Any]:
        f, k, v = mop
        if f == "r":
            return [f, k, self._read_list(k) if self.lists else self._read_reg(k)]
        if f == "append":
            self.conn.execute(
                "INSERT INTO lists (k, v) VALUES (%s, ARRAY[%s]::int[]) "
                "ON CONFLICT (k) DO UPDATE SET v = lists.v || EXCLUDED.v",
                (k, v),
            )
        else:
            self.conn.execute(
                "INSERT INTO regs (k, v) VALUES (%s, %s) "
                "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
                (k, v),
            )
        return [f, k, v]

    def _read_list(self, k: Any) -> list[Any] | None:
        row = self.conn.execute("SELECT v FROM lists WHERE k = %s", (k,)).fetchone()
        return None if row is None else list(row[0])

    def _read_reg(self, k: Any) -> Any:
        row = self.conn.execute("SELECT v FROM regs WHERE k = %s", (k,)).fetchone()
        return None if row is None else row[0]

    def _init_accounts(self, accounts: int, initial: int) -> None:
        self.conn.execute(
            "INSERT INTO accounts (k, v) SELECT a, %s FROM generate_series(0, %s) a "
            "ON CONFLICT DO NOTHING",
            (initial, accounts - 1),
        )
        self.bank_ready = True

    def _transfer(self, t: dict[str, Any]) -> dict[str, Any]:
        return sqlbank.transfer(self.conn.execute, "%s", t)

    def _read_all(self, accounts: int) -> dict[int, int]:
        return sqlbank.read_all(self.conn.execute, "%s", accounts)


def _code(e: Exception) -> str:
    state = getattr(e, "sqlstate", None)
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return f"{state}: {first}" if state else first
