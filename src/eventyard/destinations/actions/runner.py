"""The server's side of the actions runner, a Node.js child that runs Segment's Actions code.

One long-running `node runner.cjs serve` per server, started on first use and again after
it dies. Frames on its stdin/stdout are a 4-byte big-endian length and a JSON object; many
calls are in flight at once, told apart by `id`. HTTP bodies travel as UTF-8 `text` when
they are text, else base64 in `body`. The runner only executes: eventyard keeps
the queue, retries and dead letters.

Every HTTP request a destination makes comes back here as an `http` frame and is sent with
the client of the delivery that caused it (`eventyard.delivery.outbound`): the outbound
policy, timeouts, log redaction and a test's interceptor apply as for built-in types.

A runner that dies fails only the calls in flight, as retryable; one that answers nothing
for `HANG_AFTER` seconds while calls wait is killed and started again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import os
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import from_http_error, raise_for_status
from eventyard.errors import DeliveryError, TerminalError, TransientError
from eventyard.ops.node_parts import NodeParts

__all__ = [
    "INTERCEPT_ENV",
    "ORIGINAL_URL_HEADER",
    "RUNNER_JS",
    "ActionsRunner",
    "Call",
    "runner_error",
]

log = logging.getLogger(__name__)

RUNNER_JS = Path(__file__).with_name("runner.cjs")
HANG_AFTER = 30.0
"""Seconds without any frame from a runner with calls waiting before it is restarted."""
START_TIMEOUT = 30.0
"""The longest wait for a new runner to say it is ready."""
MAX_FRAME = 64 * 1024 * 1024
MAX_RESPONSE = 8 * 1024 * 1024
"""The largest response body handed back to a destination's code."""
RESTART_DELAY = (0.1, 5.0)
"""First and longest wait before starting a runner again after it died."""
_HEAD = struct.Struct(">I")
INTERCEPT_ENV = "EVENTYARD_ACTIONS_INTERCEPT"
"""Test seam: when set (a URL), every request of the runner goes there instead, through the
same outbound client, with the URL it was meant for in `ORIGINAL_URL_HEADER`."""
ORIGINAL_URL_HEADER = "x-eventyard-original-url"


@dataclass
class Call:
    """One request to the runner and what its outbound requests left behind."""

    client: httpx.AsyncClient
    answer: asyncio.Future[dict[str, Any]]
    process: asyncio.subprocess.Process
    last_response: httpx.Response | None = None
    transport_error: DeliveryError | None = None
    requests: set[asyncio.Task[None]] = field(default_factory=set)

    def failure(self, error: dict[str, Any]) -> DeliveryError:
        """The runner's error as eventyard's: a failed request of ours as we classified
        it, an HTTP error with the platform's answer, else Segment's own classification."""
        if error.get("transport") and self.transport_error is not None:
            return self.transport_error
        response, status = self.last_response, error.get("status")
        if response is not None and status == response.status_code:
            try:
                raise_for_status(response)
            except DeliveryError as classified:
                return classified
        return runner_error(error)


def runner_error(error: Mapping[str, Any]) -> DeliveryError:
    """An error as the runner classified it (Segment's rules): `permanent` or retryable."""
    message = f"{error.get('name') or 'Error'}: {error.get('message') or 'failed'}"
    status = error.get("status") if isinstance(error.get("status"), int) else None
    if error.get("kind") == "permanent":
        return TerminalError(message, status)
    return TransientError(message, status=status)


class ActionsRunner:
    """The runner process of one server: started on first call, restarted when it dies."""

    def __init__(self, parts: NodeParts, hang_after: float = HANG_AFTER) -> None:
        self.parts = parts
        self.hang_after = hang_after
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._start_lock = asyncio.Lock()
        self._calls: dict[int, Call] = {}
        self._ids = itertools.count(1)
        self._last_frame = time.monotonic()
        self._failures = 0
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The running runner's pid, None when none runs."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    async def call(
        self, client: httpx.AsyncClient, op: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        """Send one request, wait for its answer; raises DeliveryError when it failed."""
        process = await self._running()
        assert process.stdin is not None
        call_id = next(self._ids)
        call = Call(client, asyncio.get_running_loop().create_future(), process)
        self._calls[call_id] = call
        try:
            process.stdin.write(_frame({"op": op, "id": call_id, **request}))
            await process.stdin.drain()
            answer = await call.answer
        except (BrokenPipeError, ConnectionResetError):
            raise TransientError("the actions runner exited; the attempt is retried") from None
        except asyncio.CancelledError:
            self._check_hang()
            raise
        finally:
            self._calls.pop(call_id, None)
            for task in call.requests:
                task.cancel()
        error = answer.get("error")
        if isinstance(error, dict):
            raise call.failure(error)
        return answer

    async def close(self) -> None:
        """Stop the runner (end of its stdin, then SIGKILL after a short wait)."""
        self._closed = True
        process = self._process
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5.0)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _running(self) -> asyncio.subprocess.Process:
        async with self._start_lock:
            process = self._process
            if process is not None and process.returncode is None:
                return process
            if self._closed:
                raise TransientError("the server is stopping; the attempt is retried")
            if self._failures:
                first, longest = RESTART_DELAY
                await asyncio.sleep(min(longest, first * 2 ** (self._failures - 1)))
            process = await self._start()
            self._process = process
            return process

    async def _start(self) -> asyncio.subprocess.Process:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "NODE_PATH": str(self.parts.modules.resolve()),
            "NODE_ENV": "production",
        }
        process = await asyncio.create_subprocess_exec(
            str(self.parts.node),
            str(RUNNER_JS),
            "serve",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            limit=MAX_FRAME,
        )
        assert process.stdout is not None
        try:
            ready = await asyncio.wait_for(_read_frame(process.stdout), START_TIMEOUT)
        except (TimeoutError, asyncio.IncompleteReadError, ValueError):
            ready = None
        if ready is None or ready.get("op") != "ready":
            process.kill()
            await process.wait()
            self._failures += 1
            raise TransientError(
                f"the actions runner did not start (exit {process.returncode}); see the "
                "server's log, and run `eventyard setup` if the Node-based parts are missing"
            )
        log.info("actions runner started (pid %d)", process.pid)
        self._last_frame = time.monotonic()
        self._reader = asyncio.create_task(self._read(process), name="actions-runner")
        return process

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        """Route the runner's frames until it exits, then fail the calls still waiting."""
        assert process.stdout is not None
        try:
            while True:
                message = await _read_frame(process.stdout)
                if message is None:
                    break
                self._last_frame = time.monotonic()
                self._dispatch(process, message)
        except (asyncio.IncompleteReadError, ValueError) as error:
            log.warning("actions runner sent a broken frame: %s", error)
            process.kill()
        code = await process.wait()
        if not self._closed:
            self._failures += 1
            log.warning("the actions runner (pid %d) exited with %s", process.pid, code)
        waiting = [c for c in self._calls.values() if c.process is process and not c.answer.done()]
        for call in waiting:
            call.answer.set_exception(
                TransientError(f"the actions runner exited ({code}) during the attempt")
            )

    def _dispatch(self, process: asyncio.subprocess.Process, message: dict[str, Any]) -> None:
        op = message.get("op")
        call_id = message.get("call") if op == "http" else message.get("id")
        call = self._calls.get(call_id) if isinstance(call_id, int) else None
        if op == "result":
            self._failures = 0
            if call is not None and not call.answer.done():
                call.answer.set_result(message)
        elif op == "http":
            task = asyncio.create_task(self._http(process, call, message))
            if call is not None:
                call.requests.add(task)
                task.add_done_callback(call.requests.discard)

    async def _http(
        self, process: asyncio.subprocess.Process, call: Call | None, message: dict[str, Any]
    ) -> None:
        """Perform one of the runner's requests with the call's client; answer in a frame."""
        answer: dict[str, Any] = {"op": "response", "id": message.get("id")}
        if call is None:
            answer["error"] = "the attempt this request belongs to has ended"
        else:
            answer.update(await _send(call, message))
        if process.stdin is not None and process.returncode is None:
            with contextlib.suppress(ConnectionError):
                process.stdin.write(_frame(answer))
                await process.stdin.drain()

    def _check_hang(self) -> None:
        """Kill a runner silent for `hang_after` while calls wait and none of its requests
        is being sent (a slow platform keeps it quiet too)."""
        process = self._process
        silent = time.monotonic() - self._last_frame
        sending = any(call.requests for call in self._calls.values())
        if process is None or process.returncode is not None or sending:
            return
        if silent > self.hang_after:
            log.warning("actions runner silent for %.0fs with calls waiting; restarting", silent)
            process.kill()
            self._process = None  # the next call starts another; its reader fails the rest


async def _send(call: Call, message: dict[str, Any]) -> dict[str, Any]:
    try:
        url = str(message.get("url"))
        headers = [(str(k), str(v)) for k, v in message.get("headers") or []]
        intercept = os.environ.get(INTERCEPT_ENV)
        if intercept:
            url, headers = intercept, [*headers, (ORIGINAL_URL_HEADER, url)]
        request = call.client.build_request(
            str(message.get("method") or "GET"), url, headers=headers, content=_body(message)
        )
        response = await call.client.send(request, stream=True)
        try:
            content = await _bounded(response)
        finally:
            await response.aclose()
    except DeliveryError as error:
        call.transport_error = error
        return {"error": str(error)}
    except httpx.HTTPError as error:
        call.transport_error = from_http_error(error)
        return {"error": str(call.transport_error)}
    response._content = content  # read once, kept for raise_for_status's snippet
    call.last_response = response
    answer: dict[str, Any] = {
        "status": response.status_code,
        "reason": response.reason_phrase,
        "headers": list(response.headers.multi_items()),
    }
    try:
        answer["text"] = content.decode("utf-8")
    except UnicodeDecodeError:
        answer["body"] = base64.b64encode(content).decode("ascii")
    return answer


def _body(message: Mapping[str, Any]) -> bytes | None:
    """A request body as the runner sent it: UTF-8 `text`, or other bytes in base64 `body`."""
    text, body = message.get("text"), message.get("body")
    if isinstance(text, str):
        return text.encode("utf-8")
    return base64.b64decode(body) if isinstance(body, str) else None


async def _bounded(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE:
            raise TransientError(f"response larger than {MAX_RESPONSE} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _frame(message: dict[str, Any]) -> bytes:
    body = orjson.dumps(message)
    return _HEAD.pack(len(body)) + body


async def _read_frame(stream: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next frame, None at end of stream; ValueError for a frame that is not JSON."""
    try:
        head = await stream.readexactly(_HEAD.size)
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            return None
        raise
    (size,) = _HEAD.unpack(head)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes")
    message = orjson.loads(await stream.readexactly(size))
    if not isinstance(message, dict):
        raise ValueError("frame is not an object")
    return message
