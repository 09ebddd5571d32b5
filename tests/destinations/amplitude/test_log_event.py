"""logEvent against the local Amplitude: request shape, ids, batching, failures."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from eventyard.errors import TerminalError, TransientError
from eventyard.testing import NotSent, make_event
from fakes.amplitude import AmplitudeFake, Answer

from .conftest import Harness

NOON_MS = int(datetime(2026, 1, 1, 12, tzinfo=UTC).timestamp() * 1000)


async def test_default_mapping_sends_one_http_v2_event(
    fake: AmplitudeFake, harness: Harness
) -> None:
    event = make_event(event="Order Completed", properties={"order_id": "o-1", "revenue": 42.5})
    await harness().perform("logEvent", event)

    (request,) = fake.requests
    assert request.method == "POST" and request.path == "/2/httpapi"
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == {
        "api_key": "amp-key-1234",
        "events": [
            {
                "user_id": "user1234",
                "device_id": "anonId1234",
                "event_type": "Order Completed",
                "time": NOON_MS,
                "insert_id": "test-message-0001",
                "event_properties": {"order_id": "o-1", "revenue": 42.5},
                "user_properties": {},
                "revenue": 42.5,
                "language": "en-US",
                "ip": "8.8.8.8",
                "platform": "Web",
                "library": "eventyard",
            }
        ],
    }
    assert len(fake.events) == 1


async def test_device_id_prefers_the_device(fake: AmplitudeFake, harness: Harness) -> None:
    event = make_event(userId=None)
    event["context"]["device"] = {"id": "device-77", "model": "Pixel 8"}
    await harness().perform("logEvent", event)
    sent = fake.events[0]
    assert sent["device_id"] == "device-77" and sent["device_model"] == "Pixel 8"
    assert "user_id" not in sent


async def test_batch_endpoint_setting(fake: AmplitudeFake, harness: Harness) -> None:
    await harness(use_batch_endpoint=True).perform("logEvent", make_event())
    assert fake.requests[0].path == "/batch"


async def test_min_id_length_allows_short_ids(fake: AmplitudeFake, harness: Harness) -> None:
    await harness(min_id_length=2).perform("logEvent", make_event(userId="u1", anonymousId=None))
    assert orjson.loads(fake.requests[0].body)["options"] == {"min_id_length": 2}
    assert fake.events[0]["user_id"] == "u1"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"userId": "u1", "anonymousId": None}, "user_id 'u1' is shorter than 5"),
        ({"userId": None, "anonymousId": "abc"}, "device_id 'abc' is shorter than 5"),
        ({"userId": None, "anonymousId": None}, "needs a user_id or a device_id"),
    ],
)
async def test_ids_amplitude_would_reject_are_terminal_before_sending(
    fake: AmplitudeFake, harness: Harness, overrides: dict[str, str | None], message: str
) -> None:
    with pytest.raises(TerminalError, match=message):
        await harness().perform("logEvent", make_event(**overrides))
    assert fake.requests == []


def test_event_type_is_required(harness: Harness) -> None:
    with pytest.raises(NotSent, match="missing the required field 'event_type'"):
        harness().payload("logEvent", make_event(event=None))


def test_only_track_calls_are_subscribed(harness: Harness) -> None:
    with pytest.raises(NotSent, match="not subscribed"):
        harness().payload("logEvent", make_event(type="identify"))


async def test_batch_drops_only_events_with_bad_ids(fake: AmplitudeFake, harness: Harness) -> None:
    events = [make_event(messageId="m-0"), make_event(messageId="m-1", userId="u1")]
    _, result = await harness().perform_batch("logEvent", events)
    assert result is not None and result[0] is None
    assert isinstance(result[1], TerminalError)
    assert [e["insert_id"] for e in fake.events] == ["m-0"]


async def test_batches_split_at_2000_events(fake: AmplitudeFake, harness: Harness) -> None:
    events = [make_event(messageId=f"m-{i}") for i in range(2001)]
    _, result = await harness().perform_batch("logEvent", events)
    assert result is None
    assert [len(orjson.loads(r.body)["events"]) for r in fake.requests] == [2000, 1]
    assert len(fake.events) == 2001


async def test_batches_split_below_1_mb(fake: AmplitudeFake, harness: Harness) -> None:
    blob = "x" * 400_000
    events = [make_event(messageId=f"m-{i}", properties={"blob": blob}) for i in range(3)]
    _, result = await harness().perform_batch("logEvent", events)
    assert result is None
    assert [len(orjson.loads(r.body)["events"]) for r in fake.requests] == [2, 1]
    assert all(len(r.body) <= 1_000_000 for r in fake.requests)


async def test_batch_endpoint_takes_bigger_requests(fake: AmplitudeFake, harness: Harness) -> None:
    blob = "x" * 400_000
    events = [make_event(messageId=f"m-{i}", properties={"blob": blob}) for i in range(3)]
    _, result = await harness(use_batch_endpoint=True).perform_batch("logEvent", events)
    assert result is None and len(fake.requests) == 1


async def test_400_listing_events_fails_those_and_resends_the_rest(
    fake: AmplitudeFake, harness: Harness
) -> None:
    answer = {
        "code": 400,
        "error": "Invalid field values on some events",
        "events_with_invalid_fields": {"event_properties": [1]},
    }
    fake.script([Answer(400, {"Content-Type": "application/json"}, orjson.dumps(answer))])
    events = [make_event(messageId=f"m-{i}") for i in range(3)]
    _, result = await harness().perform_batch("logEvent", events)
    assert result is not None
    assert isinstance(result[1], TerminalError) and "event_properties" in str(result[1])
    assert isinstance(result[0], TransientError) and isinstance(result[2], TransientError)
    assert fake.events == []  # a 400 ingests nothing of the request


async def test_throttled_users_retry_after_30_seconds(
    fake: AmplitudeFake, harness: Harness
) -> None:
    fake.throttled_users.add("user1234")
    with pytest.raises(TransientError, match="user1234") as caught:
        await harness().perform("logEvent", make_event())
    assert caught.value.retry_after == 30.0


async def test_outage_fails_the_whole_batch_retryably(
    fake: AmplitudeFake, harness: Harness
) -> None:
    fake.script([Answer(503, body=b"unavailable")])
    events = [make_event(messageId=f"m-{i}") for i in range(2)]
    _, result = await harness().perform_batch("logEvent", events)
    assert result is not None and all(isinstance(r, TransientError) for r in result)
    _, again = await harness().perform_batch("logEvent", events)
    assert again is None and len(fake.events) == 2


async def test_bad_api_key_is_terminal_and_says_what_to_check(harness: Harness) -> None:
    with pytest.raises(TerminalError, match=r"Invalid API key.*check api_key"):
        await harness(api_key="wrong-key").perform("logEvent", make_event())


async def test_an_event_over_1_mb_is_terminal(harness: Harness) -> None:
    event = make_event(properties={"blob": "x" * 1_100_000})
    with pytest.raises(TerminalError, match="413"):
        await harness().perform("logEvent", event)
