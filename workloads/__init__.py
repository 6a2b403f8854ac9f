"""workloads: see docs/."""
