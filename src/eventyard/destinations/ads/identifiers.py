"""Platform user_data from the conversion object, driven by one table per platform.

Each ad platform wants the same identifiers under its own keys, normalized by its own rules,
hashed or plain, single or in arrays. A platform declares that as a tuple of `Identifier`s and
`user_data` does the rest, so hashing rules live in one table per platform, next to the docs
they cite, and the mechanics (never hash twice, drop what cannot be normalized) live here once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventyard.conversions.identity import (
    hash_once,
    phone_digits,
    phone_e164,
    user_country,
    zip_code,
)
from eventyard.conversions.spec import CLICK_ID_KEYS, USER_KEYS
from eventyard.destinations.ads.conversion import require_one_of

__all__ = [
    "PHONE_DIGITS",
    "PHONE_E164",
    "ZIP",
    "Identifier",
    "InCountry",
    "Normalize",
    "hashed",
    "ip_address",
    "minimum_keys",
    "plain",
    "required_user_data",
    "user_data",
]

Normalize = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class InCountry:
    """A normalizer that reads national formats in the user's country (phones, ZIP codes)."""

    normalize: Callable[[str, str | None], str | None]
    locale: bool = False
    """Whether `context.locale`'s region may stand in for an unknown country (identity.
    user_country says why phones only)."""


PHONE_E164 = InCountry(phone_e164, locale=True)
"""E.164 with `+` (Google, TikTok, Reddit)."""
PHONE_DIGITS = InCountry(phone_digits, locale=True)
"""Digits with the country code (Meta, Snap, Pinterest)."""
ZIP = InCountry(zip_code)


@dataclass(frozen=True, slots=True)
class Identifier:
    """One key of a platform's user_data and where its value comes from."""

    key: str
    """The platform's key, e.g. `em`."""
    source: str
    """Dotted path in the conversion object, e.g. `user.email`, `click_ids.fbc`, `ip`."""
    normalize: Normalize | InCountry | None = None
    """None: the value is sent as it is (IP, user agent, click ids)."""
    hashed: bool = False
    many: bool = False
    """The platform takes an array (all values of the source), else the first value."""


def hashed(
    key: str, source: str, normalize: Normalize | InCountry, many: bool = False
) -> Identifier:
    """An identifier normalized, then SHA-256 hashed (a value that is a hash already is kept)."""
    return Identifier(key, source, normalize, hashed=True, many=many)


def plain(key: str, source: str, normalize: Normalize | None = None) -> Identifier:
    """An identifier sent in plain text, normalized when `normalize` is given."""
    return Identifier(key, source, normalize)


def ip_address(value: str) -> str | None:
    """A valid IPv4 or IPv6 address in canonical form: platforms refuse a request over a
    malformed one (Meta rejects the whole batch), so such a value is left out instead."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _lookup(conversion: Mapping[str, Any], source: str) -> Any:
    value: Any = conversion
    for part in source.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _texts(value: Any) -> list[str]:
    """The candidate values: a string, a number (phones, ZIP codes), or a list of those."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items[:10]:
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item) if abs(item) < 10**20 else None
        if isinstance(item, str) and item.strip():
            out.append(item)
    return out


def _normalizer(
    rule: Normalize | InCountry | None, conversion: Mapping[str, Any]
) -> Normalize | None:
    if not isinstance(rule, InCountry):
        return rule
    regional, where = rule.normalize, user_country(conversion, locale=rule.locale)

    def normalize(text: str) -> str | None:
        return regional(text, where)

    return normalize


def _one(identifier: Identifier, raw: str, conversion: Mapping[str, Any]) -> str | None:
    normalize = _normalizer(identifier.normalize, conversion)
    if identifier.hashed and normalize is not None:
        return hash_once(raw, normalize)
    return normalize(raw) if normalize is not None else raw.strip() or None


def user_data(
    conversion: Mapping[str, Any], table: Sequence[Identifier]
) -> dict[str, str | list[str]]:
    """The platform's user_data: only keys with a usable value, in table order."""
    out: dict[str, str | list[str]] = {}
    for identifier in table:
        values: list[str] = []
        for raw in _texts(_lookup(conversion, identifier.source)):
            value = _one(identifier, raw, conversion)
            if value is not None and value not in values:
                values.append(value)
        if values:
            out[identifier.key] = values if identifier.many else values[0]
    return out


def required_user_data(
    conversion: Mapping[str, Any],
    table: Sequence[Identifier],
    minimum: Sequence[Sequence[str]],
    platform: str,
) -> dict[str, str | list[str]]:
    """`user_data`, or TerminalError when it holds none of the platform's `minimum` key sets."""
    found = user_data(conversion, table)
    require_one_of(found, minimum, platform)
    return found


def _source(key: str) -> str:
    """Where a ConversionSpec identifier key lives in the conversion object."""
    if key in USER_KEYS:
        return f"user.{key}"
    return f"click_ids.{key}" if key in CLICK_ID_KEYS else key


def minimum_keys(
    minimum: Sequence[Collection[str]], table: Sequence[Identifier]
) -> tuple[tuple[str, ...], ...]:
    """A ConversionSpec's minimum in the platform's user_data keys (each set in table order),
    so that the minimum is declared once; ValueError for a key the table does not send."""
    found = []
    for keys in minimum:
        sources = {_source(key) for key in keys}
        platform = tuple(row.key for row in table if row.source in sources)
        missing = sources - {row.source for row in table}
        if missing:
            raise ValueError(f"the minimum needs {sorted(missing)}, which the table never sends")
        found.append(platform)
    return tuple(found)
