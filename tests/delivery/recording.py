"""A destination that records what the engine hands it, with scriptable per-payload answers.

Two actions: `track` (batches when settings.batch_size > 1; requires `order_id`) and
`identify` (one payload per call). Register it with the `recording` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import pytest

from eventyard.destinations import registry
from eventyard.destinations.base import (
    ActionDefinition,
    BatchLimits,
    BatchResult,
    DestinationDefinition,
)
from eventyard.errors import DeliveryError
from eventyard.mapping import FieldSpec

__all__ = ["Recorder", "RecordingSettings", "recording"]

Payload = dict[str, Any]


class RecordingSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    batch_size: int = 1
    max_bytes: int | None = None


@dataclass
class Recorder:
    """`calls`: (action, payloads) per perform / perform_batch call, in call order."""

    calls: list[tuple[str, list[Payload]]] = field(default_factory=list)
    answer: Callable[[Payload], DeliveryError | None] = lambda payload: None
    batch_answer: Callable[[list[Payload]], BatchResult] | None = None
    """Replaces the per-payload answers of perform_batch (e.g. a malformed result)."""
    slug: str = "recording"

    def payloads(self, action: str | None = None) -> list[Payload]:
        return [p for a, batch in self.calls for p in batch if action in (None, a)]

    def definition(self) -> DestinationDefinition:
        async def perform_track(_: httpx.AsyncClient, settings: Any, payload: Payload) -> None:
            self.calls.append(("track", [payload]))
            if (error := self.answer(payload)) is not None:
                raise error

        async def perform_batch(
            _: httpx.AsyncClient, settings: Any, payloads: list[Payload]
        ) -> BatchResult:
            self.calls.append(("track", payloads))
            if self.batch_answer is not None:
                return self.batch_answer(payloads)
            results = [self.answer(p) for p in payloads]
            return None if not any(results) else results

        async def perform_identify(_: httpx.AsyncClient, settings: Any, payload: Payload) -> None:
            self.calls.append(("identify", [payload]))
            if (error := self.answer(payload)) is not None:
                raise error

        def batch(settings: RecordingSettings) -> BatchLimits | None:
            if settings.batch_size <= 1:
                return None
            return BatchLimits(settings.batch_size, max_wait=0.05, max_bytes=settings.max_bytes)

        track = ActionDefinition(
            title="Track",
            fields={
                "order_id": FieldSpec(
                    "Order", "string", required=True, default={"@path": "$.properties.order_id"}
                ),
                "revenue": FieldSpec(
                    "Revenue", "number", default={"@path": "$.properties.revenue"}
                ),
                "note": FieldSpec("Note", "string"),
            },
            default_subscription='type = "track"',
            perform=perform_track,
            perform_batch=perform_batch,
            batch=batch,
        )
        identify = ActionDefinition(
            title="Identify",
            fields={"email": FieldSpec("Email", "string", default={"@path": "$.traits.email"})},
            default_subscription='type = "identify"',
            perform=perform_identify,
        )
        return DestinationDefinition(
            slug=self.slug,
            name="Recording",
            settings=RecordingSettings,
            actions={"track": track, "identify": identify},
            ordered=False,
        )


@pytest.fixture
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    with registry.registered(recorder.definition()):
        yield recorder
