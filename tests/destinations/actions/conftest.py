"""Fixtures of the actions tests: a fresh data dir sharing the installed Node-based parts,
and a local receiver (the parts and the activated catalog come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eventyard.ops.node_parts import FOLDER
from fakes.webhook_receiver import WebhookReceiver


@pytest.fixture
def data_dir(node_parts_dir: Path, tmp_path: Path) -> Path:
    """A fresh data dir sharing the installed Node-based parts (a symlink to them)."""
    (tmp_path / FOLDER).symlink_to(node_parts_dir / FOLDER)
    return tmp_path


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as hook:
        yield hook
