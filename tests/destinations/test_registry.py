"""Registering a destination type for a block (tests, embedding) goes through the registry."""

from __future__ import annotations

import dataclasses

import pytest

from eventyard.destinations import registry
from eventyard.destinations.webhook import definition as webhook
from eventyard.errors import ConfigError


def test_registered_type_is_found_and_forgotten_after_the_block() -> None:
    extra = dataclasses.replace(webhook, slug="extra-hook")
    with registry.registered(extra):
        assert registry.get_definition("extra-hook") is extra
        assert "extra-hook" in registry.type_names()
    assert "extra-hook" not in registry.type_names()
    with pytest.raises(ConfigError, match="unknown destination type 'extra-hook'"):
        registry.get_definition("extra-hook")


def test_an_installed_type_cannot_be_shadowed() -> None:
    with pytest.raises(ValueError, match="already installed"), registry.registered(webhook):
        pass
