"""The JSON bodies the tracking API answers with (segment.md §1.4).

Clients (analytics-python, analytics-node) read `code` and `message` from errors, and
retry 5xx honouring `Retry-After`.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from starlette.responses import Response

__all__ = ["error_response", "json_response", "overloaded", "rate_limited", "success"]

_SUCCESS = b'{"success":true}'
_JSON = "application/json"


def success() -> Response:
    return Response(_SUCCESS, media_type=_JSON)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=_JSON)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    body = orjson.dumps({"success": False, "code": code, "message": message})
    return Response(body, status_code=status, media_type=_JSON, headers=headers)


def overloaded(message: str) -> Response:
    """503 + Retry-After: nothing was stored, the client should send the same data again."""
    return error_response(503, "overloaded", message, {"Retry-After": "1"})


def rate_limited(source: str, wait: float) -> Response:
    """429 with Segment's two headers, each the whole seconds to wait: nothing was stored."""
    seconds = str(max(1, math.ceil(wait)))
    message = (
        f"source {source!r} is over its rate_limit; send the same request again in {seconds} s"
    )
    headers = {"Retry-After": seconds, "X-RateLimit-Reset": seconds}
    return error_response(429, "rate_limited", message, headers)
