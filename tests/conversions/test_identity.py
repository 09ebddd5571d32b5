"""Identifier normalization and hashing, against the rules each platform documents."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventyard.conversions import identity
from eventyard.conversions.identity import hash_once, is_hashed, sha256_hex


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_meta_documented_examples() -> None:
    # Meta's customer-information-parameters page: the email and phone examples and their hashes.
    assert identity.email_basic("John_Smith@gmail.com") == "john_smith@gmail.com"
    email_hash = hash_once("John_Smith@gmail.com", identity.email_basic)
    assert email_hash is not None
    assert email_hash.startswith("62a14e44") and email_hash.endswith("0f62f")
    assert identity.phone_digits("(650)555-1212", "US") == "16505551212"
    phone_hash = hash_once("(650)555-1212", lambda v: identity.phone_digits(v, "US"))
    assert phone_hash is not None
    assert phone_hash.startswith("e323ec62") and phone_hash.endswith("3176")


def test_sha256_hex_is_lowercase_hex_of_utf8() -> None:
    assert sha256_hex("valéry") == hashlib.sha256("valéry".encode()).hexdigest()
    assert sha256_hex("x") == sha256_hex("x").lower()


@pytest.mark.parametrize(
    ("value", "basic", "google", "reddit"),
    [
        (
            " John.Smith@GMail.com ",
            "john.smith@gmail.com",
            "johnsmith@gmail.com",
            "johnsmith@gmail.com",
        ),
        (
            "j.s+news@googlemail.com",
            "j.s+news@googlemail.com",
            "js+news@googlemail.com",
            "js@googlemail.com",
        ),
        (
            "Jo.Ann+tag@Example.org",
            "jo.ann+tag@example.org",
            "jo.ann+tag@example.org",
            "joann@example.org",
        ),
        (
            "Jane_Doe-X.Y+tag@Example.com",
            "jane_doe-x.y+tag@example.com",
            "jane_doe-x.y+tag@example.com",
            "janedoexy@example.com",
        ),
        # Reddit's own example: the alias goes first, then every non-alphanumeric character
        (
            "Al.ice$+Apple@Example.Com",
            "al.ice$+apple@example.com",
            "al.ice$+apple@example.com",
            "alice@example.com",
        ),
        ("a@b", "a@b", "a@b", "a@b"),
        ("no-at-sign.example.com", None, None, None),
        ("@example.com", None, None, None),
        ("joe@", None, None, None),
        ("jo e@example.com", None, None, None),
        ("...@gmail.com", "...@gmail.com", None, None),
        ("+tag@example.com", "+tag@example.com", "+tag@example.com", None),
        ("", None, None, None),
        ("   ", None, None, None),
    ],
)
def test_email_rules(value: str, basic: str | None, google: str | None, reddit: str | None) -> None:
    assert identity.email_basic(value) == basic
    assert identity.email_google(value) == google
    assert identity.email_reddit(value) == reddit


@pytest.mark.parametrize(
    ("value", "country", "e164"),
    [
        ("+1 (415) 555-0100", None, "+14155550100"),
        ("14155550100", None, "+14155550100"),
        ("4155550100", "US", "+14155550100"),
        ("1-415-555-0100", "us", "+14155550100"),
        ("+14155550100", "GB", "+14155550100"),
        ("0044 20 7946 0958", None, "+442079460958"),
        ("00 44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "United Kingdom", "+442079460958"),
        ("020 7946 0958", None, None),  # national form without a country: cannot be made E.164
        ("+44 (0)20 7946 0958", None, "+442079460958"),
        ("+1 415 555 0100 ext. 23", None, "+14155550100"),
        ("415-555-0100 x23", "US", "+14155550100"),
        ("+49 30 901820", None, "+4930901820"),
        ("030 901820", "DE", "+4930901820"),
        ("14155550100", "not a country", "+14155550100"),  # unknown country ignored
        ("+1", None, None),
        ("12", None, None),
        ("phone", None, None),
        ("", "US", None),
    ],
)
def test_phone_formats(value: str, country: str | None, e164: str | None) -> None:
    assert identity.phone_e164(value, country) == e164
    assert identity.phone_digits(value, country) == (e164[1:] if e164 else None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("John", "john"),
        ("  Valéry ", "valéry"),
        ("Vale\u0301ry", "valéry"),  # decomposed accent: same hash as the composed one
        ("O'Brien-Smith", "obriensmith"),
        ("Mary  Ann", "mary ann"),
        ("정", "정"),
        ("R2-D2", "rd"),
        ("J.", "j"),
        ("123", None),
        ("!!!", None),
    ],
)
def test_name(value: str, expected: str | None) -> None:
    assert identity.name(value) == expected


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (identity.city, "Menlo Park", "menlopark"),
        (identity.city, " St. Louis ", "stlouis"),
        (identity.city, "São Paulo", "sãopaulo"),
        (identity.city, "12", None),
        (identity.state, "California", "ca"),
        (identity.state, "CA", "ca"),
        (identity.state, "US-CA", "ca"),
        (identity.state, "new  york", "ny"),
        (identity.state, "District of Columbia", "dc"),
        (identity.state, "Québec", "québec"),
        (identity.state, "Quebec", "qc"),
        (identity.state, "CA-ON", "on"),
        (identity.state, "Bayern", "bayern"),
        (identity.state, "--", None),
        (identity.country, "US", "us"),
        (identity.country, " gb ", "gb"),
        (identity.country, "United States", "us"),
        (identity.country, "U.S.A.", "us"),
        (identity.country, "UK", "gb"),
        (identity.country, "XX", None),
        (identity.country, "Narnia", None),
        (identity.external_id, "  User-42 ", "User-42"),
        (identity.external_id, " ", None),
        (identity.gender, "Male", "m"),
        (identity.gender, "F", "f"),
        (identity.gender, " woman ", "f"),
        (identity.gender, "nonbinary", None),
        (identity.date_of_birth, "1990-05-17", "19900517"),
        (identity.date_of_birth, "1990-05-17T00:00:00Z", "19900517"),
        (identity.date_of_birth, "19900517", "19900517"),
        (identity.date_of_birth, "1990/5/7", "19900507"),
        (identity.date_of_birth, "17/05/1990", "19900517"),
        (identity.date_of_birth, "05/17/1990", "19900517"),
        (identity.date_of_birth, "05/06/1990", None),  # day/month order unknowable
        (identity.date_of_birth, "1990-02-30", None),
        (identity.date_of_birth, "yesterday", None),
    ],
)
def test_address_and_demographics(
    function: Callable[[str], str | None], value: str, expected: str | None
) -> None:
    assert function(value) == expected


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("94107", None, "94107"),
        ("94107-1234", None, "94107"),
        ("941071234", "US", "94107"),
        (" 94107 ", "us", "94107"),
        ("SW1A 1AA", "GB", "sw1a1aa"),
        ("SW1A 1AA", None, "sw1a1aa"),
        ("00-950", "PL", "00-950"),
        ("ABC", "US", None),
        ("1234", "US", None),
    ],
)
def test_zip_code(value: str, country: str | None, expected: str | None) -> None:
    assert identity.zip_code(value, country) == expected


@pytest.mark.parametrize(
    ("value", "hashed"),
    [
        ("a" * 64, True),
        ("ABCDEF0123456789" * 4, True),
        (" " + "a" * 64 + " ", True),
        ("a" * 63, False),
        ("g" * 64, False),
        ("d41d8cd98f00b204e9800998ecf8427e", False),  # MD5 is not accepted as a hash
        ("", False),
    ],
)
def test_is_hashed(value: str, hashed: bool) -> None:
    assert is_hashed(value) is hashed


def test_hash_once_passes_existing_hashes_lowercased() -> None:
    upper = _sha("joe@example.com").upper()
    assert hash_once(upper, identity.email_basic) == _sha("joe@example.com")
    assert hash_once(f" {upper} ", identity.email_google) == _sha("joe@example.com")


def test_hash_once_normalizes_then_hashes() -> None:
    assert hash_once(" John.Smith@GMail.com ", identity.email_google) == _sha("johnsmith@gmail.com")
    assert hash_once(None, identity.email_basic) is None
    assert hash_once("", identity.email_basic) is None
    assert hash_once("not an email", identity.email_basic) is None


@pytest.mark.parametrize(
    "value",
    [
        14155550100,
        pytest.param(10**5000, id="huge-int"),
        4.2,
        True,
        None,
        ["a@b.c"],
        {"email": "a@b.c"},
        b"a@b.c",
        "x" * 100_000,
        "\ud800",
    ],
)
def test_hostile_values_never_raise(value: object) -> None:
    functions: list[Callable[[str], str | None]] = [
        identity.email_basic,
        identity.email_google,
        identity.email_reddit,
        identity.phone_e164,
        identity.phone_digits,
        identity.name,
        identity.city,
        identity.state,
        identity.zip_code,
        identity.country,
        identity.external_id,
        identity.gender,
        identity.date_of_birth,
    ]
    for function in functions:
        result = function(value)  # type: ignore[arg-type]
        assert result is None or isinstance(result, str)
        hashed = hash_once(value, function)  # type: ignore[arg-type]
        assert hashed is None or is_hashed(hashed)


def test_numbers_are_read_as_text() -> None:
    # Phones and zips often arrive as JSON numbers.
    assert identity.phone_e164(14155550100) == "+14155550100"  # type: ignore[arg-type]
    assert identity.zip_code(94107) == "94107"  # type: ignore[arg-type]


_NORMALIZERS: list[Callable[[str], str | None]] = [
    identity.email_basic,
    identity.email_google,
    identity.email_reddit,
    identity.phone_e164,
    identity.phone_digits,
    identity.name,
    identity.city,
    identity.state,
    identity.zip_code,
    identity.country,
    identity.external_id,
    identity.gender,
    identity.date_of_birth,
]


@given(st.text(max_size=300), st.sampled_from(_NORMALIZERS))
def test_hash_once_is_idempotent(value: str, normalize: Callable[[str], str | None]) -> None:
    once = hash_once(value, normalize)
    assert hash_once(once, normalize) == once
    assert once is None or is_hashed(once)


@given(st.text(max_size=300), st.sampled_from(_NORMALIZERS))
def test_normalizers_never_raise_and_are_stable(
    value: str, normalize: Callable[[str], str | None]
) -> None:
    result = normalize(value)
    assert result is None or (isinstance(result, str) and result)


@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=20)))
def test_phone_with_any_country_never_raises(value: str, country: str | None) -> None:
    result = identity.phone_e164(value, country)
    assert result is None or (result.startswith("+") and result[1:].isdigit())


def test_reddit_documented_hash() -> None:
    """Reddit's advanced-matching guide: both spellings hash to this digest."""
    digest = "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
    for spelling in ("alice@example.com", "Al.ice$+Apple@Example.Com"):
        assert identity.hash_once(spelling, identity.email_reddit) == digest


@pytest.mark.parametrize(
    ("tag", "region"),
    [
        ("en-US", "us"),
        ("en_us", "us"),
        ("zh-Hant-TW", "tw"),
        ("de-DE.UTF-8", "de"),
        ("fr", None),
        ("en-XX", None),
        ("", None),
    ],
)
def test_locale_region(tag: str, region: str | None) -> None:
    assert identity.locale_region(tag) == region


def test_user_country_takes_the_locale_as_the_last_hint_for_phones_only() -> None:
    conversion = {"user": {"country": None}, "consent": {"country": None}, "locale": "en-US"}
    assert identity.user_country(conversion) is None
    assert identity.user_country(conversion, locale=True) == "us"
    told = conversion | {"consent": {"country": "CA"}}
    assert identity.user_country(told, locale=True) == "ca"
    assert identity.user_country(told | {"user": {"country": "Germany"}}, locale=True) == "ca"
    assert identity.user_country(told | {"user": {"country": "DE"}}, locale=True) == "de"
