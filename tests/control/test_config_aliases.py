"""`conversions.aliases` map Segment event names to canonical conversion names; a target that
is not canonical would silently match no destination, so it is an error naming key and line."""

from __future__ import annotations

import pytest

from eventyard.control.config import parse_config
from eventyard.conversions.canonical import CANONICAL_NAMES
from eventyard.errors import ConfigError


def test_canonical_targets_are_accepted() -> None:
    aliases = "\n".join(f"    Event {i}: {name}" for i, name in enumerate(sorted(CANONICAL_NAMES)))
    config = parse_config(f"conversions:\n  aliases:\n{aliases}\n")
    assert set(config.conversions.aliases.values()) == CANONICAL_NAMES


@pytest.mark.parametrize(
    ("entry", "key", "shown"),
    [
        ("Bought It: buy", "conversions.aliases.`Bought It`", "'buy'"),
        ("checkout_done: Purchase", "conversions.aliases.checkout_done", "'Purchase'"),
        ("x: ' purchase'", "conversions.aliases.x", "' purchase'"),
        ("x: ''", "conversions.aliases.x", "''"),
        ("x: '<script>alert(1)</script>'", "conversions.aliases.x", "'<script>"),
        (f"x: {'a' * 5000}", "conversions.aliases.x", "'" + "a" * 80 + "'"),
    ],
)
def test_a_target_that_is_not_canonical_names_the_key_and_line(
    entry: str, key: str, shown: str
) -> None:
    text = f"conversions:\n  aliases:\n    Order Completed: purchase\n    {entry}\n"
    with pytest.raises(ConfigError) as refused:
        parse_config(text)
    message = str(refused.value)
    assert message.startswith(f"eventyard.yaml:4: {key}: {shown}"), message
    assert "is no canonical conversion name; use one of add_payment_info," in message
    assert len(message) < 500


@pytest.mark.parametrize("target", ["[purchase]", "{a: purchase}", "7", "null"])
def test_a_target_that_is_not_text_is_a_type_error(target: str) -> None:
    with pytest.raises(ConfigError, match=r"eventyard.yaml:2: conversions.aliases.*Expected `str`"):
        parse_config(f"conversions:\n  aliases:\n    x: {target}\n")
