"""Slack settings: only which host webhook URLs may point at."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

__all__ = ["SlackSettings"]


class SlackSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The webhook URL itself is the credential and comes from the action's `url` field."""

    endpoint: str = "https://hooks.slack.com"
    """The webhook host. https://hooks.slack-gov.com for GovSlack; a local fake in tests.
    A mapped `url` on any other host is refused, so events never leave for the wrong place."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"endpoint {self.endpoint!r} must be an http:// or https:// URL with a host"
            )
        if parts.path.strip("/") or parts.query:
            raise ValueError(f"endpoint {self.endpoint!r} must be a bare host, without a path")
