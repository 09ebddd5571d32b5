"""Google Ads settings: the customer, its conversion actions, the API credentials.

Credentials are a developer token plus OAuth 2.0: either a ready `access_token` (it expires
after an hour, so for short tests) or an OAuth client with a refresh token, from which access
tokens are fetched and renewed (developers.google.com/google-ads/api/docs/oauth/overview).
"""

from __future__ import annotations

from eventyard.conversions.canonical import CANONICAL_NAMES
from eventyard.destinations.ads.settings import AdSettings, BatchWait, check_segment
from eventyard.destinations.base import Secret

__all__ = ["ADS_HOST", "ADS_VERSION", "TOKEN_URL", "GoogleAdsSettings", "customer_digits"]

ADS_HOST = "https://googleads.googleapis.com"
ADS_VERSION = "v26"
"""Google's recommended version for new integrations (Nov 2026); each major version lives
about 12 months (v22, Segment's, was sunset on October 7, 2026)."""
TOKEN_URL = "https://oauth2.googleapis.com/token"
_ACTION_ID = r"\d{1,20}"


def customer_digits(key: str, value: str) -> str:
    """A customer id as the API wants it: 10 digits, dashes (123-456-7890) removed."""
    digits = value.replace("-", "")
    check_segment(key, digits, r"\d{10}", "a 10-digit Google Ads customer id, e.g. 123-456-7890")
    return digits


class GoogleAdsSettings(AdSettings, kw_only=True):
    """One Google Ads customer (account) receiving offline conversions and adjustments."""

    customer_id: str
    """The account the conversions belong to (123-456-7890)."""
    developer_token: Secret
    """The API developer token (manager account → Admin → API Center)."""
    conversion_actions: dict[str, str]
    """Canonical conversion name -> conversion action id, e.g. `{purchase: "987654321"}`
    (Goals → Conversions → the action; its id is `ctId` in the URL). Refunds adjust the
    `purchase` action."""
    access_token: Secret | None = None
    """An OAuth 2.0 access token with the adwords scope; expires after about an hour."""
    client_id: str | None = None
    """The OAuth client id; with client_secret and refresh_token, tokens are renewed."""
    client_secret: Secret | None = None
    refresh_token: Secret | None = None
    """A refresh token for the scope https://www.googleapis.com/auth/adwords."""
    login_customer_id: str | None = None
    """The manager account's id, when access to customer_id goes through a manager."""
    api_version: str = ADS_VERSION
    api_base_url: str = ADS_HOST
    """The API host (a proxy, or a local fake in tests)."""
    token_url: str = TOKEN_URL
    """Google's OAuth token endpoint."""
    validate_only: bool = False
    """Send `validateOnly: true`: Google checks the uploads and records nothing."""
    batch_wait_ms: BatchWait = 1000

    def __post_init__(self) -> None:
        self.customer_id = customer_digits("customer_id", self.customer_id)
        if self.login_customer_id is not None:
            self.login_customer_id = customer_digits("login_customer_id", self.login_customer_id)
        self._check_actions()
        oauth = (self.client_id, self.client_secret, self.refresh_token)
        if (self.access_token is None) == all(part is None for part in oauth):
            raise ValueError(
                "set either access_token, or client_id, client_secret and refresh_token "
                "(tokens are then renewed automatically)"
            )
        if self.access_token is None and any(part is None for part in oauth):
            raise ValueError("client_id, client_secret and refresh_token go together")
        super().__post_init__()

    def _check_actions(self) -> None:
        if not self.conversion_actions:
            raise ValueError(
                "conversion_actions must name at least one action, e.g. {purchase: '987654321'}"
            )
        for name, action in self.conversion_actions.items():
            if name not in CANONICAL_NAMES:
                known = ", ".join(sorted(CANONICAL_NAMES))
                raise ValueError(f"conversion_actions: {name!r} is no conversion name ({known})")
            check_segment(f"conversion_actions.{name}", action, _ACTION_ID, "a numeric id")

    @property
    def customer_url(self) -> str:
        return f"{self.api_base_url}/{self.api_version}/customers/{self.customer_id}"

    def action_resource(self, action_id: str) -> str:
        return f"customers/{self.customer_id}/conversionActions/{action_id}"
