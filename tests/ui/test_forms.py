"""Forms generated from settings Structs: every installed type gets a usable form, and what a
form submits reads back into the `settings:` a user means."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
import pytest

from eventyard.control.secrets import SECRET_MASK
from eventyard.destinations.base import Secret
from eventyard.destinations.registry import get_definition, type_names
from eventyard.ui.form_values import bind, parse_settings
from eventyard.ui.formdata import Submitted
from eventyard.ui.forms import humanize, settings_form


class Example(msgspec.Struct, kw_only=True):
    """Sends things somewhere."""

    api_key: Secret
    """The key from the `Settings` page."""
    region: Literal["us", "eu"] = "us"
    retries: Annotated[int, msgspec.Meta(ge=0, le=5, description="How often to retry.")] = 2
    ratio: float | None = None
    tags: list[str] = []
    headers: dict[str, str] = {}
    verbose: bool = False
    extra: dict[str, int] = {}
    token: Secret | None = None


def submitted(**fields: str) -> Submitted:
    return Submitted([(f"settings.{k}", v) for k, v in fields.items()])


def test_widgets_limits_and_descriptions() -> None:
    fields = {f.name: f for f in settings_form(Example)}
    assert {name: f.widget for name, f in fields.items()} == {
        "api_key": "password",
        "region": "select",
        "retries": "number",
        "ratio": "number",
        "tags": "lines",
        "headers": "pairs",
        "verbose": "checkbox",
        "extra": "json",
        "token": "password",
    }
    assert fields["api_key"].required and fields["api_key"].secret
    assert fields["api_key"].description == "The key from the `Settings` page."
    assert fields["retries"].description == "How often to retry."
    assert (fields["retries"].minimum, fields["retries"].maximum) == (0, 5)
    assert fields["region"].choices == ("eu", "us") and fields["region"].default == "us"
    assert fields["ratio"].integer is False and fields["retries"].integer is True


@pytest.mark.parametrize("slug", type_names())
def test_every_installed_type_gets_a_form_with_labels(slug: str) -> None:
    for field in settings_form(get_definition(slug).settings):
        assert field.label and field.widget


def test_humanize() -> None:
    assert humanize("api_key") == "API key"
    assert humanize("batch_wait_ms") == "Batch wait (ms)"
    assert humanize("url") == "URL"


def test_reading_a_form_keeps_only_what_was_chosen() -> None:
    form = submitted(
        api_key=" k-123 ",
        region="eu",
        retries="2",
        ratio="",
        tags="a\n\n b \n",
        headers="X-A: 1\nX-B:two",
        verbose="on",
        extra='{"n": 1}',
    )
    settings, errors = parse_settings(settings_form(Example), form)
    assert errors == {}
    assert settings == {
        "api_key": "k-123",
        "region": "eu",
        "retries": 2,
        "tags": ["a", "b"],
        "headers": {"X-A": "1", "X-B": "two"},
        "verbose": True,
        "extra": {"n": 1},
    }


def test_secrets_keep_their_stored_value_unless_replaced_or_cleared() -> None:
    fields = settings_form(Example)
    kept, _ = parse_settings(fields, submitted(api_key="", token=""), saved={"api_key", "token"})
    assert kept == {"api_key": SECRET_MASK, "token": SECRET_MASK}
    form = Submitted([("settings.api_key", ""), ("settings.token.clear", "on")])
    cleared, _ = parse_settings(fields, form, saved={"api_key", "token"})
    assert cleared == {"api_key": SECRET_MASK}
    missing, errors = parse_settings(fields, submitted(api_key=""))
    assert errors == {"api_key": "Required."} and missing == {}


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("retries", "two", "Enter a whole number."),
        ("retries", "9", "Must be at most 5."),
        ("retries", "-1", "Must be at least 0."),
        ("ratio", "1,5", "Enter a number."),
        ("region", "mars", "Choose one of: eu, us"),
        ("headers", ": no name", "Line 1: write it as `name: value`."),
        ("extra", "{", "Not valid JSON"),
    ],
)
def test_unreadable_inputs_get_a_message_each(field: str, text: str, message: str) -> None:
    _, errors = parse_settings(settings_form(Example), submitted(api_key="k", **{field: text}))
    assert message in errors[field]


def test_binding_never_shows_stored_secrets_but_keeps_typed_ones() -> None:
    stored = {"api_key": SECRET_MASK, "tags": ["a", "b"], "headers": {"X": "1"}, "verbose": True}
    shown = {b.field.name: b for b in bind(settings_form(Example), stored)}
    assert shown["api_key"].value == "" and shown["api_key"].saved
    assert not shown["token"].saved
    assert shown["tags"].value == "a\nb" and shown["headers"].value == "X: 1"
    assert shown["verbose"].checked and shown["region"].value == ""
    typed = bind(
        settings_form(Example), stored, {"tags": "bad"}, submitted(api_key="new", tags="x")
    )
    again = {b.field.name: b for b in typed}
    assert again["api_key"].value == "new" and again["tags"].value == "x"  # kept as typed
    assert again["tags"].error == "bad"
