"""What both Amplitude actions share: id checks, timestamps, reading Amplitude's errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import parse_retry_after
from eventyard.destinations.amplitude.settings import AmplitudeSettings
from eventyard.errors import TerminalError, TransientError

__all__ = ["THROTTLE_PAUSE", "check_ids", "epoch_ms", "id_problem", "json_body", "throttled"]

THROTTLE_PAUSE = 30.0
"""Amplitude's advice after a 429: stop sending for that user or device for 30 seconds."""


def epoch_ms(value: str) -> int:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def check_ids(payload: dict[str, Any], settings: AmplitudeSettings) -> None:
    """TerminalError when the payload's ids are ones Amplitude refuses (see id_problem)."""
    problem = id_problem(payload, settings)
    if problem:
        raise TerminalError(problem)


def id_problem(payload: dict[str, Any], settings: AmplitudeSettings) -> str | None:
    """Why Amplitude would reject the ids (it needs user_id or device_id of >= 5 chars)."""
    ids = {key: payload.get(key) for key in ("user_id", "device_id") if payload.get(key)}
    if not ids:
        return (
            "Amplitude needs a user_id or a device_id and both are empty; map one of them "
            "(the defaults read userId, and context.device.id or anonymousId)"
        )
    for key, value in ids.items():
        if len(str(value)) < settings.id_length:
            return (
                f"{key} {value!r} is shorter than {settings.id_length} characters, which "
                "Amplitude rejects; set min_id_length in the settings to accept shorter ids"
            )
    return None


def json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def throttled(response: httpx.Response) -> TransientError:
    """A 429: which users or devices were over the rate or the daily quota, and when to retry."""
    body = json_body(response)
    names = [
        f"{kind} {', '.join(map(str, sorted(body[kind])))}"
        for kind in (
            "throttled_users",
            "throttled_devices",
            "exceeded_daily_quota_users",
            "exceeded_daily_quota_devices",
        )
        if body.get(kind)
    ]
    detail = "; ".join(names) or str(body.get("error") or "too many requests")
    wait = parse_retry_after(response.headers.get("retry-after"))
    return TransientError(
        f"Amplitude throttled the request (HTTP 429): {detail}",
        THROTTLE_PAUSE if wait is None else wait,
    )
