"""A live fake of Slack's incoming webhooks per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes.slack import SlackWebhooks


@pytest.fixture
async def slack() -> AsyncIterator[SlackWebhooks]:
    async with SlackWebhooks() as fake:
        yield fake
