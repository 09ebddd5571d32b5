"""The webhook's `send` action: default mapping, mapped url/method/headers, batch groups."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import orjson
import pytest

from eventyard.destinations.webhook import definition
from eventyard.errors import TerminalError, TransientError
from eventyard.testing import DestinationHarness, NotSent, make_event
from fakes.webhook_receiver import Answer, WebhookReceiver


async def test_default_mapping_posts_the_whole_event_signed(receiver: WebhookReceiver) -> None:
    harness = DestinationHarness(definition, {"url": receiver.url, "shared_secret": "k"})
    event = make_event(event="Order Completed")
    payload = await harness.perform("send", event)
    assert payload == {"method": "POST", "data": event}
    (request,) = receiver.requests
    assert orjson.loads(request.body) == event and request.method == "POST"
    assert request.headers["x-signature"] == hmac.new(b"k", request.body, hashlib.sha1).hexdigest()


@pytest.mark.parametrize("kind", ["track", "identify", "page", "screen", "group", "alias"])
def test_every_call_type_is_subscribed_by_default(kind: str) -> None:
    harness = DestinationHarness(definition, {"url": "http://127.0.0.1:9/x"})
    assert harness.payload("send", make_event(type=kind))["data"]["type"] == kind


async def test_mapped_url_method_and_headers(receiver: WebhookReceiver) -> None:
    harness = DestinationHarness(
        definition, {"url": "http://127.0.0.1:9/unused", "headers": {"X-Team": "a"}}
    )
    mapping = {
        "url": f"{receiver.url}/orders",
        "method": "PUT",
        "headers": {"X-Order": {"@path": "$.properties.order_id"}},
        "data": {"id": {"@path": "$.properties.order_id"}},
    }
    await harness.perform("send", make_event(properties={"order_id": "o-1"}), mapping)
    (request,) = receiver.requests
    assert (request.method, request.path) == ("PUT", "/hook/orders")
    assert request.headers["x-order"] == "o-1" and request.headers["x-team"] == "a"
    assert orjson.loads(request.body) == {"id": "o-1"}


def test_data_must_be_an_object() -> None:
    harness = DestinationHarness(definition, {"url": "http://127.0.0.1:9/x"})
    with pytest.raises(NotSent, match="'data' must be an object"):
        harness.payload("send", make_event(), {"data": {"@path": "$.event"}})


async def test_batch_groups_by_target_and_settles_bad_headers_alone(
    receiver: WebhookReceiver,
) -> None:
    harness = DestinationHarness(definition, {"url": receiver.url, "batch_size": 10})
    mapping = {"url": {"@path": "$.properties.to"}, "headers": {"@path": "$.properties.h"}}
    events = [
        make_event(messageId="a", properties={"to": f"{receiver.url}/1"}),
        make_event(messageId="b", properties={"to": f"{receiver.url}/2"}),
        make_event(messageId="c", properties={"to": f"{receiver.url}/1"}),
        make_event(messageId="d", properties={"h": {"Bad Name": "x"}}),
    ]
    async with httpx.AsyncClient() as client:
        _, result = await harness.perform_batch("send", events, mapping, client)
    assert result is not None and result[:3] == [None, None, None]
    assert isinstance(result[3], TerminalError) and "Bad Name" in str(result[3])
    bodies = {r.path: [e["messageId"] for e in orjson.loads(r.body)] for r in receiver.requests}
    assert bodies == {"/hook/1": ["a", "c"], "/hook/2": ["b"]}


async def test_a_single_request_batch_raises_its_failure_for_every_member(
    receiver: WebhookReceiver,
) -> None:
    receiver.respond(503)
    harness = DestinationHarness(definition, {"url": receiver.url, "batch_size": 10})
    with pytest.raises(TransientError) as caught:
        await harness.perform_batch("send", [make_event(), make_event()])
    assert caught.value.status == 503
    assert len(orjson.loads(receiver.requests[0].body)) == 2


async def test_when_one_group_of_a_batch_fails_only_its_members_fail(
    receiver: WebhookReceiver,
) -> None:
    receiver.on_request = lambda request: Answer(503) if request.path.endswith("/2") else None
    harness = DestinationHarness(definition, {"url": receiver.url, "batch_size": 10})
    mapping = {"url": {"@path": "$.properties.to"}}
    events = [make_event(properties={"to": f"{receiver.url}/{n}"}) for n in (1, 2, 1)]
    _, result = await harness.perform_batch("send", events, mapping)
    assert result is not None and result[0] is None and result[2] is None
    assert isinstance(result[1], TransientError) and result[1].status == 503
