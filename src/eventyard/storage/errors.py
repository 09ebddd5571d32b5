"""Storage failures (archive, warehouse, query): a StorageError says what went wrong and where.

It sits under EventyardError so that callers that handle "any eventyard failure" catch it.
"""

from __future__ import annotations

from eventyard.errors import EventyardError

__all__ = ["QueryRefused", "StorageError"]


class StorageError(EventyardError):
    """The archive or a warehouse cannot be read or written."""


class QueryRefused(StorageError):
    """`eventyard query` is read-only: the SQL would change something."""
