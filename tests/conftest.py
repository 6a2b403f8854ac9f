"""Shared test configuration: hypothesis profiles and the shared corpus location.

Profiles: ``fast`` (default, for quick local runs) and ``thorough`` (more examples; selected
by ``DDIALAB_HYPOTHESIS=thorough``, which ``.ci/run`` sets).
"""

from __future__ import annotations

import os
from pathlib import Path

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
settings.load_profile(os.environ.get("DDIALAB_HYPOTHESIS", "fast"))

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("DDIALAB_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus of public histories; tests using it skip cleanly when it is absent."""
    if not (CORPUS / "expected.json").exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that collected no tests is a failure, not a green build."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
