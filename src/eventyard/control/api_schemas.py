"""The REST API's request and response bodies as msgspec Structs.

Request Structs decode and check bodies (unknown keys are errors, like in eventyard.yaml);
response Structs describe what handlers answer. Both feed the OpenAPI document, and the
API tests decode every answer with its declared Struct, so the document stays true.
Sources and destinations travel as their eventyard.yaml entries (`SourceConfig`,
`DestinationConfig`), secrets shown as "********".
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "AuditRecord",
    "CatalogEntry",
    "CatalogType",
    "ConnectionTest",
    "CreatedToken",
    "CreatedWorkspace",
    "DeadLetterOut",
    "DestinationHealth",
    "ErrorBody",
    "InvitationOut",
    "Member",
    "MemberRole",
    "NewInvitation",
    "NewMember",
    "NewToken",
    "NewWorkspace",
    "ReplayOut",
    "ReplayRequest",
    "Requeued",
    "RetryRequest",
    "StatusReport",
    "TokenOut",
    "Trace",
    "TraceStep",
    "Workspace",
    "WriteKey",
]

RoleName = Literal["owner", "editor", "viewer"]


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body: unknown keys are refused, so a typo is not silently ignored."""


class _Out(msgspec.Struct, kw_only=True):
    """A response body."""


class ErrorBody(_Out):
    """Every error answer; `code` is stable, `message` says what to do."""

    success: bool
    code: str
    message: str


class SourceCount(_Out):
    name: str
    received: int
    rate_limited: int | msgspec.UnsetType = msgspec.UNSET
    """Events refused with 429 since the server started; only for a source with a
    rate_limit."""


class PipelineLag(_Out):
    lag: int
    """Events in the log that the pipeline has not routed yet."""


class DestinationHealth(_Out):
    name: str
    delivered: int
    observed: int
    """Events an observe-mode destination built and kept instead of sending."""
    pending: int
    retrying: int
    dead: int
    oldest_pending_age_s: float | None
    last_error: str | None


class StatusReport(_Out):
    """Received per source of the workspace, pipeline lag, per destination delivery."""

    sources: list[SourceCount]
    pipeline: PipelineLag
    destinations: list[DestinationHealth]
    storage: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    """Archive and warehouse lag, when storage runs."""


class TraceStep(_Out):
    destination: str
    action: str | None
    step: str
    detail: str
    status: int | None
    at: str


class Trace(_Out):
    """Every routing and delivery decision about one event, in time order."""

    messageId: str
    steps: list[TraceStep]


class DeadLetterOut(_Out):
    id: int
    destination: str
    action: str | None
    messageId: str
    payload: Any
    error: str
    attempts: int
    failed_at: str


class RetryRequest(_In):
    """Send dead letters again: all of the workspace's, or one destination's, or since."""

    destination: str | None = None
    since: str | None = None
    """ISO-8601; only events that failed at or after this time."""


class Requeued(_Out):
    requeued: int


class ReplayRequest(_In):
    """Replay archived events of a source received in [from, to) to some destinations."""

    source: str
    from_: str = msgspec.field(name="from")
    to: str
    destinations: list[str]
    where: str | None = None
    """FQL; only matching events are replayed."""
    rate: float | None = None
    """Events per second; null: as fast as the state database takes them."""


class ReplayOut(_Out):
    id: str
    status: Literal["running", "done", "failed"]
    source: str
    from_: str = msgspec.field(name="from")
    to: str
    where: str | None
    destinations: list[str]
    rate: float | None
    total: int | None
    done: int
    queued: int
    error: str | None
    created_at: str
    finished_at: str | None


class ConnectionTest(_Out):
    ok: bool
    error: str | msgspec.UnsetType = msgspec.UNSET


class Workspace(_Out):
    name: str
    role: RoleName


class NewWorkspace(_In):
    name: str


class CreatedWorkspace(_Out):
    """The new workspace and an owner token for it, shown this once."""

    name: str
    token: str


class WriteKey(_Out):
    write_key: str


class TokenOut(_Out):
    id: int
    name: str
    role: RoleName
    created_at: str
    last_used_at: str | None


class NewToken(_In):
    name: str
    role: RoleName


class CreatedToken(_Out):
    """`token` is shown this once; only its hash is stored."""

    id: int
    name: str
    role: RoleName
    token: str


class Member(_Out):
    email: str
    role: RoleName


class MemberRole(_In):
    """A workspace member's new role."""

    role: RoleName


class NewMember(_In):
    """An install admin adds a user to this workspace; `password` only for a new user."""

    email: str
    role: RoleName
    password: str | None = None


class NewInvitation(_In):
    """Invite a login to this workspace with a role; they accept it when signed in."""

    email: str
    role: RoleName


class InvitationOut(_Out):
    """A pending invitation; the same whether or not the login exists."""

    id: str
    email: str
    workspace: str
    role: RoleName
    invited_by: str
    expires_at: str


class AuditRecord(_Out):
    id: int
    at: str
    workspace: str
    actor: str
    action: str
    kind: str
    name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class CatalogEntry(_Out):
    type: str
    name: str
    actions: list[str]


class CatalogType(_Out):
    """A destination type: its settings (as JSON Schema) and its actions."""

    type: str
    name: str
    description: str
    docs_url: str
    ordered: bool
    consent_category: str | None
    """A suggestion: a destination needs only the categories its configuration names."""
    catalog_names: list[str]
    """Segment's names for the type; `integrations` keys with them apply to it."""
    test_connection: bool
    settings_schema: dict[str, Any]
    """JSON Schema of `settings`; secret fields have `"x-secret": true` and `writeOnly`."""
    settings: list[dict[str, Any]]
    actions: dict[str, Any]
    """Per action: title, default subscription (FQL) and fields with default mappings."""
    presets: list[str] | None = None
    """Segment's Actions types: the actions that run when a destination names none; null
    for the others (every action runs unless disabled)."""
