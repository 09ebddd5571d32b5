"""Webhook: POST the enriched Segment JSON of each event to a URL, as Segment's webhook does.

Unordered: like Segment's webhook, no per-user order is promised, so deliveries run in
parallel and batch freely; receivers order by `timestamp` and deduplicate by `messageId`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import httpx

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.webhook.settings import WebhookSettings

__all__ = ["WebhookSender", "WebhookSettings", "definition", "sign"]


def sign(secret: str, body: bytes) -> str:
    """X-Signature: hex HMAC-SHA1 of the exact body bytes."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()


class WebhookSender:
    """Sends one event per request, or arrays of up to `batch_size` events in batch mode."""

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self.batched = settings.batch_size > 1
        self.max_batch = settings.batch_size
        self.max_wait = settings.batch_wait_ms / 1000 if self.batched else 0.0
        self._headers = {**settings.headers, "Content-Type": "application/json"}

    def body(self, events: Sequence[bytes]) -> bytes:
        """The stored JSON bytes as they are; batch mode joins them into an array."""
        if not self.batched:
            if len(events) != 1:
                raise ValueError("webhook without batch_size sends exactly one event per call")
            return events[0]
        return b"[" + b",".join(events) + b"]"

    async def send(self, client: httpx.AsyncClient, events: Sequence[bytes]) -> None:
        body = self.body(events)
        headers = dict(self._headers)
        if self.settings.shared_secret:
            headers["X-Signature"] = sign(self.settings.shared_secret, body)
        response = await client.post(self.settings.url, content=body, headers=headers)
        raise_for_status(response)


def _create(settings: WebhookSettings) -> WebhookSender:
    return WebhookSender(settings)


definition = DestinationDefinition(
    slug="webhook",
    name="Webhook",
    settings=WebhookSettings,
    create=_create,
    ordered=False,
)
