"""The `profiles:` section of `eventyard.yaml`: identity resolution, traits, the Profile API.

Checks run in `__post_init__`, so a bad value fails at decode time with its key path and
line (`eventyard.yaml:40: profiles.computed_traits[0]: ...`) like every other key. Rules
apply to events processed after a change; the existing graph is not rebuilt (Segment does
the same, and warns that tightening limits later can leave profiles outside them).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

import msgspec

from eventyard.control.duration import Duration
from eventyard.fql import FQLSyntaxError, compile_fql

__all__ = [
    "COMPUTED_TYPES",
    "DEFAULT_BLOCKED_VALUES",
    "DEFAULT_LIMITS",
    "ComputedTraitConfig",
    "ComputedType",
    "CustomIdentifier",
    "ProfilesSettings",
]

_TYPE_NAME = re.compile(r"[a-z][a-z0-9_.]{0,63}")
_TRAIT_KEY = re.compile(r"[a-z][a-z0-9_]{0,99}")
_URLS = ("sqlite:///", "postgresql://", "postgres://")
_PATH = re.compile(r"[A-Za-z_$][\w$-]*(\.[\w$-]+)*")

DEFAULT_LIMITS = {"user_id": 1}
"""Segment's defaults: one user_id per profile, 5 of every other identifier type."""

DEFAULT_BLOCKED_VALUES = (
    "/^[0-]*$/",
    "-1",
    "null",
    "undefined",
    "none",
    "nan",
    "anonymous",
    "void",
    "abc123",
    "test@test.com",
    "test@example.com",
)
"""Segment's suggested blocks (zeroes and dashes, -1, null, anonymous, void, abc123) plus
the placeholders that broken clients send in practice."""

ComputedType = Literal[
    "counter",
    "sum",
    "avg",
    "min",
    "max",
    "most_frequent",
    "first",
    "last",
    "unique_list",
    "unique_list_count",
]
COMPUTED_TYPES: tuple[str, ...] = get_args(ComputedType)


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Unknown keys are errors: a typo must not silently fall back to a default."""


class CustomIdentifier(_Strict):
    """An identifier type read from event paths, beside `context.externalIds`."""

    type: str
    """Lowercase type name, e.g. `crm_id` (it becomes `crm_id:<value>` in the Profile API)."""
    paths: list[str]
    """Dot paths tried in order, e.g. `traits.crm_id`, `context.traits.crmId`."""

    def __post_init__(self) -> None:
        _check_type(self.type)
        if not self.paths:
            raise ValueError("list at least one path, e.g. traits.crm_id")
        for path in self.paths:
            if _PATH.fullmatch(path) is None:
                raise ValueError(f"{path!r} is not a dot path like traits.crm_id")


class ComputedTraitConfig(_Strict):
    """A trait computed from a profile's events, e.g. the sum of revenue in the last 30 days."""

    key: str
    """The trait's name on the profile (snake_case)."""
    type: ComputedType
    if_: str = msgspec.field(default="all", name="if")
    """FQL: which events count, e.g. `type = "track" and event = "Order Completed"`."""
    property: str | None = None
    """The value's dot path, e.g. `properties.revenue`; every type but counter needs one."""
    window: Duration | None = None
    """Only events of the last `window` (e.g. `30d`); none: every event ever."""

    def __post_init__(self) -> None:
        if _TRAIT_KEY.fullmatch(self.key) is None:
            raise ValueError(f"key {self.key!r}: use snake_case letters, digits and _")
        try:
            compile_fql(self.if_)
        except FQLSyntaxError as error:
            raise ValueError(f"if: {error}") from None
        if self.type == "counter":
            if self.property is not None:
                raise ValueError("a counter counts events; leave property out")
        elif self.property is None:
            raise ValueError(f"a {self.type} trait needs property:, e.g. properties.revenue")
        elif _PATH.fullmatch(self.property) is None:
            raise ValueError(f"property {self.property!r} is not a dot path")
        if self.window is not None and self.window <= 0:
            raise ValueError("window must be more than 0s, or left out for all time")


class ProfilesSettings(_Strict):
    enabled: bool = True
    """Resolve identities and keep profiles (a log consumer of its own)."""
    url: str | None = None
    """The profile store: a SQLite file (default `<data-dir>/profiles.db`) or postgresql://..."""
    space_id: str = "default"
    """The `<space_id>` of Profile API paths."""
    access_token: str | None = None
    """Profile API token (HTTP Basic username); control-plane API tokens work too."""
    identifiers: list[CustomIdentifier] = []
    limits: dict[str, Annotated[int, msgspec.Meta(ge=1, le=1000)]] = {}
    """Values per identifier type on one profile; default user_id 1, every other type 5."""
    priority: list[str] = []
    """Which identifier is dropped last when a merge would break a limit; default user_id,
    email, then the other types alphabetically."""
    blocked_values: list[str] | None = None
    """Values never used as identifiers: exact (case-insensitive) or `/regex/`."""
    computed_traits: list[ComputedTraitConfig] = []
    events_retention: Duration = Duration(14 * 86400)
    """How long event bodies are kept for the Profile API and UI timeline."""
    sync_schema: str = "profiles"
    """Warehouse schema of the Profiles Sync tables (every duckdb/postgres warehouse)."""

    def __post_init__(self) -> None:
        for name in [*self.limits, *self.priority]:
            _check_type(name)
        if len(set(self.priority)) != len(self.priority):
            raise ValueError("priority lists a type twice")
        for value in self.blocked_values or ():
            _check_blocked(value)
        keys = [trait.key for trait in self.computed_traits]
        if len(set(keys)) != len(keys):
            raise ValueError("two computed traits have the same key")
        if self.url is not None and "://" in self.url and not self.url.startswith(_URLS):
            raise ValueError("url: a SQLite file path (sqlite:///path) or postgresql://...")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.space_id):
            raise ValueError("space_id: letters, digits, _ and - only")
        if re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.sync_schema) is None:
            raise ValueError("sync_schema: lowercase letters, digits and _ only")
        if self.events_retention <= 0:
            raise ValueError("events_retention must be more than 0s")


def _check_type(name: str) -> None:
    if _TYPE_NAME.fullmatch(name) is None:
        raise ValueError(f"identifier type {name!r}: lowercase letters, digits, _ and . only")


def _check_blocked(value: Any) -> None:
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        try:
            re.compile(value[1:-1])
        except re.error as error:
            raise ValueError(f"blocked value {value!r} is not a valid regex: {error}") from None
