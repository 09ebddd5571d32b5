"""Mixpanel settings: credentials, data residency, and the URL override that tests use."""

from __future__ import annotations

import base64
from typing import Literal
from urllib.parse import urlsplit

import msgspec

from eventyard.destinations.base import Secret

__all__ = ["REGION_HOSTS", "MixpanelSettings"]

REGION_HOSTS = {
    "US": "https://api.mixpanel.com",
    "EU": "https://api-eu.mixpanel.com",
    "IN": "https://api-in.mixpanel.com",
}
"""Ingestion hosts per data residency (developer.mixpanel.com, Ingestion API servers)."""


class MixpanelSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where and how to send to one Mixpanel project."""

    project_token: Secret
    """The project token: goes in /track, /engage and /groups bodies."""
    api_secret: Secret | None = None
    """Legacy project secret for /import (Basic auth, secret as user, empty password)."""
    service_account_username: str | None = None
    service_account_secret: Secret | None = None
    project_id: str | None = None
    """Service-account auth for /import (Mixpanel's recommended method); needs all three."""
    api_region: Literal["US", "EU", "IN"] = "US"
    """Data residency: US api.mixpanel.com, EU api-eu.mixpanel.com, IN api-in.mixpanel.com."""
    endpoint: str | None = None
    """Overrides the regional host (a proxy, or a local fake in tests)."""

    def __post_init__(self) -> None:
        if not self.project_token.strip():
            raise ValueError("project_token must not be empty")
        if self.endpoint is not None:
            parts = urlsplit(self.endpoint)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"endpoint {self.endpoint!r} must be an absolute http:// or https:// URL"
                )
        account = (self.service_account_username, self.service_account_secret, self.project_id)
        if any(account) and not all(account):
            raise ValueError(
                "service account auth needs service_account_username, "
                "service_account_secret and project_id together"
            )

    @property
    def base_url(self) -> str:
        return (self.endpoint or REGION_HOSTS[self.api_region]).rstrip("/")

    def import_auth(self) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, query) for /import: service account, else API secret, else token."""
        query = {"strict": "1"}
        if self.service_account_username and self.service_account_secret and self.project_id:
            user, password = self.service_account_username, self.service_account_secret
            query["project_id"] = self.project_id
        else:
            user, password = self.api_secret or self.project_token, ""
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}, query
