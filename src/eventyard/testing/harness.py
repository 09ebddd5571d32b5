"""DestinationHarness: one action's engine steps plus the destination's own perform."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from eventyard.control.config import decode_settings
from eventyard.destinations.base import BatchResult, DestinationDefinition
from eventyard.pipeline.actions import CompiledAction, compile_action

__all__ = ["DestinationHarness", "NotSent"]


class NotSent(AssertionError):
    """The event would not reach `perform`: not subscribed, or an invalid payload."""


class DestinationHarness:
    """Runs actions of `definition` with `settings` (validated like eventyard.yaml's)."""

    def __init__(self, definition: DestinationDefinition, settings: Mapping[str, Any]) -> None:
        self.definition = definition
        self.settings = decode_settings(definition, dict(settings))

    def action(
        self,
        key: str,
        mapping: Mapping[str, Any] | None = None,
        subscription: str | None = None,
    ) -> CompiledAction:
        if key not in self.definition.actions:
            raise KeyError(f"{self.definition.slug} has no action {key!r}")
        return compile_action(key, self.definition.actions[key], subscription, mapping, key)

    def payload(
        self,
        key: str,
        event: dict[str, Any],
        mapping: Mapping[str, Any] | None = None,
        subscription: str | None = None,
    ) -> dict[str, Any]:
        """The payload `perform` would get; raises NotSent saying why there is none."""
        action = self.action(key, mapping, subscription)
        if not action.subscribed(event):
            raise NotSent(f"not subscribed: {action.subscription.text}")
        outcome = action.build(event)
        if outcome.payload is None:
            raise NotSent("; ".join(outcome.problems))
        return outcome.payload

    async def perform(
        self,
        key: str,
        event: dict[str, Any],
        mapping: Mapping[str, Any] | None = None,
        subscription: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> dict[str, Any]:
        """Map `event` and call the action's `perform`; returns the payload it was given."""
        payload = self.payload(key, event, mapping, subscription)
        async with _client(client) as http:
            await self.definition.actions[key].perform(http, self.settings, payload)
        return payload

    async def perform_batch(
        self,
        key: str,
        events: Sequence[dict[str, Any]],
        mapping: Mapping[str, Any] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> tuple[list[dict[str, Any]], BatchResult]:
        """Map every event and call `perform_batch` once; returns (payloads, its result)."""
        batch = self.definition.actions[key].perform_batch
        if batch is None:
            raise NotSent(f"action {key!r} has no perform_batch")
        payloads = [self.payload(key, event, mapping) for event in events]
        async with _client(client) as http:
            result = await batch(http, self.settings, payloads)
        return payloads, result

    async def test_connection(self, client: httpx.AsyncClient | None = None) -> None:
        check = self.definition.test_connection
        if check is None:
            raise NotSent(f"{self.definition.slug} declares no test_connection")
        async with _client(client) as http:
            await check(http, self.settings)


class _client:
    """Use the given client, or a fresh one closed afterwards."""

    def __init__(self, given: httpx.AsyncClient | None) -> None:
        self._given = given
        self._own: httpx.AsyncClient | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        self._own = httpx.AsyncClient(timeout=10)
        return self._own

    async def __aexit__(self, *exc: object) -> None:
        if self._own is not None:
            await self._own.aclose()
