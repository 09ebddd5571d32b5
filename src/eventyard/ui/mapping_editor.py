"""The action mappings editor's logic: what each action's editor shows, reading an edited action
back into its `actions:` override, and previewing it on a real event with the pipeline's own
`compile_action` (the same subscription, mapping and payload checks delivery runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from eventyard.control.secrets import SECRET_MASK
from eventyard.destinations.base import ActionDefinition, secret_mapping_fields
from eventyard.errors import ConfigError
from eventyard.fql import FQLSyntaxError
from eventyard.mapping import MappingError
from eventyard.mapping.fields import FieldSpec
from eventyard.pipeline.actions import compile_action
from eventyard.ui.formdata import Submitted

__all__ = [
    "COMMON_PATHS",
    "MAX_DEPTH",
    "MAX_ROWS",
    "PICK",
    "ActionEdit",
    "FieldEditor",
    "Preview",
    "field_editors",
    "mapping_text",
    "path_directive",
    "pickable",
    "preview",
    "read_action",
    "saved_actions",
    "stored_edit",
]

MAX_DEPTH = 32
"""Nesting a mapping value may have: real mappings stay under 10; deeper is refused early."""
MAX_ROWS = 24
FIELD = "mapping."
PICK = "pick."
"""The field picker's select per mapping field: a path, which replaces the typed JSON."""
COMMON_PATHS = (
    "userId", "anonymousId", "event", "name", "type", "messageId", "timestamp",
    "properties", "traits",
    "context.ip", "context.userAgent", "context.locale", "context.page.url",
    "context.page.referrer", "context.traits.email",
)  # fmt: skip
"""Offered by the picker for every action, before the paths of the source's schema."""
_MAX_PICKED = 300


@dataclass(frozen=True, slots=True)
class FieldEditor:
    key: str
    spec: FieldSpec
    text: str
    overridden: bool
    error: str | None = None

    @property
    def rows(self) -> int:
        """The textarea's height: every line of its text, up to `MAX_ROWS` (then it scrolls)."""
        return min(MAX_ROWS, self.text.count("\n") + 1)


@dataclass(frozen=True, slots=True)
class ActionEdit:
    """An action as submitted: the override to save, and problems by form field."""

    subscription: str | None
    mapping: dict[str, Any]
    enabled: bool
    errors: dict[str, str] = field(default_factory=dict)

    def override(self) -> dict[str, Any] | None:
        """The `actions.<key>` document, or None when everything is the default."""
        doc: dict[str, Any] = {}
        if self.subscription is not None:
            doc["subscription"] = self.subscription
        if self.mapping:
            doc["mapping"] = self.mapping
        if not self.enabled:
            doc["enabled"] = False
        return doc or None


@dataclass(frozen=True, slots=True)
class Preview:
    """What the action makes of one event, or why it cannot tell."""

    error: str | None = None
    error_field: str | None = None
    event: dict[str, Any] | None = None
    subscribed: bool = False
    payload: dict[str, Any] | None = None
    problems: tuple[str, ...] = ()
    refused: str | None = None
    """Why the consent and conversions stage keeps this event from the destination."""


def mapping_text(value: Any) -> str:
    """A mapping value as the editor shows it: JSON indented by two spaces, so that a saved
    object reads like the one typed (a string or number stays one line)."""
    if value is None:
        return ""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def field_editors(
    definition: ActionDefinition,
    override: dict[str, Any] | None,
    typed: Submitted | None = None,
    errors: dict[str, str] | None = None,
) -> list[FieldEditor]:
    mapping = (override or {}).get("mapping") or {}
    editors = []
    for key, spec in definition.fields.items():
        if typed is not None:
            text = typed.get(FIELD + key)
        else:
            text = mapping_text(mapping.get(key, spec.default))
        error = (errors or {}).get(FIELD + key)
        editors.append(FieldEditor(key, spec, text, key in mapping, error))
    return editors


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def _value(text: str) -> Any:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ValueError(f'Not valid JSON: {error}. Quote text: "like this".') from None
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"Nested more than {MAX_DEPTH} levels deep.")
    return value


def path_directive(path: str) -> str:
    """The mapping text a picked path stands for: `{"@path": "$.<path>"}`, as the editor
    shows a saved one."""
    return mapping_text({"@path": f"$.{path}"})


def pickable(paths: list[str]) -> list[str]:
    """The schema paths a `@path` can address (no array items, no key with `.`, `[`, `]`)."""
    return [p for p in paths if "[" not in p and "]" not in p and ".." not in p]


def stored_edit(override: dict[str, Any] | None, runs_by_default: bool = True) -> ActionEdit:
    """An action's saved override (absent: every default, and it runs if `runs_by_default`:
    a Segment type runs its presets only while the config names no action) in the editor's
    terms."""
    if override is None:
        return ActionEdit(None, {}, runs_by_default)
    return ActionEdit(
        override.get("subscription"), override.get("mapping") or {}, override.get("enabled", True)
    )


def saved_actions(
    presets: frozenset[str] | None, actions: dict[str, Any], key: str, edit: ActionEdit
) -> dict[str, Any]:
    """The destination's `actions:` after saving one action. For a Segment type (`presets`
    set) naming one action stops the presets that are not named, so the first save names
    every preset, and an enabled action with nothing changed is kept as `{}`."""
    listed = {k: v for k, v in actions.items() if k != key}
    if presets is not None and not actions:
        listed = {preset: {} for preset in sorted(presets) if preset != key}
    override = edit.override()
    if override is None and presets is not None:
        override = {}
    if override is not None:
        listed[key] = override
    return listed


def read_action(definition: ActionDefinition, form: Submitted) -> ActionEdit:
    """The submitted editor of one action; empty inputs mean the default, and a path picked
    from the list (without scripts, the picker's select is submitted) wins over the text."""
    mapping: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, spec in definition.fields.items():
        picked = form.get(PICK + key).strip()
        if len(picked) > _MAX_PICKED:
            errors[FIELD + key] = "Pick a path from the list."
            continue
        text = path_directive(picked) if picked else form.get(FIELD + key).strip()
        if not text:
            continue
        try:
            value = _value(text)
        except ValueError as error:
            errors[FIELD + key] = str(error)
            continue
        if value != spec.default:
            mapping[key] = value
    text = form.get("subscription").strip()
    subscription = None if text in ("", definition.default_subscription) else text
    return ActionEdit(subscription, mapping, "enabled" in form, errors)


def preview(
    key: str,
    definition: ActionDefinition,
    edit: ActionEdit,
    event: dict[str, Any] | None,
    refused: str | None = None,
) -> Preview:
    """Compile the edited action and run it on `event` (as routed: see `routed_event`; when
    the stage `refused` it, that is the answer); never raises."""
    kept = [
        name for name in secret_mapping_fields(definition) if edit.mapping.get(name) == SECRET_MASK
    ]
    mapping = {**edit.mapping, **{name: _stand_in(definition.fields[name]) for name in kept}}
    try:
        action = compile_action(key, definition, edit.subscription, mapping)
    except FQLSyntaxError as error:
        return Preview(f"{error.reason} at column {error.column}", "subscription", event)
    except MappingError as error:
        where = FIELD + str(error.path[0]) if error.path else None
        return Preview(error.reason, where, event)
    except (ConfigError, RecursionError) as error:
        return Preview(str(error) or "the mapping is nested too deeply", None, event)
    if event is None:
        return Preview(refused=refused)
    outcome = action.build(event)
    payload = outcome.payload
    if payload is not None:
        payload = {**payload, **{name: SECRET_MASK for name in kept if name in payload}}
    return Preview(None, None, event, action.subscribed(event), payload, outcome.problems)


def _stand_in(spec: FieldSpec) -> str:
    """What a kept secret (shown as the mask: Slack's webhook url) is previewed with: a
    value of its format, shown as the mask again in the payload."""
    return "https://secret.invalid/" if spec.format in ("uri", "url") else SECRET_MASK
