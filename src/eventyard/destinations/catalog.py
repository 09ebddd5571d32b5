"""A destination type described from its declaration alone: settings, actions, fields.

The field specs are the single source of truth; this turns them into plain data that the
CLI prints as the YAML reference (and that the admin API and UI can serve as it is).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec

from eventyard.destinations.base import DestinationDefinition, secret_fields
from eventyard.destinations.registry import get_definition, type_names

__all__ = ["describe", "summary"]


def _type_name(kind: Any) -> str:
    origin = get_origin(kind)
    if origin is Literal:
        return "one of " + ", ".join(str(choice) for choice in get_args(kind))
    if origin is Annotated:
        return _type_name(get_args(kind)[0])
    if isinstance(kind, type):
        return kind.__name__
    return str(kind).replace("typing.", "")


def _settings(definition: DestinationDefinition) -> list[dict[str, Any]]:
    secrets = secret_fields(definition.settings)
    rows = []
    for info in msgspec.structs.fields(definition.settings):
        required = info.required
        default = None
        if not required:
            default = info.default_factory() if info.default is msgspec.NODEFAULT else info.default
        rows.append(
            {
                "name": info.encode_name,
                "type": "secret" if info.encode_name in secrets else _type_name(info.type),
                "required": required,
                "default": default,
            }
        )
    return rows


def describe(slug: str) -> dict[str, Any]:
    """Everything a user writes under `settings:` and `actions:` for this type."""
    definition = get_definition(slug)
    actions = {
        key: {
            "title": action.title,
            "description": action.description,
            "default_subscription": action.default_subscription,
            "batching": action.perform_batch is not None and action.batch is not None,
            "fields": {
                name: {
                    "label": spec.label,
                    "type": spec.type,
                    "required": spec.required,
                    "multiple": spec.multiple,
                    "default": spec.default,
                    "description": spec.description,
                    "choices": list(spec.choices) if spec.choices else None,
                }
                for name, spec in action.fields.items()
            },
        }
        for key, action in definition.actions.items()
    }
    return {
        "type": definition.slug,
        "name": definition.name,
        "description": definition.description,
        "docs_url": definition.docs_url,
        "ordered": definition.ordered,
        "consent_category": definition.consent_category,
        "catalog_names": list(definition.catalog_names),
        "test_connection": definition.test_connection is not None,
        "settings": _settings(definition),
        "actions": actions,
        "presets": None if definition.presets is None else sorted(definition.presets),
    }


def summary() -> list[dict[str, Any]]:
    """One row per installed type: its name and action keys."""
    rows = []
    for slug in type_names():
        definition = get_definition(slug)
        rows.append({"type": slug, "name": definition.name, "actions": sorted(definition.actions)})
    return rows
