"""send_conversion against the local TikTok Events API: the documented payload, hashing,
batching, partial success, errors, test events, limited data use."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
import pytest

from destinations.ads import checks
from destinations.ads.events import conversion_event, sha
from destinations.harness import Harness
from eventyard.errors import TerminalError, TransientError
from eventyard.testing import NotSent, make_event
from fakes.tiktok_events_api import TikTokFake, tiktok_answer
from fakes.webhook_receiver import Answer


async def test_purchase_becomes_the_documented_event(fake: TikTokFake, harness: Harness) -> None:
    request, when = await checks.purchase_request(fake, harness())
    assert request.path == "/open_api/v1.3/event/track/"
    assert request.headers["access-token"] == "tiktok-token"
    assert orjson.loads(request.body) == {
        "data": [
            {
                "event": "Purchase",
                "event_time": when,
                "user": {
                    "email": sha("john_smith@gmail.com"),
                    "phone": sha("+16505551212"),
                    "external_id": sha("user1234"),
                    "first_name": sha("john"),
                    "last_name": sha("smith"),
                    "zip_code": sha("94025"),
                    "city": "menlopark",
                    "state": "ca",
                    "country": "us",
                    "ttclid": "E.C.P.v3ttclid",
                    "ttp": "2Ttp-cookie",
                    "ip": "203.0.113.7",
                    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
                    "AppleWebKit/537.36",
                },
                "limited_data_use": False,
                "event_id": "purchase:1001",
                "page": {
                    "url": "https://shop.example/thanks",
                    "referrer": "https://www.example.com/",
                },
                "properties": {
                    "value": 129.9,
                    "currency": "USD",
                    "order_id": "1001",
                    "content_type": "product",
                    "contents": [
                        {
                            "content_id": "SKU-1",
                            "content_name": "Trail Shoe",
                            "content_category": "Shoes",
                            "brand": "Acme",
                            "quantity": 1,
                            "price": 129.9,
                        }
                    ],
                    "num_items": 1,
                },
            }
        ],
        "event_source": "web",
        "event_source_id": "CPIXEL123",
    }
    assert len(fake.events) == 1


async def test_phone_is_hashed_from_e164_as_tiktok_documents(
    fake: TikTokFake, harness: Harness
) -> None:
    # TikTok: "+12133734253" (E.164 with + and country code) is what gets hashed.
    event = conversion_event(user={"phone": "(213) 373-4253", "country": "US"})
    await harness().perform("send_conversion", event)
    assert fake.events[0]["user"]["phone"] == sha("+12133734253")


async def test_limited_data_use_is_flagged(fake: TikTokFake, harness: Harness) -> None:
    await harness().perform("send_conversion", conversion_event(limited_data_use=True))
    assert fake.events[0]["limited_data_use"] is True


async def test_test_event_code_and_event_source(fake: TikTokFake, harness: Harness) -> None:
    settings = {"test_event_code": "TEST123", "event_source": "app"}
    await harness(**settings).perform("send_conversion", conversion_event())
    body = orjson.loads(fake.requests[0].body)
    assert (body["test_event_code"], body["event_source"]) == ("TEST123", "app")
    assert fake.events == [] and len(fake.test_events) == 1


@pytest.mark.parametrize(
    ("name", "tiktok"),
    [("purchase", "Purchase"), ("lead", "Lead"), ("sign_up", "CompleteRegistration")],
)
async def test_canonical_names_become_standard_events(
    fake: TikTokFake, harness: Harness, name: str, tiktok: str
) -> None:
    assert await checks.event_named(fake, harness(), name, key="event") == tiktok


async def test_refunds_need_a_mapped_event_name(fake: TikTokFake, harness: Harness) -> None:
    refund = conversion_event(name="refund", event_id="refund:1001")
    with pytest.raises(TerminalError, match="no standard event for the conversion 'refund'"):
        await harness().perform("send_conversion", refund)
    await harness().perform("send_conversion", refund, mapping={"event_name": "Refund"})
    assert fake.events[0]["event"] == "Refund"


async def test_old_events_are_still_sent(fake: TikTokFake, harness: Harness) -> None:
    # TikTok documents no maximum age (conversions.md §9): nothing is dropped locally.
    await harness().perform("send_conversion", conversion_event(timestamp=time.time() - 30 * 86400))
    assert len(fake.events) == 1


def test_events_without_a_conversion_are_not_sent(harness: Harness) -> None:
    with pytest.raises(NotSent, match="'conversion'"):
        harness().payload("send_conversion", make_event(event="Order Completed"))


async def test_batches_split_at_1000_events(fake: TikTokFake, harness: Harness) -> None:
    assert await checks.batch_sizes(fake, harness(), 1001) == [1000, 1]


async def test_partial_success_keeps_the_valid_events(
    fake: TikTokFake, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(3)]
    events[1]["context"]["eventyard"]["conversion"]["timestamp"] = time.time() + 3600
    with caplog.at_level(logging.WARNING):
        _, result = await harness().perform_batch("send_conversion", events)
    assert result is None  # 20001: TikTok took the request; the bad event is logged
    assert [e["event_id"] for e in fake.events] == ["purchase:0", "purchase:2"]
    assert "data[1]" in caplog.text


async def test_a_parameter_error_isolates_the_bad_event(fake: TikTokFake, harness: Harness) -> None:
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(2)]
    fake.fail_next(tiktok_answer(40002, "data[0].properties.value: invalid"))
    _, result = await harness().perform_batch("send_conversion", events)
    assert result is None  # split in two, each accepted alone
    assert len(fake.requests) == 3 and len(fake.events) == 2


@pytest.mark.parametrize(
    ("answer", "kind", "message"),
    [
        (tiktok_answer(40100, "Too many requests"), TransientError, "code 40100"),
        (tiktok_answer(40700, "Internal error"), TransientError, "code 40700"),
        (tiktok_answer(40001, "No permission"), TerminalError, "check access_token"),
        (tiktok_answer(40002, "Invalid param"), TerminalError, "code 40002"),
        (tiktok_answer(41000, "Unknown"), TerminalError, "code 41000"),
        (Answer(503, {}, b"down"), TransientError, "HTTP 503"),
        (Answer(429, {"Retry-After": "3"}, b"slow down"), TransientError, "HTTP 429"),
        (Answer(200, {}, b"not json"), TerminalError, "without a code"),
    ],
)
async def test_answers_are_classified(
    fake: TikTokFake, harness: Harness, answer: Answer, kind: type[Exception], message: str
) -> None:
    await checks.refused_answer(fake, harness(), answer, kind, message, "tiktok-token")


async def test_a_wrong_token_fails_every_event(harness: Harness) -> None:
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(2)]
    _, result = await harness(access_token="revoked").perform_batch("send_conversion", events)
    assert result is not None and all(isinstance(r, TerminalError) for r in result)


async def test_hostile_values_are_dropped(fake: TikTokFake, harness: Harness) -> None:
    hostile: dict[str, Any] = {
        "user": {
            "email": "x" * 600 + "@example.com",
            "phone": "call me",
            "city": 12,
            "external_id": "u-1",
        },
        "contents": "not a list",
        "referrer": ["x"],
        "click_ids": {"ttclid": {"x": 1}},
        "ip": "::1 OR 1=1",
        "page_url": None,
    }
    await harness().perform("send_conversion", conversion_event(name="lead", **hostile))
    sent = fake.events[0]
    assert set(sent["user"]) == {"external_id", "user_agent"}
    assert "page" not in sent and "contents" not in sent["properties"]
