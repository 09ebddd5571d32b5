"""Retry delays: exponential growth with full jitter, so that many failing jobs spread out
instead of hammering a recovering destination at the same instant."""

from __future__ import annotations

import random

from eventyard.control.config import DeliverySettings

__all__ = ["backoff_delay"]


def backoff_delay(
    attempts: int,
    settings: DeliverySettings,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt number `attempts + 1`, given `attempts` failures so far.

    Uniform between backoff_initial and min(backoff_max, backoff_initial * 2**(attempts-1));
    never sooner than the destination's Retry-After.
    """
    initial = float(settings.backoff_initial)
    ceiling = min(float(settings.backoff_max), initial * 2.0 ** min(max(attempts - 1, 0), 60))
    delay = (rng or random).uniform(initial, max(initial, ceiling))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
