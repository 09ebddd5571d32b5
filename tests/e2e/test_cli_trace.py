"""`eventyard trace` and `eventyard deadletters` against the real server and a real webhook."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable

import httpx

from e2e.conftest import WRITE_KEY, config_text, delivered_events
from e2e.server_process import TOKEN, ServerProcess, free_port
from fakes.webhook_receiver import WebhookReceiver


async def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a thread: the receiver answers from this test's event loop meanwhile.
    It sends the test servers' owner token, from EVENTYARD_TOKEN."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "eventyard", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=os.environ | {"EVENTYARD_TOKEN": TOKEN},
    )


async def track(server: ServerProcess, message_id: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{server.url}/v1/track",
            json={"userId": "u1", "event": "Order Completed", "messageId": message_id},
            auth=(WRITE_KEY, ""),
        )
    assert response.status_code == 200


async def wait_for_status(server: ServerProcess, what: str, **expected: int) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            response = await http.get(f"{server.url}/api/v1/status", headers=server.headers)
            data = response.json()
            hook = data["destinations"][0]
            if all(hook[key] == value for key, value in expected.items()):
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}: {hook}")


async def trace_steps(server: ServerProcess, message_id: str) -> list[str]:
    result = await cli("trace", message_id, "--url", server.url, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["messageId"] == message_id
    return [step["step"] for step in data["steps"]]


async def test_trace_shows_queued_then_delivered(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = start_server(config_text(receiver.url))
    await track(server, "order-1")
    await receiver.wait_for(1)
    await wait_for_status(server, "the delivery to be recorded", delivered=1)

    assert await trace_steps(server, "order-1") == ["queued", "delivered"]
    table = await cli("trace", "order-1", "--url", server.url)
    assert table.returncode == 0, table.stderr
    for word in ("my-hook", "send", "queued", "delivered", "order-1"):
        assert word in table.stdout

    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{server.url}/metrics")).text
    delivered = [
        line
        for line in metrics.splitlines()
        if line.startswith('eventyard_events_total{destination="my-hook"')
        and 'step="delivered"' in line
    ]
    assert delivered and float(delivered[0].rsplit(" ", 1)[1]) == 1
    assert 'eventyard_events_received_total{source="web"} 1' in metrics
    assert 'eventyard_delivery_concurrency_limit{destination="my-hook"} 4' in metrics
    assert 'eventyard_delivery_in_flight{destination="my-hook"} 0' in metrics
    assert 'eventyard_delivery_request_seconds{destination="my-hook"} ' in metrics


async def test_a_rejected_event_is_dead_then_retried_once_the_receiver_is_fixed(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    receiver.respond(400, body=b"missing field")
    server = start_server(config_text(receiver.url))
    await track(server, "order-2")
    await wait_for_status(server, "the event to be dead", dead=1, pending=0)

    listed = await cli("deadletters", "list", "--url", server.url, "--json")
    assert listed.returncode == 0, listed.stderr
    (letter,) = json.loads(listed.stdout)
    assert letter["messageId"] == "order-2" and letter["destination"] == "my-hook"
    assert "400" in letter["error"]
    assert "Order Completed" in json.dumps(letter["payload"])  # the mapped payload
    table = await cli("deadletters", "list", "--destination", "my-hook", "--url", server.url)
    assert "order-2" in table.stdout

    receiver.respond(200)
    retried = await cli("deadletters", "retry", "--since", "1h", "--url", server.url)
    assert retried.returncode == 0, retried.stderr
    assert "requeued 1 dead letter" in retried.stdout
    await wait_for_status(server, "the retried event to be delivered", delivered=1, dead=0)
    assert [e["messageId"] for e in delivered_events(receiver.requests)] == ["order-2"] * 2

    steps = await trace_steps(server, "order-2")
    assert steps[0] == "queued" and steps[-1] == "delivered"
    assert "dead" in steps and "requeued" in steps


async def test_trace_exit_codes(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = start_server(config_text(receiver.url))
    unknown = await cli("trace", "never-sent", "--url", server.url)
    assert unknown.returncode == 2
    assert "no trace of messageId 'never-sent'" in unknown.stderr
    down = await cli("trace", "x", "--url", f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1
    assert "not reachable" in down.stderr
    bad = await cli("deadletters", "retry", "--destination", "nope", "--url", server.url)
    assert bad.returncode == 2
    assert "unknown destination 'nope'" in bad.stderr
