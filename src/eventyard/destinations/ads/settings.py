"""Checks the ad destinations' settings share: a base URL, an API version, an id in a path.

Ids and versions become URL path segments, so anything but the characters the platform uses
is refused when the configuration is loaded: a stray `/` or `?` would send the events (and
the token) somewhere else.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["check_base_url", "check_segment", "check_version"]

_VERSION = re.compile(r"v\d{1,3}(\.\d{1,3})?")


def check_base_url(key: str, url: str) -> str:
    """The URL without a trailing `/`; ValueError unless it is absolute http(s) with no query."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"{key} {url!r} must be an absolute http:// or https:// URL without a query, "
            "e.g. the platform's own host"
        )
    return url.rstrip("/")


def check_version(key: str, version: str, example: str) -> None:
    if not _VERSION.fullmatch(version):
        raise ValueError(f"{key} {version!r} must look like {example!r}")


def check_segment(key: str, value: str, pattern: str, what: str) -> None:
    """ValueError unless the whole value matches `pattern` (`what` says what it should be)."""
    if not re.fullmatch(pattern, value):
        raise ValueError(f"{key} {value!r} must be {what}")
