"""SQLite as a test subject: one database file in WAL mode, one connection per client.

Theory of operation
-------------------
The stdlib ``sqlite3`` module, ``isolation_level=None`` (we send ``BEGIN``/``COMMIT``
ourselves) and a short busy timeout (system option ``busy_timeout_s``, default 0.05 s).
SQLite serialises writers: a txn that reads, then tries to write after another writer
committed (``SQLITE_BUSY_SNAPSHOT``), or that waits too long for the write lock
(``SQLITE_BUSY``, "database is locked"), gets an error, and we roll it back: a definite
``fail``.  ``COMMIT`` itself can be refused as busy; the txn is still open, so we roll it
back and report ``fail`` too.  Any other error during ``COMMIT`` is ``info``.

Tables as in the PostgreSQL adapter: ``lists(k, v)`` holds a list as JSON text (appended
with ``json_insert``), ``regs(k, v)``, ``accounts(k, v)``.  ``synchronous=FULL``: a commit
is on disk when ``COMMIT`` returns.

Faults (``nemesis.real``): ``kill`` crashes *a writer process* mid-transaction -- a child
Python process opens the database, takes the write lock (``BEGIN IMMEDIATE``), appends
``CRASH_VALUE`` (-1, a value no workload writes) to every list and register it finds
(and key ``CRASH_KEY``), spills 256 KiB of pages into the WAL (a tiny page cache), says
so, and is SIGKILLed before ``COMMIT``, holding the lock
and a half-written WAL.  ``start`` is a no-op: the next connection recovers the WAL.
Every client txn committed before the crash must survive it, and none of the crashed
writer's writes may ever be read (Elle's ``garbage-read``: an element nobody appended).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
from collections.abc import Mapping
from typing import Any

from systems.external import _sqlbank as sqlbank
from systems.external._base import done, stop_process
from systems.external._options import SQLiteOptions, settings_of

CRASH_VALUE, CRASH_KEY = -1, 999_999
#: the crashing writer (argv[1]: the database): lock, write, report, wait to be killed
CRASH_WRITER = f"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA cache_size=1")  # spill: uncommitted frames reach the WAL file
db.execute("CREATE TABLE IF NOT EXISTS crash (x BLOB)")
db.execute("BEGIN IMMEDIATE")
db.executemany("INSERT INTO crash VALUES (zeroblob(4096))", [()] * 64)
db.execute("UPDATE lists SET v = json_insert(v, '$[#]', {CRASH_VALUE})")
db.execute("UPDATE regs SET v = {CRASH_VALUE}")
db.execute("INSERT OR REPLACE INTO lists (k, v) VALUES ({CRASH_KEY}, '[{CRASH_VALUE}]')")
print("in-txn", flush=True)
time.sleep(60)
"""

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS lists (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS regs (k INTEGER PRIMARY KEY, v INTEGER)",
    "CREATE TABLE IF NOT EXISTS accounts (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)",
)


class SQLite:
    real_datastore = True
    name = "sqlite"
    claims = frozenset({"serializable"})

    def __init__(self, options: Mapping[str, Any]) -> None:
        settings, facts = settings_of(SQLiteOptions, options, self.name)
        self.busy_timeout = settings.busy_timeout_s
        self.workload = facts.workload
        self.path = ""

    def node_names(self) -> list[str]:
        return ["db"]

    def setup(self, workdir: str) -> None:
        self.path = os.path.join(workdir, "test.db")
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        for sql in SCHEMA:
            conn.execute(sql)
        conn.close()

    def teardown(self) -> None:
        pass

    def kill(self, node: str) -> None:
        """Crash a writer process mid-transaction (see module doc)."""
        import subprocess
        import sys

        proc = subprocess.Popen(
            [sys.executable, "-c", CRASH_WRITER, self.path],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != b"in-txn":
                raise RuntimeError(f"the crashing writer did not start its txn: {line!r}")
        finally:
            stop_process(proc, signal.SIGKILL)
            if proc.stdout is not None:
                proc.stdout.close()

    def start(self, node: str) -> None:
        pass

    def client(self, process: int) -> SQLiteClient:
        return SQLiteClient(self.path, self.busy_timeout, self.workload != "rw-register")


class SQLiteClient:
    def __init__(self, path: str, busy_timeout: float, lists: bool = True) -> None:
        self.path, self.busy_timeout, self.lists = path, busy_timeout, lists
        self.conn: sqlite3.Connection | None = None
        self.bank_ready = False

    def open(self, node: str) -> None:
        self.conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        self.conn.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    @property
    def db(self) -> sqlite3.Connection:
        assert self.conn is not None, "open() first"
        return self.conn

    def invoke(self, op: dict[str, Any]) -> dict[str, Any]:
        f, value = op["f"], op.get("value")
        if f == "txn" and value is not None:
            return self._txn(value, lambda: [self._mop(list(m)) for m in value])
        if op.get("accounts") is not None and not self.bank_ready:
            r = self._txn(None, lambda: self._init_accounts(op["accounts"], op.get("initial", 0)))
            if r["type"] != "ok":
                return done("fail", value, r.get("error"))
        if f == "transfer" and value is not None:
            return self._txn(value, lambda: self._transfer(value))
        if f == "read":
            return self._txn(value, lambda: self._read_all(int(op["accounts"])))
        return done("fail", value, f"unknown-f:{f}")

    def _txn(self, value: Any, body: Any) -> dict[str, Any]:
        try:
            self.db.execute("BEGIN")
            result = body()
        except sqlbank.Rollback as e:
            self._rollback()
            return done("fail", value, str(e))
        except sqlite3.Error as e:
            self._rollback()
            return done("fail", value, _code(e))
        try:
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as e:
            if not self.db.in_transaction:
                return done("info", value, _code(e))
            self._rollback()  # busy: the txn is still open and will not commit
            return done("fail", value, _code(e))
        return done("ok", result)

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")

    def _mop(self, mop: list[Any]) -> list[Any]:
        f, k, v = mop
        if f == "r":
            return [f, k, self._read(k)]
        if f == "append":
            self.db.execute(
                "INSERT INTO lists (k, v) VALUES (?, json_array(?)) "
                "ON CONFLICT (k) DO UPDATE SET v = json_insert(lists.v, '$[#]', ?)",
                (k, v, v),
            )
        else:
            self.db.execute(
                "INSERT INTO regs (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = ?",
                (k, v, v),
            )
        return [f, k, v]

    def _read(self, k: Any) -> Any:
        table = "lists" if self.lists else "regs"
        row = self.db.execute(f"SELECT v FROM {table} WHERE k = ?", (k,)).fetchone()
        if row is None:
            return None
        return json.loads(row[0]) if self.lists else row[0]

    def _init_accounts(self, accounts: int, initial: int) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO accounts (k, v) VALUES (?, ?)",
            [(a, initial) for a in range(int(accounts))],
        )
        self.bank_ready = True

    def _transfer(self, t: dict[str, Any]) -> dict[str, Any]:
        return sqlbank.transfer(self.db.execute, "?", t)

    def _read_all(self, accounts: int) -> dict[int, int]:
        return sqlbank.read_all(self.db.execute, "?", accounts)


def _code(e: sqlite3.Error) -> str:
    name = getattr(e, "sqlite_errorname", None)
    return f"{name}: {e}" if name else str(e)
