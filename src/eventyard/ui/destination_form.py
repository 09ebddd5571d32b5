"""The destination form: shared by the catalog's "Set up" page and a destination's Settings tab.

Fields: name (fixed once created), sources, the type's settings (generated from its settings
Struct), and the Advanced section (`destination_advanced`: mode, consent, conversion events,
delivery, filter rules). Problems are keyed by form field: `name`, `sources`, `mode`,
`settings.<key>`, `delivery.<key>`, `filters[<i>].<part>`, ...
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from eventyard.control.store_validate import validate_document
from eventyard.destinations.base import DestinationDefinition
from eventyard.errors import ConfigError
from eventyard.ui.config_errors import place
from eventyard.ui.destination_advanced import (
    MARK,
    advanced_keys,
    advanced_pairs,
    advanced_view,
    parse_advanced,
)
from eventyard.ui.form_values import PREFIX, bind, parse_settings
from eventyard.ui.formdata import Submitted
from eventyard.ui.forms import settings_form, struct_description

__all__ = [
    "MODES",
    "every_error",
    "form_context",
    "place_error",
    "read_form_doc",
]

MODES = ("send", "observe")


def _field_keys(definition: DestinationDefinition, form: Submitted) -> list[str]:
    settings = [PREFIX + field.name for field in settings_form(definition.settings)]
    return ["name", "type", "sources", *settings, *advanced_keys(form)]


def read_form_doc(
    definition: DestinationDefinition, form: Submitted, saved: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """The document keys the form sets (None: the default, so the key is left out; a key the
    form does not carry is not set), and problems found before the store sees them."""
    settings, setting_errors = parse_settings(settings_form(definition.settings), form, saved)
    errors = {PREFIX + key: message for key, message in setting_errors.items()}
    name = form.get("name").strip()
    sources = list(dict.fromkeys(form.getlist("sources")))
    if not name:
        errors["name"] = "Give the destination a name."
    if not sources:
        errors["sources"] = "Choose at least one source."
    doc: dict[str, Any] = {
        "name": name,
        "type": definition.slug,
        "sources": sources,
        "settings": settings or None,
    }
    if "mode" in form:
        mode = form.get("mode")
        if mode not in MODES:
            errors["mode"] = "Choose send or observe."
        doc["mode"] = "observe" if mode == "observe" else None
    advanced, advanced_errors = parse_advanced(definition, form)
    return {**doc, **advanced}, errors | advanced_errors


def place_error(
    definition: DestinationDefinition, error: ConfigError, name: str, form: Submitted
) -> tuple[dict[str, str], str | None]:
    """A store error as (field errors, the message for above the form)."""
    field, message = place(error, "destinations", name, _field_keys(definition, form))
    return ({field: message}, None) if field else ({}, message)


_MAX_CHECKS = 20
"""Config checks per form post when collecting every error (each one finds the first)."""


_STAND_INS = {"name": "destination", "sources": ["source"]}
_TEXT_STAND_IN = "https://stand-in.invalid/"
"""Put in place of a required text setting that has a problem: most such settings are
URLs or free text, which this passes, so the check can look at the other settings."""


def _replaced(doc: Mapping[str, Any], field: str, value: Any) -> dict[str, Any]:
    """`doc` with the key a form field sets (`settings.url`, `delivery.timeout`; all of
    `filters` for `filters[2].if`) set to `value`, or left out when `value` is None."""
    *parents, last = field.split("[")[0].split(".")
    copy = dict(doc)
    inner = copy
    for key in parents:
        child = inner.get(key)
        if not isinstance(child, Mapping):
            return copy
        inner[key] = inner = dict(child)
    if value is None:
        inner.pop(last, None)
    else:
        inner[last] = value
    return copy


def every_error(
    definition: DestinationDefinition,
    doc: Mapping[str, Any],
    form: Submitted,
    errors: Mapping[str, str],
) -> dict[str, str]:
    """`errors` (found while reading the form) and every problem the config check finds in
    the rest, each beside its field, so that one post shows them all. Each check finds one
    problem; the field is then left out (or a required text stood in for) and checked again,
    until the check passes, names a field twice, or names none."""
    found = dict(errors)
    fields = _field_keys(definition, form)
    texts = {
        PREFIX + f.name
        for f in settings_form(definition.settings)
        if f.required and f.widget in ("text", "password")
    }
    trial: dict[str, Any] = {key: value for key, value in doc.items() if value is not None}
    for _ in range(_MAX_CHECKS):
        for known in found:
            trial = _replaced(trial, known, _TEXT_STAND_IN if known in texts else None)
        trial = _STAND_INS | trial  # a bad name or no source must not hide the rest
        try:
            validate_document("destination", trial["name"], trial)
        except ConfigError as error:
            field, message = place(error, "destinations", trial["name"], fields)
            if field is None or field in found:
                break
            found[field] = message
        else:
            break
    return found


def form_context(
    definition: DestinationDefinition,
    doc: Mapping[str, Any],
    all_sources: list[str],
    action: str,
    errors: Mapping[str, str] | None = None,
    problem: str | None = None,
    typed: Submitted | None = None,
) -> dict[str, Any]:
    """What `_destination_form.html` shows: `doc` as stored, or as typed when re-shown
    (after an Add or Remove of a filter rule, with the rows changed)."""
    errors = dict(errors or {})
    setting_errors = {k[len(PREFIX) :]: v for k, v in errors.items() if k.startswith(PREFIX)}
    stored = doc.get("settings", {})
    fields = bind(settings_form(definition.settings), stored, setting_errors, typed)
    if typed is not None and MARK in typed:
        shown = typed
    else:
        shown = Submitted(advanced_pairs(definition, doc))
    return {
        "definition": definition,
        "about": definition.description or struct_description(definition.settings),
        "action": action,
        "name": doc.get("name", ""),
        "chosen": doc.get("sources", []),
        "all_sources": all_sources,
        "fields": fields,
        "advanced": advanced_view(definition, doc, shown, errors),
        "errors": errors,
        "problem": problem,
    }
