"""send_conversion against the local Snap Conversions API v3: the documented payload, hashing,
INVALID answers naming an event, errors, validate mode, Limited Data Use, the 37-day window."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from destinations.ads import checks
from destinations.ads.events import BROWSER, CUSTOMER_HASHES, arrays, conversion_event, sha
from destinations.harness import Harness
from eventyard.errors import TerminalError, TransientError
from fakes.snapchat_conversions_api import SnapFake, invalid_answer
from fakes.webhook_receiver import Answer


async def test_purchase_becomes_the_documented_event(fake: SnapFake, harness: Harness) -> None:
    request, when = await checks.purchase_request(fake, harness())
    assert request.path == "/v3/a1b2c3d4-pixel/events?access_token=snap-token"
    assert orjson.loads(request.body) == {
        "data": [
            {
                "event_name": "PURCHASE",
                "event_time": when,
                "action_source": "WEB",
                "user_data": {
                    **arrays(CUSTOMER_HASHES),
                    **BROWSER,
                    "sc_click_id": "sc-click-1",
                    "sc_cookie1": "scid-cookie-1",
                },
                "integration": "eventyard",
                "event_id": "purchase:1001",
                "event_source_url": "https://shop.example/thanks",
                "custom_data": {
                    "value": 129.9,
                    "currency": "USD",
                    "order_id": "1001",
                    "content_ids": ["SKU-1"],
                    "num_items": 1,
                    "contents": [{"id": "SKU-1", "quantity": "1", "item_price": "129.9"}],
                },
            }
        ]
    }
    assert len(fake.events) == 1


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("0044 20 7946 0958", "442079460958"),  # Snap: the leading 00 goes
        ("+1 (650) 555-1212", "16505551212"),  # no +, spaces, parentheses or dashes
    ],
)
async def test_phones_follow_snaps_rule(
    fake: SnapFake, harness: Harness, raw: str, normalized: str
) -> None:
    await harness().perform("send_conversion", conversion_event(user={"phone": raw}))
    assert fake.events[0]["user_data"]["ph"] == [sha(normalized)]


async def test_limited_data_use_matches_metas_scheme(fake: SnapFake, harness: Harness) -> None:
    await harness().perform("send_conversion", conversion_event(limited_data_use=True))
    sent = fake.events[0]
    assert sent["data_processing_options"] == ["LDU"]
    assert (sent["data_processing_options_country"], sent["data_processing_options_state"]) == (
        1,
        1000,
    )


async def test_validate_only_records_nothing(fake: SnapFake, harness: Harness) -> None:
    await harness(validate_only=True).perform("send_conversion", conversion_event())
    assert fake.requests[0].path.startswith("/v3/a1b2c3d4-pixel/events/validate?")
    assert fake.events == [] and len(fake.validated) == 1


async def test_validate_only_reports_each_refused_event(fake: SnapFake, harness: Harness) -> None:
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(3)]
    events[1]["context"]["eventyard"]["conversion"]["timestamp"] = time.time() + 3600
    _, result = await harness(validate_only=True).perform_batch("send_conversion", events)
    assert result is not None and result[0] is None and result[2] is None
    assert isinstance(result[1], TerminalError) and "not in the future" in str(result[1])


async def test_events_older_than_37_days_are_terminal(fake: SnapFake, harness: Harness) -> None:
    with pytest.raises(TerminalError, match="older than 37 days; Snap refuses it"):
        await harness().perform(
            "send_conversion", conversion_event(timestamp=time.time() - 38 * 86400)
        )
    await harness().perform("send_conversion", conversion_event(timestamp=time.time() - 30 * 86400))
    assert len(fake.requests) == 1


async def test_snaps_minimum_identifiers_are_checked_before_sending(
    fake: SnapFake, harness: Harness
) -> None:
    message = r"Snap needs at least em or ph or client_ip_address"
    await checks.refused_before_sending(
        fake, harness(), message, user={"first_name": "Ada"}, ip=None
    )


@pytest.mark.parametrize(("name", "snap"), [("add_to_cart", "ADD_CART"), ("sign_up", "SIGN_UP")])
async def test_canonical_names_become_snap_events(
    fake: SnapFake, harness: Harness, name: str, snap: str
) -> None:
    assert await checks.event_named(fake, harness(), name) == snap


async def test_leads_need_a_mapped_custom_event(fake: SnapFake, harness: Harness) -> None:
    lead = conversion_event(name="lead", event_id="lead:1")
    with pytest.raises(TerminalError, match="Snap has no standard event for the conversion 'lead'"):
        await harness().perform("send_conversion", lead)
    await harness().perform("send_conversion", lead, mapping={"event_name": "CUSTOM_EVENT_1"})
    assert fake.events[0]["event_name"] == "CUSTOM_EVENT_1"


@pytest.mark.parametrize(
    ("source", "snap"), [("website", "WEB"), ("app", "MOBILE_APP"), ("server", "WEB")]
)
async def test_action_source_follows_the_origin(
    fake: SnapFake, harness: Harness, source: str, snap: str
) -> None:
    await harness().perform("send_conversion", conversion_event(action_source=source))
    assert fake.events[0]["action_source"] == snap


async def test_an_invalid_event_fails_alone_and_the_others_are_resent(
    fake: SnapFake, harness: Harness
) -> None:
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(4)]
    events[2]["context"]["eventyard"]["conversion"]["timestamp"] = time.time() + 3600
    _, result = await harness().perform_batch("send_conversion", events)
    assert result is not None
    assert [i for i, r in enumerate(result) if r is not None] == [2]
    assert "Snap refused the event" in str(result[2])
    assert [e["event_id"] for e in fake.events] == ["purchase:0", "purchase:1", "purchase:3"]
    assert len(fake.requests) == 2


async def test_an_invalid_answer_without_an_index_splits_the_batch(
    fake: SnapFake, harness: Harness
) -> None:
    fake.fail_next(invalid_answer("Invalid request"))
    events = [conversion_event(event_id=f"purchase:{i}") for i in range(2)]
    _, result = await harness().perform_batch("send_conversion", events)
    assert result is None and len(fake.events) == 2 and len(fake.requests) == 3


@pytest.mark.parametrize(
    ("answer", "kind", "message"),
    [
        (invalid_answer("Unauthorized", status=401), TerminalError, "refused the access token"),
        (invalid_answer("Forbidden", status=403), TerminalError, "refused the access token"),
        (Answer(429, {"Retry-After": "2"}, b"rate limited"), TransientError, "HTTP 429"),
        (Answer(500, {}, b"oops"), TransientError, "HTTP 500"),
        (Answer(404, {}, b"not found"), TerminalError, "HTTP 404"),
        (invalid_answer("bad", index=0, status=200), TerminalError, "Snap refused the event"),
    ],
)
async def test_answers_are_classified(
    fake: SnapFake, harness: Harness, answer: Answer, kind: type[Exception], message: str
) -> None:
    await checks.refused_answer(fake, harness(), answer, kind, message, "snap-token")


async def test_a_5xx_once_then_delivered(fake: SnapFake, harness: Harness) -> None:
    await checks.retried_once(fake, harness(), Answer(503, {}, b"unavailable"))


async def test_hostile_values_are_dropped(fake: SnapFake, harness: Harness) -> None:
    hostile: dict[str, Any] = {
        "user": {"email": ["ada@example.com", "ada@example.com", None], "gender": "x" * 100},
        "contents": [{"id": "1", "price": float("inf")}, {"id": True}],
        "value": True,
        "currency": 42,
    }
    await harness().perform("send_conversion", conversion_event(**hostile))
    sent = fake.events[0]
    assert sent["user_data"]["em"] == [sha("ada@example.com")]
    assert sent["custom_data"] == {
        "order_id": "1001",
        "content_ids": ["1"],
        "num_items": 1,
        "contents": [{"id": "1", "quantity": "1"}],
    }


async def test_network_failures_never_show_the_token(fake: SnapFake, harness: Harness) -> None:
    await fake.receiver.down()
    with pytest.raises(TransientError, match="connection failed") as caught:
        await harness().perform("send_conversion", conversion_event())
    assert "snap-token" not in str(caught.value)
