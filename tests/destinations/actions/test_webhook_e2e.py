"""Segment's Webhook (Actions) destination, run by Segment's own code in the actions runner,
under eventyard's delivery: the real analytics-python client -> the real `eventyard serve`
-> the runner -> a local receiver. Every request of the runner goes through the server's
outbound client."""

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
from segment.analytics.client import Client

from e2e.conftest import wait_until
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import Answer, WebhookReceiver

WRITE_KEY = "wk_actions_e2e"
SECRET = "shared-s3cret"


def config(url: str) -> str:
    return f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: seg-hook
    type: actions/webhook
    sources: [web]
    settings:
      sharedSecret: {SECRET}
    actions:
      send:
        subscription: 'type = "track"'
        mapping:
          url: {url}
    delivery:
      concurrency: 4
      backoff_initial: 50ms
      backoff_max: 300ms
"""


def start(data_dir: Path, url: str) -> ServerProcess:
    path = data_dir.parent / f"{data_dir.name}.yaml"
    path.write_text(config(url))
    return ServerProcess(config=path, data_dir=data_dir).start()


def track(server: ServerProcess, count: int) -> list[str]:
    """Send `count` tracks with the real Segment client; their messageIds."""
    client = Client(WRITE_KEY, host=server.url, sync_mode=True, max_retries=1)
    sent = []
    for n in range(count):
        ok, message = client.track(f"user-{n % 5}", "Order Completed", {"n": n})
        assert ok
        sent.append(message["messageId"])
    return sent


def runner_pid(server: ServerProcess) -> int | None:
    """The server's `node runner.cjs serve` child, if it runs."""
    assert server.process is not None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server.process.pid and b"runner.cjs" in command:
            return int(entry.name)
    return None


def status(server: ServerProcess) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/api/v1/status", headers=server.headers, timeout=5)
    destination: dict[str, Any] = next(
        d for d in answer.json()["destinations"] if d["name"] == "seg-hook"
    )
    return destination


def bodies(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in receiver.requests]


async def test_signed_delivery_a_5xx_retried_and_a_400_dead_with_the_receivers_message(
    data_dir: Path, receiver: WebhookReceiver
) -> None:
    receiver.script([Answer(200), Answer(503, body=b"busy")])
    server = await asyncio.to_thread(start, data_dir, receiver.url)
    try:
        (signed,) = await asyncio.to_thread(track, server, 1)
        (request,) = await receiver.wait_for(1, timeout=30)
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
        assert request.headers["x-signature"] == expected
        assert request.method == "POST"
        event = json.loads(request.body)
        assert event["messageId"] == signed and event["event"] == "Order Completed"
        assert event["context"]["library"]["name"] == "analytics-python"
        assert runner_pid(server) is not None

        (retried,) = await asyncio.to_thread(track, server, 1)
        await receiver.wait_for(3, timeout=30)
        assert [b["messageId"] for b in bodies(receiver)] == [signed, retried, retried]

        receiver.respond(400, body=b"field 'plan' is not allowed")
        (dead,) = await asyncio.to_thread(track, server, 1)
        await wait_until(lambda: status(server)["dead"] == 1, 30, "the event to be dead")
        assert [b["messageId"] for b in bodies(receiver)].count(dead) == 1  # not retried
        async with httpx.AsyncClient(headers=server.headers) as http:
            answer = await http.get(f"{server.url}/api/v1/deadletters")
        (letter,) = answer.json()
        assert letter["messageId"] == dead and letter["destination"] == "seg-hook"
        assert "HTTP 400" in letter["error"] and "field 'plan' is not allowed" in letter["error"]
    finally:
        await asyncio.to_thread(server.stop)
    assert runner_pid(server) is None  # stopped with the server


async def test_kill_9_of_the_runner_mid_stream_loses_nothing(
    data_dir: Path, receiver: WebhookReceiver
) -> None:
    server = await asyncio.to_thread(start, data_dir, receiver.url)
    try:
        sent = await asyncio.to_thread(track, server, 5)
        await receiver.wait_for(5, timeout=30)
        receiver.respond(200, body=b"ok")
        sending = asyncio.create_task(asyncio.to_thread(track, server, 60))
        await wait_until(lambda: len(receiver.requests) >= 10, 30, "the stream to flow")
        pid = runner_pid(server)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        sent += await sending
        await wait_until(
            lambda: set(sent) <= {b["messageId"] for b in bodies(receiver)},
            60,
            "every event after the runner's restart",
        )
        assert runner_pid(server) not in (None, pid)
        assert status(server)["dead"] == 0
    finally:
        await asyncio.to_thread(server.stop)
