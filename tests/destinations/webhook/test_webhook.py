"""The webhook destination against a live receiver, and its settings validation."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import msgspec
import orjson
import pytest

from delivery.conftest import enqueue, event, hook, make_config, running
from eventyard.control.config import parse_config
from eventyard.delivery import DeliveryService, StateStore
from eventyard.destinations.webhook import WebhookSettings
from eventyard.errors import ConfigError
from fakes.webhook_receiver import WebhookReceiver


async def test_posts_exact_bytes_with_signature_and_headers(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    dest = hook("h", receiver.url, shared_secret="s3cret", headers={"Authorization": "Bearer t"})
    service = DeliveryService(make_config(dest), state, client)
    await enqueue(state, "h", [event(1)])
    async with running(service):
        (request,) = await receiver.wait_for(1)
    assert request.method == "POST" and request.path == "/hook"
    assert request.body == event(1)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer t"
    expected = hmac.new(b"s3cret", request.body, hashlib.sha1).hexdigest()
    assert request.headers["x-signature"] == expected


async def test_no_signature_without_secret(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    service = DeliveryService(make_config(hook("h", receiver.url)), state, client)
    await enqueue(state, "h", [event(1)])
    async with running(service):
        (request,) = await receiver.wait_for(1)
    assert "x-signature" not in request.headers


async def test_batch_mode_posts_arrays_of_at_most_batch_size(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    dest = hook("h", receiver.url, batch_size=10, batch_wait_ms=50, shared_secret="k")
    service = DeliveryService(make_config(dest), state, client)
    events = [event(i) for i in range(25)]
    await enqueue(state, "h", events)
    async with running(service):
        await receiver.wait_for(3)
    batches = [orjson.loads(r.body) for r in receiver.requests]
    assert all(isinstance(b, list) and 1 <= len(b) <= 10 for b in batches)
    sent = sorted(orjson.dumps(e) for batch in batches for e in batch)
    assert sent == sorted(events)
    for request in receiver.requests:
        expected = hmac.new(b"k", request.body, hashlib.sha1).hexdigest()
        assert request.headers["x-signature"] == expected


def config_with(settings: str) -> str:
    return f"""
sources: [{{name: web, write_key: wk}}]
destinations:
  - name: hook
    type: webhook
    sources: [web]
    settings: {settings}
"""


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("{url: 'ftp://example.com/x'}", "http:// or https://"),
        ("{url: 'https://example.com', colour: red}", "colour"),
        ("{}", "url"),
        ("{url: 'https://example.com', batch_size: 1001}", "1000"),
        ("{url: 'https://example.com', headers: {'Content-Type': x}}", "set by eventyard"),
    ],
)
def test_settings_validation_names_the_problem(settings: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"destinations\[0\]\.settings") as caught:
        parse_config(config_with(settings))
    assert message in str(caught.value)


def test_valid_settings_decode() -> None:
    config = parse_config(config_with("{url: 'https://example.com/in', batch_size: 100}"))
    settings = msgspec.convert(config.destinations[0].settings, WebhookSettings)
    assert (settings.batch_size, settings.batch_wait_ms) == (100, 1000)
