"""networkx is imported only when a history has a cycle to search.

Importing it costs ~0.1 s of every ``ddialab check -c elle``; the whole-graph pass runs
on plain adjacency lists (``_scc``), so a history without a non-trivial SCC never needs it.
"""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from checkers.elle import check
from checkers.elle.synth import synth_history
h = synth_history(50, [], seed=1, model="list-append")[0]
assert check(h, {"model": "list-append"})["valid"] is True
print("networkx" in sys.modules)
"""


def test_a_valid_check_never_imports_networkx():
    """Guards: a module-level ``import networkx`` creeping back into the Elle checker's
    import chain (every check, valid or not, would pay for it)."""
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_cycle_still_gets_its_networkx_search():
    """Guards: the lazy import breaking the cycle search (a G0 between two txns must
    still be found, through ``scc_graph``)."""
    from checkers.elle import check
    from ddialab.history import History, Op

    ops = [
        Op(0, 0, "ok", 0, "txn", [["append", "x", 1], ["append", "y", 2]]),
        Op(1, 1, "ok", 1, "txn", [["append", "y", 1], ["append", "x", 2]]),
        Op(2, 2, "ok", 2, "txn", [["r", "x", [1, 2]], ["r", "y", [1, 2]]]),
    ]
    result = check(History(ops), {"model": "list-append"})
    assert "G0" in result["anomaly_types"]
