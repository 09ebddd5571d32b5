"""Settings values in and out of a generated form: what each input shows, and what a submitted
form means as a `settings:` mapping (with a message per field that cannot be read).

Inputs are named `settings.<key>`. An empty input means "the default" and leaves the key out,
so that a saved document holds only what the user chose. An empty secret input keeps the
stored secret (it is sent as the mask, which the store reads as "keep"); in a map of secrets
each line left as `name: ********` keeps that entry, and a line removed removes it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.control.secrets import SECRET_MASK
from eventyard.ui.formdata import Submitted
from eventyard.ui.forms import FormField
from eventyard.ui.templating import pretty_json

__all__ = ["CLEAR", "PREFIX", "BoundField", "bind", "parse_settings"]

PREFIX = "settings."
CLEAR = ".clear"
"""Suffix of the checkbox that removes a saved optional secret (an empty input keeps it)."""


class _Invalid(ValueError):
    """The text of one input cannot be read; the message is shown beside it."""


_OMIT: Any = object()


@dataclass(frozen=True, slots=True)
class BoundField:
    """A field with what its input shows now."""

    field: FormField
    value: str
    checked: bool
    saved: bool
    """A secret has a stored value (the input stays empty and says so)."""
    error: str | None

    @property
    def input_name(self) -> str:
        return PREFIX + self.field.name


def _text(field: FormField, value: Any) -> str:
    if value is None or field.hidden:
        return ""
    if field.widget == "lines" and isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if field.widget == "pairs" and isinstance(value, dict):
        return "\n".join(f"{key}: {item}" for key, item in value.items())
    if field.widget == "json":
        return pretty_json(value)
    return str(value)


def bind(
    fields: Sequence[FormField],
    stored: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    typed: Submitted | None = None,
) -> list[BoundField]:
    """Inputs showing `stored` values, or what the user `typed` when re-showing a failed form."""
    bound = []
    for field in fields:
        saved = field.hidden and stored.get(field.name) is not None
        if typed is not None:
            # a secret too: retyping one after any error loses it (the answer is no-store)
            text = typed.get(PREFIX + field.name)
            checked = PREFIX + field.name in typed
        else:
            value = stored.get(field.name, field.default if field.widget == "checkbox" else None)
            text, checked = _text(field, value), value is True
        bound.append(BoundField(field, text, checked, saved, (errors or {}).get(field.name)))
    return bound


def _number(field: FormField, raw: str) -> int | float:
    try:
        number: int | float = int(raw) if field.integer else float(raw)
    except ValueError:
        raise _Invalid("Enter a whole number." if field.integer else "Enter a number.") from None
    if field.minimum is not None and number < field.minimum:
        raise _Invalid(f"Must be at least {field.minimum:g}.")
    if field.maximum is not None and number > field.maximum:
        raise _Invalid(f"Must be at most {field.maximum:g}.")
    return number


def _pairs(raw: str) -> dict[str, str]:
    pairs = {}
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise _Invalid(f"Line {number}: write it as `name: value`.")
        pairs[key.strip()] = value.strip()
    return pairs


def _choice(field: FormField, raw: str) -> Any:
    by_text = {str(choice): choice for choice in field.choices}
    if raw not in by_text:
        raise _Invalid("Choose one of: " + ", ".join(by_text))
    return by_text[raw]


def _json(raw: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _Invalid(f"Not valid JSON: {error}") from None


def _parse(field: FormField, form: Submitted, saved: bool) -> Any:
    name = PREFIX + field.name
    if field.widget == "checkbox":
        checked = name in form
        return _OMIT if checked == bool(field.default) else checked
    if field.hidden and not field.required and f"{name}{CLEAR}" in form:
        return _OMIT
    raw = form.get(name).strip()
    if not raw:
        if field.hidden and saved:
            return SECRET_MASK
        if field.required:
            raise _Invalid("Required.")
        return _OMIT
    if field.widget == "number":
        return _number(field, raw)
    if field.widget == "select":
        return _choice(field, raw)
    if field.widget == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if field.widget == "pairs":
        return _pairs(raw)
    if field.widget == "json":
        return _json(raw)
    return raw


def parse_settings(
    fields: Sequence[FormField], form: Submitted, saved: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """(settings, errors by field name); `saved` names the secrets that have a stored value."""
    settings: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        try:
            value = _parse(field, form, field.name in saved)
        except _Invalid as error:
            errors[field.name] = str(error)
            continue
        if value is not _OMIT:
            settings[field.name] = value
    return settings, errors
