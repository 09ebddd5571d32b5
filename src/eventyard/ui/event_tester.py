"""A destination's "Send test event": one event through the destination's real routing plan
(consent and conversion rules, filters, each action's subscription and mapping) and its real
`perform` on the server's delivery client (so the outbound policy applies), with the
requests and responses shown as the trace shows them (`delivery.exchanges`: masked, cut).

Nothing is queued, traced or deduplicated: a test leaves no state behind, only the
destination's side sees a request.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from eventyard.control.config import Config, DestinationConfig, resolve_settings
from eventyard.delivery import exchanges
from eventyard.delivery.http import from_http_error
from eventyard.destinations.base import ActionDefinition
from eventyard.destinations.registry import get_definition, masked_payload
from eventyard.errors import DeliveryError
from eventyard.pipeline.plan import Note, compile_plan
from eventyard.spec.timestamps import format_iso
from eventyard.ui.routed_event import routed_event

__all__ = ["MAX_ACTIONS", "SAMPLE", "Sent", "TesterResult", "sample_event", "send_test"]

MAX_ACTIONS = 5
"""Actions a test sends at most (the first that the event triggers)."""

SAMPLE: dict[str, Any] = {
    "type": "track",
    "event": "Order Completed",
    "userId": "test-user-1",
    "anonymousId": "test-anonymous-1",
    "properties": {"order_id": "test-order-1", "revenue": 25.0, "currency": "USD"},
    "context": {"traits": {"email": "test@example.com"}, "ip": "203.0.113.7"},
}
"""What the form starts with when the destination's sources sent nothing yet."""


@dataclass(frozen=True, slots=True)
class Sent:
    """One action's send: the payload (secret fields masked) and what came of it."""

    action: str
    payload: bytes
    error: str | None
    """None: the destination took it."""
    exchanges: list[exchanges.Exchange]
    ms: int


@dataclass(frozen=True, slots=True)
class TesterResult:
    refused: str | None = None
    """Why the consent and conversions stage keeps the event away, if it does."""
    notes: list[Note] = field(default_factory=list)
    """Filtered, not subscribed, or a payload that fails the action's checks."""
    sent: list[Sent] = field(default_factory=list)


def sample_event(recent: list[dict[str, Any]]) -> dict[str, Any]:
    """The newest real event of the destination's sources, else SAMPLE."""
    return recent[0] if recent else SAMPLE


def _completed(event: dict[str, Any]) -> dict[str, Any]:
    """The fields ingest would add, where the typed event lacks them."""
    now = format_iso(datetime.now(UTC))
    return {
        "type": "track",
        "messageId": f"test-{uuid.uuid4()}",
        "timestamp": now,
        "receivedAt": now,
        **event,
    }


async def _perform(
    action: ActionDefinition, client: httpx.AsyncClient, settings: Any, payload: Any, limit: float
) -> str | None:
    """Run the action once; the failure as delivery would word it."""
    try:
        async with asyncio.timeout(limit):
            await action.perform(client, settings, payload)
    except DeliveryError as error:
        return str(error)
    except httpx.HTTPError as error:
        return str(from_http_error(error))
    except TimeoutError:
        return f"no answer within {limit:g}s (delivery.timeout)"
    except Exception as error:  # a destination's code is not ours to trust
        return f"destination code failed: {type(error).__name__}: {error}"
    return None


async def send_test(
    config: Config, dest: DestinationConfig, event: dict[str, Any], client: httpx.AsyncClient
) -> TesterResult:
    """Route `event` for `dest` and perform what it makes; never raises for the event."""
    definition = get_definition(dest.type)
    routed, refused = routed_event(config, dest.name, _completed(event))
    if routed is None:
        return TesterResult(refused=refused)
    plan = compile_plan(dest, definition, config.conversions).route(routed)
    settings = resolve_settings(dest)
    exchanges.install(client)
    sent = []
    for key, payload in plan.jobs[:MAX_ACTIONS]:
        started = time.monotonic()
        with exchanges.capture() as noted:
            error = await _perform(
                definition.actions[key],
                client,
                settings,
                orjson.loads(payload),
                float(dest.delivery.timeout),
            )
        secrets = exchanges.secrets_of(definition, settings, [payload])
        shown = exchanges.shown(noted, secrets, error or "")
        ms = round((time.monotonic() - started) * 1000)
        sent.append(Sent(key, masked_payload(dest.type, key, payload), error, shown, ms))
    return TesterResult(notes=plan.notes, sent=sent)
