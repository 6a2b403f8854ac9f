"""Self-contained HTML reports of runs and of the system × guarantee matrix.

Public surface::

    render_run(run_dir) -> pathlib.Path       # writes run_dir/report.html
    render_matrix(matrix_data, out_path) -> pathlib.Path

See ``docs/reports.md`` for what a report shows and for the matrix.json format.
"""

from reports._matrix import render_matrix
from reports._render import render_run

__all__ = ["render_matrix", "render_run"]
