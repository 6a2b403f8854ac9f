"""The ddialab pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

* ``ddialab_seed`` -- the run's seed.  ``--ddialab-seed N`` sets the first seed,
  ``--ddialab-seeds K`` parametrizes every test that uses it over K consecutive seeds.
* ``ddialab`` -- a ``DdialabRunner`` bound to that seed and to an output directory
  (``--ddialab-out DIR``, else the test's ``tmp_path``): ``ddialab.run(system=...,
  workload=..., nemesis=[...], **options)`` runs and returns a ``RunResult``;
  ``ddialab.check(...)`` runs and fails the test with the anomaly's explanation, the seed,
  the replay command and the report path unless every checker passed;
  ``await ddialab.run_async(...)`` does the same from a trio test (pytest-trio), running
  the simulation in a worker thread.

Inside ``@hypothesis.given`` tests (function-scoped fixtures are not reset between
examples), call ``ddialab.testing.run_spec`` / ``assert_valid`` directly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from ddialab.runner import RunResult, TestSpec
from ddialab.testing import assert_valid, run_spec


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ddialab", "ddialab consistency tests")
    group.addoption("--ddialab-seed", type=int, default=0, help="first seed (default 0)")
    group.addoption("--ddialab-seeds", type=int, default=1, help="run each test over N seeds")
    group.addoption("--ddialab-out", default=None, help="keep run directories under DIR")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ddialab_seed" not in metafunc.fixturenames:
        return
    first = metafunc.config.getoption("ddialab_seed")
    count = max(1, metafunc.config.getoption("ddialab_seeds"))
    seeds = list(range(first, first + count))
    metafunc.parametrize("ddialab_seed", seeds, ids=[f"seed{s}" for s in seeds])


class DdialabRunner:
    def __init__(self, seed: int, out_dir: Path) -> None:
        self.seed = seed
        self.out_dir = out_dir
        self._count = 0

    def spec(self, **options: Any) -> TestSpec:
        options.setdefault("seed", self.seed)
        return TestSpec(**options)

    def _out(self, spec: TestSpec) -> str:
        self._count += 1
        name = f"{spec.system}__{spec.workload}__seed{spec.seed}__{self._count}"
        return str(self.out_dir / re.sub(r"[^\w.+-]", "_", name))

    def run(self, **options: Any) -> RunResult:
        spec = self.spec(**options)
        return run_spec(spec, out=self._out(spec))

    def check(self, **options: Any) -> RunResult:
        result = self.run(**options)
        assert_valid(result)
        return result

    async def run_async(self, **options: Any) -> RunResult:
        import trio

        spec = self.spec(**options)
        return await trio.to_thread.run_sync(run_spec, spec, self._out(spec))


@pytest.fixture
def ddialab(request: pytest.FixtureRequest, ddialab_seed: int, tmp_path: Path) -> DdialabRunner:
    root = request.config.getoption("ddialab_out")
    if root:
        out = Path(root) / re.sub(r"[^\w.+-]", "_", request.node.nodeid)
        os.makedirs(out, exist_ok=True)
    else:
        out = tmp_path
    return DdialabRunner(ddialab_seed, out)
