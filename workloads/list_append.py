"""The list-append workload (Elle's favourite): txns that append to and read lists.

Appends make the version order of every key recoverable from the longest read, so Elle
can infer ww, wr and rw dependencies exactly.  Checked by the Elle checker against the
system's strongest claimed consistency model (strict-serializable when it claims none).
"""

from workloads._txn import txn_workload

WORKLOAD = txn_workload(
    "list-append",
    "append",
    "txns of appends and reads over rolling keys; Elle infers the dependency graph",
)
