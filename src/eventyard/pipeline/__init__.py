"""Per-event stages between the log and delivery: dedup, then fan-out to destinations."""

from __future__ import annotations

from eventyard.pipeline.router import CONSUMER, Router

__all__ = ["CONSUMER", "Router"]
