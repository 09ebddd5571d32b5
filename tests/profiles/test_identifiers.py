"""Which identifiers an event carries: sources, normalization, blocked values, hostile input."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.control.profiles_config import CustomIdentifier, ProfilesSettings
from eventyard.profiles.identifiers import MAX_IDENTIFIERS, Extractor

DEFAULT = Extractor(ProfilesSettings())


def test_every_default_source() -> None:
    event: dict[str, Any] = {
        "type": "identify",
        "userId": 42,
        "anonymousId": " a-1 ",
        "traits": {"email": " Jane@Example.COM ", "phone": "+1 (415) 555-0100"},
        "context": {
            "traits": {"email": "other@example.com"},
            "externalIds": [
                {"id": "crm-9", "type": "crm_id", "collection": "users", "encoding": "none"},
                {"id": "acme", "type": "group_id", "collection": "accounts", "encoding": "none"},
                {"id": "x", "type": "Not_Lowercase", "collection": "users", "encoding": "none"},
            ],
            "device": {"type": "iOS", "id": "dev-1", "advertisingId": "idfa-1",
                       "adTrackingEnabled": True, "token": "push-1"},
        },
        "integrations": {"Google Analytics": {"clientId": "123.456"}},
    }  # fmt: skip
    assert DEFAULT.extract(event) == [
        ("user_id", "42"),
        ("anonymous_id", "a-1"),
        ("email", "jane@example.com"),
        ("phone", "+14155550100"),
        ("email", "other@example.com"),
        ("crm_id", "crm-9"),
        ("ios.id", "dev-1"),
        ("ios.idfa", "idfa-1"),
        ("ios.push_token", "push-1"),
        ("ga_client_id", "123.456"),
    ]


def test_alias_links_the_previous_id() -> None:
    alias = {"type": "alias", "userId": "u1", "previousId": "anon-7"}
    assert DEFAULT.extract(alias) == [("user_id", "u1"), ("anonymous_id", "anon-7")]


def test_advertising_ids_need_tracking_enabled_and_a_known_device() -> None:
    device = {"type": "android", "id": "d", "advertisingId": "ad", "adTrackingEnabled": False}
    assert DEFAULT.extract({"context": {"device": device}}) == [("android.id", "d")]
    assert DEFAULT.extract({"context": {"device": {**device, "type": "toaster"}}}) == []


@pytest.mark.parametrize(
    "value", ["null", "NULL", "undefined", "0", "000-000", "", "   ", "-1", "anonymous", "abc123"]
)
def test_default_blocked_values_are_not_identifiers(value: str) -> None:
    assert DEFAULT.extract({"userId": value, "anonymousId": "real"}) == [("anonymous_id", "real")]


def test_configured_blocked_values_and_custom_paths() -> None:
    settings = ProfilesSettings(
        blocked_values=["qa-user", "/^test-.*/"],
        identifiers=[CustomIdentifier(type="crm_id", paths=["traits.crmId", "properties.crm"])],
    )
    extractor = Extractor(settings)
    assert extractor.extract({"userId": "QA-USER", "anonymousId": "test-123"}) == []
    assert extractor.extract(
        {"userId": "null", "traits": {"crmId": "c1"}, "properties": {"crm": 7}}
    ) == [
        ("user_id", "null"),  # the configured list replaces the defaults
        ("crm_id", "c1"),
        ("crm_id", "7"),
    ]


@pytest.mark.parametrize(
    "event",
    [
        {"userId": "x" * 513},
        {"userId": True},
        {"userId": 10**40},
        {"userId": {"nested": "object"}},
        {"userId": ["a", "b"]},
        {"anonymousId": 1.5},
        {"traits": "not an object", "context": "nor this"},
        {"context": {"externalIds": "not a list", "device": [1, 2]}},
        {"context": {"externalIds": [None, 1, "x", {"type": 5, "id": "a"}]}},
        {"traits": {"email": "no-at-sign"}},
        {"integrations": {"Google Analytics": "not an object"}},
    ],
)
def test_hostile_or_malformed_values_are_ignored(event: dict[str, Any]) -> None:
    assert DEFAULT.extract(event) == []


def test_a_huge_external_id_list_is_capped() -> None:
    items = [
        {"id": f"v{i}", "type": "crm_id", "collection": "users", "encoding": "none"}
        for i in range(10_000)
    ]
    assert (
        len(DEFAULT.extract({"userId": "u", "context": {"externalIds": items}})) == MAX_IDENTIFIERS
    )


def test_an_unparseable_phone_is_kept_as_sent() -> None:
    assert DEFAULT.extract({"traits": {"phone": "ext. 42"}}) == [("phone", "ext. 42")]
