"""What the admin API asks storage (archive, warehouses) for its part of the status report.

A Protocol of its own, so that `ServerContext` can name it without importing the API that
is built from a ServerContext.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["StorageStatus"]


class StorageStatus(Protocol):
    """Where the status's `storage` part comes from: `StorageService` in-process, or the
    server's `StorageProcess` (storage runs in a child process there)."""

    async def status(self) -> dict[str, Any]: ...
