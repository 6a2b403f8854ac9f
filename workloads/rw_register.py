"""The rw-register workload: txns that write and read registers (unique values per key).

Weaker evidence than list-append (a read shows only the latest version), so Elle infers
less of the version order; checked against the system's strongest claimed model.
"""

from workloads._txn import txn_workload

WORKLOAD = txn_workload(
    "rw-register",
    "w",
    "txns of register writes and reads; Elle checks the inferred dependency graph",
)
