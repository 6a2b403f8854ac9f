"""nemesis: see docs/."""
