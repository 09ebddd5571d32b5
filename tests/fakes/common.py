"""What the fakes of destination APIs share: a WebhookReceiver underneath, JSON answers and
request-body checks, scripted answers, and waiting for accepted events.

The checks and answer formats of each API stay in its own fake; this is the plumbing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Self, TypeVar

import orjson
import pytest

from fakes.webhook_receiver import Answer, Received, WebhookReceiver

__all__ = [
    "JSON",
    "NOT_JSON",
    "EventsApi",
    "FakeApi",
    "ScriptedApi",
    "fake_fixture",
    "json_answer",
    "json_body",
    "media_type",
]

T = TypeVar("T")

JSON = {"Content-Type": "application/json"}
NOT_JSON: Any = object()
"""What `json_body` returns for a body that is not JSON."""


def json_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    """An answer with `body` as JSON (Content-Type application/json, plus `headers`)."""
    return Answer(status, {**JSON, **(headers or {})}, orjson.dumps(body))


def media_type(request: Received) -> str:
    """The request's Content-Type without parameters ("" when there is none)."""
    return request.headers.get("content-type", "").split(";")[0].strip()


def json_body(request: Received) -> Any:
    """The request body parsed as JSON, or NOT_JSON."""
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return NOT_JSON


class FakeApi:
    """`async with Fake() as fake:`; `fake.url` is its base URL. Subclasses answer in `_answer`."""

    def __init__(self) -> None:
        self.receiver = WebhookReceiver()
        self.receiver.on_request = self._answer

    @property
    def url(self) -> str:
        return self.receiver.base_url

    @property
    def requests(self) -> list[Received]:
        return self.receiver.requests

    async def __aenter__(self) -> Self:
        await self.receiver.up()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.receiver.down()

    def _answer(self, request: Received) -> Answer:
        raise NotImplementedError


class ScriptedApi(FakeApi):
    """A fake whose `script([...])` answers the next requests before any check (`_check`)."""

    def __init__(self) -> None:
        super().__init__()
        self._script: list[Answer] = []

    def script(self, answers: list[Answer]) -> None:
        """Answer the next requests with these (e.g. a 503), then check requests as usual."""
        self._script = list(answers)

    def _answer(self, request: Received) -> Answer:
        if self._script:
            return self._script.pop(0)
        return self._check(request)

    def _check(self, request: Received) -> Answer:
        raise NotImplementedError


class EventsApi(FakeApi):
    """A fake that stores accepted `events` and `bodies`; `fail_next` refuses valid requests."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        """Accepted events, in arrival order, as the API would store them."""
        self.bodies: list[dict[str, Any]] = []
        """Accepted request bodies, parsed."""
        self._failures: list[Answer | None] = []
        self._grew = asyncio.Event()

    def fail_next(self, *answers: Answer | None) -> None:
        """Answer the next valid requests with these (None: accept), then accept again."""
        self._failures.extend(answers)

    async def wait_for_events(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                self._grew.clear()
                await self._grew.wait()
        return self.events

    def _failure(self) -> Answer | None:
        """The scripted failure for this valid request, if any."""
        if self._failures and (failure := self._failures.pop(0)) is not None:
            return failure
        return None

    def _grown(self) -> None:
        """Wake `wait_for_events` after events were added."""
        self._grew.set()


def fake_fixture(name: str, make: Callable[[], AbstractAsyncContextManager[T]]) -> Any:
    """A pytest fixture called `name` that yields `make()`, started, for the test."""

    async def fixture() -> AsyncIterator[T]:
        async with make() as fake:
            yield fake

    return pytest.fixture(fixture, name=name)
