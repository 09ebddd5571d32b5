"""Normalize identifiers the way each ad platform documents, then hash them with SHA-256.

Platforms disagree (Meta wants phone digits without `+`, Google wants E.164 with `+` and gmail
dots removed, Reddit strips `+tags` and punctuation), so every function here is one documented
rule and the destinations pick theirs; one hash is never reused across platforms. Every
normalizer returns None for values it cannot make sense of (hashing garbage only lowers match
rates) and never raises, whatever it is given: values come straight from user-supplied events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers

__all__ = [
    "city",
    "country",
    "date_of_birth",
    "email_basic",
    "email_google",
    "email_reddit",
    "external_id",
    "gender",
    "hash_once",
    "is_hashed",
    "locale_region",
    "name",
    "phone_digits",
    "phone_e164",
    "sha256_hex",
    "state",
    "user_country",
    "zip_code",
]

_MAX_CHARS = 512
"""Longer values are not identifiers (an email is at most 254 characters): dropped, not hashed."""

_MAX_INT = 10**30
"""Larger integers are no phone or zip (and Python refuses to print huge ones)."""
_HASHED = re.compile(r"[a-fA-F0-9]{64}")
_US_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")
_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_COUNTRY_NAMES = {
    "usa": "us",
    "united states": "us",
    "united states of america": "us",
    "uk": "gb",
    "united kingdom": "gb",
    "great britain": "gb",
}
_REGIONS = frozenset(code.lower() for code in phonenumbers.SUPPORTED_REGIONS)
_STATE_TABLE = """
AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut
DE Delaware|DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois
IN Indiana|IA Iowa|KS Kansas|KY Kentucky|LA Louisiana|ME Maine|MD Maryland
MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|MO Missouri|MT Montana
NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico|NY New York
NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania
RI Rhode Island|SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah
VT Vermont|VA Virginia|WA Washington|WV West Virginia|WI Wisconsin|WY Wyoming
PR Puerto Rico|GU Guam|VI Virgin Islands|AS American Samoa|MP Northern Mariana Islands
AB Alberta|BC British Columbia|MB Manitoba|NB New Brunswick|NL Newfoundland and Labrador
NS Nova Scotia|NT Northwest Territories|NU Nunavut|ON Ontario|PE Prince Edward Island
QC Quebec|SK Saskatchewan|YT Yukon
"""
_STATES = {
    entry[3:].lower(): entry[:2].lower()
    for line in _STATE_TABLE.splitlines()
    for entry in line.split("|")
    if entry
}
"""US states and territories, Canadian provinces: full name -> postal code (Meta, Pinterest)."""
_STATE_CODES = frozenset(_STATES.values())
_GENDERS = {"m": "m", "male": "m", "man": "m", "f": "f", "female": "f", "woman": "f"}


def _text(value: object) -> str | None:
    """The value as stripped text (integers too: phones and zips often arrive as numbers)."""
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) >= _MAX_INT):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or len(value) > _MAX_CHARS:
        return None
    return unicodedata.normalize("NFC", value).strip() or None


def sha256_hex(value: str) -> str:
    """Lowercase hex SHA-256 of the UTF-8 bytes, the form every platform expects."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def is_hashed(value: str) -> bool:
    """Whether the value already is a SHA-256 hex digest (a site may hash before sending)."""
    return isinstance(value, str) and _HASHED.fullmatch(value.strip()) is not None


def hash_once(value: str | None, normalize: Callable[[str], str | None]) -> str | None:
    """Normalize then hash, unless the value already is a hash: a hash is never hashed twice."""
    text = _text(value)
    if text is None:
        return None
    if is_hashed(text):
        return text.lower()
    normalized = normalize(text)
    return sha256_hex(normalized) if normalized else None


def email_basic(value: str) -> str | None:
    """Trimmed and lowercased (Meta, TikTok, Snap, Pinterest)."""
    text = _text(value)
    if text is None:
        return None
    local, at, domain = text.lower().rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in text):
        return None
    return f"{local}@{domain}"


def email_google(value: str) -> str | None:
    """Google's rule (GA4 user_data, Ads enhanced conversions): dots go in gmail local parts."""
    email = email_basic(value)
    if email is None:
        return None
    local, _, domain = email.rpartition("@")
    if domain in _GMAIL:
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


def email_reddit(value: str) -> str | None:
    """Reddit's advanced-matching rule, for every domain: lowercased, the `+tag` alias dropped,
    then every character of the local part that is not a-z or 0-9 removed
    (`Al.ice$+Apple@Example.Com` -> `alice@example.com`)."""
    email = email_basic(value)
    if email is None:
        return None
    local, _, domain = email.rpartition("@")
    local = _NOT_ALNUM.sub("", local.split("+", 1)[0])
    return f"{local}@{domain}" if local else None


def phone_e164(value: str, default_country: str | None = None) -> str | None:
    """E.164 with `+` (Google, TikTok, Reddit), extensions dropped.

    A number without `+`/`00` is read in `default_country` (e.g. the user's country) when given,
    else taken as already starting with its country code (Meta's documented input rule).
    """
    text = _text(value)
    if text is None:
        return None
    region = country(default_country) if default_country is not None else None
    if text.startswith("00"):
        text = "+" + text[2:]
    elif not text.startswith("+") and region is None:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(value: str, default_country: str | None = None) -> str | None:
    """Digits with the country code, no `+` and no leading zeros (Meta, Snap, Pinterest)."""
    e164 = phone_e164(value, default_country)
    return e164[1:] if e164 else None


def name(value: str) -> str | None:
    """Lowercase letters only: punctuation, digits and symbols removed; accents kept (UTF-8)."""
    text = _text(value)
    if text is None:
        return None
    kept = "".join(ch for ch in text.lower() if ch.isalpha() or ch.isspace())
    return " ".join(kept.split()) or None


def city(value: str) -> str | None:
    """Lowercase letters only, no spaces or punctuation (`menlopark`)."""
    text = _text(value)
    if text is None:
        return None
    return "".join(ch for ch in text.lower() if ch.isalpha()) or None


def state(value: str) -> str | None:
    """The 2-letter code for US states, territories and Canadian provinces (`California`,
    `CA` and `US-CA` all give `ca`); elsewhere lowercase letters and digits only."""
    text = _text(value)
    if text is None:
        return None
    lowered = " ".join(text.lower().replace(".", "").split())
    if lowered in _STATES:
        return _STATES[lowered]
    prefix, dash, code = lowered.rpartition("-")
    if dash and prefix in ("us", "ca") and code in _STATE_CODES:
        return code
    return "".join(ch for ch in lowered if ch.isalnum()) or None


def zip_code(value: str, country: str | None = None) -> str | None:
    """Lowercase without whitespace; US ZIP codes as their first 5 digits (ZIP+4 dropped)."""
    text = _text(value)
    if text is None:
        return None
    compact = "".join(text.lower().split())
    us = _US_ZIP.fullmatch(compact)
    if _country(country) == "us":
        return us.group(1) if us else None
    return us.group(1) if us and country is None else compact


def country(value: str) -> str | None:
    """Lowercase ISO-3166 alpha-2 (`US`, `us`, `United States` give `us`); None if unknown."""
    return _country(value)


def _country(value: object) -> str | None:
    text = _text(value)
    if text is None:
        return None
    lowered = " ".join(text.lower().replace(".", "").split())
    lowered = _COUNTRY_NAMES.get(lowered, lowered)
    return lowered if lowered in _REGIONS else None


def locale_region(value: str) -> str | None:
    """The region of a locale tag (`en-US`, `en_us`, `zh-Hant-TW`, `de-DE.UTF-8` give `us`,
    `us`, `tw`, `de`) as a lowercase alpha-2 code; None when the tag names no known region."""
    text = _text(value)
    if text is None:
        return None
    parts = re.split(r"[-_]", text.split(".", 1)[0].split("@", 1)[0])[1:]
    found = (part.lower() for part in parts if len(part) == 2 and part.isalpha())
    return next((code for code in found if code in _REGIONS), None)


def user_country(conversion: Mapping[str, Any], *, locale: bool = False) -> str | None:
    """The country a conversion object's national formats are read in: the user's `country`
    trait, else where consent says the user is, else (with `locale`) the region of
    `context.locale`. The locale is only a hint (a browser set to `en-US` abroad), so it
    serves phones, where a wrong guess yields an impossible number that is dropped, not ZIP
    codes, where it would drop a valid foreign postcode."""
    for where in (conversion.get("user"), conversion.get("consent")):
        found = _country(where.get("country")) if isinstance(where, Mapping) else None
        if found:
            return found
    tag = conversion.get("locale") if locale else None
    return locale_region(tag) if isinstance(tag, str) else None


def external_id(value: str) -> str | None:
    """Trimmed, case kept: it is the site's own ID (Segment's userId)."""
    return _text(value)


def gender(value: str) -> str | None:
    """`m` or `f`, the two values Meta, Snap and Pinterest accept for hashing."""
    text = _text(value)
    return _GENDERS.get(text.lower()) if text else None


def date_of_birth(value: str) -> str | None:
    """YYYYMMDD from ISO dates (`1990-05-17`, `1990-05-17T00:00:00Z`, `19900517`, `1990/05/17`)
    or day/month/year forms where unambiguous; None for impossible dates."""
    text = _text(value)
    if text is None:
        return None
    parts = re.split(r"[-/.]", text[:10]) if not text.isdigit() else []
    if text.isdigit() and len(text) == 8:
        parts = [text[:4], text[4:6], text[6:]]
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    if len(parts[0]) == 4:
        year, month, day = numbers
    elif len(parts[2]) == 4 and (numbers[0] > 12) != (numbers[1] > 12):
        day, month = (numbers[0], numbers[1]) if numbers[0] > 12 else (numbers[1], numbers[0])
        year = numbers[2]
    else:
        return None
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return None
    return born.strftime("%Y%m%d")
