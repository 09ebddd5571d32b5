"""What the ad destinations' harness tests check the same way, against each platform's fake:
the one request a purchase makes, the event a canonical name becomes, answers the platform
refuses with, events refused before sending, batches split at the platform's limit, and
what a destination declares.

Each helper asserts; the tests keep the platform's own values (paths, names, messages).
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
import pytest

from destinations.ads.events import conversion_event
from eventyard.control.config import decode_settings
from eventyard.conversions.spec import ConversionSpec
from eventyard.destinations.base import DestinationDefinition, secret_fields
from eventyard.errors import TerminalError, TransientError
from eventyard.testing import DestinationHarness
from fakes.common import EventsApi
from fakes.webhook_receiver import Answer, Received

__all__ = [
    "ACTION",
    "batch_sizes",
    "declared",
    "event_named",
    "purchase_request",
    "refused_answer",
    "refused_before_sending",
    "refused_settings",
    "retried_once",
]

ACTION = "send_conversion"


async def purchase_request(fake: EventsApi, harness: DestinationHarness) -> tuple[Received, int]:
    """Sends the standard purchase: the one request the fake got, and the event's Unix time."""
    event = conversion_event()
    await harness.perform(ACTION, event)
    (request,) = fake.requests
    return request, int(event["context"]["eventyard"]["conversion"]["timestamp"])


async def event_named(
    fake: EventsApi, harness: DestinationHarness, name: str, key: str = "event_name"
) -> Any:
    """The platform's event name (under `key`) that the canonical `name` is sent as."""
    await harness.perform(ACTION, conversion_event(name=name, event_id=f"{name}:1"))
    return fake.events[0][key]


async def refused_answer(
    fake: EventsApi,
    harness: DestinationHarness,
    answer: Answer,
    kind: type[Exception],
    message: str,
    secret: str,
) -> None:
    """The platform answers `answer`: the event fails with `kind` matching `message`, and the
    error never shows the credential `secret`."""
    fake.fail_next(answer)
    with pytest.raises(kind, match=message) as caught:
        await harness.perform(ACTION, conversion_event())
    assert secret not in str(caught.value)


async def retried_once(fake: EventsApi, harness: DestinationHarness, answer: Answer) -> None:
    """`answer` once is transient, and the retry is delivered."""
    fake.fail_next(answer)
    with pytest.raises(TransientError):
        await harness.perform(ACTION, conversion_event())
    await harness.perform(ACTION, conversion_event())
    assert len(fake.events) == 1


async def refused_before_sending(
    fake: EventsApi, harness: DestinationHarness, message: str, **overrides: Any
) -> None:
    """The conversion with `overrides` fails for good (matching `message`), nothing is sent."""
    with pytest.raises(TerminalError, match=message):
        await harness.perform(ACTION, conversion_event(**overrides))
    assert fake.requests == []


async def batch_sizes(fake: EventsApi, harness: DestinationHarness, count: int) -> list[int]:
    """Sends `count` purchases as one batch, all taken: the events in each request's `data`."""
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(count)]
    _, result = await harness.perform_batch(ACTION, events)
    assert result is None
    return [len(orjson.loads(request.body)["data"]) for request in fake.requests]


def declared(
    definition: DestinationDefinition,
    slug: str,
    platform: str,
    secrets: set[str],
    consent: str = "Advertising",
) -> ConversionSpec:
    """Asserts the declaration every ad destination makes: unordered, consent-gated, its
    credentials secret, a ConversionSpec for `platform` with a limited mode; the spec."""
    assert definition.slug == slug
    assert definition.ordered is False and definition.consent_category == consent
    assert secret_fields(definition.settings) == secrets
    spec = definition.conversion
    assert spec is not None and spec.platform == platform and spec.limited_mode is True
    return spec


def refused_settings(definition: DestinationDefinition, raw: dict[str, Any], message: str) -> None:
    """Loading `raw` as the destination's settings fails, naming `message`."""
    with pytest.raises(msgspec.ValidationError, match=message):
        decode_settings(definition, raw)
