"""The config store's checks: a document is accepted exactly when eventyard.yaml would accept
the same entry, and errors name the object (`destinations.meta.settings.pixel_id: ...`)
instead of a file line.

Checks come in two parts. `validate_document` looks at one document alone (shape, settings
schema, filters and mappings compiled by the plan compiler). `check_composed` looks at all
objects of all workspaces together, as the runtime will merge them (unique write keys,
sources named by destinations exist in the destination's own workspace); `eventyard apply`
runs it once after all its changes, so that moving a write key from one source to another
is not refused half-way.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import msgspec
import orjson

from eventyard.control.config import (
    Config,
    ConfigProblem,
    DestinationConfig,
    SourceConfig,
    check_destination,
    check_references,
    decode_struct,
    describe_problem,
)
from eventyard.control.documents import KeyPath, get_at, redact, secret_leaves
from eventyard.control.secrets import SECRET_MASK
from eventyard.control.store_protocols import (
    PROTOCOL_SECTIONS,
    check_protocol_references,
    validate_protocol,
)
from eventyard.destinations.base import location_fields, secret_fields, secret_mapping_fields
from eventyard.destinations.registry import get_definition
from eventyard.errors import ConfigError

__all__ = [
    "KINDS",
    "MAX_DOC_BYTES",
    "SECTIONS",
    "check_composed",
    "check_document",
    "check_kind",
    "check_name",
    "decode_stored",
    "elsewhere",
    "moved_locations",
    "secret_roots",
    "validate_document",
]

SECTIONS = {"source": "sources", "destination": "destinations", **PROTOCOL_SECTIONS}
"""Object kind -> its eventyard.yaml section."""
KINDS = tuple(SECTIONS)
MAX_DOC_BYTES = 256_000
"""One object's document as JSON; a whole eventyard.yaml may be 1 MB."""

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_INDEXED = re.compile(r"^\$\.(sources|destinations)\[(\d+)\]")


def check_kind(kind: str) -> None:
    if kind not in SECTIONS:
        raise ConfigError(f"unknown kind {kind!r}; kinds: {', '.join(sorted(KINDS))}")


def check_name(key: str, name: object) -> str:
    """`name` if it is 1 to 64 of A-Z a-z 0-9 _ . - (it appears in URLs, metrics, files),
    and not only dots: `.` and `..` are path steps that clients rewrite before sending."""
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
        raise ConfigError(f"{key}: {shown} is not a valid name; use 1 to 64 letters, digits, _ . -")
    if not name.strip("."):
        raise ConfigError(
            f"{key}: {name!r} is made only of dots, which URLs and paths read as a folder step; "
            "use a letter or digit too"
        )
    return name


def elsewhere(key: str, kind: str, name: str) -> ConfigError:
    """The error for a name another workspace holds (without saying which: it may be one
    the caller cannot see)."""
    return ConfigError(
        f"{key}: a {kind} named {name!r} exists in another workspace; "
        "names are unique across workspaces"
    )


def check_document(kind: str, doc: object) -> str:
    """The document's name, after checking kind, shape and size."""
    check_kind(kind)
    section = SECTIONS[kind]
    if not isinstance(doc, dict):
        raise ConfigError(f"{section}: a {kind} must be a mapping (a JSON object)")
    try:
        size = len(orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS))
    except TypeError:
        raise ConfigError(
            f"{section}: not JSON data (nested too deeply, or a huge number)"
        ) from None
    if size > MAX_DOC_BYTES:
        raise ConfigError(f"{section}: the {kind} is {size} bytes; at most {MAX_DOC_BYTES}")
    return check_name(f"{section}.name", doc.get("name"))


def secret_roots(kind: str, doc: dict[str, Any]) -> list[KeyPath]:
    """Where a document keeps secrets: a source's webhook_secret, a destination's `Secret`
    settings and `password` action fields (none when its type is unknown: it cannot be
    stored then anyway)."""
    if kind == "source":
        return [("webhook_secret",)]
    try:
        definition = get_definition(str(doc.get("type")))
    except ConfigError:
        return []
    roots: list[KeyPath] = [("settings", key) for key in sorted(secret_fields(definition.settings))]
    for key, action in definition.actions.items():
        roots += [
            ("actions", key, "mapping", name) for name in sorted(secret_mapping_fields(action))
        ]
    return roots


def _locations(doc: dict[str, Any]) -> dict[KeyPath, Any]:
    """Where a destination document sends requests: its type, then each location field's
    value (its default where the document leaves it out)."""
    found: dict[KeyPath, Any] = {("type",): doc.get("type")}
    try:
        fields = location_fields(get_definition(str(doc.get("type"))))
    except ConfigError:
        return found
    for path, default in fields.items():
        value = get_at(doc, path)
        found[path] = default if value is None else value
    return found


def moved_locations(
    kind: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> list[KeyPath]:
    """The settings and mappings deciding where requests go that `after` changes from the
    stored `before`. A masked value (a secret URL, kept) is not a change."""
    if kind != "destination" or before is None:
        return []
    old, new = _locations(before), _locations(after)
    return [
        path
        for path in [*new, *(p for p in old if p not in new)]
        if new.get(path) != old.get(path) and get_at(after, path) != SECRET_MASK
    ]


def _error(kind: str, name: str, problem: ConfigProblem, secrets: list[Any]) -> ConfigError:
    path = f"$.{SECTIONS[kind]}.{name}" + problem.path.removeprefix("$")
    return ConfigError(redact(describe_problem(path, problem.message), secrets))


def validate_document(kind: str, name: str, doc: dict[str, Any]) -> msgspec.Struct:
    """The decoded SourceConfig / DestinationConfig; ConfigError naming the key otherwise."""
    secrets = [get_at(doc, path) for path in secret_leaves(doc, secret_roots(kind, doc))]
    try:
        if kind == "source":
            return decode_struct(doc, SourceConfig)
        if kind in PROTOCOL_SECTIONS:
            return validate_protocol(kind, doc)
        dest = decode_struct(doc, DestinationConfig)
        check_destination(dest, "$")
    except ConfigProblem as problem:
        raise _error(kind, name, problem, secrets) from None
    return dest


def decode_stored(kind: str, doc: dict[str, Any]) -> Any:
    """A stored document decoded for the runtime (it was validated when it was written)."""
    try:
        return decode_struct(doc, SourceConfig if kind == "source" else DestinationConfig)
    except ConfigProblem as problem:
        name = str(doc.get("name"))
        raise ConfigError(
            f"stored {_error(kind, name, problem, []).args[0]}; this eventyard does not accept "
            f"the stored {kind} any more: change it with `eventyard apply` or the admin API"
        ) from None


def _by_index(config: Config, problem: ConfigProblem) -> str:
    def name(match: re.Match[str]) -> str:
        section, index = match.group(1), int(match.group(2))
        items = config.sources if section == "sources" else config.destinations
        return f"$.{section}.{items[index].name}"

    return describe_problem(_INDEXED.sub(name, problem.path), problem.message)


def check_composed(conn: sqlite3.Connection) -> None:
    """All workspaces' objects together pass the checks across entries of eventyard.yaml."""
    workspace_of: dict[tuple[str, str], str] = {}
    sources: list[SourceConfig] = []
    destinations: list[DestinationConfig] = []
    for kind, workspace, doc in conn.execute(
        "SELECT kind, workspace, doc FROM objects"
        " WHERE kind IN ('source', 'destination') ORDER BY rowid"
    ):
        obj = decode_stored(kind, orjson.loads(doc))
        workspace_of[kind, obj.name] = workspace
        (sources if kind == "source" else destinations).append(obj)
    for dest in destinations:
        home = workspace_of["destination", dest.name]
        known = [s.name for s in sources if workspace_of["source", s.name] == home]
        for j, source in enumerate(dest.sources):
            if source not in known:
                raise ConfigError(
                    f"destinations.{dest.name}.sources[{j}]: no source named {source!r} in "
                    f"workspace {home!r}; known sources: {', '.join(known) or 'none'}"
                )
    config = Config(sources=sources, destinations=destinations)
    try:
        check_references(config)
    except ConfigProblem as problem:
        raise ConfigError(_by_index(config, problem)) from None
    check_protocol_references(conn)
