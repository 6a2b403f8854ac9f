"""reports: see docs/."""
