"""`ddialab check --checker session` end to end, in process."""

import json

from checkers.session.testing import PLANTS
from ddialab.cli import main
from ddialab.history import write_history


def test_cli_runs_all_five_and_reports_json(tmp_path, capsys):
    path = tmp_path / "h.jsonl"
    write_history(PLANTS["consistent-prefix"]["ddia"](), path)
    code = main(["check", str(path), "--checker", "session", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["anomaly_types"] == ["consistent-prefix"]
    assert out["guarantees"]["consistent-prefix"] is False
    assert out["guarantees"]["read-your-writes"] is True


def test_cli_guarantee_option_and_unknown_name(tmp_path, capsys):
    path = tmp_path / "h.jsonl"
    write_history(PLANTS["consistent-prefix"]["ddia"](), path)
    code = main(["check", str(path), "-c", "session", "--guarantee", "monotonic-reads", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["guarantees"] == {"monotonic-reads": True}
    assert main(["check", str(path), "-c", "session", "--guarantee", "nope"]) == 2
