"""The main job: every system x guarantee, verified by experiment.

Public surface::

    MatrixOptions, plan(options) -> [TestSpec]
    run_matrix(options, out_dir, executor="local", scheduler=None, progress=None) -> MatrixResult
    GUARANTEES, verdicts(results)
"""

from ddialab.matrix._api import MatrixResult, run_matrix
from ddialab.matrix._guarantees import GUARANTEES, verdicts
from ddialab.matrix._plan import MatrixOptions, plan

__all__ = ["GUARANTEES", "MatrixOptions", "MatrixResult", "plan", "run_matrix", "verdicts"]
