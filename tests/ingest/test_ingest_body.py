"""Size limits (exact boundaries), gzip, gzip bombs and malformed bodies."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from eventyard.spec.limits import (
    MAX_BATCH_EVENTS,
    MAX_BATCH_REQUEST_BYTES,
    MAX_SINGLE_REQUEST_BYTES,
    MAX_STORED_MESSAGE_BYTES,
)

from .conftest import WRITE_KEY, MemoryLog, basic

AUTH = basic(WRITE_KEY)


def padded(size: int, template: dict[str, object], field: str = "pad") -> bytes:
    """`template` as JSON with a string field padded so the body is exactly `size` bytes."""
    base = len(orjson.dumps({**template, field: ""}))
    body = orjson.dumps({**template, field: "x" * (size - base)})
    assert len(body) == size
    return body


@pytest.mark.parametrize(("extra", "status"), [(0, 200), (1, 400)])
async def test_single_request_limit_is_32_kb(
    client: httpx.AsyncClient, log: MemoryLog, extra: int, status: int
) -> None:
    body = padded(MAX_SINGLE_REQUEST_BYTES + extra, {"userId": "u", "event": "E"})
    response = await client.post("/v1/track", content=body, headers=AUTH)
    assert response.status_code == status
    if status == 400:
        assert response.json()["code"] == "payload_too_large"
        assert log.appends == 0


@pytest.mark.parametrize(("extra", "status"), [(0, 200), (1, 400)])
async def test_batch_request_limit_is_500_kb(
    client: httpx.AsyncClient, log: MemoryLog, extra: int, status: int
) -> None:
    items = [{"type": "track", "userId": "u", "event": "E", "p": "y" * 30_000}] * 16
    body = padded(MAX_BATCH_REQUEST_BYTES + extra, {"batch": items})
    response = await client.post("/v1/batch", content=body, headers=AUTH)
    assert response.status_code == status
    assert len(log.records) == (16 if status == 200 else 0)


async def test_oversized_body_without_content_length_is_cut_off(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    chunk = b" " * 65536

    async def stream() -> AsyncIterator[bytes]:
        yield b'{"batch": ['
        for _ in range(100):
            yield chunk

    response = await client.post("/v1/batch", content=stream(), headers=AUTH)
    assert response.status_code == 400
    assert response.json()["code"] == "payload_too_large"
    assert log.appends == 0


@pytest.mark.parametrize(
    ("count", "status"), [(MAX_BATCH_EVENTS, 200), (MAX_BATCH_EVENTS + 1, 400)]
)
async def test_batch_event_count_limit(
    client: httpx.AsyncClient, log: MemoryLog, count: int, status: int
) -> None:
    batch = [{"type": "page", "anonymousId": str(i)} for i in range(count)]
    response = await client.post("/v1/batch", json={"batch": batch}, headers=AUTH)
    assert response.status_code == status
    if status == 400:
        assert response.json()["code"] == "too_many_events"
        assert "2500" in response.json()["message"]
    assert len(log.records) == (count if status == 200 else 0)


async def test_gzip_body(client: httpx.AsyncClient, log: MemoryLog) -> None:
    body = gzip.compress(orjson.dumps({"batch": [{"type": "track", "userId": "u", "event": "E"}]}))
    headers = {**AUTH, "Content-Encoding": "gzip", "Content-Type": "application/json"}
    response = await client.post("/v1/batch", content=body, headers=headers)
    assert response.status_code == 200
    assert log.events()[0]["event"] == "E"


async def test_gzip_bomb_is_refused(client: httpx.AsyncClient, log: MemoryLog) -> None:
    bomb = gzip.compress(b"0" * 50_000_000)
    assert len(bomb) < MAX_BATCH_REQUEST_BYTES
    headers = {**AUTH, "Content-Encoding": "gzip"}
    response = await client.post("/v1/batch", content=bomb, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "payload_too_large"
    assert log.appends == 0


@pytest.mark.parametrize(("body", "encoding"), [(b"not gzip at all", "gzip"), (b"{}", "br")])
async def test_bad_encodings(
    client: httpx.AsyncClient, log: MemoryLog, body: bytes, encoding: str
) -> None:
    headers = {**AUTH, "Content-Encoding": encoding}
    response = await client.post("/v1/batch", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


async def test_truncated_gzip(client: httpx.AsyncClient) -> None:
    body = gzip.compress(b'{"batch": []}')[:-6]
    response = await client.post(
        "/v1/batch", content=body, headers={**AUTH, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 400
    assert "truncated" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"userId": "u", "event": "\xff\xfe"}', "UTF-8"),
        (b'{"userId": "u", "event": ', "malformed JSON"),
        (b"", "malformed JSON"),
        (b'[{"userId": "u"}]', "not an array"),
        (b'"just a string"', "not a string"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested too deeply"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    ],
)
async def test_malformed_bodies_are_400(
    client: httpx.AsyncClient, log: MemoryLog, body: bytes, fragment: str
) -> None:
    for path in ("/v1/track", "/v1/batch"):
        response = await client.post(path, content=body, headers=AUTH)
        assert response.status_code == 400
        payload = response.json()
        assert payload["success"] is False
        assert payload["code"] == "invalid_request"
        assert fragment in payload["message"]
    assert log.appends == 0


async def test_message_size_limit_inside_a_batch(client: httpx.AsyncClient, log: MemoryLog) -> None:
    """The per-message limit applies to the stored message, at its exact boundary."""
    template = {"type": "track", "userId": "u", "event": "E", "messageId": "m", "pad": ""}
    await client.post("/v1/batch", json={"batch": [template]}, headers=AUTH)
    overhead = len(log.records[0].payload)
    fits = {**template, "pad": "x" * (MAX_STORED_MESSAGE_BYTES - overhead)}
    over = {**template, "pad": "x" * (MAX_STORED_MESSAGE_BYTES - overhead + 1)}
    response = await client.post("/v1/batch", json={"batch": [fits, over]}, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["rejected"][0]["index"] == 1
    assert response.json()["rejected"][0]["code"] == "message_too_large"
    assert len(log.records[1].payload) == MAX_STORED_MESSAGE_BYTES
    assert len(log.records) == 2
