"""trackEvent against the local Mixpanel: request shape, auth, batching, failures."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest

from eventyard.errors import TerminalError, TransientError
from eventyard.testing import NotSent, make_event
from fakes.mixpanel import Answer, MixpanelFake

from .conftest import Harness

NOON_MS = int(datetime(2026, 1, 1, 12, tzinfo=UTC).timestamp() * 1000)


def _basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_default_mapping_sends_one_strict_import(
    fake: MixpanelFake, harness: Harness
) -> None:
    event = make_event(event="Order Completed", properties={"order_id": "o-1", "revenue": 42.5})
    await harness().perform("trackEvent", event)

    (request,) = fake.requests
    assert request.method == "POST" and request.path == "/import?strict=1"
    assert request.headers["authorization"] == _basic("mp-secret")
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == [
        {
            "event": "Order Completed",
            "properties": {
                "time": NOON_MS,
                "distinct_id": "user1234",
                "$insert_id": "test-message-0001",
                "$source": "eventyard",
                "ip": "8.8.8.8",
                "$locale": "en-US",
                "$current_url": "https://segment.com/academy/",
                "mp_lib": "eventyard: analytics.js",
                "$lib_version": "next-1.84.3",
                "order_id": "o-1",
                "revenue": 42.5,
            },
        }
    ]
    assert len(fake.events) == 1


async def test_distinct_id_falls_back_to_anonymous_id(fake: MixpanelFake, harness: Harness) -> None:
    await harness().perform("trackEvent", make_event(userId=None))
    assert fake.events[0]["properties"]["distinct_id"] == "anonId1234"


async def test_context_maps_to_mixpanel_properties(fake: MixpanelFake, harness: Harness) -> None:
    event = make_event()
    event["context"].update(
        {
            "os": {"name": "iOS", "version": "17.1"},
            "device": {"id": "dev-1", "model": "iPhone15,2", "advertisingId": "ifa-1"},
            "campaign": {"source": "news", "name": "spring"},
            "groupId": "g-7",
        }
    )
    await harness().perform("trackEvent", event)
    props = fake.events[0]["properties"]
    assert {k: props[k] for k in ("$os", "$os_version", "$device_id", "$model", "$ios_ifa")} == {
        "$os": "iOS",
        "$os_version": "17.1",
        "$device_id": "dev-1",
        "$model": "iPhone15,2",
        "$ios_ifa": "ifa-1",
    }
    assert props["utm_source"] == "news" and props["utm_campaign"] == "spring"
    assert props["$group_id"] == "g-7"
    assert "utm_medium" not in props


async def test_long_message_ids_become_stable_valid_insert_ids(
    fake: MixpanelFake, harness: Harness
) -> None:
    event = make_event(messageId="ajs-next-1767268800000-" + "f" * 40)
    await harness().perform("trackEvent", event)
    await harness().perform("trackEvent", event)  # a retry: Mixpanel keeps one
    first, second = (orjson.loads(r.body)[0]["properties"]["$insert_id"] for r in fake.requests)
    assert first == second and len(first) == 36
    assert len(fake.events) == 1


async def test_service_account_auth_sends_project_id(fake: MixpanelFake, harness: Harness) -> None:
    h = harness(
        api_secret=None,
        service_account_username="sa.user",
        service_account_secret="sa-pass",
        project_id="4242",
    )
    await h.perform("trackEvent", make_event())
    (request,) = fake.requests
    assert request.path == "/import?strict=1&project_id=4242"
    assert request.headers["authorization"] == _basic("sa.user", "sa-pass")


async def test_project_token_auth_without_secret(fake: MixpanelFake, harness: Harness) -> None:
    await harness(api_secret=None).perform("trackEvent", make_event())
    assert fake.requests[0].headers["authorization"] == _basic("mp-token")
    assert len(fake.events) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"event": None}, "event"), ({"userId": None, "anonymousId": None}, "distinct_id")],
)
def test_missing_required_fields_are_not_sent(
    harness: Harness, overrides: dict[str, None], field: str
) -> None:
    with pytest.raises(NotSent, match=f"missing the required field '{field}'"):
        harness().payload("trackEvent", make_event(**overrides))


def test_only_track_calls_are_subscribed(harness: Harness) -> None:
    with pytest.raises(NotSent, match="not subscribed"):
        harness().payload("trackEvent", make_event(type="identify"))


async def test_batches_split_at_2000_events(fake: MixpanelFake, harness: Harness) -> None:
    events = [make_event(messageId=f"m-{i}", properties={"i": i}) for i in range(2001)]
    _, result = await harness().perform_batch("trackEvent", events)
    assert result is None
    assert [len(orjson.loads(r.body)) for r in fake.requests] == [2000, 1]
    assert len(fake.events) == 2001


async def test_batches_split_before_10_mb(fake: MixpanelFake, harness: Harness) -> None:
    blob = "x" * (4 * 1024 * 1024)
    events = [make_event(messageId=f"m-{i}", properties={"blob": blob}) for i in range(3)]
    _, result = await harness().perform_batch("trackEvent", events)
    assert result is None
    assert [len(orjson.loads(r.body)) for r in fake.requests] == [2, 1]
    assert all(len(r.body) <= 10 * 1024 * 1024 for r in fake.requests)


async def test_failed_records_fail_only_their_events(fake: MixpanelFake, harness: Harness) -> None:
    events = [
        make_event(messageId="m-0"),
        make_event(messageId="m-1", timestamp="1960-01-01T00:00:00Z"),
        make_event(messageId="m-2", userId="anonymous"),
        make_event(messageId="m-3"),
    ]
    _, result = await harness().perform_batch("trackEvent", events)
    assert result is not None
    assert [r is None for r in result] == [True, False, False, True]
    assert isinstance(result[1], TerminalError) and "properties.time" in str(result[1])
    assert isinstance(result[2], TerminalError) and "distinct_id" in str(result[2])
    assert sorted(e["properties"]["$insert_id"] for e in fake.events) == ["m-0", "m-3"]


async def test_single_rejected_event_is_terminal(fake: MixpanelFake, harness: Harness) -> None:
    with pytest.raises(TerminalError, match="fix the mapping"):
        await harness().perform("trackEvent", make_event(timestamp="1960-01-01T00:00:00Z"))


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retryable(
    fake: MixpanelFake, harness: Harness, status: int
) -> None:
    fake.script([Answer(status, body=b"oops")])
    with pytest.raises(TransientError):
        await harness().perform("trackEvent", make_event())
    await harness().perform("trackEvent", make_event())  # the retry goes through
    assert len(fake.events) == 1


async def test_rate_limit_is_retryable_after_retry_after(
    fake: MixpanelFake, harness: Harness
) -> None:
    fake.script([Answer(429, {"Retry-After": "7"}, b'{"error": "rate limited"}')])
    with pytest.raises(TransientError) as caught:
        await harness().perform("trackEvent", make_event())
    assert caught.value.retry_after == 7.0


async def test_bad_secret_is_terminal_and_says_what_to_check(harness: Harness) -> None:
    with pytest.raises(TerminalError, match="check api_secret"):
        await harness(api_secret="wrong").perform("trackEvent", make_event())
