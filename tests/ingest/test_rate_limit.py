"""`sources[].rate_limit`: a token bucket per source counting events, answered 429 with
Retry-After and X-RateLimit-Reset (seconds) as Segment does; nothing of a refused request is
stored. The clock is the test's, so nothing sleeps."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import msgspec
import orjson
import pytest

from eventyard.control.config import Config, RateLimit, SourceConfig
from eventyard.ingest.app import create_app
from eventyard.ingest.rate_limit import SourceLimits

from .conftest import OTHER_KEY, WRITE_KEY, MemoryLog, basic, make_config

AUTH = basic(WRITE_KEY)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited(rate: float, burst: int | None) -> Config:
    config = make_config()
    web = msgspec.structs.replace(config.sources[0], rate_limit=RateLimit(rate, burst))
    return msgspec.structs.replace(config, sources=[web, *config.sources[1:]])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limits(clock: Clock) -> SourceLimits:
    return SourceLimits(clock)


@pytest.fixture
async def client(
    config: Config, log: MemoryLog, limits: SourceLimits
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(config, log, limits=limits))
    async with httpx.AsyncClient(transport=transport, base_url="http://collector.test") as c:
        yield c


def batch(size: int) -> dict[str, object]:
    return {"batch": [{"type": "track", "userId": "u", "event": f"E{i}"} for i in range(size)]}


def assert_refused(response: httpx.Response, seconds: str) -> None:
    assert response.status_code == 429
    assert response.headers["Retry-After"] == seconds
    assert response.headers["X-RateLimit-Reset"] == seconds
    body = response.json()
    assert body["success"] is False and body["code"] == "rate_limited"
    assert "'web'" in body["message"] and "rate_limit" in body["message"]


@pytest.mark.parametrize("config", [limited(2, 3)])
async def test_single_events_over_the_rate_get_429_and_are_not_stored(
    client: httpx.AsyncClient, log: MemoryLog, clock: Clock, limits: SourceLimits
) -> None:
    event = {"userId": "u", "event": "Clicked"}
    for _ in range(3):  # the burst
        assert (await client.post("/v1/track", json=event, headers=AUTH)).status_code == 200
    browser = {**AUTH, "Origin": "https://shop.example"}
    refused = await client.post("/v1/track", json=event, headers=browser)
    assert_refused(refused, "1")
    # analytics.js posts cross-origin: it can read both headers only when they are exposed
    exposed = refused.headers["access-control-expose-headers"]
    assert "Retry-After" in exposed and "X-RateLimit-Reset" in exposed
    assert len(log.records) == 3 and limits.refused == {"web": 1}
    other = basic(OTHER_KEY)  # another source has no limit
    assert (await client.post("/v1/track", json=event, headers=other)).status_code == 200
    clock.now += 0.5  # one event's worth at 2/s
    assert (await client.post("/v1/t", json=event, headers=AUTH)).status_code == 200
    assert (await client.post("/v1/t", json=event, headers=AUTH)).status_code == 429


@pytest.mark.parametrize("config", [limited(5, 10)])
async def test_a_batch_counts_its_events(
    client: httpx.AsyncClient, log: MemoryLog, clock: Clock, limits: SourceLimits
) -> None:
    assert (await client.post("/v1/batch", json=batch(6), headers=AUTH)).status_code == 200
    # 4 left, 6 wanted: (6 - 4) / 5 per second = 0.4 s, said as 1
    assert_refused(await client.post("/v1/batch", json=batch(6), headers=AUTH), "1")
    assert len(log.records) == 6 and limits.refused == {"web": 6}
    clock.now += 0.5
    assert (await client.post("/v1/import", json=batch(6), headers=AUTH)).status_code == 200


@pytest.mark.parametrize("config", [limited(5, 5)])
async def test_a_batch_larger_than_the_burst_passes_on_a_full_bucket_and_is_paid_back(
    client: httpx.AsyncClient, log: MemoryLog, clock: Clock
) -> None:
    assert (await client.post("/v1/batch", json=batch(20), headers=AUTH)).status_code == 200
    # 15 events in debt: one more needs (1 + 15) / 5 = 3.2 s
    event = {"userId": "u", "event": "E"}
    assert_refused(await client.post("/v1/track", json=event, headers=AUTH), "4")
    clock.now += 3.3
    assert (await client.post("/v1/track", json=event, headers=AUTH)).status_code == 200
    assert len(log.records) == 21


@pytest.mark.parametrize("config", [limited(1, None)])
async def test_the_pixel_over_the_rate_still_answers_the_gif_and_stores_nothing(
    client: httpx.AsyncClient, log: MemoryLog, limits: SourceLimits
) -> None:
    data = base64.b64encode(orjson.dumps({"writeKey": WRITE_KEY, "userId": "u", "event": "O"}))
    for _ in range(2):
        response = await client.get(f"/v1/pixel/track?data={data.decode()}")
        assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    assert len(log.records) == 1 and limits.refused == {"web": 1}


@pytest.mark.parametrize("config", [limited(1, 1)])
async def test_overload_stays_503(
    client: httpx.AsyncClient, log: MemoryLog, config: Config
) -> None:
    log.backlog = config.server.max_pending_events + 1
    response = await client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=AUTH)
    assert response.status_code == 503 and response.json()["code"] == "overloaded"


def test_a_changed_limit_gets_a_new_bucket_an_unchanged_one_keeps_its_state(
    clock: Clock,
) -> None:
    limits = SourceLimits(clock)
    web = SourceConfig(name="web", write_key="k", rate_limit=RateLimit(1, 2))
    limits.configure([web])
    assert limits.take("web", 2) is None and limits.take("web", 1) == 1.0
    limits.configure([web])  # the same limit: still empty
    assert limits.take("web", 1) == 1.0
    limits.configure([msgspec.structs.replace(web, rate_limit=RateLimit(1, 3))])
    assert limits.take("web", 3) is None
    limits.configure([msgspec.structs.replace(web, rate_limit=None)])
    assert limits.take("web", 1000) is None
    assert limits.refused == {"web": 2}
