"""Self-contained HTML reports of runs, of any checked history, and of the matrix.

Public surface::

    render_run(run_dir) -> pathlib.Path       # writes run_dir/report.html
    render_history(ops, results, spec, out) -> pathlib.Path   # no run directory needed
    render_matrix(matrix_data, out_path) -> pathlib.Path
    LEGEND, BUG                               # the matrix's marks (terminal and page)

See ``docs/reports.md`` for what a report shows and for the matrix.json format.
"""

from reports._matrix import BUG, LEGEND, render_matrix
from reports._render import render_run
from reports._source import SPEC_KEYS, render_history

__all__ = ["BUG", "LEGEND", "SPEC_KEYS", "render_history", "render_matrix", "render_run"]
