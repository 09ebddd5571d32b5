"""Meta's Graph API errors as eventyard errors (conversions.md §1, RudderStack errorDetailsMap).

A failed request answers `{"error": {"message", "type", "code", "error_subcode",
"error_user_title", "error_user_msg", "fbtrace_id"}}` and nothing of it was processed.
"""

from __future__ import annotations

import httpx

from eventyard.delivery.http import parse_retry_after, raise_for_status
from eventyard.destinations.ads.sending import RejectedContent, json_object
from eventyard.errors import DeliveryError, TerminalError, TransientError

__all__ = ["THROTTLED", "TRANSIENT", "meta_error"]

TRANSIENT = frozenset({1, 2, 341, 368, 5000, 21009})
"""Unknown, temporary and service errors: retry with backoff."""
THROTTLED = frozenset({4, 17, 32, 613, 80003, 80004})
"""Application, user, page, hourly and ads-management rate limits: retry with backoff."""
_PERMISSION = frozenset({3, 10, 200})
_CONTENT = frozenset({100, 105})
"""Invalid parameter (event too old 2804003, bad values ...) and too many parameters: about
what the events hold, so one bad event rejects the whole request."""
_NOT_FOUND = 33


def meta_error(response: httpx.Response) -> DeliveryError:
    """The error a non-2xx Graph API answer stands for (never echoes the token)."""
    error = json_object(response).get("error")
    status = response.status_code
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        try:
            raise_for_status(response)
        except DeliveryError as failure:
            return failure
        return TerminalError(f"Meta answered HTTP {status} without an error object", status)
    code, subcode = error["code"], error.get("error_subcode")
    detail = str(error.get("error_user_msg") or error.get("message") or "no message")[:300]
    said = f"Meta answered code {code}" + (f"/{subcode}" if subcode else "") + f": {detail}"
    if code in THROTTLED or code in TRANSIENT:
        wait = parse_retry_after(response.headers.get("retry-after"))
        return TransientError(f"{said}; retrying", wait, status)
    if code == 190:
        return TerminalError(
            f"{said}; the access token is invalid or expired: generate a new one in Events "
            "Manager → Settings → Conversions API and set access_token",
            status,
        )
    if code in _PERMISSION:
        return TerminalError(f"{said}; the token lacks permission on this pixel", status)
    if code == 100 and subcode == _NOT_FOUND:
        return TerminalError(f"{said}; check pixel_id and that the token may use it", status)
    if code in _CONTENT:
        return RejectedContent(said, status)
    if status >= 500 or status == 429:
        return TransientError(f"{said}; retrying", None, status)
    return TerminalError(said, status)
