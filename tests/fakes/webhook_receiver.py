"""A real HTTP/1.1 server on 127.0.0.1 that records requests and answers as told.

Runs as an asyncio server in the test's event loop (keep-alive, Content-Length bodies).
Behaviour is switchable while running: `respond(status, headers)`, `script([...])` for one
answer per request, `hang()` (never answer), `await down()` / `await up()` (stop listening on
the port, so connections are refused, and listen again on the same port).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

__all__ = ["Answer", "Received", "WebhookReceiver"]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes
    at: float
    """time.monotonic() when the body was read."""


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    hang: bool = False
    delay: float = 0.0
    """Seconds to wait before answering: a receiver that far away."""


class WebhookReceiver:
    """Use as `async with WebhookReceiver() as receiver:`; `receiver.url` is its address."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.port = 0
        self._answer = Answer()
        self._script: list[Answer] = []
        self._server: asyncio.Server | None = None
        self._handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._closing = asyncio.Event()
        self._arrived = asyncio.Condition()
        self.on_request: Callable[[Received], Answer | None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/hook"

    async def __aenter__(self) -> Self:
        await self.up()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.down()

    def respond(
        self, status: int, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> None:
        self._answer = Answer(status, headers or {}, body or b"x")

    def hang(self) -> None:
        self._answer = Answer(hang=True)

    def script(self, answers: list[Answer]) -> None:
        """Answer the next requests with these, in order, then with the default answer."""
        self._script = list(answers)

    async def up(self) -> None:
        self._closing = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        """Stop listening and drop open connections: clients get connection refused."""
        if self._server is not None:
            self._server.close()
            self._closing.set()  # hanging answers give up
            for writer in self._handlers.values():
                writer.close()  # idle keep-alive connections see EOF
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` requests arrived; returns them all."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)
        return self.requests

    def _next_answer(self, request: Received) -> Answer:
        if self.on_request is not None and (answer := self.on_request(request)) is not None:
            return answer
        return self._script.pop(0) if self._script else self._answer

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = writer
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._handlers.pop(task, None)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        line = await reader.readline()
        if not line:
            return False
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        received = Received(method, path, headers, body, time.monotonic())
        answer = self._next_answer(received)
        async with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()
        if answer.hang:
            await self._closing.wait()
            return False
        if answer.delay:
            await asyncio.sleep(answer.delay)
        head = [f"HTTP/1.1 {answer.status} X", f"Content-Length: {len(answer.body)}"]
        head += [f"{k}: {v}" for k, v in answer.headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + answer.body)
        await writer.drain()
        return True
