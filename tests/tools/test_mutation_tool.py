"""``tools/mutation.py``: how a score is counted, import-time rechecks included.

Guards the scoring rules of docs/testing.md: only the sampled mutants count; a fresh
interpreter's verdict on an import-time survivor replaces mutmut's (killed if the run
failed, with exit 1, 2 or 3; survived if it passed; a timeout stays a timeout); timeouts
count as killed; "no tests" counts apart.  Nothing here runs mutmut.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings

TOOL = Path(__file__).resolve().parents[2] / "tools" / "mutation.py"


@pytest.fixture
def tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The tool, loaded from its file, with its scratch directory under ``tmp_path``."""
    spec = importlib.util.spec_from_file_location("mutation_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "WORK", tmp_path)
    monkeypatch.setattr(module, "EQUIVALENTS", tmp_path / "equivalents.json")
    return module


def _lay_out(root: Path, codes: dict[str, int], sample: list[str], fresh: dict[str, int]) -> None:
    meta = root / "nemesis" / "mutants" / "nemesis" / "_faults.py.meta"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    (root / "nemesis" / "sample.json").write_text(json.dumps(sample))
    record = {"import_time_functions": [], "verdicts": fresh}
    (root / "nemesis" / "fresh.json").write_text(json.dumps(record))


def test_fresh_verdicts_replace_mutmuts_and_only_the_sample_counts(
    tool: ModuleType, tmp_path: Path
) -> None:
    """A survivor killed in a fresh interpreter counts as killed, one that passed there
    stays survived; the unsampled mutant and the "no tests" one do not count."""
    codes = {"a": 1, "b": 0, "c": 0, "d": 0, "e": 36, "f": 33, "unsampled": 0}
    _lay_out(tmp_path, codes, ["a", "b", "c", "d", "e", "f"], {"b": 2, "c": 0, "d": 1})
    got = tool.score("nemesis")
    assert got["counts"] == {"killed": 3, "no tests": 1, "survived": 1, "timeout": 1}
    assert got["score"] == 80.0  # (3 killed + 1 timeout) / 5 judged
    assert got["survived"] == ["c"]
    assert got["rechecked_fresh"] == {"b": "killed", "c": "survived", "d": "killed"}
    assert got["mutants_total"] == 7 and got["sampled"] is True


def test_a_fresh_run_that_timed_out_is_a_timeout_not_a_kill(tool: ModuleType) -> None:
    assert [tool.fresh_status(c) for c in (0, 1, 2, 3, 36)] == [
        "survived",
        "killed",
        "killed",
        "killed",
        "timeout",
    ]


def _diffs(tool: ModuleType, monkeypatch: pytest.MonkeyPatch, diffs: dict[str, str]) -> None:
    monkeypatch.setattr(tool, "mutant_diff", lambda label, name: diffs[name])


def test_a_recorded_equivalent_leaves_the_denominator_and_both_scores_are_printed(
    tool: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the equivalence rule: a survivor recorded as equivalent (same diff) is not
    counted against the score, and the score counting it is printed beside."""
    _lay_out(tmp_path, {"a": 1, "b": 1, "c": 1, "d": 0, "e": 0}, ["a", "b", "c", "d", "e"], {})
    _diffs(tool, monkeypatch, {"d": "--- x\n-1\n+2\n", "e": "--- y\n"})
    entry = tool.record_equivalent("nemesis", "d", "the default is never read")
    assert entry["diff_sha256"] == tool.diff_digest("--- x\n-1\n+2")
    got = tool.score("nemesis")
    assert got["counts"] == {"equivalent": 1, "killed": 3, "survived": 1}
    assert got["score"] == 75.0 and got["score_counting_equivalents"] == 60.0
    assert got["equivalent"] == ["d"] and got["survived"] == ["e"]


def test_an_equivalence_whose_diff_changed_is_stale_and_counts_as_survived(
    tool: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards against mutmut's renumbering: after the function is edited, the same name is
    another mutant, so the old reason must not excuse it."""
    _lay_out(tmp_path, {"a": 1, "d": 0}, ["a", "d"], {})
    diffs = {"d": "--- x\n-1\n+2\n"}
    _diffs(tool, monkeypatch, diffs)
    tool.record_equivalent("nemesis", "d", "unreachable")
    diffs["d"] = "--- x\n-1\n+3\n"
    got = tool.score("nemesis")
    assert got["stale_equivalents"] == ["d"] and got["survived"] == ["d"]
    assert got["score"] == 50.0


def test_recording_needs_a_reason_and_replaces_an_earlier_entry(
    tool: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bare name is refused; recording the same mutant twice keeps one entry, the last."""
    _diffs(tool, monkeypatch, {"d": "--- x\n"})
    with pytest.raises(SystemExit, match="why"):
        tool.record_equivalent("nemesis", "d", "  ")
    tool.record_equivalent("nemesis", "d", "first")
    tool.record_equivalent("nemesis", "d", "second")
    table = json.loads((tmp_path / "equivalents.json").read_text())
    assert [e["why"] for e in table["nemesis"]] == ["second"]


def test_mutants_are_judged_with_the_derandomized_profile_unless_one_is_chosen(
    tool: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards reproducible verdicts: without the derandomized profile a mutant killed only by
    a random hypothesis example is killed in one run and survives the next."""
    monkeypatch.delenv("DDIALAB_HYPOTHESIS", raising=False)
    assert tool.environment()["DDIALAB_HYPOTHESIS"] == "mutation"
    monkeypatch.setenv("DDIALAB_HYPOTHESIS", "thorough")
    assert tool.environment(MUTANT_UNDER_TEST="x")["DDIALAB_HYPOTHESIS"] == "thorough"
    assert settings.get_profile("mutation").derandomize is True
