"""What Segment's Tracking API receives from the `send` action."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from eventyard.destinations.base import BatchLimits
from eventyard.destinations.segment import SegmentSettings, definition
from eventyard.errors import TerminalError
from eventyard.testing import DestinationHarness, NotSent, make_event
from fakes.segment_api import SegmentFake

from .conftest import KEY


def test_declaration() -> None:
    assert (definition.slug, definition.name) == ("segment", "Segment")
    assert list(definition.actions) == ["send"]
    assert definition.ordered is False
    assert definition.consent_category is None
    send = definition.actions["send"]
    assert send.batch is not None
    assert send.batch(SegmentSettings(write_key=KEY)) == BatchLimits(2500, 1.0, 475_000)
    fast = SegmentSettings(write_key=KEY, batch_wait_ms=0)
    assert send.batch(fast) == BatchLimits(2500, 0.0, 475_000)


async def test_event_is_forwarded_as_is_to_v1_batch_with_basic_auth(
    harness: DestinationHarness, segment: SegmentFake
) -> None:
    event = make_event(event="Order Completed", properties={"revenue": 42.5})
    await harness.perform("send", event)
    (request,) = segment.requests
    assert (request.method, request.path) == ("POST", "/v1/batch")
    assert request.headers["content-type"] == "application/json"
    expected_auth = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert request.headers["authorization"] == expected_auth
    body = orjson.loads(request.body)
    assert set(body) == {"batch", "sentAt"}
    sent_at = datetime.fromisoformat(body["sentAt"])
    assert abs(sent_at - datetime.now(UTC)) < timedelta(seconds=5)
    server_fields = ("receivedAt", "sentAt", "originalTimestamp")
    expected = {k: v for k, v in event.items() if k not in server_fields}
    assert body["batch"] == [expected]
    assert body["batch"][0]["messageId"] == "test-message-0001"
    assert segment.dropped == []


async def test_the_event_given_is_not_changed(harness: DestinationHarness) -> None:
    event = make_event(context={"invalidTimestamp": "yesterday", "ip": "8.8.8.8"})
    before = orjson.dumps(event)
    await harness.perform("send", event)
    assert orjson.dumps(event) == before


async def test_eventyard_only_context_is_removed(
    harness: DestinationHarness, segment: SegmentFake
) -> None:
    event = make_event(context={"invalidTimestamp": "yesterday", "ip": "8.8.8.8"})
    await harness.perform("send", event)
    assert segment.events[0]["context"] == {"ip": "8.8.8.8"}


@pytest.mark.parametrize("kind", ["track", "identify", "page", "screen", "group", "alias"])
def test_every_segment_call_is_subscribed(harness: DestinationHarness, kind: str) -> None:
    assert harness.payload("send", make_event(type=kind))["message"]["type"] == kind


def test_mapping_must_produce_an_object(harness: DestinationHarness) -> None:
    with pytest.raises(NotSent, match="'message'"):
        harness.payload("send", make_event(), mapping={"message": {"@path": "$.nothing"}})


async def test_event_segment_would_drop_is_refused_alone(
    harness: DestinationHarness, segment: SegmentFake
) -> None:
    anonymous = make_event(userId=None, anonymousId=None, messageId="m-2")
    events = [make_event(messageId="m-1"), anonymous, make_event(messageId="m-3")]
    _, result = await harness.perform_batch("send", events)
    assert result is not None
    assert result[0] is None and result[2] is None
    assert isinstance(result[1], TerminalError) and "userId or anonymousId" in str(result[1])
    assert [e["messageId"] for e in segment.events] == ["m-1", "m-3"]
    assert segment.dropped == []


async def test_event_over_32_kb_is_refused_alone(
    harness: DestinationHarness, segment: SegmentFake
) -> None:
    big = make_event(messageId="big", properties={"blob": "x" * 40_000})
    _, result = await harness.perform_batch("send", [make_event(), big])
    assert result is not None and result[0] is None
    assert isinstance(result[1], TerminalError) and "32 KB" in str(result[1])
    assert len(segment.events) == 1
    with pytest.raises(TerminalError, match="32 KB"):
        await harness.perform("send", big)
