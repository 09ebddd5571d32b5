"""Segment batching limits, error classification, test_connection and settings."""

from __future__ import annotations

import orjson
import pytest

from eventyard.control.config import parse_config
from eventyard.destinations.segment import REGION_HOSTS, SegmentSettings, definition
from eventyard.errors import ConfigError, TerminalError, TransientError
from eventyard.testing import DestinationHarness, make_event
from fakes.segment_api import SegmentFake, error_answer
from fakes.webhook_receiver import Answer

from .conftest import KEY


def events(count: int, **overrides: object) -> list[dict[str, object]]:
    return [make_event(messageId=f"m-{i}", **overrides) for i in range(count)]


async def test_a_batch_is_one_request(harness: DestinationHarness, segment: SegmentFake) -> None:
    _, result = await harness.perform_batch("send", events(10))
    assert result is None
    (request,) = segment.requests
    assert [e["messageId"] for e in orjson.loads(request.body)["batch"]] == [
        f"m-{i}" for i in range(10)
    ]


async def test_more_than_2500_events_are_split(
    harness: DestinationHarness, segment: SegmentFake
) -> None:
    _, result = await harness.perform_batch(
        "send", events(2600, properties=None, context=None, traits=None, integrations=None)
    )
    assert result is None
    assert [len(orjson.loads(r.body)["batch"]) for r in segment.requests] == [2500, 100]
    assert len(segment.events) == 2600 and segment.dropped == []


async def test_requests_stay_under_500_kb(
    harness: DestinationHarness, segment: SegmentFake
) -> None:
    _, result = await harness.perform_batch("send", events(40, properties={"x": "y" * 30_000}))
    assert result is None
    assert len(segment.requests) >= 3
    assert all(len(r.body) <= 500_000 for r in segment.requests)
    assert len(segment.events) == 40


@pytest.mark.parametrize(
    ("answer", "retry_after"),
    [
        (error_answer(503, "unavailable", "server_error"), None),
        (Answer(429, {"Retry-After": "3", "X-RateLimit-Reset": "3"}, b"{}"), 3.0),
    ],
)
async def test_busy_or_rate_limited_is_retried(
    harness: DestinationHarness, segment: SegmentFake, answer: Answer, retry_after: float | None
) -> None:
    segment.fail_next(answer)
    with pytest.raises(TransientError) as caught:
        await harness.perform("send", make_event())
    assert caught.value.retry_after == retry_after
    segment.fail_next(answer)
    _, result = await harness.perform_batch("send", events(3))
    assert result is not None and all(isinstance(e, TransientError) for e in result)


async def test_unknown_write_key_is_terminal_and_says_where_to_find_it(
    segment: SegmentFake,
) -> None:
    harness = DestinationHarness(definition, {"write_key": "nope", "endpoint": segment.url})
    with pytest.raises(TerminalError, match="Write Key of the Segment source") as caught:
        await harness.perform("send", make_event())
    assert caught.value.status == 401


async def test_bad_request_is_terminal_with_segments_message(
    harness: DestinationHarness, segment: SegmentFake
) -> None:
    segment.fail_next(error_answer(400, "malformed JSON"))
    with pytest.raises(TerminalError, match=r"HTTP 400: malformed JSON"):
        await harness.perform("send", make_event())


async def test_200_without_success_is_terminal(
    harness: DestinationHarness, segment: SegmentFake
) -> None:
    segment.fail_next(Answer(200, {}, b'{"success":false}'))
    with pytest.raises(TerminalError, match="without success"):
        await harness.perform("send", make_event())


async def test_connection_ok_and_bad_key(segment: SegmentFake) -> None:
    good = {"write_key": KEY, "endpoint": segment.url, "cdn_host": segment.url}
    await DestinationHarness(definition, good).test_connection()
    assert segment.requests[-1].path == f"/v1/projects/{KEY}/settings"
    bad = {**good, "write_key": "nope"}
    with pytest.raises(TerminalError, match="does not know this write key"):
        await DestinationHarness(definition, bad).test_connection()
    assert segment.events == []


def test_region_chooses_the_host() -> None:
    assert SegmentSettings(write_key=KEY).host == "https://api.segment.io"
    eu = SegmentSettings(write_key=KEY, region="eu")
    assert eu.host == REGION_HOSTS["eu"] == "https://events.eu1.segmentapis.com"
    proxy = SegmentSettings(write_key=KEY, region="eu", endpoint="https://proxy.example/")
    assert proxy.host == "https://proxy.example"


def config(settings: str) -> str:
    return f"""
sources: [{{name: web, write_key: wk}}]
destinations:
  - name: seg
    type: segment
    sources: [web]
    settings: {settings}
"""


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("{}", "write_key"),
        ("{write_key: ' '}", "write_key"),
        ("{write_key: k, region: apac}", "region"),
        ("{write_key: k, batch_wait_ms: 60001}", "batch_wait_ms"),
        ("{write_key: k, endpoint: 'api.segment.io'}", "http:// or https://"),
    ],
)
def test_settings_validation_names_the_problem(settings: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"destinations\[0\]\.settings") as caught:
        parse_config(config(settings))
    assert message in str(caught.value)
