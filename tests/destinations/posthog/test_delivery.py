"""PostHog batching, error classification, test_connection and settings validation."""

from __future__ import annotations

import orjson
import pytest

from eventyard.control.config import parse_config
from eventyard.destinations.base import BatchLimits
from eventyard.destinations.posthog import EU_HOST, PostHogSettings, definition
from eventyard.errors import ConfigError, TerminalError, TransientError
from eventyard.testing import DestinationHarness, make_event
from fakes.posthog_api import PostHogFake
from fakes.webhook_receiver import Answer

from .conftest import KEY


def tracks(count: int, **overrides: object) -> list[dict[str, object]]:
    return [make_event(event=f"E{i}", **overrides) for i in range(count)]


async def test_batch_posts_one_batch_request_in_order(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    _, result = await harness.perform_batch("capture", tracks(3))
    assert result is None
    (request,) = posthog.requests
    assert request.path == "/batch/"
    body = orjson.loads(request.body)
    assert (body["api_key"], body["historical_migration"]) == (KEY, False)
    assert [event["event"] for event in body["batch"]] == ["E0", "E1", "E2"]
    assert body["batch"][0]["distinct_id"] == "user1234"


async def test_historical_migration_is_flagged_on_every_request(posthog: PostHogFake) -> None:
    settings = {"api_key": KEY, "host": posthog.url, "historical_migration": True}
    harness = DestinationHarness(definition, settings)
    await harness.perform("identify", make_event(type="identify"))
    (request,) = posthog.requests
    assert request.path == "/batch/"
    assert orjson.loads(request.body)["historical_migration"] is True


def test_batch_limits_follow_the_20_mb_body_limit() -> None:
    settings = PostHogSettings(api_key=KEY)
    for action in definition.actions.values():
        assert action.batch is not None and action.perform_batch is not None
        assert action.batch(settings) == BatchLimits(1000, 1.0, 19_000_000)
        fast = PostHogSettings(api_key=KEY, batch_wait_ms=20)
        assert action.batch(fast) == BatchLimits(1000, 0.02, 19_000_000)


async def test_batch_over_20_mb_is_split_into_requests_under_it(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    big = {"blob": "x" * 7_000_000}
    _, result = await harness.perform_batch("capture", tracks(3, properties=big))
    assert result is None
    assert [len(orjson.loads(r.body)["batch"]) for r in posthog.requests] == [2, 1]
    assert all(len(r.body) < 20_000_000 for r in posthog.requests)
    assert [e["event"] for e in posthog.events] == ["E0", "E1", "E2"]


async def test_a_failed_part_fails_it_and_everything_after_it(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    posthog.fail_next(None, Answer(503, {}, b"busy"))
    big = {"blob": "x" * 7_000_000}
    _, result = await harness.perform_batch("capture", tracks(3, properties=big))
    assert result is not None
    assert result[:2] == [None, None]
    assert isinstance(result[2], TransientError)


async def test_track_without_a_name_fails_alone_in_a_batch(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    events = tracks(3)
    del events[1]["event"]
    _, result = await harness.perform_batch("capture", events)
    assert result is not None
    assert result[0] is None and result[2] is None
    assert isinstance(result[1], TerminalError) and "event_name" in str(result[1])
    assert [e["event"] for e in posthog.events] == ["E0", "E2"]


@pytest.mark.parametrize(
    ("answer", "retry_after"),
    [
        (Answer(503, {}, b"unavailable"), None),
        (Answer(429, {"Retry-After": "7"}, b"slow down"), 7.0),
    ],
)
async def test_busy_or_rate_limited_is_retried(
    harness: DestinationHarness, posthog: PostHogFake, answer: Answer, retry_after: float | None
) -> None:
    posthog.fail_next(answer)
    with pytest.raises(TransientError) as caught:
        await harness.perform("capture", make_event())
    assert caught.value.retry_after == retry_after
    _, result = await harness.perform_batch("capture", tracks(2))
    assert result is None and len(posthog.events) == 2


async def test_bad_key_is_terminal_and_says_which_key(posthog: PostHogFake) -> None:
    harness = DestinationHarness(definition, {"api_key": "phx_personal", "host": posthog.url})
    with pytest.raises(TerminalError, match=r"project API key \(phc_\.\.\.\)") as caught:
        await harness.perform("capture", make_event())
    assert caught.value.status == 401
    assert "Project API key invalid" in str(caught.value)
    _, result = await harness.perform_batch("capture", tracks(2))
    assert result is not None and all(isinstance(e, TerminalError) for e in result)


async def test_invalid_event_is_terminal_with_posthogs_detail(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    detail = {"type": "validation_error", "code": "invalid_payload", "detail": "bad timestamp"}
    posthog.fail_next(Answer(400, {}, orjson.dumps(detail)))
    with pytest.raises(TerminalError, match=r"HTTP 400: bad timestamp\); check the mapping"):
        await harness.perform("capture", make_event())


async def test_a_message_id_that_is_no_uuid_is_left_out(
    harness: DestinationHarness, posthog: PostHogFake
) -> None:
    await harness.perform("capture", make_event(messageId="ajs-next-1700000000000-abc"))
    assert "uuid" not in posthog.events[0]


async def test_connection_ok_and_bad_key(posthog: PostHogFake) -> None:
    good = DestinationHarness(definition, {"api_key": KEY, "host": posthog.url})
    await good.test_connection()
    assert posthog.requests[-1].path == "/flags/?v=2"
    assert posthog.events == []
    bad = DestinationHarness(definition, {"api_key": "phc_wrong", "host": posthog.url})
    with pytest.raises(TerminalError, match="rejected api_key"):
        await bad.test_connection()


def config(settings: str) -> str:
    return f"""
sources: [{{name: web, write_key: wk}}]
destinations:
  - name: ph
    type: posthog
    sources: [web]
    settings: {settings}
"""


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("{}", "api_key"),
        ("{api_key: ''}", "api_key"),
        ("{api_key: phc_1, host: 'us.i.posthog.com'}", "http:// or https://"),
        ("{api_key: phc_1, region: eu}", "region"),
        ("{api_key: phc_1, batch_wait_ms: -1}", "batch_wait_ms"),
    ],
)
def test_settings_validation_names_the_problem(settings: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"destinations\[0\]\.settings") as caught:
        parse_config(config(settings))
    assert message in str(caught.value)


def test_eu_host_and_trailing_slash() -> None:
    parse_config(config(f"{{api_key: phc_1, host: '{EU_HOST}/'}}"))
    assert PostHogSettings(api_key="k", host=f"{EU_HOST}/").host == EU_HOST
