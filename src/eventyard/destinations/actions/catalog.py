"""Segment's Actions destinations as eventyard destination types `actions/<slug>`.

The catalog is what the runner reads from the installed package (`node runner.cjs
catalog`): each destination's name, settings (`authentication.fields`), actions with their
fields and default subscriptions, and presets. `eventyard setup` writes it next to the
installed packages, `<data-dir>/node/actions-catalog.json`; a server whose file is missing
or older than the installed lock writes it again on start.

A catalog entry becomes a DestinationDefinition like any built-in type: settings under
Segment's names (password fields are `Secret`), actions under Segment's keys whose
default mapping and subscription are their first preset's (else the field defaults and
the action's own default subscription). The presets are the actions that run when a
destination names no `actions:`, as in Segment's setup.
"""

from __future__ import annotations

import keyword
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import httpx
import msgspec
import orjson

from eventyard.destinations.actions import tokens
from eventyard.destinations.actions.runner import RUNNER_JS, ActionsRunner, runner_error
from eventyard.destinations.base import (
    ActionDefinition,
    BatchLimits,
    BatchResult,
    DestinationDefinition,
    Payload,
    Secret,
)
from eventyard.destinations.registry import get_definition
from eventyard.errors import ConfigError, DeliveryError, TransientError
from eventyard.fql import FQLSyntaxError, compile_fql
from eventyard.mapping.fields import FieldSpec, FieldType
from eventyard.ops.node_parts import FOLDER, STAMP, NodeParts, NodePartsMissing, node_parts

__all__ = [
    "CATALOG_FILE",
    "PREFIX",
    "ActionsCatalog",
    "activate",
    "close",
    "deactivate",
    "generate",
]

PREFIX = "actions/"
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_QUOTED = re.compile(r'("(?:[^"\\]|\\.)*")')
_UPPER_AND = re.compile(r"\bAND\b")
CATALOG_FILE = "actions-catalog.json"
CATALOG_TIMEOUT = 120.0
MAX_BATCH = 1000
_FIELD_TYPES: frozenset[str] = frozenset(
    ("string", "text", "number", "integer", "datetime", "boolean", "password", "object")
)
_OAUTH_SCHEMES = ("oauth2", "oauth-managed")
_OAUTH_FIELDS: dict[str, Any] = {
    "access_token": {"type": "password"},
    "refresh_token": {"type": "password"},
    "client_id": {"type": "string"},
    "client_secret": {"type": "password"},
}
"""Settings of OAuth 2 destinations (Segment keeps them outside the settings): the runner
passes them as the call's `auth`, and refreshes the access token on a `401`."""
_SETTING_TYPES: dict[str, Any] = {
    "password": Secret,
    "boolean": bool,
    "number": float,
    "integer": int,
    "object": dict[str, Any],
}


def generate(parts: NodeParts, target: Path, timeout: float = CATALOG_TIMEOUT) -> Path:
    """Write the catalog of the installed package to `target` (by the runner, ~2 s)."""
    env = {"NODE_PATH": str(parts.modules.resolve()), "NODE_ENV": "production"}
    try:
        done = subprocess.run(
            [str(parts.node), str(RUNNER_JS), "catalog"],
            capture_output=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise NodePartsMissing(f"the actions catalog took over {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise NodePartsMissing(f"the actions catalog failed: {' / '.join(tail)}")
    part = target.with_suffix(".part")
    part.write_bytes(done.stdout)
    part.replace(target)
    return target


@dataclass(frozen=True)
class ActionsCatalog:
    """The catalog file of one data dir, and the runner that executes its destinations."""

    entries: Mapping[str, Mapping[str, Any]]
    """Catalog entries by type (`actions/<slug>`)."""
    package: str
    unloadable: Mapping[str, str]
    runner: ActionsRunner

    @classmethod
    def read(cls, path: Path, runner: ActionsRunner) -> ActionsCatalog:
        data = orjson.loads(path.read_bytes())
        entries = {PREFIX + entry["slug"]: entry for entry in data["destinations"]}
        return cls(entries, str(data["package"]), dict(data.get("unloadable") or {}), runner)

    def definition(self, slug: str) -> DestinationDefinition:
        """The destination type for `actions/<slug>` (KeyError when the catalog lacks it)."""
        return _Definition(self, self.entries[slug]).build()


_active: ActionsCatalog | None = None
_NOT_ACTIVATED = "no data dir with the Node-based parts was opened"
_missing = _NOT_ACTIVATED


def activate(data_dir: Path) -> ActionsCatalog | None:
    """Use the actions catalog of `data_dir` (written now if missing or stale); None, and
    no `actions/` types, when the Node-based parts are not installed there."""
    global _active, _missing
    try:
        parts = node_parts(data_dir)
    except NodePartsMissing as error:
        _active, _missing = None, str(error)
        return None
    path = data_dir / FOLDER / CATALOG_FILE
    stamp = data_dir / FOLDER / STAMP
    if not path.exists() or path.stat().st_mtime < stamp.stat().st_mtime:
        generate(parts, path)
    _active = ActionsCatalog.read(path, ActionsRunner(parts))
    get_definition.cache_clear()
    return _active


async def close() -> None:
    """Stop the active catalog's runner, if one started (at server shutdown)."""
    if _active is not None:
        await _active.runner.close()


def deactivate() -> None:
    """Forget the active catalog: no `actions/` types (tests; a server activates once)."""
    global _active, _missing
    _active, _missing = None, _NOT_ACTIVATED
    get_definition.cache_clear()


@dataclass(frozen=True)
class _Definition:
    """Builds one DestinationDefinition from a catalog entry."""

    catalog: ActionsCatalog
    entry: Mapping[str, Any]

    @cached_property
    def slug(self) -> str:
        return PREFIX + str(self.entry["slug"])

    def build(self) -> DestinationDefinition:
        segment_actions: Mapping[str, Mapping[str, Any]] = self.entry.get("actions") or {}
        first, more = _automatic_presets(self.entry.get("presets") or [], segment_actions)
        actions = {
            key: self._action(key, action, first.get(key))
            for key, action in segment_actions.items()
        }
        for key, preset in more.items():
            target = str(preset["partnerAction"])
            actions[key] = self._action(target, segment_actions[target], preset)
        name = str(self.entry["name"])
        return DestinationDefinition(
            slug=self.slug,
            name=name,
            settings=_settings_struct(
                self.slug, self.entry.get("settings") or {}, self.entry.get("scheme")
            ),
            actions=actions,
            catalog_names=(name,),
            presets=frozenset(first) | frozenset(more),
            test_connection=self._test if self.entry.get("testAuthentication") else None,
            description=str(self.entry.get("description") or ""),
            docs_url=f"https://segment.com/docs/connections/destinations/catalog/{self.entry['slug']}/",
            extra={"package": self.catalog.package, "scheme": self.entry.get("scheme")},
        )

    def _action(
        self, key: str, action: Mapping[str, Any], preset: Mapping[str, Any] | None
    ) -> ActionDefinition:
        mapping = dict((preset or {}).get("mapping") or {})
        fields = {
            name: _field_spec(name, spec, mapping)
            for name, spec in (action.get("fields") or {}).items()
        }
        batching = bool(action.get("batch")) and "enable_batching" in fields
        limit = _batch_size(fields)
        subscription = (preset or {}).get("subscribe") or action.get("defaultSubscription")
        title = str(action.get("title") or key)
        return ActionDefinition(
            title=f"{title} ({preset['name']})" if preset and preset.get("name") else title,
            fields=fields,
            default_subscription=_subscription(subscription),
            perform=self._perform(key),
            perform_batch=self._perform_batch(key) if batching else None,
            batch=(lambda _settings: BatchLimits(limit)) if batching else None,
            description=str(action.get("description") or ""),
        )

    def _perform(self, key: str) -> Any:
        async def perform(client: httpx.AsyncClient, settings: Any, payload: Payload) -> None:
            await self._execute(client, key, settings, [payload], batch=False)

        return perform

    def _perform_batch(self, key: str) -> Any:
        async def perform_batch(
            client: httpx.AsyncClient, settings: Any, payloads: list[Payload]
        ) -> BatchResult:
            """Payloads with `enable_batching` go in one performBatch, the rest one by one."""
            together = [i for i, p in enumerate(payloads) if p.get("enable_batching") is True]
            alone = [i for i, p in enumerate(payloads) if p.get("enable_batching") is not True]
            results: list[DeliveryError | None] = [None] * len(payloads)
            if together:
                chosen = [payloads[i] for i in together]
                try:
                    answers = await self._execute(client, key, settings, chosen, batch=True)
                except DeliveryError as error:
                    answers = [error] * len(together)
                for index, answer in zip(together, answers, strict=True):
                    results[index] = answer
            for index in alone:  # in order: one user's events keep theirs
                try:
                    await self._execute(client, key, settings, [payloads[index]], batch=False)
                except DeliveryError as error:
                    results[index] = error
            return results

        return perform_batch

    async def _execute(
        self,
        client: httpx.AsyncClient,
        key: str,
        settings: Any,
        payloads: list[Payload],
        *,
        batch: bool,
    ) -> list[DeliveryError | None]:
        runner = self.catalog.runner
        plain = _plain(settings)
        request = {
            "slug": self.entry["slug"],
            "action": key,
            "settings": plain,
            "payloads": payloads,
            "batch": batch,
        }
        answer = await runner.call(client, "execute", request)
        if "tokens" in answer:
            tokens.refreshed(self.slug, plain, answer["tokens"])
        results = answer.get("results") or []
        if len(results) != len(payloads):
            raise TransientError(f"the actions runner answered {len(results)} of {len(payloads)}")
        return [None if item is None else runner_error(item) for item in results]

    async def _test(self, client: httpx.AsyncClient, settings: Any) -> None:
        request = {"slug": self.entry["slug"], "settings": _plain(settings)}
        await self.catalog.runner.call(client, "test", request)


def _automatic_presets(
    presets: Sequence[Mapping[str, Any]], actions: Mapping[str, Any]
) -> tuple[dict[str, Mapping[str, Any]], dict[str, Mapping[str, Any]]]:
    """Segment's automatic presets (event-specific ones need a user's event): the first of
    each action, by action key, and the others of the same action (Mixpanel's Page and
    Screen Calls of `trackEvent`) under a key made of the preset's name (`page_calls`)."""
    first: dict[str, Mapping[str, Any]] = {}
    more: dict[str, Mapping[str, Any]] = {}
    for preset in presets:
        action = str(preset.get("partnerAction"))
        if preset.get("type", "automatic") != "automatic" or action not in actions:
            continue
        if action not in first:
            first[action] = preset
            continue
        key = _NOT_WORD.sub("_", str(preset.get("name") or action).lower()).strip("_")
        while key in actions or key in more:
            key += "_"
        more[key] = preset
    return first, more


def _subscription(text: Any) -> str:
    """A default subscription, or "" (the user writes one) for the few that are no FQL,
    such as `type = "track", event = "X"`."""
    if not isinstance(text, str) or not text:
        return ""
    # Segment's subscription parser reads a bare `AND` (Pinterest's and Amazon's presets)
    # as it reads `and`; eventyard's FQL knows only the lower-case word.
    fql = "".join(
        part if part.startswith('"') else _UPPER_AND.sub("and", part)
        for part in _QUOTED.split(text)
    )
    try:
        compile_fql(fql)
    except FQLSyntaxError:
        return ""
    return fql


def _field_spec(name: str, spec: Mapping[str, Any], mapping: Mapping[str, Any]) -> FieldSpec:
    kind = str(spec.get("type") or "string")
    choices = spec.get("choices")
    return FieldSpec(
        label=str(spec.get("label") or name),
        type=_field_type(kind),
        required=bool(spec.get("required")),
        multiple=bool(spec.get("multiple")),
        allow_null=bool(spec.get("allowNull")),
        default=mapping.get(name, spec.get("default")),
        description=str(spec.get("description") or ""),
        choices=tuple(_choice(c) for c in choices) if isinstance(choices, list) else None,
        format=spec.get("format") if isinstance(spec.get("format"), str) else None,
    )


def _field_type(kind: str) -> FieldType:
    if kind in _FIELD_TYPES:
        return kind  # type: ignore[return-value]
    return "string"


def _choice(choice: Any) -> Any:
    return choice.get("value") if isinstance(choice, dict) else choice


def _batch_size(fields: Mapping[str, FieldSpec]) -> int:
    spec = fields.get("batch_size")
    size = spec.default if spec is not None else None
    if isinstance(size, int | float) and not isinstance(size, bool) and size >= 1:
        return min(int(size), MAX_BATCH)
    return 100


def _settings_struct(
    slug: str, fields: Mapping[str, Any], scheme: Any = None
) -> type[msgspec.Struct]:
    """Segment's settings fields as a Struct: its names, required ones without default; an
    OAuth 2 destination also takes its tokens (and the app's client id and secret, unless
    the definition has settings of those names)."""
    if scheme in _OAUTH_SCHEMES:
        fields = {**_OAUTH_FIELDS, **fields}
    required: list[tuple[str, Any, Any]] = []
    optional: list[tuple[str, Any, Any]] = []
    for name, spec in fields.items():
        kind = _SETTING_TYPES.get(str(spec.get("type")), str)
        if spec.get("multiple"):
            kind = list[kind]  # type: ignore[valid-type]
        plain = name.isidentifier() and not keyword.iskeyword(name) and name[0] != "_"
        attr = name if plain else f"field_{len(required) + len(optional)}"
        default = spec.get("default")
        if spec.get("required") and default is None:
            required.append((attr, _described(kind, spec), msgspec.field(name=name)))
        else:
            field = msgspec.field(default=default, name=name)
            optional.append((attr, _described(kind | None, spec), field))
    title = "".join(part.capitalize() for part in slug.removeprefix(PREFIX).split("-"))
    return msgspec.defstruct(
        f"{title}Settings",
        [*required, *optional],
        kw_only=True,
        forbid_unknown_fields=True,
    )


def _described(kind: Any, spec: Mapping[str, Any]) -> Any:
    """`kind` with Segment's label and description, which the setup form shows."""
    label, about = spec.get("label"), spec.get("description")
    if not label and not about:
        return kind
    meta = msgspec.Meta(title=str(label) if label else None, description=str(about or "") or None)
    return Annotated[kind, meta]


def _plain(settings: Any) -> dict[str, Any]:
    """Settings as Segment's code reads them: its names, unset ones left out."""
    raw = msgspec.to_builtins(settings)
    return {key: value for key, value in raw.items() if value is not None}


def type_names() -> list[str]:
    """The `actions/` types of the active catalog."""
    return sorted(_active.entries) if _active is not None else []


def definition(slug: str) -> DestinationDefinition:
    """The type `actions/<slug>`; ConfigError naming what to do when it is unavailable."""
    if _active is None:
        raise ConfigError(f"destination type {slug!r} is one of Segment's Actions: {_missing}")
    if slug not in _active.entries:
        raise ConfigError(
            f"unknown destination type {slug!r}: @segment/action-destinations "
            f"{_active.package} has no folder {slug.removeprefix(PREFIX)!r} "
            "(`eventyard destinations` lists them)"
        )
    return _active.definition(slug)
