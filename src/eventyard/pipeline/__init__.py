"""Per-event stages between the log and delivery: dedup, then fan-out to destinations."""
