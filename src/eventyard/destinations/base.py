"""What a destination declares: settings, actions with fields and default mappings, batching.

A destination is data plus small functions (Segment's action-destinations model):

- `settings`: a msgspec Struct; its fields validate `settings:` in eventyard.yaml, and fields
  typed `Secret` are masked wherever settings are shown.
- `actions`: each has `fields` (FieldSpec, the single source of truth for validation, forms and
  docs) whose `default`s are the default mapping, a `default_subscription` (FQL) saying when it
  fires, and `perform` (one payload) and optionally `perform_batch` (many).

The engine owns everything else: filters, subscriptions, mapping, payload validation, queues,
batching, retries and dead letters. `perform` only turns a mapped payload into HTTP calls on
the one shared client and raises TransientError / TerminalError (see
`eventyard.delivery.http.raise_for_status`, the one place that classifies HTTP statuses).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args

import httpx
import msgspec

from eventyard.conversions.spec import ConversionSpec
from eventyard.errors import DeliveryError
from eventyard.mapping.fields import FieldSpec

__all__ = [
    "ActionDefinition",
    "BatchLimits",
    "BatchResult",
    "DestinationDefinition",
    "Perform",
    "PerformBatch",
    "Secret",
    "TestConnection",
    "location_fields",
    "secret_fields",
    "secret_mapping_fields",
]

Secret = Annotated[str, msgspec.Meta(extra={"secret": True})]
"""A settings field holding a credential: masked in API output, logs and the UI. An action
field of type `password` (Slack's webhook `url`) is a credential the same way."""

LOCATION_SUFFIXES = ("url", "host", "endpoint", "domain")
"""A settings field whose name ends so decides where requests go (`api_base_url`, `host`,
`endpoint`); so does an action field named `url` with format `uri`. Changing one makes the
store forget the destination's kept secrets (see `eventyard.control.store_secrets`)."""

Payload = dict[str, Any]
Perform = Callable[[httpx.AsyncClient, Any, Payload], Awaitable[None]]
"""`perform(client, settings, payload)`: deliver one mapped, validated payload."""

BatchResult = Sequence[DeliveryError | None] | None
"""What `perform_batch` returns: None when every payload was taken, else one entry per payload
(None = taken, or the error for that payload), like Segment's multistatus responses."""

PerformBatch = Callable[[httpx.AsyncClient, Any, list[Payload]], Awaitable[BatchResult]]
TestConnection = Callable[[httpx.AsyncClient, Any], Awaitable[None]]
"""Checks settings against the platform (e.g. validates the API key); raises DeliveryError."""


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """How the engine may group payloads of one action into one `perform_batch` call."""

    max_events: int
    max_wait: float = 1.0
    """Seconds to wait for a batch to fill before sending what there is."""
    max_bytes: int | None = None
    """The platform's request size limit, if it has one (sum of JSON-encoded payloads)."""


@dataclass(frozen=True, slots=True)
class ActionDefinition:
    """One thing a destination can do with an event (send it, identify a user, ...)."""

    title: str
    fields: Mapping[str, FieldSpec]
    default_subscription: str
    perform: Perform
    perform_batch: PerformBatch | None = None
    batch: Callable[[Any], BatchLimits | None] | None = None
    """Given the destination's settings, the batch limits, or None for one payload per call
    (settings may switch batching on and off, like the webhook's `batch_size`)."""
    description: str = ""


@dataclass(frozen=True, slots=True)
class DestinationDefinition:
    """A destination type, registered under the `eventyard.destinations` entry-point group."""

    slug: str
    """The `type` in eventyard.yaml."""
    name: str
    settings: type[msgspec.Struct]
    actions: Mapping[str, ActionDefinition]
    """By action key, the key used under `actions:` in eventyard.yaml."""
    ordered: bool = True
    """Whether each user's events must arrive in order (then one in flight per user)."""
    consent_category: str | None = None
    """The consent category (e.g. "Advertising", "Analytics") the UI suggests for this type;
    only a destination's own `consent_categories` hold events back (Segment maps none)."""
    catalog_names: tuple[str, ...] = ()
    """Segment's names for this destination (its catalog name, its Actions name): a key of an
    event's `integrations` object with one of them applies to every destination of the type."""
    presets: frozenset[str] | None = None
    """None: every action runs unless the config disables it. A set (Segment's Actions): the
    actions that run when the config names no `actions:`; naming some runs only those."""
    test_connection: TestConnection | None = None
    conversion: ConversionSpec | None = None
    """Ad destinations: what their platform's conversions API needs (see eventyard.conversions)."""
    description: str = ""
    docs_url: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _is_secret(kind: Any) -> bool:
    meta = getattr(kind, "__metadata__", ())
    if any(isinstance(m, msgspec.Meta) and (m.extra or {}).get("secret") for m in meta):
        return True
    return any(_is_secret(arg) for arg in get_args(kind))  # `Secret | None`


def secret_fields(settings: type[msgspec.Struct]) -> frozenset[str]:
    """Names of the settings fields declared as `Secret` (or `Secret | None`)."""
    return frozenset(
        info.encode_name for info in msgspec.structs.fields(settings) if _is_secret(info.type)
    )


def secret_mapping_fields(action: ActionDefinition) -> frozenset[str]:
    """Names of an action's fields that hold a credential (type `password`)."""
    return frozenset(name for name, spec in action.fields.items() if spec.type == "password")


def location_fields(definition: DestinationDefinition) -> dict[tuple[str, ...], Any]:
    """Where a destination type's requests go, as document paths with their defaults: the
    settings fields named like a URL or host, and each action's `url` field of format uri
    (a mapping's default changes only with eventyard, so it counts as None)."""
    found: dict[tuple[str, ...], Any] = {
        ("settings", info.encode_name): None if info.required else _field_default(info)
        for info in msgspec.structs.fields(definition.settings)
        if info.encode_name.lower().endswith(LOCATION_SUFFIXES)
    }
    for key, action in definition.actions.items():
        spec = action.fields.get("url")
        if spec is not None and spec.format in ("uri", "url"):
            found["actions", key, "mapping", "url"] = None
    return found


def _field_default(info: msgspec.structs.FieldInfo) -> Any:
    return info.default_factory() if info.default is msgspec.NODEFAULT else info.default
