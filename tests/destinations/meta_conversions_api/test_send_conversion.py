"""send_conversion against the local Graph API: the documented payload, hashing, batching,
whole-request rejections, errors, test events, Limited Data Use and the age window."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from destinations.ads import checks
from destinations.ads.events import BROWSER, CUSTOMER_HASHES, arrays, conversion_event, sha
from destinations.harness import Harness
from eventyard.errors import TerminalError, TransientError
from eventyard.testing import NotSent, make_event
from fakes.meta_conversions_api import MetaFake, graph_error
from fakes.webhook_receiver import Answer


def test_hashing_vectors_match_metas_documented_examples() -> None:
    # developers.facebook.com customer-information-parameters: John_Smith@gmail.com and
    # (650)555-1212 (a US number) normalize to these literals, whose hashes Meta prints.
    assert sha("john_smith@gmail.com").startswith("62a14e44")
    assert sha("john_smith@gmail.com").endswith("0f62f")
    assert sha("16505551212").startswith("e323ec62") and sha("16505551212").endswith("3176")


async def test_purchase_becomes_the_documented_server_event(
    fake: MetaFake, harness: Harness
) -> None:
    request, when = await checks.purchase_request(fake, harness())
    assert request.path == "/v24.0/1234567890/events"
    assert request.headers["authorization"] == "Bearer meta-token"
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == {
        "data": [
            {
                "event_name": "Purchase",
                "event_time": when,
                "action_source": "website",
                "event_id": "purchase:1001",
                "event_source_url": "https://shop.example/thanks",
                "user_data": {
                    **CUSTOMER_HASHES,
                    **arrays(CUSTOMER_HASHES, "em", "ph", "external_id"),
                    **BROWSER,
                    "fbc": "fb.1.1767225000000.IwAR2F4abc",
                    "fbp": "fb.1.1767000000000.1098115397",
                },
                "custom_data": {
                    "value": 129.9,
                    "currency": "USD",
                    "order_id": "1001",
                    "content_type": "product",
                    "content_ids": ["SKU-1"],
                    "contents": [{"id": "SKU-1", "quantity": 1, "item_price": 129.9}],
                    "num_items": 1,
                    "content_name": "Trail Shoe",
                    "content_category": "Shoes",
                },
            }
        ]
    }
    assert len(fake.events) == 1


async def test_values_hashed_by_the_site_are_not_hashed_again(
    fake: MetaFake, harness: Harness
) -> None:
    hashed_email = sha("ada@example.com").upper()
    user = {"email": hashed_email, "phone": "+44 20 7946 0958"}
    await harness().perform("send_conversion", conversion_event(user=user))
    sent = fake.events[0]["user_data"]
    assert sent["em"] == [hashed_email.lower()]
    assert sent["ph"] == [sha("442079460958")]


async def test_test_event_code_goes_at_the_top_level(fake: MetaFake, harness: Harness) -> None:
    await harness(test_event_code="TEST12345").perform("send_conversion", conversion_event())
    assert orjson.loads(fake.requests[0].body)["test_event_code"] == "TEST12345"
    assert fake.events == [] and len(fake.test_events) == 1


@pytest.mark.parametrize(
    ("consent", "country", "state"),
    [
        ({"country": "US", "state": "CA"}, 1, 1000),
        ({"country": "us", "state": "US-TX"}, 1, 1005),
        ({"country": "US", "state": "NY"}, 0, 0),
        ({"country": "DE", "state": "BE"}, 0, 0),
        ({}, 0, 0),
    ],
)
async def test_limited_data_use_sends_ldu_with_country_and_state(
    fake: MetaFake, harness: Harness, consent: dict[str, Any], country: int, state: int
) -> None:
    event = conversion_event(limited_data_use=True, consent=consent)
    await harness().perform("send_conversion", event)
    sent = fake.events[0]
    assert sent["data_processing_options"] == ["LDU"]
    assert sent["data_processing_options_country"] == country
    assert sent["data_processing_options_state"] == state


async def test_without_limited_use_no_processing_options(fake: MetaFake, harness: Harness) -> None:
    await harness().perform("send_conversion", conversion_event())
    assert "data_processing_options" not in fake.events[0]


async def test_events_older_than_7_days_are_terminal_and_not_sent(
    fake: MetaFake, harness: Harness
) -> None:
    old = conversion_event(timestamp=time.time() - 8 * 86400)
    with pytest.raises(TerminalError, match=r"older than 7 days.*Meta refuses it"):
        await harness().perform("send_conversion", old)
    assert fake.requests == []


async def test_physical_store_events_may_be_62_days_old(fake: MetaFake, harness: Harness) -> None:
    old = conversion_event(timestamp=time.time() - 30 * 86400)
    mapping = {"action_source": "physical_store"}
    await harness().perform("send_conversion", old, mapping=mapping)
    assert fake.events[0]["action_source"] == "physical_store"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"user_agent": None}, "client_user_agent and event_source_url"),
        ({"page_url": None}, "client_user_agent and event_source_url"),
        ({"currency": None}, "value and currency on Purchase"),
        ({"value": "12.5"}, "value and currency on Purchase"),
        ({"name": "refund"}, "no standard event for the conversion 'refund'"),
        ({"timestamp": "yesterday"}, "no valid timestamp"),
        ({"user": {}, "click_ids": {}, "ip": None}, "Meta needs at least em or ph"),
    ],
)
async def test_events_meta_would_refuse_are_terminal_before_sending(
    fake: MetaFake, harness: Harness, overrides: dict[str, Any], message: str
) -> None:
    await checks.refused_before_sending(fake, harness(), message, **overrides)


async def test_app_events_need_no_page(fake: MetaFake, harness: Harness) -> None:
    event = conversion_event(action_source="app", page_url=None, user_agent=None)
    await harness().perform("send_conversion", event)
    assert fake.events[0]["action_source"] == "app"
    assert "event_source_url" not in fake.events[0]


async def test_server_events_with_a_page_are_website_events(
    fake: MetaFake, harness: Harness
) -> None:
    await harness().perform("send_conversion", conversion_event(action_source="server"))
    await harness().perform(
        "send_conversion",
        conversion_event(action_source="server", page_url=None, event_id="lead:1", name="lead"),
    )
    assert [e["action_source"] for e in fake.events] == ["website", "other"]


async def test_a_mapped_event_name_sends_a_custom_event(fake: MetaFake, harness: Harness) -> None:
    refund = conversion_event("Order Refunded", name="refund", event_id="refund:1001")
    await harness().perform("send_conversion", refund, mapping={"event_name": "OrderRefunded"})
    assert fake.events[0]["event_name"] == "OrderRefunded"


@pytest.mark.parametrize(
    ("name", "meta"),
    [("lead", "Lead"), ("sign_up", "CompleteRegistration"), ("add_to_cart", "AddToCart")],
)
async def test_canonical_names_become_meta_standard_events(
    fake: MetaFake, harness: Harness, name: str, meta: str
) -> None:
    assert await checks.event_named(fake, harness(), name) == meta


def test_only_track_events_with_a_conversion_are_sent(harness: Harness) -> None:
    with pytest.raises(NotSent, match="missing the required field 'conversion'"):
        harness().payload("send_conversion", make_event(event="Order Completed"))
    with pytest.raises(NotSent, match="not subscribed"):
        harness().payload("send_conversion", conversion_event() | {"type": "identify"})


async def test_hostile_values_are_left_out_not_sent_or_raised(
    fake: MetaFake, harness: Harness
) -> None:
    event = conversion_event(
        name="lead",
        event_id="lead:x",
        value=float("nan"),
        currency="dollars",
        contents=["SKU", {"id": {"x": 1}}, {"id": 7, "quantity": -2, "price": "free"}],
        user={
            "email": ["not-an-email", 42, "A" * 10_000 + "@x.com", "ada@example.com"],
            "phone": {"nested": True},
            "first_name": "\u0000\u202e<script>",
            "gender": "unknown",
            "date_of_birth": "1990-02-31",
        },
        ip="203.0.113.999",
        click_ids="garbage",
    )
    await harness().perform("send_conversion", event)
    sent = fake.events[0]
    assert sent["user_data"]["em"] == [sha("ada@example.com")]
    assert set(sent["user_data"]) == {"em", "fn", "client_user_agent"}
    assert sent["custom_data"] == {
        "order_id": "1001",
        "content_type": "product",
        "content_ids": ["7"],
        "contents": [{"id": "7", "quantity": 1}],
        "num_items": 1,
    }


async def test_batches_split_at_1000_events(fake: MetaFake, harness: Harness) -> None:
    assert await checks.batch_sizes(fake, harness(), 1001) == [1000, 1]
    assert len(fake.events) == 1001


async def test_one_bad_event_no_longer_rejects_the_whole_batch(
    fake: MetaFake, harness: Harness
) -> None:
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(8)]
    future = events[5]["context"]["eventyard"]["conversion"]
    future["timestamp"] = time.time() + 3600  # Meta refuses it, and the 7 others with it
    _, result = await harness().perform_batch("send_conversion", events)
    assert result is not None
    assert [i for i, r in enumerate(result) if r is not None] == [5]
    assert isinstance(result[5], TerminalError) and "in the future" in str(result[5])
    assert sorted(e["event_id"] for e in fake.events) == [
        f"purchase:{i}" for i in range(8) if i != 5
    ]
    assert len(fake.requests) == 7  # 8 -> 4 + 4 -> the bad 4: 2 + 2 -> the bad 2: 1 + 1


async def test_invalid_events_fail_alone_and_the_rest_go(fake: MetaFake, harness: Harness) -> None:
    events = [conversion_event(), conversion_event(timestamp=time.time() - 9 * 86400)]
    _, result = await harness().perform_batch("send_conversion", events)
    assert result is not None and result[0] is None and isinstance(result[1], TerminalError)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("answer", "kind", "message"),
    [
        (graph_error(190, "Error validating access token"), TerminalError, "generate a new one"),
        (graph_error(200, "Permissions error", status=403), TerminalError, "lacks permission"),
        (graph_error(17, "User request limit reached"), TransientError, "code 17"),
        (graph_error(80003, "Too many calls"), TransientError, "code 80003"),
        (graph_error(2, "Service temporarily unavailable", status=500), TransientError, "code 2"),
        (Answer(503, {}, b"upstream down"), TransientError, "HTTP 503"),
        (Answer(502, {"Content-Type": "application/json"}, b"[]"), TransientError, "HTTP 502"),
        (graph_error(999, "Something new"), TerminalError, "code 999"),
    ],
)
async def test_graph_errors_are_classified(
    fake: MetaFake, harness: Harness, answer: Answer, kind: type[Exception], message: str
) -> None:
    await checks.refused_answer(fake, harness(), answer, kind, message, "meta-token")


async def test_throttling_honours_retry_after(fake: MetaFake, harness: Harness) -> None:
    fake.fail_next(
        graph_error(4, "Application request limit reached", headers={"Retry-After": "7"})
    )
    with pytest.raises(TransientError) as caught:
        await harness().perform("send_conversion", conversion_event())
    assert caught.value.retry_after == 7.0


async def test_a_5xx_once_then_the_retry_is_delivered(fake: MetaFake, harness: Harness) -> None:
    await checks.retried_once(fake, harness(), Answer(500, {}, b"oops"))


async def test_a_rejected_token_fails_every_event_of_the_batch(harness: Harness) -> None:
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(3)]
    _, result = await harness(access_token="expired").perform_batch("send_conversion", events)
    assert result is not None and all(isinstance(r, TerminalError) for r in result)


async def test_an_unreachable_api_is_transient(fake: MetaFake, harness: Harness) -> None:
    await fake.receiver.down()
    with pytest.raises(TransientError, match="connection failed"):
        await harness().perform("send_conversion", conversion_event())
