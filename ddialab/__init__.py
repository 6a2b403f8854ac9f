"""ddialab: a test-and-verification suite for consistency guarantees.

Subpackages: ``ddialab.history`` (the history contract), ``ddialab.generator`` (op
generators), ``ddialab.runner`` (runs on the simulated world); top-level packages
``systems``, ``workloads``, ``nemesis``, ``checkers`` and ``reports``.
"""

__version__ = "0.1.0"
