"""Raw ASGI apps the benchmarks compare eventyard against, run under the same uvicorn options.

- `bare`: reads the whole body and answers 200; the HTTP ceiling of this server and machine.
- `durable`: the simplest durable ingest (parse with orjson, append to a file, fsync per
  request in a worker thread); what "durable before ack" costs without any eventyard code.
- `receiver`: a webhook receiver for bench/latency.py that records each event's arrival;
  with `BENCH_RECEIVER_DELAY_MS` set, it answers each POST that many ms late (an endpoint
  that far away) and records the arrival when it answers.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json")]
_OK = b'{"success":true}'


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _JSON_HEADERS})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    """Answer lifespan events so uvicorn does not log a warning about them."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    """Read the body, answer 200: nothing cheaper can stand behind the same HTTP server."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    await _read_body(receive)
    await _respond(send, 200, _OK)


class _AppendFile:
    """One O_APPEND file; each write + fsync runs in a worker thread, off the event loop."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def _write_sync(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)

    async def append(self, data: bytes) -> None:
        await asyncio.to_thread(self._write_sync, data)


_durable_file: _AppendFile | None = None


def _durable_target() -> _AppendFile:
    global _durable_file
    if _durable_file is None:
        _durable_file = _AppendFile(os.environ["BENCH_DURABLE_FILE"])
    return _durable_file


async def durable(scope: Scope, receive: Receive, send: Send) -> None:
    """Parse the batch, append one JSON line per event, fsync, then answer 200."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["method"] != "POST":
        await _respond(send, 200, b"{}")  # readiness probe
        return
    try:
        batch = orjson.loads(await _read_body(receive))["batch"]
        if not isinstance(batch, list):
            raise TypeError("batch is not a list")
    except (orjson.JSONDecodeError, KeyError, TypeError):
        await _respond(send, 400, b'{"success":false}')
        return
    lines = b"".join(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE) for event in batch)
    await _durable_target().append(lines)
    await _respond(send, 200, _OK)


_arrivals: list[tuple[str, int, int]] = []
"""(messageId, properties.sent_ns, arrival time_ns) for every event received, in order."""
_DELAY_S = float(os.environ.get("BENCH_RECEIVER_DELAY_MS", "0")) / 1000


def _record(event: Any, now_ns: int) -> None:
    if not isinstance(event, dict):
        return
    properties = event.get("properties")
    sent_ns = properties.get("sent_ns") if isinstance(properties, dict) else None
    _arrivals.append((str(event.get("messageId")), int(sent_ns or 0), now_ns))


async def receiver(scope: Scope, receive: Receive, send: Send) -> None:
    """POST: record arrivals (object or array); GET /count and GET /arrivals read them back."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    body = await _read_body(receive)
    if scope["method"] == "POST" and _DELAY_S > 0:
        await asyncio.sleep(_DELAY_S)
    now_ns = time.time_ns()
    if scope["method"] == "GET":
        if scope["path"] == "/arrivals":
            await _respond(send, 200, orjson.dumps(_arrivals))
        else:
            await _respond(send, 200, orjson.dumps({"count": len(_arrivals)}))
        return
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        await _respond(send, 400, b'{"error":"invalid json"}')
        return
    for event in payload if isinstance(payload, list) else [payload]:
        _record(event, now_ns)
    await _respond(send, 200, b"{}")
