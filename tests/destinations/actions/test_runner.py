"""The actions runner executes Segment's code; every request it makes is sent by eventyard's
outbound client, and each outcome is classified as Segment's service classifies it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from eventyard.control.outbound_config import OutboundSettings
from eventyard.delivery.outbound import OutboundRefused, outbound_client
from eventyard.destinations.actions.catalog import ActionsCatalog
from eventyard.destinations.actions.runner import ActionsRunner
from eventyard.destinations.catalog import describe
from eventyard.destinations.registry import get_definition
from eventyard.errors import TerminalError, TransientError
from eventyard.ops.node_parts import node_parts
from eventyard.testing.harness import DestinationHarness
from fakes.webhook_receiver import Answer, WebhookReceiver

SECRET = "runner-s3cret"


@pytest.fixture
def send(actions_catalog: ActionsCatalog) -> Any:
    """`send(payload, outbound=...)`: actions/webhook's `send` as the delivery worker calls it."""
    definition = get_definition("actions/webhook")
    settings = msgspec.convert({"sharedSecret": SECRET}, definition.settings)

    async def perform(payload: dict[str, Any], outbound: OutboundSettings | None = None) -> None:
        async with outbound_client(outbound or OutboundSettings()) as client:
            await definition.actions["send"].perform(client, settings, payload)

    return perform


def payload(url: str, **data: Any) -> dict[str, Any]:
    return {"url": url, "method": "POST", "data": {"event": "Signed Up", **data}}


async def test_segments_code_sends_through_eventyards_client(
    send: Any, receiver: WebhookReceiver
) -> None:
    await send(payload(receiver.url, plan="pro"))
    (request,) = receiver.requests
    assert json.loads(request.body) == {"event": "Signed Up", "plan": "pro"}
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
    assert request.headers["x-signature"] == expected


async def test_the_outbound_policy_refuses_the_runners_requests(
    send: Any, receiver: WebhookReceiver
) -> None:
    with pytest.raises(OutboundRefused, match=r"refused by the outbound policy: 127\.0\.0\.1"):
        await send(payload(receiver.url), OutboundSettings(private_networks="deny"))
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (Answer(400, body=b"bad plan"), TerminalError, "HTTP 400 from http://127.0.0.1"),
        (Answer(503, body=b"later"), TransientError, "HTTP 503"),
        (Answer(429, {"Retry-After": "7"}, b"slow"), TransientError, "HTTP 429"),
    ],
)
async def test_http_answers_are_classified_with_the_platforms_message(
    send: Any, receiver: WebhookReceiver, answer: Answer, error: type[Exception], words: str
) -> None:
    receiver.script([answer])
    with pytest.raises(error, match=words) as caught:
        await send(payload(receiver.url))
    assert answer.body.decode() in str(caught.value)
    if answer.status == 429:
        assert isinstance(caught.value, TransientError) and caught.value.retry_after == 7


async def test_an_invalid_payload_is_permanent_with_segments_message(send: Any) -> None:
    with pytest.raises(TerminalError, match="URL must be a valid URI string") as caught:
        await send({"url": "not a url", "method": "POST", "data": {}})
    assert type(caught.value) is TerminalError


async def test_a_runner_killed_mid_call_fails_that_call_as_retryable_then_restarts(
    send: Any, actions_catalog: ActionsCatalog, receiver: WebhookReceiver
) -> None:
    receiver.hang()
    attempt = asyncio.create_task(send(payload(receiver.url)))
    await receiver.wait_for(1, timeout=20)
    assert actions_catalog.runner is not None and actions_catalog.runner.pid is not None
    first = actions_catalog.runner.pid
    os.kill(first, signal.SIGKILL)
    with pytest.raises(TransientError, match="actions runner exited"):
        await asyncio.wait_for(attempt, 20)
    receiver.respond(200)
    await send(payload(receiver.url, again=True))
    assert actions_catalog.runner.pid not in (None, first)
    assert json.loads(receiver.requests[-1].body) == {"event": "Signed Up", "again": True}


async def test_a_batch_gets_one_result_per_event_from_segments_multistatus(
    actions_catalog: ActionsCatalog,
) -> None:
    """Bing CAPI's sendEvent batches (`enable_batching` in its preset); Bing names the one
    rejected record, and Segment's code answers a MultiStatusResponse: one outcome per event."""
    seen: list[httpx.Request] = []

    def bing(request: httpx.Request) -> httpx.Response:  # an interceptor: the URL is kept
        seen.append(request)
        details = [{"index": 1, "errorMessage": "eventTime is older than 7 days"}]
        return httpx.Response(200, json={"error": {"details": details}})

    harness = DestinationHarness(
        get_definition("actions/ms-bing-capi"), {"UetTag": "343000", "ApiToken": "tok"}
    )
    events = [
        {"type": "track", "event": "Order Completed", "userId": f"u{n}", "messageId": f"m{n}"}
        for n in range(3)
    ]
    async with httpx.AsyncClient(transport=httpx.MockTransport(bing)) as client:
        _, result = await harness.perform_batch("sendEvent", events, None, client)
    (request,) = seen
    assert str(request.url) == "https://capi.uet.microsoft.com/v1/343000/events"
    assert request.headers["authorization"] == "Bearer tok"
    sent = json.loads(request.content)["data"]
    assert [item["eventId"] for item in sent] == ["m0", "m1", "m2"]
    assert result is not None and result[0] is None and result[2] is None
    assert isinstance(result[1], TerminalError)
    assert "eventTime is older than 7 days" in str(result[1])


async def test_a_destination_opening_its_own_sockets_fails_permanently(
    actions_catalog: ActionsCatalog, receiver: WebhookReceiver
) -> None:
    """Kafka's client connects by itself, not through fetch: the outbound policy could not
    check it, so the runner refuses the connection and the event is dead, not sent."""
    harness = DestinationHarness(
        get_definition("actions/kafka"),
        {
            "brokers": f"127.0.0.1:{receiver.port}",
            "ssl_enabled": False,
            "username": "u",
            "password": "p",
        },
    )
    event = {"type": "track", "event": "Signed Up", "userId": "u1", "messageId": "k1"}
    with pytest.raises(TerminalError, match="opens network connections of its own"):
        await harness.perform("send", event, {"topic": "events"})
    assert receiver.requests == []


async def test_test_connection_runs_the_definitions_test_authentication(
    actions_catalog: ActionsCatalog,
) -> None:
    seen: list[httpx.Request] = []

    def sendgrid(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"errors": [{"message": "authorization required"}]})

    harness = DestinationHarness(get_definition("actions/sendgrid"), {"sendGridApiKey": "SG.k"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(sendgrid)) as client:
        with pytest.raises(TransientError, match="Credentials are invalid: 401"):
            await harness.test_connection(client)
    (request,) = seen
    assert request.url.host == "api.sendgrid.com"
    assert request.headers["authorization"] == "Bearer SG.k"


async def test_a_hung_runner_is_killed_and_the_next_call_gets_a_new_one(
    node_parts_dir: Path, receiver: WebhookReceiver
) -> None:
    runner = ActionsRunner(node_parts(node_parts_dir), hang_after=0.5)
    request = {"slug": "webhook", "action": "send", "settings": {}, "batch": False}
    request["payloads"] = [payload(receiver.url)]
    try:
        async with httpx.AsyncClient() as client:
            await runner.call(client, "execute", request)
            hung = runner.pid
            assert hung is not None
            os.kill(hung, signal.SIGSTOP)  # alive but silent, as a busy-looping runner
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(runner.call(client, "execute", request), 1.0)
            await runner.call(client, "execute", request)
        assert runner.pid not in (None, hung)
        assert len(receiver.requests) == 2
    finally:
        await runner.close()


async def test_an_oauth2_401_refreshes_the_token_through_the_definition_and_retries(
    actions_catalog: ActionsCatalog,
) -> None:
    calls: list[tuple[str, str]] = []

    def hubspot(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/oauth/"):
            form = dict(httpx.QueryParams(request.content.decode()))
            calls.append(("refresh", form["refresh_token"] + "/" + form["client_secret"]))
            return httpx.Response(200, json={"access_token": "fresh-token"})
        calls.append(("event", request.headers["authorization"]))
        if request.headers["authorization"] == "Bearer expired-token":
            return httpx.Response(401, json={"message": "expired"})
        return httpx.Response(204)

    settings = {
        "access_token": "expired-token",
        "refresh_token": "refresh-1",
        "client_id": "app",
        "client_secret": "app-secret",
    }
    harness = DestinationHarness(get_definition("actions/hubspot"), settings)
    event = {"type": "track", "event": "Signed Up", "userId": "u1", "messageId": "h1"}
    mapping = {"eventName": "pe123_signed_up", "email": "ada@example.com"}
    async with httpx.AsyncClient(transport=httpx.MockTransport(hubspot)) as client:
        await harness.perform("sendCustomBehavioralEvent", event, mapping, client=client)
        await harness.perform("sendCustomBehavioralEvent", event, mapping, client=client)
    assert calls == [
        ("event", "Bearer expired-token"),
        ("refresh", "refresh-1/app-secret"),
        ("event", "Bearer fresh-token"),
        ("event", "Bearer fresh-token"),  # the refreshed token is kept for the next calls
    ]
    secrets = {
        row["name"] for row in describe("actions/hubspot")["settings"] if row["type"] == "secret"
    }
    assert {"access_token", "refresh_token", "client_secret"} <= secrets
