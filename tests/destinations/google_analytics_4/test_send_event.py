"""send_event against the local Measurement Protocol: the documented request, Google's hashing,
consent signals, grouping and splitting, GA4's limits checked before sending, and errors."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from destinations.ads.events import conversion_event, sha
from destinations.harness import Harness
from eventyard.destinations.google_analytics_4 import definition
from eventyard.errors import TerminalError, TransientError
from eventyard.pipeline.actions import compile_action
from eventyard.testing import NotSent, make_event
from fakes.common import json_answer
from fakes.google_analytics_4 import Ga4Fake
from fakes.webhook_receiver import Answer


def test_hashing_vectors_follow_googles_rules() -> None:
    # uid-data: trim, lowercase, drop dots before @gmail.com; phones E.164 with "+".
    assert sha("johnsmith@gmail.com") == (
        "3586de92bb3636d0885a12eff961429a32e4ebd764b96f50d85d016f9338d586"
    )
    assert sha("+16505551212") == (
        "1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8"
    )


def _body(fake: Ga4Fake, index: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(fake.requests[index].body)
    return body


async def test_purchase_becomes_the_documented_request(fake: Ga4Fake, harness: Harness) -> None:
    event = conversion_event(
        user={
            "email": " John.Smith@Gmail.com ",
            "phone": "(650)555-1212",
            "country": "US",
            "first_name": "John",
            "last_name": "Smith",
            "city": "Menlo Park",
            "state": "CA",
            "zip": "94025-1234",
        },
        click_ids={"ga_client_id": "1234567.7654321"},
        consent={"ad_user_data": True, "ad_personalization": False},
    )
    when = event["context"]["eventyard"]["conversion"]["timestamp"]
    await harness().perform("send_event", event)

    (request,) = fake.requests
    assert request.path == "/mp/collect?measurement_id=G-TEST12345&api_secret=ga4-secret-abc"
    assert _body(fake) == {
        "events": [
            {
                "name": "purchase",
                "params": {
                    "transaction_id": "1001",
                    "value": 129.9,
                    "currency": "USD",
                    "items": [
                        {
                            "item_id": "SKU-1",
                            "item_name": "Trail Shoe",
                            "item_category": "Shoes",
                            "item_brand": "Acme",
                            "price": 129.9,
                            "quantity": 1,
                        }
                    ],
                    "engagement_time_msec": 1,
                },
            }
        ],
        "client_id": "1234567.7654321",
        "user_id": "user1234",
        "timestamp_micros": round(when * 1_000_000),
        "consent": {"ad_user_data": "GRANTED", "ad_personalization": "DENIED"},
        "user_data": {
            "sha256_email_address": [sha("johnsmith@gmail.com")],
            "sha256_phone_number": [sha("+16505551212")],
            "address": [
                {
                    "sha256_first_name": sha("john"),
                    "sha256_last_name": sha("smith"),
                    "city": "menlo park",
                    "region": "ca",
                    "postal_code": "94025",
                    "country": "us",
                }
            ],
        },
    }
    assert fake.dropped == [] and len(fake.events) == 1


async def test_client_id_falls_back_to_the_anonymous_id(fake: Ga4Fake, harness: Harness) -> None:
    await harness().perform("send_event", conversion_event(click_ids={}, consent={}))
    body = _body(fake)
    assert body["client_id"] == "anonId1234"
    assert "consent" not in body
    server_side = conversion_event(click_ids={})
    del server_side["anonymousId"]
    await harness().perform("send_event", server_side)
    assert _body(fake, 1)["client_id"] == "user1234"


def test_default_subscription_and_mapping_compile() -> None:
    for key, action in definition.actions.items():
        compiled = compile_action(key, action, where=f"{definition.slug}.{key}")
        assert compiled.subscription.text == 'type = "track"'


async def test_hashed_identifiers_are_never_hashed_twice(fake: Ga4Fake, harness: Harness) -> None:
    digest = sha("janedoe@example.com").upper()
    await harness().perform("send_event", conversion_event(user={"email": digest}))
    assert _body(fake)["user_data"] == {"sha256_email_address": [digest.lower()]}


async def test_denied_ad_user_data_sends_no_user_data(fake: Ga4Fake, harness: Harness) -> None:
    event = conversion_event(consent={"ad_user_data": False, "ad_personalization": True})
    await harness().perform("send_event", event)
    body = _body(fake)
    assert body["consent"] == {"ad_user_data": "DENIED", "ad_personalization": "GRANTED"}
    assert "user_data" not in body and body["user_id"] == "user1234"


async def test_limited_mode_denies_both_signals(fake: Ga4Fake, harness: Harness) -> None:
    event = conversion_event(limited_data_use=True, consent={"ad_user_data": True})
    await harness().perform("send_event", event)
    body = _body(fake)
    assert body["consent"] == {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
    assert "user_data" not in body
    assert len(fake.events) == 1


@pytest.mark.parametrize(
    ("overrides", "name", "params"),
    [
        (
            {"name": "refund", "event_id": "refund:1001", "contents": []},
            "refund",
            {"transaction_id": "1001", "value": 129.9, "currency": "USD"},
        ),
        (
            {"name": "lead", "order_id": None, "value": None, "contents": []},
            "generate_lead",
            {},
        ),
        (
            {"order_id": None, "event_id": "msg-77", "value": None, "contents": []},
            "purchase",
            {"transaction_id": "msg-77"},
        ),
    ],
)
async def test_canonical_events(
    fake: Ga4Fake, harness: Harness, overrides: dict[str, Any], name: str, params: dict[str, Any]
) -> None:
    await harness().perform("send_event", conversion_event(**overrides))
    sent = params | {"engagement_time_msec": 1}  # Segment's default: the user counts as active
    assert _body(fake)["events"] == [{"name": name, "params": sent}]


async def test_mapped_fields(fake: Ga4Fake, harness: Harness) -> None:
    mapping = {
        "event_name": "checkout_done",
        "session_id": "1767225000",
        "engagement_time_msec": 120,
        "params": {"coupon": "SUMMER", "search_term": {"@path": "$.properties.query"}},
        "user_properties": {"plan": "pro"},
    }
    event = conversion_event(contents=[])
    event["properties"] = {"query": "shoes"}
    await harness().perform("send_event", event, mapping)
    body = _body(fake)
    assert body["events"][0] == {
        "name": "checkout_done",
        "params": {
            "transaction_id": "1001",
            "value": 129.9,
            "currency": "USD",
            "session_id": "1767225000",
            "engagement_time_msec": 120,
            "coupon": "SUMMER",
            "search_term": "shoes",
        },
    }
    assert body["user_properties"] == {"plan": {"value": "pro"}}
    assert fake.dropped == []


async def test_app_streams_send_the_app_instance_id(fake: Ga4Fake, harness: Harness) -> None:
    app = harness(measurement_id=None, firebase_app_id=fake.firebase_app_id)
    mapping = {"app_instance_id": "a" * 32}
    await app.perform("send_event", conversion_event(), mapping)
    assert "firebase_app_id=" in fake.requests[0].path
    body = _body(fake)
    assert body["app_instance_id"] == "a" * 32 and "client_id" not in body
    assert fake.dropped == []


async def test_app_streams_need_an_app_instance_id(fake: Ga4Fake, harness: Harness) -> None:
    app = harness(measurement_id=None, firebase_app_id=fake.firebase_app_id)
    with pytest.raises(TerminalError, match="needs an app_instance_id for this app stream"):
        await app.perform("send_event", conversion_event())
    assert fake.requests == []


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"event_name": "session_start"}, "event name 'session_start'"),
        ({"event_name": "ga_custom"}, "event name 'ga_custom'"),
        ({"event_name": "has space"}, "event name 'has space'"),
        ({"event_name": "x" * 41}, "names are up to 40"),
        ({"params": {"note": "x" * 101}}, "'note' is over 100 characters"),
        ({"params": {"nested": {"a": 1}}}, "'nested' must be a string or a number"),
        ({"params": {"ok": True}}, "'ok' must be a string or a number"),
        ({"params": {"1bad": "x"}}, "parameter '1bad'"),
        ({"params": {f"p{i}": i for i in range(25)}}, "over 25 params"),
        ({"user_properties": {"tier": "x" * 37}}, "values up to 36"),
        ({"user_properties": {"a" * 25: "x"}}, "up to 24"),
    ],
)
async def test_what_ga4_would_drop_fails_before_sending(
    fake: Ga4Fake, harness: Harness, mapping: dict[str, Any], message: str
) -> None:
    with pytest.raises(TerminalError, match=message):
        await harness().perform("send_event", conversion_event(), mapping)
    assert fake.requests == []


async def test_a_value_needs_a_currency(fake: Ga4Fake, harness: Harness) -> None:
    with pytest.raises(TerminalError, match="value without a currency"):
        await harness().perform("send_event", conversion_event(currency="dollars"))
    assert fake.requests == []


async def test_events_older_than_72_hours_are_terminal(fake: Ga4Fake, harness: Harness) -> None:
    old = conversion_event(timestamp=time.time() - 73 * 3600)
    with pytest.raises(TerminalError, match=r"older than 3 days.*GA4 refuses it"):
        await harness().perform("send_event", old)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("conversion", "error"),
    [
        ("not an object", "must be an object"),
        ({"name": "purchase"}, "no valid timestamp"),
        ({"name": "purchase", "timestamp": "yesterday"}, "no valid timestamp"),
    ],
)
async def test_malformed_conversions(
    fake: Ga4Fake, harness: Harness, conversion: Any, error: str
) -> None:
    event = make_event(event="Order Completed")
    event["context"]["eventyard"] = {"conversion": conversion}
    with pytest.raises((NotSent, TerminalError), match=error):
        await harness().perform("send_event", event)
    assert fake.requests == []


async def test_hostile_identifiers_are_left_out(fake: Ga4Fake, harness: Harness) -> None:
    user = {"email": "x" * 10_000 + "@a.com", "phone": ["not", {"a": 1}], "city": 7, "zip": None}
    await harness().perform("send_event", conversion_event(user=user))
    assert "user_data" not in _body(fake)
    assert fake.dropped == []


def test_only_conversions_and_track_calls_are_sent(harness: Harness) -> None:
    with pytest.raises(NotSent, match="not subscribed"):
        harness().payload("send_event", make_event(type="identify"))
    with pytest.raises(NotSent, match="missing the required field 'conversion'"):
        harness().payload("send_event", make_event(event="Order Completed"))


async def test_one_users_events_at_one_moment_share_requests_of_25(
    fake: Ga4Fake, harness: Harness
) -> None:
    when = time.time() - 60
    events = [conversion_event(timestamp=when, order_id=f"o-{i}") for i in range(30)]
    _, result = await harness().perform_batch("send_event", events)
    assert result is None
    assert sorted(len(_body(fake, i)["events"]) for i in range(2)) == [5, 25]
    assert len(fake.events) == 30 and fake.dropped == []


async def test_different_users_go_in_separate_requests(fake: Ga4Fake, harness: Harness) -> None:
    events = [
        conversion_event(message_id=f"m-{i}", user={"external_id": f"u{i}"}) for i in range(3)
    ]
    for i, event in enumerate(events):
        event["userId"] = f"u{i}"
    _, result = await harness().perform_batch("send_event", events)
    assert result is None and len(fake.requests) == 3
    assert {e["user_id"] for e in fake.events} == {"u0", "u1", "u2"}


@pytest.mark.parametrize("name_length", [40, 60, 83, 97])
async def test_requests_stay_under_130_kb(
    fake: Ga4Fake, harness: Harness, name_length: int
) -> None:
    products = [{"id": f"SKU-{i}", "name": "n" * name_length, "price": 1.0} for i in range(100)]
    when = time.time() - 60
    events = [conversion_event(timestamp=when, contents=products) for _ in range(20)]
    _, result = await harness().perform_batch("send_event", events)
    assert result is None and len(fake.requests) > 1
    assert all(len(r.body) < 130_000 for r in fake.requests)
    assert len(fake.events) == 20


async def test_an_event_over_130_kb_fails_alone(fake: Ga4Fake, harness: Harness) -> None:
    huge = [{"id": f"SKU-{i}", "name": "n" * 2000} for i in range(100)]
    events = [conversion_event(contents=huge), conversion_event(message_id="m-2", order_id="2")]
    events[1]["userId"] = "someone-else"
    _, result = await harness().perform_batch("send_event", events)
    assert result is not None and result[1] is None
    assert isinstance(result[0], TerminalError) and "130 kB" in str(result[0])
    assert len(fake.events) == 1


async def test_a_bad_event_fails_alone_in_a_batch(fake: Ga4Fake, harness: Harness) -> None:
    events = [conversion_event(), conversion_event(timestamp=time.time() - 80 * 3600)]
    _, result = await harness().perform_batch("send_event", events)
    assert result is not None and result[0] is None and isinstance(result[1], TerminalError)


@pytest.mark.parametrize(
    ("answer", "error", "retry_after"),
    [
        (Answer(503, {}, b"unavailable"), TransientError, None),
        (Answer(500, {}, b"boom"), TransientError, None),
        (Answer(429, {"Retry-After": "7"}, b"slow down"), TransientError, 7.0),
        (json_answer(400, {"error": "bad"}), TerminalError, None),
        (Answer(403, {}, b"forbidden"), TerminalError, None),
    ],
)
async def test_http_errors(
    fake: Ga4Fake,
    harness: Harness,
    answer: Answer,
    error: type[Exception],
    retry_after: float | None,
) -> None:
    fake.fail_next(answer)
    with pytest.raises(error) as caught:
        await harness().perform("send_event", conversion_event())
    assert "ga4-secret-abc" not in str(caught.value)
    if retry_after is not None:
        assert isinstance(caught.value, TransientError) and caught.value.retry_after == retry_after
    assert fake.events == []


async def test_a_failed_request_succeeds_on_retry(fake: Ga4Fake, harness: Harness) -> None:
    fake.fail_next(Answer(503, {}, b"unavailable"))
    with pytest.raises(TransientError):
        await harness().perform("send_event", conversion_event())
    await harness().perform("send_event", conversion_event())
    assert len(fake.events) == 1


async def test_an_unreachable_host_is_transient(fake: Ga4Fake, harness: Harness) -> None:
    await fake.receiver.down()
    with pytest.raises(TransientError, match="connection failed"):
        await harness().perform("send_event", conversion_event())


async def test_debug_mode_records_nothing_and_fails_on_messages(
    fake: Ga4Fake, harness: Harness
) -> None:
    await harness(debug=True).perform("send_event", conversion_event())
    assert fake.requests[0].path.startswith("/debug/mp/collect?")
    assert fake.events == []
    with pytest.raises(TerminalError, match=r"debug mode.*api_secret"):
        await harness(debug=True, api_secret="wrong").perform("send_event", conversion_event())
