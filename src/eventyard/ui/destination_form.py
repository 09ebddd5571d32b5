"""The destination form: shared by the catalog's "Set up" page and a destination's Settings tab.

Fields: name (fixed once created), sources, mode, and the type's settings, generated from its
settings Struct. Problems are keyed by form field: `name`, `sources`, `mode`, `settings.<key>`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from eventyard.destinations.base import DestinationDefinition
from eventyard.errors import ConfigError
from eventyard.ui.config_errors import place
from eventyard.ui.form_values import PREFIX, bind, parse_settings
from eventyard.ui.formdata import Submitted
from eventyard.ui.forms import settings_form, struct_description

__all__ = ["MODES", "form_context", "place_error", "read_form_doc"]

MODES = ("send", "observe")


def _field_keys(definition: DestinationDefinition) -> list[str]:
    settings = [PREFIX + field.name for field in settings_form(definition.settings)]
    return ["name", "type", "sources", "mode", *settings]


def read_form_doc(
    definition: DestinationDefinition, form: Submitted, saved: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """The document parts the form sets, and problems found before the store sees them."""
    settings, setting_errors = parse_settings(settings_form(definition.settings), form, saved)
    errors = {PREFIX + key: message for key, message in setting_errors.items()}
    name = form.get("name").strip()
    sources = list(dict.fromkeys(form.getlist("sources")))
    mode = form.get("mode", "send")
    if not name:
        errors["name"] = "Give the destination a name."
    if not sources:
        errors["sources"] = "Choose at least one source."
    if mode not in MODES:
        errors["mode"] = "Choose send or observe."
    doc: dict[str, Any] = {"name": name, "type": definition.slug, "sources": sources}
    if settings:
        doc["settings"] = settings
    if mode == "observe":
        doc["mode"] = "observe"
    return doc, errors


def place_error(
    definition: DestinationDefinition, error: ConfigError, name: str
) -> tuple[dict[str, str], str | None]:
    """A store error as (field errors, the message for above the form)."""
    field, message = place(error, "destinations", name, _field_keys(definition))
    return ({field: message}, None) if field else ({}, message)


def form_context(
    definition: DestinationDefinition,
    doc: Mapping[str, Any],
    all_sources: list[str],
    errors: Mapping[str, str] | None = None,
    problem: str | None = None,
    typed: Submitted | None = None,
) -> dict[str, Any]:
    """What `_destination_form.html` shows: `doc` as stored, or as typed when re-shown."""
    errors = dict(errors or {})
    setting_errors = {k[len(PREFIX) :]: v for k, v in errors.items() if k.startswith(PREFIX)}
    stored = doc.get("settings", {})
    fields = bind(settings_form(definition.settings), stored, setting_errors, typed)
    return {
        "definition": definition,
        "about": definition.description or struct_description(definition.settings),
        "name": doc.get("name", ""),
        "chosen": doc.get("sources", []),
        "mode": doc.get("mode", "send"),
        "all_sources": all_sources,
        "fields": fields,
        "errors": errors,
        "problem": problem,
    }
