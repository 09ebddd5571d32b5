"""The one place that says which HTTP outcomes are worth retrying.

2xx: delivered. 408, 429 and 5xx: TransientError (429/503 carry Retry-After when given).
Every other status, redirects included (the client does not follow them): TerminalError.
Timeouts and connection failures: TransientError.
"""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime

import httpx

from eventyard.errors import TerminalError, TransientError

__all__ = ["from_http_error", "parse_retry_after", "raise_for_status", "shown_url"]

_RETRYABLE = frozenset({408, 429})
_SNIPPET = 200


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date; None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


_PLAIN_SEGMENT = re.compile(r"^(?:[A-Za-z_.-]{1,32}|\d{1,4}|v\d{1,3})$")


def shown_url(url: httpx.URL | str) -> str:
    """A URL as errors and logs show it, with credential-like path segments replaced by `…`.

    Webhook URLs carry their secret in the path (Slack's /services/T../B../token, Zapier,
    Discord); error messages end up in logs, traces and the status page, so only short
    words, small numbers and versions (`/v1/batch`, `/2/httpapi`) are shown. The query
    string (GA4's `api_secret`) and user info are never shown.
    """
    try:
        url = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "…"
    path = "/".join(
        part if not part or _PLAIN_SEGMENT.match(part) else "…" for part in url.path.split("/")
    )
    return f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}{path}"


def _where(response: httpx.Response) -> str:
    return shown_url(response.request.url)


def _snippet(response: httpx.Response) -> str:
    try:
        text = response.text[:_SNIPPET].strip()
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""
    return f": {text}" if text else ""


def raise_for_status(response: httpx.Response) -> None:
    """Return for 2xx; otherwise raise TransientError or TerminalError saying what happened."""
    code = response.status_code
    if 200 <= code < 300:
        return
    message = f"HTTP {code} from {_where(response)}{_snippet(response)}"
    if code in _RETRYABLE or code >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise TransientError(message, retry_after, status=code)
    if 300 <= code < 400:
        location = response.headers.get("location", "?")
        raise TerminalError(
            f"{message} (redirect to {location}; update the destination URL)", status=code
        )
    raise TerminalError(message, status=code)


def from_http_error(error: httpx.HTTPError) -> TransientError | TerminalError:
    """Map an httpx exception raised while sending: network trouble is worth a retry."""
    if isinstance(error, httpx.TimeoutException):
        return TransientError(f"timed out: {type(error).__name__} {error}".rstrip())
    if isinstance(error, httpx.TransportError):
        return TransientError(f"connection failed: {type(error).__name__} {error}".rstrip())
    return TerminalError(f"request could not be made: {type(error).__name__} {error}".rstrip())
