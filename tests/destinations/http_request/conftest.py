"""A live JSON receiver per test, and a harness for the http_request destination."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes.http_request import JsonEndpoint

TOKEN = "t0k3n"


@pytest.fixture
async def api() -> AsyncIterator[JsonEndpoint]:
    async with JsonEndpoint(token=TOKEN) as endpoint:
        yield endpoint
