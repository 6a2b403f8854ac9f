"""systems: see docs/."""
