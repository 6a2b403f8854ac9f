"""Shared test configuration: hypothesis profiles and the shared corpus location.

Profiles: ``fast`` (default, for quick local runs), ``thorough`` (more examples; selected
by ``DDIALAB_HYPOTHESIS=thorough``, which ``.ci/run`` sets) and ``mutation`` (the fast
profile's size, derandomized: ``tools/mutation.py`` selects it, so a mutant is not killed in
one run and spared in the next by a different random example).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "mutation",
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("DDIALAB_HYPOTHESIS", "fast"))

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("DDIALAB_CORPUS", ROOT.parent / "shared" / "corpus"))


IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus of public histories: skips when absent, except under ``CI=true``
    (CI lays ``shared/`` beside its clone, so there a missing corpus is a failure)."""
    if not (CORPUS / "expected.json").exists():
        message = f"shared corpus not found at {CORPUS}"
        if IN_CI:
            pytest.fail(f"{message} (CI provides ../shared/corpus; it must not be missing)")
        pytest.skip(message)
    return CORPUS


@pytest.fixture(scope="session")
def corpus_cases(corpus: Path) -> list[dict[str, Any]]:
    """Every case of ``expected.json``, each with ``file``: its path, which must exist."""
    cases: list[dict[str, Any]] = json.loads((corpus / "expected.json").read_text())
    for case in cases:
        case["file"] = corpus / case["path"]
        assert case["file"].is_file(), f"expected.json names {case['path']}, which is missing"
    return cases


@pytest.fixture(scope="session")
def corpus_file(corpus_cases: list[dict[str, Any]]) -> Callable[[str], Path]:
    """``corpus_file("kv/c01-ok.txt")``: the one file whose ``expected.json`` path ends so
    (several cases may check one file with different models)."""

    def find(suffix: str) -> Path:
        found = sorted({c["file"] for c in corpus_cases if f"/{c['path']}".endswith(f"/{suffix}")})
        assert len(found) == 1, f"{len(found)} corpus cases end with {suffix!r}: {found}"
        return Path(found[0])

    return find


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that collected no tests is a failure, not a green build."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
