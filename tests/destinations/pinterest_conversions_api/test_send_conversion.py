"""send_conversion against the local Pinterest API: the documented payload, hashing, per-event
results, errors, test mode, limited data processing."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from destinations.ads import checks
from destinations.ads.events import BROWSER, CUSTOMER_HASHES, arrays, conversion_event
from destinations.harness import Harness
from eventyard.errors import TerminalError, TransientError
from fakes.pinterest_conversions_api import PinterestFake, pinterest_error
from fakes.webhook_receiver import Answer


async def test_purchase_becomes_a_checkout_event(fake: PinterestFake, harness: Harness) -> None:
    request, when = await checks.purchase_request(fake, harness())
    assert request.path == "/v5/ad_accounts/549755885175/events"
    assert request.headers["authorization"] == "Bearer pin-token"
    assert orjson.loads(request.body) == {
        "data": [
            {
                "event_name": "checkout",
                "action_source": "web",
                "event_time": when,
                "event_id": "purchase:1001",
                "user_data": {
                    **arrays(CUSTOMER_HASHES),
                    **BROWSER,
                    "click_id": "dj0yJnU9epik",
                },
                "event_source_url": "https://shop.example/thanks",
                "custom_data": {
                    "value": "129.9",
                    "currency": "USD",
                    "order_id": "1001",
                    "content_ids": ["SKU-1"],
                    "contents": [{"id": "SKU-1", "quantity": 1, "item_price": "129.9"}],
                    "num_items": 1,
                },
            }
        ]
    }
    assert len(fake.events) == 1


async def test_limited_mode_sets_opt_out_type_ldp(fake: PinterestFake, harness: Harness) -> None:
    await harness().perform("send_conversion", conversion_event(limited_data_use=True))
    assert fake.events[0]["custom_data"]["opt_out_type"] == "LDP"


async def test_test_mode_adds_test_true(fake: PinterestFake, harness: Harness) -> None:
    await harness(test_mode=True).perform("send_conversion", conversion_event())
    assert fake.requests[0].path.endswith("/events?test=true")
    assert fake.events == [] and len(fake.test_events) == 1


@pytest.mark.parametrize(
    ("overrides", "mapping", "source"),
    [
        ({"action_source": "app"}, None, "app_ios"),
        ({"action_source": "app"}, {"os_name": "Android"}, "app_android"),
        ({"action_source": "server", "page_url": None}, None, "offline"),
        ({"action_source": "app"}, {"action_source": "web"}, "web"),
    ],
)
async def test_action_source(
    fake: PinterestFake,
    harness: Harness,
    overrides: dict[str, Any],
    mapping: dict[str, str] | None,
    source: str,
) -> None:
    await harness().perform("send_conversion", conversion_event(**overrides), mapping=mapping)
    assert fake.events[0]["action_source"] == source


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"event_id": None}, "requires an event_id"),
        ({"user": {"phone": "+16505551212"}, "ip": None}, "Pinterest needs at least em or"),
        ({"name": "refund"}, "no standard event"),
    ],
)
async def test_events_pinterest_would_refuse_are_terminal(
    fake: PinterestFake, harness: Harness, overrides: dict[str, Any], message: str
) -> None:
    await checks.refused_before_sending(fake, harness(), message, **overrides)


async def test_old_events_are_sent(fake: PinterestFake, harness: Harness) -> None:
    # Pinterest documents no maximum age (conversions.md §9).
    old = conversion_event(timestamp=time.time() - 20 * 86400)
    await harness().perform("send_conversion", old)
    assert len(fake.events) == 1


async def test_per_event_results_fail_only_the_refused_events(
    fake: PinterestFake, harness: Harness
) -> None:
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(3)]
    events[1]["context"]["eventyard"]["conversion"]["timestamp"] = time.time() + 3600
    _, result = await harness().perform_batch("send_conversion", events)
    assert result is not None and result[0] is None and result[2] is None
    assert isinstance(result[1], TerminalError)
    assert "not in the future" in str(result[1])
    assert len(fake.requests) == 1  # a 422 is never retried
    assert [e["event_id"] for e in fake.events] == ["purchase:0", "purchase:2"]


async def test_batches_split_at_1000_events(fake: PinterestFake, harness: Harness) -> None:
    assert await checks.batch_sizes(fake, harness(), 1001) == [1000, 1]


async def test_an_invalid_request_is_split_to_find_the_bad_event(
    fake: PinterestFake, harness: Harness
) -> None:
    fake.fail_next(pinterest_error(400, 4196, "Invalid request"))
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(2)]
    _, result = await harness().perform_batch("send_conversion", events)
    assert result is None and len(fake.requests) == 3 and len(fake.events) == 2


@pytest.mark.parametrize(
    ("answer", "kind", "message"),
    [
        (pinterest_error(401, 2, "Authentication failed."), TerminalError, "conversion_token"),
        (pinterest_error(403, 29, "Not permitted"), TerminalError, "needs a role"),
        (pinterest_error(429, 8, "Rate limited"), TransientError, "HTTP 429"),
        (pinterest_error(503, 4197, "Ramped down"), TransientError, "HTTP 503"),
        (pinterest_error(400, 4196, "Invalid request"), TerminalError, "code 4196"),
        (pinterest_error(422, 1, "Not all events processed"), TerminalError, "none is retried"),
        (Answer(200, {}, b"{}"), type(None), ""),
    ],
)
async def test_answers_are_classified(
    fake: PinterestFake, harness: Harness, answer: Answer, kind: type, message: str
) -> None:
    if kind is type(None):  # a 200 without per-event results: all taken
        fake.fail_next(answer)
        await harness().perform("send_conversion", conversion_event())
        return
    await checks.refused_answer(fake, harness(), answer, kind, message, "pin-token")


async def test_a_429_carries_retry_after(fake: PinterestFake, harness: Harness) -> None:
    fake.fail_next(
        Answer(429, {"Content-Type": "application/json", "Retry-After": "12"}, b'{"code":8}')
    )
    with pytest.raises(TransientError) as caught:
        await harness().perform("send_conversion", conversion_event())
    assert caught.value.retry_after == 12.0


async def test_hostile_values_are_dropped(fake: PinterestFake, harness: Harness) -> None:
    hostile: dict[str, Any] = {
        "value": 1e308,
        "contents": [{"id": "A", "quantity": 2**70, "price": 5}],
        "click_ids": {"epik": ["a", "b"]},
        "user": {"email": "ada@example.com", "zip": {"code": 1}},
    }
    await harness().perform("send_conversion", conversion_event(**hostile))
    sent = fake.events[0]
    assert sent["user_data"]["click_id"] == "a"
    assert "zp" not in sent["user_data"]
    assert sent["custom_data"]["contents"] == [{"id": "A", "quantity": 1, "item_price": "5"}]
    assert sent["custom_data"]["value"] == str(int(1e308))
