"""send_conversion against the local Reddit API: v3 and v2.0 events, hashing, custom events,
test modes, Limited Data Use, the age window, batching and errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from destinations.ads.events import conversion_event, sha
from destinations.harness import Harness
from eventyard.errors import ConfigError, TerminalError, TransientError
from eventyard.testing import NotSent, make_event
from fakes.reddit_conversions_api import RedditFake, reddit_error
from fakes.webhook_receiver import Answer

ACTION = "send_conversion"
CLICKS = {"rdt_cid": "rdt-click-1", "rdt_uuid": "1767225000000.abc-uuid"}
AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"


def clicked(**overrides: Any) -> dict[str, Any]:
    return conversion_event(**{"click_ids": CLICKS, **overrides})


def _events(fake: RedditFake, index: int = -1) -> list[dict[str, Any]]:
    body = orjson.loads(fake.requests[index].body)
    events: list[dict[str, Any]] = body["data"]["events"] if "data" in body else body["events"]
    return events


def test_hashing_vectors_follow_the_reddit_connectors() -> None:
    # Segment's Reddit email rule: dots and "+tag" leave every local part, then lowercase.
    assert sha("janedoe@example.com") == (
        "c4d25e9c90ff23e9145397bc6fbd5385ca5fbe78211222ccbecd0b369ebb19a6"
    )
    assert sha("203.0.113.7") == (
        "fec52565aa0cf18f57d7cf5b3ac728503b8992d2d6f7d46da1d1201090902b02"
    )


async def test_purchase_becomes_the_documented_v3_event(fake: RedditFake, harness: Harness) -> None:
    event = clicked(
        user={
            "email": "Jane.Doe+news@Example.com",
            "phone": "+1 650 555 1212",
            "external_id": "user1234",
        }
    )
    when = event["context"]["eventyard"]["conversion"]["timestamp"]
    await harness().perform(ACTION, event)

    (request,) = fake.requests
    assert request.path == "/api/v3/pixels/a2_pixel123/conversion_events"
    assert request.headers["authorization"] == "Bearer reddit-token-abc"
    assert orjson.loads(request.body) == {
        "data": {
            "events": [
                {
                    "event_at": round(when * 1000),
                    "action_source": "WEBSITE",
                    "event_source_url": "https://shop.example/thanks",
                    "click_id": "rdt-click-1",
                    "type": {"tracking_type": "PURCHASE"},
                    "metadata": {
                        "currency": "USD",
                        "value": 129.9,
                        "item_count": 1,
                        "products": [{"id": "SKU-1", "name": "Trail Shoe", "category": "Shoes"}],
                        "conversion_id": "purchase:1001",
                    },
                    "user": {
                        "email": sha("janedoe@example.com"),
                        "phone_number": sha("+16505551212"),
                        "external_id": sha("user1234"),
                        "ip_address": sha("203.0.113.7"),
                        "user_agent": AGENT,
                        "uuid": "1767225000000.abc-uuid",
                    },
                }
            ]
        }
    }
    assert len(fake.events) == 1 and fake.test_events == []


async def test_v2_uses_its_own_names_and_hashes_the_conversion_id(
    fake: RedditFake, harness: Harness, v2: dict[str, str | None]
) -> None:
    event = clicked()
    when = event["context"]["eventyard"]["conversion"]["timestamp"]
    await harness(**v2, partner="EVENTYARD").perform(ACTION, event)
    assert fake.requests[0].path == "/api/v2.0/conversions/events/t2_account9"
    body = orjson.loads(fake.requests[0].body)
    assert body["partner"] == "EVENTYARD" and "test_mode" not in body
    (sent,) = body["events"]
    assert sent["event_at"] == datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds")
    assert sent["event_type"] == {"tracking_type": "Purchase"}
    assert sent["event_metadata"]["value_decimal"] == 129.9
    assert sent["event_metadata"]["conversion_id"] == sha("purchase:1001")
    assert "phone_number" not in sent["user"] and "action_source" not in sent
    assert len(fake.events) == 1


@pytest.mark.parametrize(
    ("overrides", "mapping", "kind", "metadata_keys"),
    [
        ({"name": "lead", "value": None, "contents": []}, None, {"tracking_type": "LEAD"}, set()),
        (
            {"name": "sign_up", "contents": []},
            None,
            {"tracking_type": "SIGN_UP"},
            {"currency", "value"},
        ),
        ({"name": "view_item"}, None, {"tracking_type": "VIEW_CONTENT"}, {"products"}),
        (
            {"name": "begin_checkout"},
            None,
            {"tracking_type": "CUSTOM", "custom_event_name": "begin_checkout"},
            {"currency", "value", "item_count", "products"},
        ),
        (
            {},
            {"event_name": "Order Placed"},
            {"tracking_type": "CUSTOM", "custom_event_name": "Order Placed"},
            {"currency", "value", "item_count", "products"},
        ),
        (
            {"name": "contact"},
            {"event_name": "add_to_cart"},
            {"tracking_type": "ADD_TO_CART"},
            {"currency", "value", "item_count", "products"},
        ),
    ],
)
async def test_tracking_types_and_the_metadata_they_allow(
    fake: RedditFake,
    harness: Harness,
    overrides: dict[str, Any],
    mapping: dict[str, Any] | None,
    kind: dict[str, str],
    metadata_keys: set[str],
) -> None:
    await harness().perform(ACTION, clicked(**overrides), mapping)
    (sent,) = _events(fake)
    assert sent["type"] == kind
    assert set(sent["metadata"]) - {"conversion_id"} == metadata_keys
    assert len(fake.events) == 1


async def test_refunds_have_no_reddit_event(fake: RedditFake, harness: Harness) -> None:
    with pytest.raises(TerminalError, match="no refund event"):
        await harness().perform(ACTION, clicked(name="refund"))
    assert fake.requests == []


async def test_limited_data_use(fake: RedditFake, harness: Harness) -> None:
    await harness().perform(ACTION, clicked(limited_data_use=True))
    (sent,) = _events(fake)
    assert sent["user"]["data_processing_options"] == {
        "modes": ["LDU"],
        "country": "US",
        "region": "US-CA",
    }
    assert len(fake.events) == 1


async def test_no_ldu_options_outside_limited_mode(fake: RedditFake, harness: Harness) -> None:
    await harness().perform(ACTION, clicked())
    assert "data_processing_options" not in _events(fake)[0]["user"]


async def test_v3_test_id_marks_test_events(fake: RedditFake, harness: Harness) -> None:
    await harness(test_id="t3st").perform(ACTION, clicked())
    assert orjson.loads(fake.requests[0].body)["data"]["test_id"] == "t3st"
    assert len(fake.test_events) == 1


async def test_v2_test_mode(fake: RedditFake, harness: Harness, v2: dict[str, str | None]) -> None:
    await harness(**v2, test_mode=True).perform(ACTION, clicked())
    assert orjson.loads(fake.requests[0].body)["test_mode"] is True
    assert len(fake.test_events) == 1


@pytest.mark.parametrize(
    ("timestamp", "message"),
    [
        (time.time() - 8 * 86400, "older than 7 days"),
        (time.time() + 3600, "5 minutes in the future"),
    ],
)
async def test_the_time_window(
    fake: RedditFake, harness: Harness, timestamp: float, message: str
) -> None:
    with pytest.raises(TerminalError, match=message):
        await harness().perform(ACTION, clicked(timestamp=timestamp))
    assert fake.requests == []


async def test_hostile_values_are_left_out(fake: RedditFake, harness: Harness) -> None:
    event = clicked(
        ip="not-an-ip",
        user={"email": "no-at-sign", "phone": {"x": 1}, "external_id": "   "},
        contents=[{"id": None}, "junk", {"id": "ok", "quantity": "many"}],
        click_ids={"rdt_uuid": 12345},
    )
    await harness().perform(ACTION, event)
    (sent,) = _events(fake)
    assert sent["user"] == {"user_agent": AGENT, "uuid": "12345"}
    assert sent["metadata"]["products"] == [{"id": "ok"}] and sent["metadata"]["item_count"] == 1


async def test_an_event_reddit_cannot_attribute_is_terminal(
    fake: RedditFake, harness: Harness
) -> None:
    """Not even an IP without a user agent: Reddit would get an event it can tie to no one."""
    event = clicked(user={}, click_ids={}, user_agent=None, ip="203.0.113.7")
    with pytest.raises(TerminalError, match="Reddit needs at least click_id or uuid or email"):
        await harness().perform(ACTION, event)
    assert fake.requests == []


def test_only_conversions_are_sent(harness: Harness) -> None:
    with pytest.raises(NotSent, match="missing the required field 'conversion'"):
        harness().payload(ACTION, make_event(event="Order Completed"))
    with pytest.raises(ConfigError, match="must be one of 'WEBSITE', 'APP', 'PHYSICAL_STORE'"):
        harness().payload(ACTION, clicked(), {"action_source": "website"})


async def test_batches_split_at_1000_events(fake: RedditFake, harness: Harness) -> None:
    events = [clicked(event_id=f"e-{i}") for i in range(1001)]
    _, result = await harness().perform_batch(ACTION, events)
    assert result is None
    assert [len(_events(fake, i)) for i in range(2)] == [1000, 1]
    assert len(fake.events) == 1001


async def test_a_rejected_event_is_found_and_fails_alone(
    fake: RedditFake, harness: Harness
) -> None:
    events = [clicked(event_id=f"e-{i}") for i in range(4)]
    bad = reddit_error(400, "INVALID_EVENT", "bad event")
    # all 4 refused; [0, 1] taken; [2, 3] refused; [2] refused; [3] taken
    fake.fail_next(bad, None, bad, bad)
    _, result = await harness().perform_batch(ACTION, events)
    assert result is not None
    assert [r is None for r in result] == [True, True, False, True]
    assert isinstance(result[2], TerminalError) and "HTTP 400" in str(result[2])
    assert len(fake.events) == 3


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (Answer(503, {}, b"unavailable"), TransientError, "HTTP 503"),
        (Answer(429, {"Retry-After": "3"}, b"slow"), TransientError, "HTTP 429"),
        (reddit_error(401, "UNAUTHORIZED", "bad token"), TerminalError, "conversion token"),
        (reddit_error(403, "FORBIDDEN", "no access"), TerminalError, "pixel_id"),
    ],
)
async def test_http_errors(
    fake: RedditFake, harness: Harness, answer: Answer, error: type, message: str
) -> None:
    fake.fail_next(answer)
    with pytest.raises(error, match=message) as caught:
        await harness().perform(ACTION, clicked())
    assert "reddit-token-abc" not in str(caught.value)
    await harness().perform(ACTION, clicked())
    assert len(fake.events) == 1


async def test_an_unreachable_api_is_transient(fake: RedditFake, harness: Harness) -> None:
    await fake.receiver.down()
    with pytest.raises(TransientError, match="connection failed"):
        await harness().perform(ACTION, clicked())
