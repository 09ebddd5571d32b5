"""Calls to the Google Ads API with its headers and a valid OAuth access token.

Access tokens last about an hour; one fetched from a refresh token is kept (per client and
refresh token) until a minute before it expires, and fetched again once when the API says it
is no longer valid (HTTP 401), so a revoked or rotated token heals without a restart.
"""

from __future__ import annotations

import time

import httpx

from eventyard.conversions.reading import number
from eventyard.delivery.http import raise_for_status
from eventyard.destinations.ads.sending import json_object
from eventyard.destinations.google_ads.settings import GoogleAdsSettings
from eventyard.errors import TerminalError

__all__ = ["access_token", "post"]

_MARGIN = 60.0
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
"""(token_url, client_id, refresh_token) -> (access token, monotonic expiry)."""


def _key(settings: GoogleAdsSettings) -> tuple[str, str, str]:
    return (settings.token_url, str(settings.client_id), str(settings.refresh_token))


async def access_token(
    client: httpx.AsyncClient, settings: GoogleAdsSettings, renew: bool = False
) -> str:
    """The configured access token, else one from the refresh token (cached until expiry)."""
    if settings.access_token is not None:
        return settings.access_token
    cached = _tokens.get(_key(settings))
    if cached is not None and not renew and cached[1] > time.monotonic():
        return cached[0]
    response = await client.post(
        settings.token_url,
        data={
            "grant_type": "refresh_token",
            "client_id": str(settings.client_id),
            "client_secret": str(settings.client_secret),
            "refresh_token": str(settings.refresh_token),
        },
    )
    body = json_object(response)
    if response.status_code in (400, 401):
        raise TerminalError(
            f"Google refused to renew the access token ({body.get('error', 'HTTP error')}: "
            f"{body.get('error_description', response.status_code)}); check client_id, "
            "client_secret and refresh_token (scope https://www.googleapis.com/auth/adwords)",
            status=response.status_code,
        )
    raise_for_status(response)
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise TerminalError("Google's token endpoint answered without an access_token")
    lifetime = number(body.get("expires_in")) or 3600.0
    _tokens[_key(settings)] = (token, time.monotonic() + max(lifetime - _MARGIN, 0.0))
    return token


def _headers(settings: GoogleAdsSettings, token: str) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {token}",
        "developer-token": settings.developer_token,
        "Content-Type": "application/json",
    }
    if settings.login_customer_id is not None:
        headers["login-customer-id"] = settings.login_customer_id
    return headers


async def post(
    client: httpx.AsyncClient, settings: GoogleAdsSettings, method: str, body: bytes
) -> httpx.Response:
    """POST `body` to `{customer_url}{method}`; a 401 renews a refreshed token and tries again."""
    url = f"{settings.customer_url}{method}"
    token = await access_token(client, settings)
    response = await client.post(url, content=body, headers=_headers(settings, token))
    if response.status_code == 401 and settings.access_token is None:
        token = await access_token(client, settings, renew=True)
        response = await client.post(url, content=body, headers=_headers(settings, token))
    return response
