"""`eventyard test-connection NAME` asks the running server to check a destination's settings."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable

import pytest

from e2e.conftest import WRITE_KEY
from e2e.server_process import ServerProcess
from fakes.posthog_api import PostHogFake

KEY = "phc_valid"


@pytest.fixture
async def posthog() -> AsyncIterator[PostHogFake]:
    async with PostHogFake(api_keys=(KEY,)) as fake:
        yield fake


def _config(host: str) -> str:
    return f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: good
    type: posthog
    sources: [web]
    settings: {{api_key: {KEY}, host: "{host}"}}
  - name: bad-key
    type: posthog
    sources: [web]
    settings: {{api_key: phc_revoked, host: "{host}"}}
  - name: hook
    type: webhook
    sources: [web]
    settings: {{url: "{host}/in"}}
"""


async def _run(server: ServerProcess, name: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "eventyard", "test-connection", name, "--url", server.url]
    command += ["--token", server.token]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=60, check=False
    )


async def test_the_platform_decides_and_the_exit_code_says_so(
    posthog: PostHogFake, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, _config(posthog.url))

    good = await _run(server, "good")
    assert good.returncode == 0, good.stderr
    assert "good: connection ok" in good.stdout

    bad = await _run(server, "bad-key")
    assert bad.returncode == 3
    assert "connection failed" in bad.stdout
    assert "phc_revoked" not in bad.stdout  # the key itself is never echoed

    unsupported = await _run(server, "hook")
    assert unsupported.returncode == 2
    assert "has no connection test" in unsupported.stderr

    unknown = await _run(server, "nope")
    assert unknown.returncode == 2
    assert "no destination 'nope'" in unknown.stderr
    assert not posthog.events  # a connection test never captures an event
