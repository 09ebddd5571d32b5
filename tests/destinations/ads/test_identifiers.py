"""The table-driven user_data builder: normalize, hash once, arrays, hostile values."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from eventyard.conversions import identity
from eventyard.destinations.ads.identifiers import (
    InCountry,
    hashed,
    ip_address,
    minimum_keys,
    plain,
    required_user_data,
    user_data,
)
from eventyard.errors import TerminalError


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


TABLE = (
    hashed("em", "user.email", identity.email_basic, many=True),
    hashed("ph", "user.phone", InCountry(identity.phone_digits)),
    plain("ip", "ip", ip_address),
    plain("fbc", "click_ids.fbc"),
    plain("city", "user.city", identity.city),
)


def test_each_key_follows_its_row() -> None:
    conversion = {
        "user": {"email": "Ada@Example.com", "phone": "(650) 555-1212", "country": "US"},
        "ip": "2001:DB8::1",
        "click_ids": {"fbc": " fb.1.1.abc "},
        "consent": {"country": "DE"},
    }
    assert user_data(conversion, TABLE) == {
        "em": [sha("ada@example.com")],
        "ph": sha("16505551212"),  # read as a US number: the user's country wins
        "ip": "2001:db8::1",
        "fbc": "fb.1.1.abc",
    }


def test_national_numbers_fall_back_to_the_consent_country() -> None:
    conversion = {"user": {"phone": "030 1234567"}, "consent": {"country": "DE"}}
    assert user_data(conversion, TABLE) == {"ph": sha("49301234567")}


def test_several_values_become_an_array_without_repeats() -> None:
    emails = ["ada@example.com", " ADA@example.com", "bob@example.com", "nope"]
    assert user_data({"user": {"email": emails}}, TABLE)["em"] == [
        sha("ada@example.com"),
        sha("bob@example.com"),
    ]


def test_a_hash_is_never_hashed_again() -> None:
    digest = sha("ada@example.com")
    assert user_data({"user": {"email": digest.upper()}}, TABLE) == {"em": [digest]}


@pytest.mark.parametrize(
    "conversion",
    [
        {},
        {"user": "ada@example.com"},
        {"user": {"email": None, "phone": True, "city": 3.5}},
        {"user": {"email": {"$gt": ""}, "phone": ["", "   "]}},
        {"user": {"phone": 10**400}},
        {"user": {"email": ["x@y.z"] * 10_000}},
        {"ip": "not an ip", "click_ids": ["fbc"]},
        {"user": {"email": "a" * 100_000 + "@example.com"}},
    ],
)
def test_hostile_values_never_raise(conversion: dict[str, Any]) -> None:
    made = user_data(conversion, TABLE)
    assert made.get("em", [sha("x@y.z")]) == [sha("x@y.z")]
    assert "ip" not in made and "ph" not in made


def test_ip_addresses_are_canonical_or_dropped() -> None:
    assert ip_address(" 203.0.113.7 ") == "203.0.113.7"
    assert ip_address("::FFFF:203.0.113.7") == "::ffff:cb00:7107"
    assert ip_address("203.0.113.7, 10.0.0.1") is None


def test_the_minimum_in_the_platforms_keys() -> None:
    minimum = (frozenset({"email"}), frozenset({"user_agent", "ip"}), frozenset({"fbc"}))
    keys = minimum_keys(minimum, (*TABLE, plain("ua", "user_agent")))
    assert keys == (("em",), ("ip", "ua"), ("fbc",))
    with pytest.raises(ValueError, match=r"user\.phone"):
        minimum_keys((frozenset({"phone"}), frozenset({"email"})), TABLE[:1])


def test_required_user_data_needs_one_minimum_set() -> None:
    conversion = {"user": {"email": "ada@example.com"}, "ip": "203.0.113.7"}
    assert required_user_data(conversion, TABLE, (("em",),), "X") == {
        "em": [sha("ada@example.com")],
        "ip": "203.0.113.7",
    }
    with pytest.raises(TerminalError, match="X needs at least fbc or ph"):
        required_user_data(conversion, TABLE, (("fbc",), ("ph",)), "X")
