"""What the ad destinations' settings share: the base Struct and its checks.

Ids and versions become URL path segments, so anything but the characters the platform uses
is refused when the configuration is loaded: a stray `/` or `?` would send the events (and
the token) somewhere else.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from eventyard.destinations.base import secret_fields

__all__ = [
    "AdSettings",
    "BatchWait",
    "check_base_url",
    "check_segment",
    "check_test_event_code",
    "check_version",
]

_VERSION = re.compile(r"v\d{1,3}(\.\d{1,3})?")
_TEST_EVENT_CODE = r"[A-Za-z0-9_-]{1,64}"

BatchWait = Annotated[int, msgspec.Meta(ge=0, le=60_000)]
"""`batch_wait_ms`: how long a batch may wait to fill, up to a minute."""


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


def check_test_event_code(code: str | None, screen: str) -> None:
    """Meta's and TikTok's `test_event_code`, shown in Events Manager → `screen`."""
    if code is not None:
        what = f"the code shown in Events Manager → {screen} (e.g. TEST12345)"
        check_segment("test_event_code", code, _TEST_EVENT_CODE, what)


class AdSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The base of every ad destination's settings (subclasses say `kw_only=True` again).

    Its `__post_init__`, which a subclass calls after checking its own ids, checks what they
    all declare the same way: a required credential (a `Secret` field) is not blank,
    `api_version` looks like its default, and every `*_url` is a base URL (kept without its
    trailing `/`).
    """

    def __post_init__(self) -> None:
        kind = type(self)
        credentials = secret_fields(kind)
        for info in msgspec.structs.fields(kind):
            value = getattr(self, info.name)
            if info.required and info.encode_name in credentials and not value.strip():
                raise ValueError(f"{info.encode_name} must not be empty")
            if info.name == "api_version" and isinstance(info.default, str):
                check_version(info.encode_name, value, info.default)
            if info.name.endswith("_url") and isinstance(value, str):
                setattr(self, info.name, check_base_url(info.encode_name, value))
