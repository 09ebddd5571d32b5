"""Mechanics several destinations share: mapping defaults, batch splitting and results.

Declarations (fields, limits, API rules) stay in each destination's folder; this module
holds only the helpers they are written with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

import httpx

from eventyard.delivery.http import from_http_error
from eventyard.destinations.base import BatchLimits, BatchResult
from eventyard.errors import DeliveryError
from eventyard.mapping.fields import FieldSpec

__all__ = [
    "USER_OR_ANONYMOUS",
    "batch_result",
    "either",
    "failure_of",
    "path",
    "split_by_size",
    "text",
    "waiting",
]


def path(json_path: str) -> dict[str, str]:
    """The `@path` directive: the value at `json_path` in the event."""
    return {"@path": json_path}


def either(first: str, second: str) -> dict[str, Any]:
    """The value at `first` when it exists, else the value at `second`."""
    return {"@if": {"exists": path(first), "then": path(first), "else": path(second)}}


USER_OR_ANONYMOUS = either("$.userId", "$.anonymousId")
"""The userId, else the anonymousId."""


def text(label: str, json_path: str | None = None, description: str = "") -> FieldSpec:
    """A string field, by default the value at `json_path` (no default without one)."""
    default = path(json_path) if json_path else None
    return FieldSpec(label, "string", default=default, description=description)


def split_by_size(
    sizes: Sequence[int], max_bytes: int, max_count: int | None = None, overhead: int = 0
) -> Iterator[range]:
    """Index ranges of consecutive items, in order, each of at most `max_count` items and
    `overhead` + the items' sizes + one separator byte each <= `max_bytes`.

    An item over the limit on its own still gets a range of its own.
    """
    start, total = 0, overhead
    for i, size in enumerate(sizes):
        full = max_count is not None and i - start >= max_count
        if i > start and (full or total + size + 1 > max_bytes):
            yield range(start, i)
            start, total = i, overhead
        total += size + 1
    if start < len(sizes):
        yield range(start, len(sizes))


def batch_result(results: list[DeliveryError | None]) -> BatchResult:
    """What perform_batch returns: None when every payload went, else one result each."""
    return None if all(r is None for r in results) else results


async def failure_of(request: Awaitable[None]) -> DeliveryError | None:
    """Await one request; the DeliveryError it ended in (HTTP errors converted), or None."""
    try:
        await request
    except DeliveryError as error:
        return error
    except httpx.HTTPError as error:
        return from_http_error(error)
    return None


class _Waiting(Protocol):
    @property
    def batch_wait_ms(self) -> int: ...


def waiting(limits: BatchLimits) -> Callable[[Any], BatchLimits]:
    """An action's `batch`: `limits` with max_wait from the settings' `batch_wait_ms`."""

    def batch(settings: _Waiting) -> BatchLimits:
        return replace(limits, max_wait=settings.batch_wait_ms / 1000)

    return batch
