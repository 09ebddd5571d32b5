"""Slack `postToChannel` against a live fake of incoming webhooks."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import orjson
import pytest

from eventyard.control.config import parse_config
from eventyard.destinations.base import secret_fields
from eventyard.destinations.slack import SlackSettings, definition
from eventyard.errors import ConfigError, TerminalError, TransientError
from eventyard.testing import DestinationHarness, NotSent, make_event
from fakes.slack import HOOK_PATH, SlackWebhooks
from fakes.webhook_receiver import Answer


def harness(slack: SlackWebhooks) -> DestinationHarness:
    return DestinationHarness(definition, {"endpoint": slack.endpoint})


async def post(slack: SlackWebhooks, event: dict[str, Any], **mapping: Any) -> dict[str, Any]:
    return await harness(slack).perform(
        "postToChannel", event, mapping={"url": slack.hook_url, **mapping}
    )


async def test_default_mapping_posts_the_documented_json(slack: SlackWebhooks) -> None:
    await post(slack, make_event(event="Order Completed"))
    (request,) = slack.requests
    assert (request.method, request.path) == ("POST", HOOK_PATH)
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == {
        "text": "Order Completed by user1234",
        "username": "Segment",
        "icon_url": "https://logo.clearbit.com/segment.com",
    }


async def test_anonymous_users_are_named_by_anonymous_id(slack: SlackWebhooks) -> None:
    await post(slack, make_event(userId=None))
    assert slack.messages()[0]["text"] == "Test Event by anonymous user anonId1234"


async def test_mapped_fields_are_sent(slack: SlackWebhooks) -> None:
    mapping = {
        "text": {"@template": "*{{event}}* worth {{properties.total}}"},
        "channel": "alerts",
        "username": "Shop",
        "icon_url": "https://example.com/i.png",
    }
    await post(slack, make_event(properties={"total": 42}), **mapping)
    assert slack.messages() == [
        {
            "channel": "alerts",
            "text": "*Test Event* worth 42",
            "username": "Shop",
            "icon_url": "https://example.com/i.png",
        }
    ]


async def test_only_track_events_trigger_by_default(slack: SlackWebhooks) -> None:
    with pytest.raises(NotSent, match="not subscribed"):
        harness(slack).payload("postToChannel", make_event(type="identify"))


async def test_url_is_required(slack: SlackWebhooks) -> None:
    with pytest.raises(NotSent, match="missing the required field 'url'"):
        harness(slack).payload("postToChannel", make_event())


async def test_text_is_required(slack: SlackWebhooks) -> None:
    mapping = {"url": slack.hook_url, "text": {"@path": "$.properties.note"}}
    with pytest.raises(NotSent, match="missing the required field 'text'"):
        harness(slack).payload("postToChannel", make_event(), mapping=mapping)


@pytest.mark.parametrize(
    "url", ["https://evil.example.com/services/T/B/X", "{endpoint}", "{endpoint}/"]
)
async def test_urls_off_the_slack_host_are_refused_without_echoing_them(
    slack: SlackWebhooks, url: str
) -> None:
    url = url.format(endpoint=slack.endpoint)
    with pytest.raises(TerminalError, match="Invalid Slack URL") as caught:
        await post(slack, make_event(), url=url)
    assert "evil" not in str(caught.value)
    assert slack.requests == []


@pytest.mark.parametrize(
    ("prepare", "mapping", "status", "advice"),
    [
        (None, {"channel": "random"}, 404, "channel_not_found: the channel does not exist"),
        ("archive", {"channel": "alerts"}, 410, "channel_is_archived: the channel is archived"),
        ("remove", {}, 404, "no_service: the webhook was disabled"),
        ("revoke", {}, 403, "invalid_token: the webhook URL is no longer valid"),
    ],
)
async def test_slack_errors_are_terminal_with_advice_and_no_secret(
    slack: SlackWebhooks,
    prepare: str | None,
    mapping: dict[str, str],
    status: int,
    advice: str,
) -> None:
    if prepare == "archive":
        slack.archived.add("alerts")
    elif prepare == "remove":
        slack.removed.add(HOOK_PATH)
    elif prepare == "revoke":
        slack.hooks.clear()
    with pytest.raises(TerminalError) as caught:
        await post(slack, make_event(), **mapping)
    assert str(caught.value).startswith(f"Slack answered HTTP {status} {advice}")
    assert "XXXXXXXX" not in str(caught.value)


async def test_fake_rejects_what_slack_rejects(slack: SlackWebhooks) -> None:
    """The fake's own checks, so the tests above mean what they say."""
    async with httpx.AsyncClient() as client:
        empty = await client.post(slack.hook_url, json={"username": "x"})
        form = await client.post(slack.hook_url, data={"text": "x"})
        ok = await client.post(slack.hook_url, json={"text": "hi", "channel": "#general"})
    assert (empty.status_code, empty.text) == (400, "no_text")
    assert (form.status_code, form.text) == (400, "invalid_payload")
    assert (ok.status_code, ok.text, ok.headers["content-type"]) == (200, "ok", "text/plain")


async def test_rate_limit_is_transient_with_retry_after(slack: SlackWebhooks) -> None:
    slack.rate_limit(1, retry_after=30)
    with pytest.raises(TransientError, match="rate_limited") as caught:
        await post(slack, make_event())
    assert caught.value.retry_after == 30
    await post(slack, make_event())
    assert len(slack.requests) == 2


async def test_server_errors_are_transient(slack: SlackWebhooks) -> None:
    slack.script([Answer(500, {"content-type": "text/plain"}, b"rollup_error")])
    with pytest.raises(TransientError, match="HTTP 500 rollup_error"):
        await post(slack, make_event())


async def test_no_batching_and_no_connection_test(slack: SlackWebhooks) -> None:
    action = definition.actions["postToChannel"]
    assert action.perform_batch is None and action.batch is None
    with pytest.raises(NotSent, match="no test_connection"):
        await harness(slack).test_connection()


def config_with(settings: str) -> str:
    return f"""
sources: [{{name: web, write_key: wk}}]
destinations:
  - name: chat
    type: slack
    sources: [web]
    settings: {settings}
"""


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("{endpoint: 'ftp://hooks.slack.com'}", "http:// or https://"),
        ("{endpoint: 'https://hooks.slack.com/services/T/B/X'}", "without a path"),
        ("{webhook: x}", "webhook"),
    ],
)
def test_settings_validation_names_the_problem(settings: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"destinations\[0\]\.settings") as caught:
        parse_config(config_with(settings))
    assert message in str(caught.value)


def test_settings_default_to_slack_and_hold_no_secret() -> None:
    settings = msgspec.convert({}, SlackSettings)
    assert settings.endpoint == "https://hooks.slack.com"
    assert secret_fields(SlackSettings) == frozenset()
    assert definition.actions["postToChannel"].fields["url"].type == "password"
    assert definition.ordered is True
