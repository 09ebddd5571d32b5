"""The one exception REST API handlers raise to answer with an error status.

It carries the wire `code` and a message that tells the caller what to do; the endpoint
guard (`api_http`) turns it into `{"success": false, "code": ..., "message": ...}`.
"""

from __future__ import annotations

__all__ = ["ApiError"]


class ApiError(Exception):
    """Answered with `status`, the JSON error body and any `headers` (WWW-Authenticate)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers
