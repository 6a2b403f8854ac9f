"""Sample run directories, written by hand, and a headless Chromium driven over DevTools.

Run directories are synthesised here (history, test.json, results.json in the shapes the
linearizable, elle and session checkers produce, plus one anomaly type no checker knows,
and optionally messages.jsonl) so the report tests do not depend on the checkers.

Chromium is driven through the DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON): no port, no websocket library, no download.  It
captures console errors and uncaught exceptions, evaluates expressions in the page and
takes screenshots.  Tests using it skip when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import heapq
import json
import os
import random
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

MS = 1_000_000
CHROMIUM = os.environ.get("DDIALAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-extensions",
    "--hide-scrollbars",
]


# --- sample run directories ----------------------------------------------------------------


def synthetic_history(n_events: int, concurrency: int = 5, seed: int = 1) -> list[dict]:
    """A register history of about ``n_events`` events with nemesis faults and info ops."""
    rng = random.Random(seed)
    free_at = [0] * concurrency
    process = list(range(concurrency))
    events: list[tuple[int, int, dict]] = []
    n_pairs = n_events // 2
    ready = [(0, t) for t in range(concurrency)]  # (free at, thread): a heap
    for k in range(n_pairs):
        _, t = heapq.heappop(ready)
        start = free_at[t] + int(rng.random() * 2 * MS)
        dur = int(rng.lognormvariate(14.5, 0.8))  # ~2 ms median
        f = ("read", "write", "cas")[int(rng.random() * 3)]
        key = int(rng.random() * 5)
        value = [key, None if f == "read" else int(rng.random() * 10)]
        r = rng.random()
        outcome = "ok" if r < 0.9 else "fail" if r < 0.96 else "info"
        p = process[t]
        events.append((start, 0, {"type": "invoke", "process": p, "f": f, "value": value}))
        done = {"type": outcome, "process": p, "f": f, "value": value}
        if outcome == "fail":
            done["error"] = "cas-mismatch"
        if outcome == "info":
            done["error"] = "timeout"
            process[t] += concurrency
        events.append((start + dur, 1, done))
        free_at[t] = start + dur + k % 3
        heapq.heappush(ready, (free_at[t], t))
    end = max(free_at)
    step = max(end // 6, 1)
    for i, t in enumerate(range(step, end - step, step)):
        kind = ("start-partition", "stop-partition") if i % 2 == 0 else ("kill", "start")
        for f, at in ((kind[0], t), (kind[1], t + step // 2)):
            events.append((at, 0, {"type": "invoke", "process": "nemesis", "f": f, "value": None}))
            events.append(
                (
                    at,
                    1,
                    {
                        "type": "info",
                        "process": "nemesis",
                        "f": f,
                        "value": {"grudge": {"n1": ["n2"]}} if "part" in f else "n1",
                    },
                )
            )
    events.sort(key=lambda e: (e[0], e[1]))
    return [{"index": i, "time": t, **op} for i, (t, _, op) in enumerate(events)]


def invocations(history: list[dict]) -> dict[int, int]:
    """Invoke index -> completion index."""
    open_: dict[Any, int] = {}
    out = {}
    for op in history:
        if op["type"] == "invoke":
            open_[op["process"]] = op["index"]
        elif op["process"] in open_:
            out[open_.pop(op["process"])] = op["index"]
    return out


def sample_results(history: list[dict]) -> dict:
    pairs = invocations(history)
    client = [i for i in pairs if history[i]["process"] != "nemesis"]
    key0 = [i for i in client if history[i]["value"][0] == 0] or client
    a, b, c = client[3], client[4], client[5]

    def k(n: int) -> int:
        return key0[min(n, len(key0) - 1)]

    blocked = k(20)

    def opd(i: int, descr: str) -> dict:
        return {
            "index": i,
            "completion": pairs[i],
            "process": history[i]["process"],
            "f": history[i]["f"],
            "description": descr,
            "completed": True,
            "key": 0,
        }

    lin = {
        "valid": False,
        "anomaly_types": ["nonlinearizable"],
        "model": "independent cas-register",
        "partitions": 5,
        "failed_partition": 0,
        "states_explored": 1234,
        "seconds": 0.5,
        "anomalies": {
            "nonlinearizable": [
                {
                    "model": "cas-register",
                    "key": 0,
                    "part_ops": len(key0),
                    "ops": [blocked, k(19), *reversed(key0[13:18])],
                    "prefixes": [
                        {
                            "linearized": key0[:18],
                            "state": 3,
                            "state_description": "the register holds 3",
                            "blocked": opd(blocked, "read → 7"),
                            "could_not_follow": [
                                opd(blocked, "read → 7"),
                                opd(k(19), "write 5"),
                            ],
                        },
                        {
                            "linearized": key0[:17],
                            "state": 2,
                            "state_description": "the register holds 2",
                            "blocked": opd(k(18), "cas 4→1"),
                            "could_not_follow": [],
                        },
                    ],
                    "explanation": f"for key 0: after linearizing 18 ops, the register holds "
                    f"3; op {blocked} read 7 cannot be placed",
                }
            ]
        },
    }
    graph = {
        "nodes": [
            {"id": f"T{k + 1}", "op": i, "process": history[i]["process"]}
            for k, i in enumerate((a, b, c))
        ],
        "edges": [
            {"from": "T1", "to": "T2", "kind": "rw"},
            {"from": "T2", "to": "T3", "kind": "wr"},
            {"from": "T3", "to": "T1", "kind": "ww"},
            {"from": "T2", "to": "T1", "kind": "realtime"},
        ],
    }
    elle = {
        "valid": False,
        "anomaly_types": ["G-single"],
        "not": ["consistent-view"],
        "also_not": ["serializable", "snapshot-isolation", "strict-serializable"],
        "anomalies": {
            "G-single": [
                {
                    "type": "G-single",
                    "cycle": [a, b, c],
                    "ops": [a, b, c],
                    "graph": graph,
                    "steps": [{"from": "T1", "to": "T2", "type": "rw", "key": 1}],
                    "dot": 'digraph "G-single" { T1 -> T2 [label="rw"]; }',
                    "explanation": "T1 < T2 because T1 read key 1 = [1 2] which did not "
                    "include T2's append of 3; ...: a contradiction",
                }
            ]
        },
    }
    session = {
        "valid": False,
        "anomaly_types": ["read-your-writes"],
        "guarantees": {
            "read-your-writes": False,
            "monotonic-reads": True,
            "consistent-prefix": "unknown",
        },
        "not": ["read-your-writes"],
        "also_not": ["PRAM", "causal", "sequential", "linearizable"],
        "anomalies": {
            "read-your-writes": [
                {
                    "process": 0,
                    "key": 2,
                    "ops": [a, c],
                    "cycle": [c, "process", a, "rw", b, "wr", c],
                    "write": {"op": a, "value": 4},
                    "read": {"op": c, "value": 3},
                    "explanation": f"process 0 wrote 4 to key 2 (op {a}) and then read 3 (op {c})",
                }
            ]
        },
    }
    odd = {
        "valid": False,
        "anomaly_types": ["phantom-flux"],
        "anomalies": {
            "phantom-flux": [
                {"ops": [a, b], "explanation": "<script>alert('x')</script> & a new anomaly"},
                [1, 2, 3],
            ]
        },
    }
    checkers = {"linearizable": lin, "elle": elle, "session": session, "mystery": odd}
    return {"valid": False, "checkers": checkers}


def synthetic_messages(history: list[dict], limit: int | None = None) -> list[dict]:
    rng = random.Random(3)
    out: list[dict] = []
    pairs = invocations(history)
    for inv, comp in list(pairs.items())[:limit]:
        op = history[inv]
        if op["process"] == "nemesis":
            continue
        client, node = f"c{op['process']}", f"n{1 + op['process'] % 3}"
        t0, t1 = op["time"], history[comp]["time"]
        lost = rng.random() < 0.05
        out.append(
            {
                "id": len(out),
                "src": client,
                "dst": node,
                "type": op["f"],
                "sent": t0,
                "at": None if lost else t0 + (t1 - t0) // 3,
                "outcome": "lost" if lost else "delivered",
            }
        )
        out.append(
            {
                "id": len(out),
                "src": node,
                "dst": "n2" if node != "n2" else "n3",
                "type": "replicate",
                "sent": t0 + (t1 - t0) // 3,
                "at": t0 + (t1 - t0) // 2,
                "outcome": "delivered",
            }
        )
        out.append(
            {
                "id": len(out),
                "src": node,
                "dst": client,
                "type": f"{op['f']}-ok",
                "sent": t0 + 2 * (t1 - t0) // 3,
                "at": t1,
                "outcome": "delivered",
            }
        )
    return out


def write_run(
    path: Path,
    n_events: int = 400,
    messages: bool = True,
    concurrency: int = 5,
    results: dict | None = None,
) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    history = synthetic_history(n_events, concurrency)
    # one encoder call for the whole list, cut into lines (every op starts with "index")
    text = json.dumps(history, separators=(",", ":"))[1:-1].replace('},{"index"', '}\n{"index"')
    (path / "history.jsonl").write_text(text + "\n")
    spec = {
        "system": "toy-kv",
        "workload": "register",
        "nemesis": ["partition", "kill"],
        "seed": 42,
        "concurrency": concurrency,
        "time_limit": 10.0,
        "rate": 50.0,
        "system_options": {"replicas": 3},
        "workload_options": {},
    }
    test = {
        "spec": spec,
        "replay": "ddialab run --system toy-kv --workload register "
        "--nemesis partition,kill --seed 42",
        "versions": {"ddialab": "0.1.0"},
        "stats": {},
    }
    (path / "test.json").write_text(json.dumps(test))
    res = sample_results(history) if results is None else results
    (path / "results.json").write_text(json.dumps(res))
    if messages:
        with open(path / "messages.jsonl", "w") as f:
            for m in synthetic_messages(history, limit=2000):
                f.write(json.dumps(m) + "\n")
    return path


@pytest.fixture
def samples() -> SimpleNamespace:
    """The sample builders, for tests (conftest modules cannot be imported directly)."""
    return SimpleNamespace(
        write_run=write_run, synthetic_history=synthetic_history, invocations=invocations
    )


@pytest.fixture
def small_run(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run")


@pytest.fixture(scope="session")
def big_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100k-event run, rendered once per session (its render time is printed)."""
    from reports import render_run

    path = write_run(tmp_path_factory.mktemp("big") / "run", n_events=100_000, concurrency=10)
    t0 = time.perf_counter()
    out = render_run(path)
    print(
        f"\n100k-event report: {out.stat().st_size / 1e6:.2f} MB in "
        f"{time.perf_counter() - t0:.2f} s"
    )
    return path


# --- headless Chromium over the DevTools pipe ------------------------------------------------


class Chromium:
    """A headless Chromium with one page, driven over ``--remote-debugging-pipe``."""

    def __init__(self, width: int = 1400, height: int = 1000) -> None:
        self.profile = tempfile.mkdtemp(prefix="ddialab-chromium-")
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def wire() -> None:  # in the child: the pipe protocol wants fds 3 and 4
            # (os.pipe fds are close-on-exec; the dup2 copies are not, so only 3 and 4 pass)
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child_r, from_child_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        args = [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={self.profile}",
            "--remote-debugging-pipe",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict] = []
        target = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in target if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def _send(self, msg: dict) -> None:
        os.write(self._w, json.dumps(msg).encode() + b"\0")

    def _read(self, timeout: float) -> dict | None:
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._r], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: bool = False, timeout: float = 60, **params: Any) -> Any:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self._send(msg)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(max(0.0, deadline - time.monotonic()))
            if reply is None:
                raise TimeoutError(f"{method}: no reply in {timeout} s")
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def load(self, path: Path, timeout: float = 60, ready: bool = True) -> None:
        """Open a file and wait until it loaded and (``ready``) the report's script ran."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=path.resolve().as_uri())
        deadline = time.monotonic() + timeout
        want = "document.body && document.body.getAttribute('data-ready') === '1'"
        if not ready:
            want = "document.readyState === 'complete'"
        while time.monotonic() < deadline:
            if self.eval(want):
                return
            if self.eval("document.readyState") == "complete" and self.errors():
                return
            time.sleep(0.05)
        raise TimeoutError(f"{path} did not become ready in {timeout} s")

    def eval(self, expression: str) -> Any:
        r = self.call(
            "Runtime.evaluate",
            session=True,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen since the last load."""
        self.call("Runtime.evaluate", session=True, expression="1")  # flush pending events
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p["exceptionDetails"])[:500])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(json.dumps(p.get("args"))[:500])
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text", "")[:500])
        return out

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            h = self.eval("document.documentElement.scrollHeight")
            w = self.eval("document.documentElement.scrollWidth")
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": min(h, 8000), "scale": 1}
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._r)
        os.close(self._w)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"headless browser tests need Chromium at {CHROMIUM} "
            "(apt-get install chromium); skipped"
        )
    browser = Chromium()
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $DDIALAB_SCREENSHOTS, else pytest's temporary directory."""
    where = os.environ.get("DDIALAB_SCREENSHOTS")
    if not where:
        return tmp_path_factory.mktemp("screenshots")
    path = Path(where)
    path.mkdir(parents=True, exist_ok=True)
    return path
