"""What PostHog receives for each action with the default mappings."""

from __future__ import annotations

import orjson
import pytest

from eventyard.destinations.posthog import definition
from eventyard.testing import DestinationHarness, NotSent, make_event
from fakes.posthog_api import PostHogFake

from .conftest import KEY

UUID = "0e5b9a3e-8d4c-4a51-9a57-3c1f0f0d2c11"


def test_declaration() -> None:
    assert (definition.slug, definition.name) == ("posthog", "PostHog")
    assert set(definition.actions) == {"capture", "identify", "group"}
    assert definition.ordered is True
    assert definition.consent_category == "Analytics"


async def test_track_is_captured_with_name_properties_ip_and_time(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    event = make_event(event="Order Completed", properties={"revenue": 42.5})
    await harness.perform("capture", event)
    (request,) = posthog.requests
    assert (request.method, request.path) == ("POST", "/i/v0/e/")
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == {
        "api_key": KEY,
        "event": "Order Completed",
        "distinct_id": "user1234",
        "properties": {"revenue": 42.5, "$ip": "8.8.8.8"},
        "timestamp": "2026-01-01T12:00:00.000Z",
    }


async def test_uuid_message_id_is_sent_as_uuid_for_dedup(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    await harness.perform("capture", make_event(messageId=UUID))
    assert posthog.events[0]["uuid"] == UUID


async def test_page_becomes_pageview_with_current_url(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    await harness.perform("capture", make_event(type="page", event=None, name="Academy"))
    (event,) = posthog.events
    assert event["event"] == "$pageview"
    assert event["properties"]["$current_url"] == "https://segment.com/academy/"


async def test_page_from_a_server_library_takes_the_url_from_properties(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    properties = {"url": "https://example.com/docs"}
    event = make_event(type="page", event=None, context={}, properties=properties)
    await harness.perform("capture", event)
    assert posthog.events[0]["properties"]["$current_url"] == "https://example.com/docs"


async def test_screen_becomes_screen_with_screen_name(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    await harness.perform("capture", make_event(type="screen", event=None, name="Home"))
    (event,) = posthog.events
    assert (event["event"], event["properties"]["$screen_name"]) == ("$screen", "Home")


async def test_anonymous_user_uses_anonymous_id_and_can_skip_person_profile(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    event = make_event(userId=None)
    await harness.perform("capture", event, mapping={"anonymous_event_capture": True})
    (sent,) = posthog.events
    assert sent["distinct_id"] == "anonId1234"
    assert sent["properties"]["$process_person_profile"] is False


async def test_identify_sets_person_properties_and_merges_anonymous_id(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    event = make_event(type="identify", event=None, traits={"email": "ada@example.com"})
    await harness.perform("identify", event)
    body = orjson.loads(posthog.requests[0].body)
    assert body == {
        "api_key": KEY,
        "event": "$identify",
        "distinct_id": "user1234",
        "properties": {
            "$set": {"email": "ada@example.com"},
            "$anon_distinct_id": "anonId1234",
            "$ip": "8.8.8.8",
        },
        "timestamp": "2026-01-01T12:00:00.000Z",
    }


async def test_group_sends_groupidentify(harness: DestinationHarness, posthog: PostHogFake) -> None:
    event = make_event(type="group", event=None, groupId="g-7", traits={"name": "Acme"})
    await harness.perform("group", event, mapping={"group_type": "organization"})
    (sent,) = posthog.events
    assert sent["event"] == "$groupidentify"
    assert sent["distinct_id"] == "user1234"
    assert sent["properties"] == {
        "$group_type": "organization",
        "$group_key": "g-7",
        "$group_set": {"name": "Acme"},
        "$ip": "8.8.8.8",
    }


@pytest.mark.parametrize(
    ("action", "event", "field"),
    [
        ("group", make_event(type="group", event=None), "group_key"),
        ("capture", make_event(userId=None, anonymousId=None), "distinct_id"),
        ("identify", make_event(type="identify", userId=None, anonymousId=None), "distinct_id"),
    ],
)
def test_missing_required_fields_are_named(
    harness: DestinationHarness, action: str, event: dict[str, object], field: str
) -> None:
    with pytest.raises(NotSent, match=f"'{field}'"):
        harness.payload(action, event)


def test_default_subscriptions() -> None:
    harness = DestinationHarness(definition, {"api_key": KEY})
    for kind in ("identify", "group", "alias"):
        with pytest.raises(NotSent, match="not subscribed"):
            harness.payload("capture", make_event(type=kind))
    with pytest.raises(NotSent, match="not subscribed"):
        harness.payload("identify", make_event())
