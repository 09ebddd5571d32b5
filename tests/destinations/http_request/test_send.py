"""http_request `send` against a live JSON receiver: request shape, batching, errors."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import orjson
import pytest

from destinations.http_request.conftest import TOKEN
from eventyard.control.config import parse_config
from eventyard.destinations.base import BatchLimits, secret_fields
from eventyard.destinations.http_request import HttpRequestSettings, definition
from eventyard.errors import ConfigError, TerminalError, TransientError
from eventyard.testing import DestinationHarness, NotSent, make_event
from fakes.http_request import JsonEndpoint
from fakes.webhook_receiver import Answer, Received

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def harness(**settings: Any) -> DestinationHarness:
    return DestinationHarness(definition, {"headers": AUTH, **settings})


def events(count: int) -> list[dict[str, Any]]:
    return [make_event(messageId=f"m{i}", properties={"i": i}) for i in range(count)]


async def test_default_mapping_posts_the_whole_event_as_json(api: JsonEndpoint) -> None:
    event = make_event(event="Order Completed", properties={"total": 9.5})
    await harness().perform("send", event, mapping={"url": api.url})
    (request,) = api.requests
    assert (request.method, request.path) == ("POST", "/hook")
    assert orjson.loads(request.body) == event
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "x-signature" not in request.headers


async def test_mapped_headers_override_settings_and_body_is_signed(api: JsonEndpoint) -> None:
    mapping = {
        "url": api.url,
        "method": "PUT",
        "headers": {"X-Source": {"@path": "$.context.library.name"}, "X-Attempt": 1},
        "data": {"id": {"@path": "$.userId"}, "name": {"@path": "$.event"}},
    }
    await harness(shared_secret="s3cret").perform("send", make_event(), mapping=mapping)
    (request,) = api.requests
    assert request.method == "PUT"
    assert orjson.loads(request.body) == {"id": "user1234", "name": "Test Event"}
    assert request.headers["x-source"] == "analytics.js"
    assert request.headers["x-attempt"] == "1"
    expected = hmac.new(b"s3cret", request.body, hashlib.sha1).hexdigest()
    assert request.headers["x-signature"] == expected


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_other_methods_send_the_body(api: JsonEndpoint, method: str) -> None:
    mapping = {"url": api.url, "method": method, "data": {"a": 1}}
    await harness().perform("send", make_event(), mapping=mapping)
    assert api.requests[0].method == method
    assert api.bodies() == [{"a": 1}]


async def test_get_sends_no_body(api: JsonEndpoint) -> None:
    mapping = {"url": {"@template": api.url + "?user={{userId}}"}, "method": "GET"}
    await harness().perform("send", make_event(), mapping=mapping)
    (request,) = api.requests
    assert (request.method, request.path, request.body) == ("GET", "/hook?user=user1234", b"")
    assert "content-type" not in request.headers


async def test_url_is_required() -> None:
    with pytest.raises(NotSent, match="missing the required field 'url'"):
        harness().payload("send", make_event())


async def test_url_must_be_a_uri_and_method_a_known_one() -> None:
    bad = make_event(properties={"target": "not a url"})
    with pytest.raises(NotSent, match="'url' must be a valid uri"):
        harness().payload("send", bad, mapping={"url": {"@path": "$.properties.target"}})
    method = {"url": "https://example.com", "method": {"@path": "$.properties.m"}}
    with pytest.raises(NotSent, match="'method' must be one of"):
        harness().payload("send", make_event(properties={"m": "HEAD"}), mapping=method)


async def test_non_http_url_is_a_terminal_error() -> None:
    with pytest.raises(TerminalError, match=r"http:// or https://.*`url` mapping"):
        await harness().perform("send", make_event(), mapping={"url": "ftp://example.com/x"})


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Bad Header": "x"}, "not a valid HTTP header name"),
        ({"Host": "evil"}, "set by eventyard"),
        ({"X-Obj": {"a": 1}}, "must be a string"),
    ],
)
async def test_bad_mapped_headers_are_terminal(
    api: JsonEndpoint, headers: dict[str, Any], message: str
) -> None:
    with pytest.raises(TerminalError, match=message):
        await harness().perform("send", make_event(), mapping={"url": api.url, "headers": headers})
    assert api.requests == []


@pytest.mark.parametrize(
    ("answer", "retry_after"),
    [
        (Answer(503, {}, b"down"), None),
        (Answer(429, {"retry-after": "7"}, b"slow down"), 7.0),
        (Answer(500, {}, b"oops"), None),
    ],
)
async def test_retryable_statuses_are_transient(
    api: JsonEndpoint, answer: Answer, retry_after: float | None
) -> None:
    api.script([answer])
    with pytest.raises(TransientError) as caught:
        await harness().perform("send", make_event(), mapping={"url": api.url})
    assert caught.value.retry_after == retry_after


async def test_wrong_credentials_are_terminal_and_say_so(api: JsonEndpoint) -> None:
    settings = {"headers": {"Authorization": "Bearer wrong"}}
    with pytest.raises(TerminalError, match=r"HTTP 401 .*bearer token"):
        await DestinationHarness(definition, settings).perform(
            "send", make_event(), mapping={"url": api.url}
        )


def test_batching_is_off_unless_enabled() -> None:
    send = definition.actions["send"]
    assert send.batch is not None
    assert send.batch(harness().settings) is None
    on = harness(enable_batching=True, batch_size=50, batch_wait_ms=200)
    assert send.batch(on.settings) == BatchLimits(50, 0.2, 1_000_000)


async def test_batches_post_arrays_split_at_batch_size(api: JsonEndpoint) -> None:
    sent = events(25)
    _, result = await harness(enable_batching=True, batch_size=10).perform_batch(
        "send", sent, mapping={"url": api.url}
    )
    assert result is None
    bodies = api.bodies()
    assert sorted(len(body) for body in bodies) == [5, 10, 10]
    assert sorted((e for body in bodies for e in body), key=lambda e: e["messageId"]) == sorted(
        sent, key=lambda e: e["messageId"]
    )
    assert all(r.headers["content-type"] == "application/json" for r in api.requests)


async def test_batches_split_before_the_byte_limit(api: JsonEndpoint) -> None:
    sent = events(10)
    size = len(orjson.dumps(sent[0]))
    h = harness(enable_batching=True, batch_size=100, batch_max_bytes=size * 3 + 10)
    await h.perform_batch("send", sent, mapping={"url": api.url})
    assert [len(body) for body in api.bodies()] == [3, 3, 3, 1]
    assert all(len(r.body) <= size * 3 + 10 for r in api.requests)


async def test_batch_groups_by_url_and_reports_per_payload(api: JsonEndpoint) -> None:
    sent = events(4)
    targets = [api.base + "/a", api.base + "/busy", "ftp://example.com/x", api.base + "/a"]
    for event, target in zip(sent, targets, strict=True):
        event["properties"]["target"] = target
    checks = api.on_request
    assert checks is not None

    def busy_path_is_down(request: Received) -> Answer | None:
        return checks(request) or (Answer(503, {}, b"busy") if request.path == "/busy" else None)

    api.on_request = busy_path_is_down
    _, result = await harness(enable_batching=True).perform_batch(
        "send", sent, mapping={"url": {"@path": "$.properties.target"}}
    )
    assert result is not None
    assert result[0] is None and result[3] is None
    assert isinstance(result[1], TransientError)
    assert isinstance(result[2], TerminalError) and "http:// or https://" in str(result[2])
    arrays = sorted((r.path, [e["messageId"] for e in orjson.loads(r.body)]) for r in api.requests)
    assert arrays == [("/a", ["m0", "m3"]), ("/busy", ["m1"])]


async def test_fake_checks_content_type_and_size(api: JsonEndpoint) -> None:
    """The fake's own checks, so the tests above mean what they say."""
    api.max_bytes = 100
    async with httpx.AsyncClient(headers=AUTH) as client:
        text = await client.post(api.url, content=b"{}", headers={"content-type": "text/plain"})
        big = await client.post(api.url, json={"x": "y" * 200})
        bad = await client.post(api.url, content=b"{", headers={"content-type": "application/json"})
    assert [text.status_code, big.status_code, bad.status_code] == [415, 413, 400]
    assert bad.json() == {"error": "body is not valid JSON"}


def config_with(settings: str) -> str:
    return f"""
sources: [{{name: web, write_key: wk}}]
destinations:
  - name: out
    type: http_request
    sources: [web]
    settings: {settings}
"""


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("{colour: red}", "colour"),
        ("{headers: {'Bad Header': x}}", "not a valid HTTP header name"),
        ("{headers: {'X-Signature': x}}", "set by eventyard"),
        ("{batch_size: 1001}", "1000"),
        ("{enable_batching: maybe}", "bool"),
    ],
)
def test_settings_validation_names_the_problem(settings: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"destinations\[0\]\.settings") as caught:
        parse_config(config_with(settings))
    assert message in str(caught.value)


def test_settings_defaults_and_secrets() -> None:
    settings = DestinationHarness(definition, {}).settings
    assert isinstance(settings, HttpRequestSettings)
    assert (settings.enable_batching, settings.batch_size) == (False, 100)
    assert secret_fields(HttpRequestSettings) == {"headers", "shared_secret"}
    assert definition.ordered is False and definition.consent_category is None
