"""What a destination declares: its settings schema, ordering needs, batching and a sender.

The delivery engine owns queues, retries, backoff and dead letters; a destination only turns
a list of events into a request and says, by raising TransientError or TerminalError (see
`eventyard.delivery.http.raise_for_status`), whether a failure is worth retrying.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import msgspec

__all__ = ["DestinationDefinition", "Sender"]


class Sender(Protocol):
    """A configured destination instance; `send` delivers 1..max_batch events at once."""

    max_batch: int
    max_wait: float

    async def send(self, client: httpx.AsyncClient, events: Sequence[bytes]) -> None:
        """Deliver the events (enriched Segment JSON) or raise a DeliveryError subclass."""
        ...


@dataclass(frozen=True, slots=True)
class DestinationDefinition:
    """A destination type, registered under the `eventyard.destinations` entry-point group."""

    slug: str
    name: str
    settings: type[msgspec.Struct]
    create: Callable[[Any], Sender]
    ordered: bool = True
    """Whether each user's events must arrive in order (then one in flight per user)."""
