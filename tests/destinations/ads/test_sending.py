"""Batching within limits, bisecting whole-request rejections, per-payload results.

`send` here is a plain function standing in for a platform's HTTP call (the HTTP paths are
tested against the fakes in each destination's tests)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from eventyard.destinations.ads.sending import RejectedContent, Results, deliver, envelope
from eventyard.destinations.base import BatchLimits
from eventyard.errors import DeliveryError, TerminalError, TransientError


def build(payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("bad_locally"):
        raise TerminalError("refused before sending")
    return {"id": payload["id"], "blob": payload.get("blob", "")}


class Platform:
    """Refuses a whole request that holds a `poison` event; records each request."""

    def __init__(self, failure: DeliveryError | Exception | None = None) -> None:
        self.requests: list[list[int]] = []
        self.failure = failure

    async def send(self, events: list[bytes]) -> Results:
        ids = [orjson.loads(e)["id"] for e in events]
        self.requests.append(ids)
        if self.failure is not None:
            raise self.failure
        if any(i < 0 for i in ids):
            raise RejectedContent("poison in the request")
        return [None] * len(ids)


def test_envelope() -> None:
    assert orjson.loads(envelope("data", [b"1", b"2"], test_event_code="T", skip=None)) == {
        "data": [1, 2],
        "test_event_code": "T",
    }
    assert envelope("data", [b"{}"]) == b'{"data":[{}]}'


async def test_everything_sent_in_one_request() -> None:
    platform = Platform()
    payloads = [{"id": i} for i in range(5)]
    assert await deliver(payloads, build, platform.send, BatchLimits(max_events=10)) is None
    assert platform.requests == [[0, 1, 2, 3, 4]]


async def test_count_and_size_limits_split_in_order() -> None:
    platform = Platform()
    payloads = [{"id": i, "blob": "x" * 100} for i in range(5)]
    limits = BatchLimits(max_events=2, max_bytes=300)
    assert await deliver(payloads, build, platform.send, limits) is None
    assert platform.requests == [[0, 1], [2, 3], [4]]


async def test_local_refusals_fail_alone() -> None:
    platform = Platform()
    payloads = [{"id": 0}, {"id": 1, "bad_locally": True}, {"id": 2}]
    result = await deliver(payloads, build, platform.send, BatchLimits(max_events=10))
    assert result is not None and result[0] is None and result[2] is None
    assert isinstance(result[1], TerminalError)
    assert platform.requests == [[0, 2]]


async def test_a_rejected_request_is_bisected_down_to_the_bad_events() -> None:
    platform = Platform()
    payloads = [{"id": i} for i in range(7)] + [{"id": -1}] + [{"id": 8}, {"id": -2}]
    result = await deliver(payloads, build, platform.send, BatchLimits(max_events=100))
    assert result is not None
    assert [i for i, r in enumerate(result) if r is not None] == [7, 9]
    assert all(isinstance(result[i], RejectedContent) for i in (7, 9))
    assert len(platform.requests) < 2 * len(payloads)


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (TransientError("slow down", 3.0), TransientError),
        (TerminalError("bad token"), TerminalError),
        (httpx.ConnectError("refused"), TransientError),
    ],
)
async def test_request_level_failures_fail_every_event_of_the_request(
    failure: Exception, kind: type[DeliveryError]
) -> None:
    platform = Platform(failure)
    result = await deliver([{"id": 1}, {"id": 2}], build, platform.send, BatchLimits(10))
    assert result is not None and all(isinstance(r, kind) for r in result)
    assert platform.requests == [[1, 2]]  # never bisected


async def test_unencodable_events_fail_alone() -> None:
    platform = Platform()
    payloads = [{"id": 2**70}, {"id": 1}]
    result = await deliver(payloads, build, platform.send, BatchLimits(10))
    assert result is not None and isinstance(result[0], TerminalError) and result[1] is None


async def test_a_send_answering_the_wrong_count_is_a_bug() -> None:
    async def wrong(events: list[bytes]) -> Results:
        return [None]

    with pytest.raises(AssertionError, match="1 results for 2 events"):
        await deliver([{"id": 1}, {"id": 2}], build, wrong, BatchLimits(10))
