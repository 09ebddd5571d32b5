"""HTTP outcome classification and backoff timing."""

from __future__ import annotations

import random
from email.utils import formatdate

import httpx
import pytest

from delivery.conftest import fast_delivery
from eventyard.delivery.backoff import backoff_delay
from eventyard.delivery.http import from_http_error, parse_retry_after, raise_for_status
from eventyard.errors import TerminalError, TransientError


def response(status: int, headers: dict[str, str] | None = None, text: str = "") -> httpx.Response:
    request = httpx.Request("POST", "https://example.test/hook?token=secret")
    return httpx.Response(status, headers=headers, text=text, request=request)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_success(status: int) -> None:
    raise_for_status(response(status))


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    with pytest.raises(TransientError, match=f"HTTP {status}"):
        raise_for_status(response(status))


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 422])
def test_terminal_statuses(status: int) -> None:
    with pytest.raises(TerminalError, match=f"HTTP {status}") as caught:
        raise_for_status(response(status, {"location": "https://new.test/"}))
    assert "secret" not in str(caught.value)


def test_retry_after_seconds_and_http_date() -> None:
    with pytest.raises(TransientError) as caught:
        raise_for_status(response(429, {"Retry-After": "7"}, "slow down"))
    assert caught.value.retry_after == 7.0
    assert "slow down" in str(caught.value)
    date = formatdate(1_000_030.0, usegmt=True)
    assert parse_retry_after(date, now=1_000_000.0) == pytest.approx(30.0)
    assert parse_retry_after("soon") is None


def test_network_errors_are_transient() -> None:
    assert isinstance(from_http_error(httpx.ConnectError("refused")), TransientError)
    assert isinstance(from_http_error(httpx.ReadTimeout("slow")), TransientError)


def test_backoff_grows_with_full_jitter_and_honours_retry_after() -> None:
    settings = fast_delivery(backoff_initial=1, backoff_max=60)
    rng = random.Random(7)
    delays = [backoff_delay(n, settings, rng=rng) for n in range(1, 12) for _ in range(20)]
    assert all(1.0 <= d <= 60.0 for d in delays)
    assert max(backoff_delay(1, settings, rng=rng) for _ in range(50)) == 1.0
    assert max(backoff_delay(10, settings, rng=rng) for _ in range(50)) > 30
    assert backoff_delay(1, settings, retry_after=120.0) == 120.0


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0001/B0002/XXabcd1234efgh5678", "/services/…/…/…"),
        (
            "https://discord.com/api/webhooks/123456789012/Xy7_abc-DEF123ghi456JKL789mno012PQR345stu",
            "/api/webhooks/…/…",
        ),
        ("https://api.segment.io/v1/batch?key=secret", "/v1/batch"),
        ("https://api2.amplitude.com/2/httpapi", "/2/httpapi"),
        ("https://user:pw@example.com/in", "/in"),
    ],
)
def test_error_messages_never_show_credentials_from_the_url(url: str, shown: str) -> None:
    response = httpx.Response(400, request=httpx.Request("POST", url), text="bad")
    with pytest.raises(TerminalError) as caught:
        raise_for_status(response)
    message = str(caught.value)
    host = httpx.URL(url).host
    assert f"{host}{shown}:" in message or f"{host}{shown} " in message
    for secret in ("XXabcd1234efgh5678", "Xy7_abc-DEF123ghi456", "key=secret", "pw@", "user:"):
        assert secret not in message
