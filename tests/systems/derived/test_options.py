"""The derived family's typed options: claims given as an option are vocabulary names.

``log-broker`` and the ``derived-*`` pipelines take their claims as an option (the named
unsafe variants claim less).  A misspelt claim used to be taken as given -- a column no
checker reads -- and is now refused, with a "did you mean", before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ddialab.cli import main
from systems import SYSTEMS


@pytest.mark.parametrize("system", ["log-broker", "derived-cdc"])
def test_claims_option_sets_the_claims_and_refuses_unknown_names(system: str) -> None:
    """Guards the option both ways: valid names become the system's claims (so a
    configuration's claims are its own), a misspelt one is an error naming the closest."""
    entry = SYSTEMS[system]
    built = entry.build({"claims": ["convergence", "durability"]})
    assert built.claims == {"convergence", "durability"}
    with pytest.raises(ValueError, match="did you mean 'durability'"):
        entry.build({"claims": ["durabilty"]})


def test_a_bad_claim_is_a_usage_error_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards validation up front (``SystemEntry.check_options`` in the runner's spec
    check): exit 2 with the "did you mean", no run directory, no traceback."""
    out = tmp_path / "r"
    argv = ["run", "-s", "log-broker", "-w", "kafka", "--system-option",
            'claims=["durabilty"]', "--time-limit", "1", "--out", str(out)]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "did you mean 'durability'" in err and "Traceback" not in err
    assert not out.exists()
