"""Click IDs and ad-platform cookies, captured server-side and remembered per user.

A click ID (`fbclid`, `gclid`, ...) is only in the landing page's URL; the purchase that it
should be credited to comes pages or days later, often from a server without a URL. So the
pipeline captures them from every event and remembers them per user (conversions.md §8.6).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from eventyard.conversions.reading import dig, event_time, text

__all__ = ["capture", "merge"]

_URL_PARAMS = {
    "gclid": "gclid",
    "gbraid": "gbraid",
    "wbraid": "wbraid",
    "ttclid": "ttclid",
    "sccid": "sc_click_id",
    "epik": "epik",
    "rdt_cid": "rdt_cid",
}
"""Landing-URL query parameters (names compared case-insensitively) -> click_ids key."""
_SENT_KEYS = {
    "fbc": "fbc",
    "_fbc": "fbc",
    "fbp": "fbp",
    "_fbp": "fbp",
    "ttp": "ttp",
    "_ttp": "ttp",
    "_scid": "sc_cookie1",
    "sc_cookie1": "sc_cookie1",
    "_epik": "epik",
    "_rdt_uuid": "rdt_uuid",
    "rdt_uuid": "rdt_uuid",
    "_ga": "ga_client_id",
    "ga_client_id": "ga_client_id",
    **{key: key for key in ("gclid", "gbraid", "wbraid", "ttclid", "sc_click_id", "epik")},
    "rdt_cid": "rdt_cid",
}
"""Cookie values or IDs a site sends in `context` or `properties` -> click_ids key."""
_GA_PREFIX = re.compile(r"GA\d+\.\d+\.")
_VALUE = re.compile(r"[\x21-\x7e]{1,500}")
"""Click IDs are printable ASCII without spaces; anything else is not one."""
_MAX_FIELDS = 200


def _from_url(url: object, when: float | None) -> dict[str, str]:
    raw = text(url)
    if raw is None:
        return {}
    query = raw.partition("?")[2].partition("#")[0] if "?" in raw else raw
    try:
        pairs = parse_qsl(query, max_num_fields=_MAX_FIELDS)
    except ValueError:
        return {}
    found: dict[str, str] = {}
    for param, value in pairs:
        if not _VALUE.fullmatch(value):
            continue
        lowered = param.lower()
        if lowered == "fbclid" and when is not None:
            # Meta's format: fb.<subdomain index, 1 when built on a server>.<ms>.<fbclid as is>
            found.setdefault("fbc", f"fb.1.{int(when * 1000)}.{value}")
        elif lowered in _URL_PARAMS:
            found.setdefault(_URL_PARAMS[lowered], value)
    return found


def _from_values(container: object) -> dict[str, str]:
    if not isinstance(container, Mapping):
        return {}
    found: dict[str, str] = {}
    for sent, key in _SENT_KEYS.items():
        value = text(container.get(sent))
        if value is None or not _VALUE.fullmatch(value):
            continue
        if key == "ga_client_id":
            value = _GA_PREFIX.sub("", value, count=1)
        found.setdefault(key, value)
    return found


def capture(event: Mapping[str, object]) -> dict[str, str]:
    """The click IDs and cookies this event carries, by click_ids key.

    URL parameters come from `context.page.url`/`search` and `properties.url`/`search`; `fbc`
    is built from `fbclid` with the event's time (Meta: the time it was first seen). Values a
    site sends itself (`_fbc`, `_fbp`, `_ga`, `gclid`, ... in `context` or `properties`) win
    over URL-derived ones (Meta says to prefer the `_fbc` cookie to a rebuilt value), and
    `properties` win over `context`.
    """
    found = _from_values(dig(event, "properties"))
    for key, value in _from_values(dig(event, "context")).items():
        found.setdefault(key, value)
    when = event_time(event)
    for url in (
        dig(event, "context", "page", "url"),
        dig(event, "context", "page", "search"),
        dig(event, "properties", "url"),
        dig(event, "properties", "search"),
    ):
        for key, value in _from_url(url, when).items():
            found.setdefault(key, value)
    return found


def _fbclid(fbc: str | None) -> str | None:
    parts = fbc.split(".", 3) if fbc else []
    return parts[3] if len(parts) == 4 else None


def merge(remembered: Mapping[str, str], captured: Mapping[str, str]) -> dict[str, str]:
    """The user's click IDs after this event: newly captured values replace remembered ones,
    except an `fbc` for the same click, which keeps its first-seen time (Meta's rule)."""
    merged = dict(remembered)
    for key, value in captured.items():
        if (
            key == "fbc"
            and _fbclid(value) is not None
            and _fbclid(value) == _fbclid(remembered.get("fbc"))
        ):
            continue
        merged[key] = value
    return merged
