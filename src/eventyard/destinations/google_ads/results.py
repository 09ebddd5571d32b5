"""Reading Google Ads answers: whole-request errors, and per-row partial failures.

With `partialFailure: true` (which uploads require) a 200 answer may still carry a
`partialFailureError` whose GoogleAdsFailure details list errors with the index of the row
they belong to (`location.fieldPathElements[0].index`); those rows failed, the rest went.
Classification (conversions.md §3, §8.4; ConversionUploadError, ConversionAdjustmentUploadError):
- TOO_RECENT_*: the click or the conversion action is under 6 hours old: retry in 6 hours.
- CONCURRENT_MODIFICATION, RESOURCE_EXHAUSTED, INTERNAL_ERROR, TRANSIENT_ERROR: retry.
- Already there (CLICK_CONVERSION_ALREADY_EXISTS, ORDER_ID_ALREADY_IN_USE, CONVERSION_ALREADY_
  RETRACTED / _ENHANCED, ...): a resend of something Google has; delivered.
- CLICK_NOT_FOUND on a row without a click id (enhanced conversions for leads): Google says it
  can safely be ignored; delivered.
- Anything else: terminal, with Google's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx

from eventyard.conversions.reading import dig
from eventyard.delivery.http import parse_retry_after, raise_for_status
from eventyard.destinations.ads.sending import Results, json_object
from eventyard.errors import DeliveryError, TerminalError, TransientError

__all__ = ["TOO_RECENT_WAIT", "check_request", "row_results"]

TOO_RECENT_WAIT = 6 * 3600.0
_RETRYABLE = frozenset(
    {"CONCURRENT_MODIFICATION", "RESOURCE_EXHAUSTED", "INTERNAL_ERROR", "TRANSIENT_ERROR"}
)
_ALREADY_THERE = frozenset(
    {
        "CLICK_CONVERSION_ALREADY_EXISTS",
        "ORDER_ID_ALREADY_IN_USE",
        "DUPLICATE_ORDER_ID",
        "CONVERSION_ALREADY_RETRACTED",
        "CONVERSION_ALREADY_ENHANCED",
        "RESTATEMENT_ALREADY_EXISTS",
        "DUPLICATE_ADJUSTMENT_IN_REQUEST",
        "DUPLICATE_ENHANCEMENT_IN_REQUEST",
    }
)
_DELAY = re.compile(r"(\d{1,9}(?:\.\d+)?)s")


def _errors(container: Any) -> Iterator[Mapping[str, Any]]:
    """The GoogleAdsError objects in a google.rpc.Status's details."""
    details = container.get("details") if isinstance(container, Mapping) else None
    for detail in details if isinstance(details, list) else []:
        errors = detail.get("errors") if isinstance(detail, Mapping) else None
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, Mapping):
                yield error


def _code(error: Mapping[str, Any]) -> str:
    """The enum value of an errorCode (`{"conversionUploadError": "CLICK_NOT_FOUND"}`)."""
    code = error.get("errorCode")
    values = [v for v in code.values() if isinstance(v, str)] if isinstance(code, Mapping) else []
    return values[0] if values else "UNKNOWN"


def _index(error: Mapping[str, Any]) -> int | None:
    elements = dig(error, "location", "fieldPathElements")
    first = elements[0] if isinstance(elements, list) and elements else None
    index = first.get("index") if isinstance(first, Mapping) else None
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def _row_error(code: str, message: str, has_click: bool) -> DeliveryError | None:
    said = f"Google Ads: {code}: {message}"
    if code.startswith("TOO_RECENT_"):
        return TransientError(f"{said} (retrying in 6 hours)", TOO_RECENT_WAIT)
    if code in _RETRYABLE:
        return TransientError(said)
    if code in _ALREADY_THERE or (code == "CLICK_NOT_FOUND" and not has_click):
        return None
    return TerminalError(said)


def row_results(body: Mapping[str, Any], has_click: Sequence[bool]) -> Results:
    """One result per uploaded row from a 200 answer's partialFailureError."""
    results: Results = [None] * len(has_click)
    for error in _errors(body.get("partialFailureError")):
        index = _index(error)
        if index is not None and 0 <= index < len(results) and results[index] is None:
            message = str(error.get("message", ""))[:300]
            results[index] = _row_error(_code(error), message, has_click[index])
    return results


def _retry_delay(error: Mapping[str, Any], response: httpx.Response) -> float | None:
    header = parse_retry_after(response.headers.get("retry-after"))
    if header is not None:
        return header
    for detail in _errors(error):
        delay = dig(detail, "details", "quotaErrorDetails", "retryDelay")
        if isinstance(delay, str) and (matched := _DELAY.fullmatch(delay)):
            return float(matched.group(1))
    return None


def check_request(response: httpx.Response) -> None:
    """Return for 2xx; else raise what the whole request's failure means."""
    if 200 <= response.status_code < 300:
        return
    error = json_object(response).get("error")
    error = error if isinstance(error, Mapping) else {}
    errors = list(_errors(error))
    codes = {_code(e) for e in errors}
    said = "; ".join(f"{_code(e)}: {e.get('message', '')}" for e in errors[:5])
    said = said or str(error.get("message") or response.text[:200])
    status = response.status_code
    if codes & _RETRYABLE or status == 429:
        raise TransientError(f"Google Ads: {said}", _retry_delay(error, response), status=status)
    if status == 401:
        raise TerminalError(
            f"Google Ads refused the credentials (HTTP 401: {said}); check developer_token "
            "and the OAuth token",
            status=status,
        )
    if status == 403:
        raise TerminalError(
            f"Google Ads denied access (HTTP 403: {said}); check customer_id, and set "
            "login_customer_id when access goes through a manager account",
            status=status,
        )
    if status < 500 and status != 408:
        raise TerminalError(f"Google Ads rejected the request (HTTP {status}: {said})", status)
    raise_for_status(response)
