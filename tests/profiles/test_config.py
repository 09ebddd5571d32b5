"""The `profiles:` keys of eventyard.yaml: defaults, and every bad value named by key and line."""

from __future__ import annotations

import pytest

from eventyard.control.config import parse_config
from eventyard.errors import ConfigError


def test_defaults() -> None:
    profiles = parse_config("").profiles
    assert profiles.enabled and profiles.space_id == "default" and profiles.access_token is None
    assert profiles.blocked_values is None and profiles.limits == {}


def test_a_full_section(monkeypatch: pytest.MonkeyPatch) -> None:
    text = """
profiles:
  space_id: spa_1
  access_token: ${PROFILE_TOKEN_FOR_TEST}
  identifiers:
    - type: crm_id
      paths: [traits.crm_id, properties.crmId]
  limits: {user_id: 1, anonymous_id: 10}
  priority: [user_id, email, crm_id]
  blocked_values: [qa, "/^test-/"]
  computed_traits:
    - key: orders_30d
      type: counter
      if: 'event = "Order Completed"'
      window: 30d
  events_retention: 7d
"""
    monkeypatch.setenv("PROFILE_TOKEN_FOR_TEST", "tok")
    profiles = parse_config(text).profiles
    assert profiles.access_token == "tok"
    assert profiles.computed_traits[0].window == 30 * 86400
    assert profiles.identifiers[0].paths == ["traits.crm_id", "properties.crmId"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  colour: blue\n", "eventyard.yaml:2: profiles.colour: unknown key"),
        ("  limits: {user_id: 0}\n", "profiles.limits[...]: Expected `int` >= 1"),
        ("  limits: {User_ID: 1}\n", "identifier type 'User_ID'"),
        ("  priority: [email, email]\n", "priority lists a type twice"),
        ("  blocked_values: ['/[unclosed/']\n", "is not a valid regex"),
        ("  space_id: 'a/b'\n", "space_id: letters, digits"),
        ("  url: mysql://db/profiles\n", "url: a SQLite file path (sqlite:///path) or postgresql"),
        ("  sync_schema: Profiles\n", "sync_schema: lowercase"),
        ("  events_retention: 0s\n", "events_retention must be more than 0s"),
        ("  identifiers: [{type: crm, paths: []}]\n", "list at least one path"),
        ("  identifiers: [{type: crm, paths: ['a..b']}]\n", "is not a dot path"),
        ("  computed_traits: [{key: x, type: sum}]\n", "a sum trait needs property:"),
        ("  computed_traits: [{key: x, type: counter, property: a}]\n", "leave property out"),
        ("  computed_traits: [{key: Bad Key, type: counter}]\n", "snake_case"),
        (
            "  computed_traits: [{key: x, type: median, property: a}]\n",
            "Invalid enum value 'median'",
        ),
        ("  computed_traits: [{key: x, type: counter, if: 'event ='}]\n", "if: expected a value"),
        (
            "  computed_traits: [{key: x, type: counter, window: 0s}]\n",
            "window must be more than 0s",
        ),
        (
            "  computed_traits: [{key: x, type: counter}, {key: x, type: counter}]\n",
            "two computed traits have the same key",
        ),
        ("  access_token: [1, 2]\n", "profiles.access_token: Expected `str | null`"),
    ],
)
def test_bad_values_name_the_key(body: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config("profiles:\n" + body)
    assert message in str(error.value)
    assert "eventyard.yaml:" in str(error.value)


def test_a_huge_list_is_refused_by_the_config_size_limit() -> None:
    text = "profiles:\n  blocked_values:\n" + "    - value\n" * 200_000
    with pytest.raises(ConfigError, match="larger than"):
        parse_config(text)
