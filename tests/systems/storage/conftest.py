"""Make the kv-delete workload known to the runner (until workloads/__init__ lists it)."""

import workloads
from workloads import kv_delete

workloads.WORKLOADS.setdefault("kv-delete", kv_delete.WORKLOAD)
