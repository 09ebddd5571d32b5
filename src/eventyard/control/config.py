"""The configuration model (`eventyard.yaml`) and its loader.

Errors name the key path and the line, e.g.
`eventyard.yaml:12: destinations[0].settings.url: Expected `str`, got `int``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
import yaml

from eventyard.control.documents import redact
from eventyard.control.duration import Duration, parse_duration
from eventyard.control.interpolate import interpolate
from eventyard.control.outbound_config import OutboundSettings
from eventyard.control.problem import ConfigProblem
from eventyard.control.profiles_config import ProfilesSettings
from eventyard.control.protocols_config import (
    TrackingPlanConfig,
    TransformationConfig,
    check_protocols,
)
from eventyard.control.secrets import SECRET_MASK
from eventyard.control.storage_config import (
    ArchiveSettings,
    StorageConfigProblem,
    WarehouseConfig,
    check_storage,
    default_warehouses,
)
from eventyard.conversions.canonical import CANONICAL_NAMES
from eventyard.destinations.base import DestinationDefinition, secret_fields, secret_mapping_fields
from eventyard.destinations.registry import get_definition
from eventyard.errors import ConfigError
from eventyard.ingest.origin import parse_public_url

__all__ = [
    "ActionConfig",
    "ArchiveSettings",
    "Config",
    "ConfigProblem",
    "ConversionsSettings",
    "DeliverySettings",
    "DestinationConfig",
    "FilterRule",
    "LogSettings",
    "PipelineSettings",
    "RateLimit",
    "ServerSettings",
    "SourceConfig",
    "SourceSchema",
    "WarehouseConfig",
    "check_config",
    "check_destination",
    "check_references",
    "decode_settings",
    "decode_struct",
    "describe_problem",
    "load_config",
    "parse_config",
    "resolve_settings",
]

MAX_CONFIG_BYTES = 1_000_000

_S = TypeVar("_S", bound=msgspec.Struct)


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Unknown keys are errors: a typo must not silently fall back to a default."""


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = 8088
    trusted_proxies: list[str] = []
    """CIDRs whose X-Forwarded-For (context.ip) and X-Forwarded-Proto (https) are believed."""
    public_url: str | None = None
    """`https://cdp.example.com`: the origin browsers and SDKs use, written into
    analytics.js, its settings and the install snippets instead of the Host header."""
    request_timeout: Duration = Duration(30)
    """A request's head and body must arrive within this, or the connection is closed."""
    max_pending_events: Annotated[int, msgspec.Meta(ge=1)] = 200_000
    """Events waiting for the durable append before the API answers 503 + Retry-After."""
    cors_origins: list[str] = msgspec.field(default_factory=lambda: ["*"])
    metrics_token: str | None = None
    """What a scraper sends to /metrics as `Authorization: Bearer <token>`; without it,
    /metrics is open only while the install has one workspace."""
    outbound: OutboundSettings = msgspec.field(default_factory=OutboundSettings)
    """Where destinations may connect (checked after DNS); see delivery/outbound.py."""


class LogSettings(_Strict):
    url: str | None = None
    """`sqlite:///path/log.db` or `postgresql://...`; default: SQLite in the data dir."""
    partitions: int = 16
    retention: Duration = Duration(7 * 86400)
    """How long appended events stay in the log (once every consumer has passed them)."""


class PipelineSettings(_Strict):
    dedup_window: Duration = Duration(86400)
    """messageId deduplication look-back; Segment documents ~24 hours."""
    trace_retention: Duration = Duration(7 * 86400)
    """How long each event's delivery trace (`eventyard trace`) is kept."""


_Requests = Annotated[int, msgspec.Meta(ge=1, le=1000)]


class DeliverySettings(_Strict):
    concurrency: _Requests | None = None
    """A fixed number of requests in flight; when set, it replaces the adaptive limit."""
    min_concurrency: _Requests = 1
    """The adaptive limit never goes below this (after 429s, 5xx or timeouts)."""
    max_concurrency: _Requests = 64
    """The adaptive limit never goes above this (while latency stays flat)."""
    timeout: Duration = Duration(10)
    max_age: Duration = Duration(4 * 3600)
    """An event still failing after this long goes to dead letters with its last error."""
    backoff_initial: Duration = Duration(1)
    backoff_max: Duration = Duration(600)

    def __post_init__(self) -> None:
        if self.min_concurrency > self.max_concurrency:
            raise ValueError(
                f"min_concurrency ({self.min_concurrency}) is above max_concurrency"
                f" ({self.max_concurrency}); lower the one or raise the other"
            )

    @property
    def concurrency_range(self) -> tuple[int, int]:
        """(lowest, highest) requests in flight: `concurrency` fixes both."""
        if self.concurrency is not None:
            return self.concurrency, self.concurrency
        return self.min_concurrency, self.max_concurrency


class _Masked(_Strict):
    """A struct whose repr hides its secrets: configs end up in logs, tracebacks and REPLs."""

    def _shown(self, field: str, value: Any) -> Any:
        return value

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return [
            (field, self._shown(field, getattr(self, field))) for field in self.__struct_fields__
        ]

    def __repr__(self) -> str:
        fields = ", ".join(f"{field}={value!r}" for field, value in self.__rich_repr__())
        return f"{type(self).__name__}({fields})"


class RateLimit(_Strict):
    """A source's event rate (`sources[].rate_limit`), a token bucket counting events: up to
    `burst` at once, refilled at `events_per_second`. Over it the tracking API answers 429
    with Retry-After, as Segment does."""

    events_per_second: Annotated[float, msgspec.Meta(gt=0, le=1_000_000)]
    burst: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] | None = None
    """Default: one second's worth of events."""

    @property
    def capacity(self) -> int:
        """The bucket's size in events."""
        return self.burst or max(1, round(self.events_per_second))


class SourceSchema(_Strict):
    """A source's Schema settings (`sources[].schema`), as on Segment's Schema tab.

    `blocked_events` names events the router drops before any destination (and before a
    tracking plan), with or without a plan: a track event by its name, any other call by
    its type (`identify`, `page`, ...). They stay in the log, the debugger and the archive."""

    blocked_events: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=500)]],
        msgspec.Meta(max_length=10_000),
    ] = []


class SourceConfig(_Masked):
    name: str
    write_key: str
    webhook_secret: str | None = None
    """Shared secret of a Segment webhook destination that forwards to this source (signed)."""
    rate_limit: RateLimit | None = None
    """Off by default: a source takes what the server can store."""
    schema: SourceSchema | None = None
    """Events blocked per source (Schema page); None: nothing is blocked."""

    def _shown(self, field: str, value: Any) -> Any:
        return SECRET_MASK if field == "webhook_secret" and value is not None else value


class FilterRule(_Strict):
    """A Segment destination filter: when `if` matches, apply exactly one transformation.

    Rules apply in Segment's order whatever their order in the file: every sample, then
    every drop, then drop_properties, then allow_properties. Property maps are
    `{"<object path, '' for the top level>": [keys]}`.
    """

    if_: str = msgspec.field(default="all", name="if")
    name: str = ""
    drop: bool = False
    sample: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    sample_path: str | None = None
    """Sample deterministically on the MD5 of this path's JSON value (same value, same fate)."""
    drop_properties: dict[str, list[str]] | None = None
    allow_properties: dict[str, list[str]] | None = None


class ActionConfig(_Strict):
    """Overrides for one action of a destination (every action is on by default)."""

    subscription: str | None = None
    """FQL; default: the action's default subscription."""
    mapping: dict[str, Any] | None = None
    """Per field, a mapping replacing that field's default mapping."""
    enabled: bool = True


class DestinationConfig(_Masked):
    name: str
    type: str
    sources: list[str]
    settings: dict[str, Any] = {}
    enabled: bool = True
    delivery: DeliverySettings = msgspec.field(default_factory=DeliverySettings)
    filter: str | None = None
    """FQL; only events that match go to this destination (Segment's "only send")."""
    filters: list[FilterRule] = []
    actions: dict[str, ActionConfig] = {}
    mode: Literal["send", "observe"] = "send"
    """`observe`: payloads are built and stored, nothing is sent (a dry run beside a live route)."""
    consent_categories: list[str] | None = None
    """Consent categories an event's `context.consent.categoryPreferences` must all grant
    (exact names, as Segment's categoryId); default: none, the destination gets every event."""
    consent_fallback: Literal["suppress", "limited"] = "suppress"
    """When an event denies a needed category: drop it here, or send it in the platform's
    limited-data-use mode (Meta LDU, Google consent signals) where the type has one."""
    conversion_events: list[str] | None = None
    """Canonical conversion events sent (ad destinations); default: the revenue and lead ones."""

    def _shown(self, field: str, value: Any) -> Any:
        if field not in ("settings", "actions"):
            return value
        try:
            definition = get_definition(self.type)
        except ConfigError:  # an unknown type: any setting or mapping may be a secret
            return dict.fromkeys(value, SECRET_MASK)
        if field == "actions":
            return {key: _masked_action(definition, key, a) for key, a in self.actions.items()}
        secret = secret_fields(definition.settings)
        return {k: SECRET_MASK if k in secret else v for k, v in self.settings.items()}


def _masked_action(definition: DestinationDefinition, key: str, action: ActionConfig) -> Any:
    """The action's overrides with its credential fields (Slack's `url`) masked."""
    spec = definition.actions.get(key)
    if spec is None or not action.mapping:
        return action
    secret = secret_mapping_fields(spec)
    mapping = {k: SECRET_MASK if k in secret else v for k, v in action.mapping.items()}
    return msgspec.structs.replace(action, mapping=mapping)


class ConversionsSettings(_Strict):
    aliases: dict[str, str] = {}
    """Segment event name -> canonical conversion name, beside the Ecommerce Spec defaults."""
    limited_regions: list[str] = []
    """Regions (`US-CA`, `US`, ISO country or country-subdivision) always sent in limited mode."""
    dedup_window: Duration = Duration(48 * 3600)
    """The same order sent again (any source) within this window reaches each platform once."""


class Config(_Strict):
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    log: LogSettings = msgspec.field(default_factory=LogSettings)
    pipeline: PipelineSettings = msgspec.field(default_factory=PipelineSettings)
    sources: list[SourceConfig] = []
    destinations: list[DestinationConfig] = []
    archive: ArchiveSettings = msgspec.field(default_factory=ArchiveSettings)
    warehouses: list[WarehouseConfig] = msgspec.field(default_factory=default_warehouses)
    """Default: one embedded DuckDB; an explicit `warehouses: []` turns it off."""
    conversions: ConversionsSettings = msgspec.field(default_factory=ConversionsSettings)
    profiles: ProfilesSettings = msgspec.field(default_factory=ProfilesSettings)
    """Identity resolution, profile traits and the Profile API (`control/profiles_config.py`)."""
    tracking_plans: list[TrackingPlanConfig] = []
    transformations: list[TransformationConfig] = []

    def source_by_key(self) -> dict[str, SourceConfig]:
        return {source.write_key: source for source in self.sources}


def _dec_hook(kind: type, value: object) -> object:
    if kind is Duration:
        return parse_duration(value)
    raise NotImplementedError(kind)


_PATH_PART = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\.`([^`]*)`")


def _line_of(node: yaml.Node | None, path: str) -> int | None:
    """Walk the composed YAML nodes along a msgspec path like `$.sources[0].name`.

    The line is the key's own line (a mapping value may start on the next line).
    """
    line = node.start_mark.line + 1 if node is not None else None
    for key, index, quoted in _PATH_PART.findall(path.removeprefix("$")):
        if isinstance(node, yaml.MappingNode):
            wanted = key or quoted
            pair = next(((k, v) for k, v in node.value if k.value == wanted), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and index and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        else:
            break
    return line


_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `([^`]*)`$")


def _pinpoint(path: str, message: str) -> tuple[str, str]:
    if unknown := _UNKNOWN_FIELD.match(message):
        # Point at the unknown key itself, not at the mapping that holds it.
        path = f"{path}.{unknown.group(1)}" if path != "$" else f"$.{unknown.group(1)}"
        message = "unknown key (check the spelling; see the configuration reference)"
    return path, message


def describe_problem(path: str, message: str) -> str:
    """`key.path: message` for a ConfigProblem, without a file or line."""
    path, message = _pinpoint(path, message)
    return f"{path.removeprefix('$.').removeprefix('$') or '(top level)'}: {message}"


def _fail(where: str, root: yaml.Node | None, path: str, message: str) -> ConfigError:
    line = _line_of(root, _pinpoint(path, message)[0])
    location = f"{where}:{line}" if line else where
    return ConfigError(f"{location}: {describe_problem(path, message)}")


def _split_msgspec_error(error: msgspec.ValidationError) -> tuple[str, str]:
    text = str(error)
    message, _, path = text.rpartition(" - at `")
    if not message:
        return "$", text
    if path.startswith("key` in `"):  # msgspec's form for a bad mapping key
        return path.removeprefix("key` in `").rstrip("`"), f"a key: {message}"
    return path.rstrip("`"), message


def _mark_line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


MAX_DEPTH = 64


def _check_events(text: str, where: str) -> None:
    """Refuse aliases (billion laughs) and deep nesting before anything recursive runs."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise ConfigError(
                f"{where}:{_mark_line(event)}: YAML aliases (*name) are not "
                "supported; write the value out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(
                    f"{where}:{_mark_line(event)}: nested more than {MAX_DEPTH} levels deep"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_duplicate_keys(node: yaml.Node, where: str) -> None:
    """YAML would silently keep the last of two equal keys; a config must not."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        line = key.start_mark.line + 1
                        raise ConfigError(f"{where}:{line}: key {key.value!r} appears twice")
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _joined(value: Any, where: str) -> Any:
    """`value` with JSON-style surrogate pairs (`"\\ud83c\\uddfa"`, which YAML reads as two
    halves) joined into the characters they stand for; a half without its pair is a
    ConfigError, since no store or client could encode it."""
    if isinstance(value, str):
        if not any("\ud800" <= char <= "\udfff" for char in value):
            return value
        try:
            return value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise ConfigError(
                f"{where}: the string {value[:40]!r} holds half of a UTF-16 surrogate pair; "
                "write the character itself or one \\U00XXXXXX escape"
            ) from None
    if isinstance(value, dict):
        return {_joined(key, where): _joined(item, where) for key, item in value.items()}
    if isinstance(value, list):
        return [_joined(item, where) for item in value]
    return value


def _compose(text: str, where: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the plain data, or a ConfigError."""
    try:
        _check_events(text, where)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            return None, None
        _check_duplicate_keys(root, where)
        return root, _joined(yaml.safe_load(text), where)
    except yaml.YAMLError as error:
        raise ConfigError(f"{where}: not valid YAML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{where}: nesting is too deep") from None


def decode_struct(data: Any, kind: type[_S]) -> _S:
    """`data` converted to a config struct (durations parsed); raises ConfigProblem."""
    try:
        return msgspec.convert(data, kind, dec_hook=_dec_hook)
    except msgspec.ValidationError as error:
        raise ConfigProblem(*_split_msgspec_error(error)) from None


def check_config(config: Config) -> None:
    """Every check `parse_config` runs after decoding; raises the first ConfigProblem."""
    _check_server(config)
    _check_aliases(config.conversions)
    check_references(config)
    sources = [source.name for source in config.sources]
    check_protocols(config.tracking_plans, config.transformations, sources)
    try:
        check_storage(config.archive, config.warehouses, [s.name for s in config.sources])
    except StorageConfigProblem as problem:
        raise ConfigProblem(problem.path, problem.message) from None
    for i, dest in enumerate(config.destinations):
        check_destination(dest, f"$.destinations[{i}]")


def check_references(config: Config) -> None:
    """Names and write keys are unique; destinations name existing sources."""
    seen_keys: dict[str, int] = {}
    names = [source.name for source in config.sources]
    for i, source in enumerate(config.sources):
        if not source.name or not source.write_key:
            raise ConfigProblem(f"$.sources[{i}]", "name and write_key must not be empty")
        if source.name in names[:i]:
            raise ConfigProblem(f"$.sources[{i}].name", f"duplicate source {source.name!r}")
        if source.write_key in seen_keys:
            raise ConfigProblem(f"$.sources[{i}].write_key", "write_key already used")
        seen_keys[source.write_key] = i
    dest_names = [dest.name for dest in config.destinations]
    for i, dest in enumerate(config.destinations):
        if dest.name in dest_names[:i]:
            raise ConfigProblem(f"$.destinations[{i}].name", f"duplicate {dest.name!r}")
        for j, source_name in enumerate(dest.sources):
            if source_name not in names:
                raise ConfigProblem(
                    f"$.destinations[{i}].sources[{j}]",
                    f"no source named {source_name!r}; known sources: {', '.join(names) or 'none'}",
                )


def _check_server(config: Config) -> None:
    for i, cidr in enumerate(config.server.trusted_proxies):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ConfigProblem(
                f"$.server.trusted_proxies[{i}]", f"{cidr!r} is not an IP or CIDR"
            ) from None
    if not 0 < config.server.port < 65536:
        raise ConfigProblem("$.server.port", "port must be between 1 and 65535")
    if config.server.public_url is not None:
        try:
            parse_public_url(config.server.public_url)
        except ValueError as error:
            raise ConfigProblem("$.server.public_url", str(error)) from None
    if not 1 <= config.server.request_timeout <= 3600:
        raise ConfigProblem(
            "$.server.request_timeout", "request_timeout must be between 1s and 1h, e.g. 30s"
        )
    if config.log.partitions < 1 or config.log.partitions > 1024:
        raise ConfigProblem("$.log.partitions", "partitions must be between 1 and 1024")


def _check_aliases(conversions: ConversionsSettings) -> None:
    """An alias names a canonical event: another name would match no destination's allowlist."""
    for event, target in conversions.aliases.items():
        if target not in CANONICAL_NAMES:
            key = event if re.fullmatch(r"[A-Za-z_][\w-]*", event) else f"`{event}`"
            raise ConfigProblem(
                f"$.conversions.aliases.{key}",
                f"{target[:80]!r} is no canonical conversion name; use one of "
                f"{', '.join(sorted(CANONICAL_NAMES))}",
            )


def check_destination(dest: DestinationConfig, at: str) -> None:
    """The type exists, its settings decode, and filters and actions compile as the router
    will compile them, so that errors surface when the configuration is written. Secret
    settings never appear in the message."""
    try:
        definition = get_definition(dest.type)
    except ConfigError as error:
        raise ConfigProblem(f"{at}.type", str(error)) from None
    try:
        decode_settings(definition, dest.settings)
    except msgspec.ValidationError as error:
        path, message = _split_msgspec_error(error)
        secrets = [dest.settings.get(key) for key in secret_fields(definition.settings)]
        full = f"{at}.settings" + path.removeprefix("$")
        raise ConfigProblem(full, redact(message, secrets)) from None
    # Imported here: the pipeline package imports this module (it routes by Config).
    from eventyard.pipeline.plan import PlanError, compile_plan

    try:
        compile_plan(dest, definition)
    except PlanError as error:
        raise ConfigProblem(at + error.path, error.reason) from None


def decode_settings(definition: DestinationDefinition, raw: dict[str, Any]) -> Any:
    """Raw `settings:` decoded with a destination type's schema; raises msgspec errors."""
    return msgspec.convert(raw, definition.settings, dec_hook=_dec_hook)


def resolve_settings(dest: DestinationConfig) -> Any:
    """The destination's `settings` decoded with its type's schema (validated at load)."""
    return decode_settings(get_definition(dest.type), dest.settings)


def parse_config(text: str, where: str = "eventyard.yaml") -> Config:
    """Validate YAML text into a Config; every problem is a ConfigError naming key and line.

    `${NAME}` in a string value is replaced by the environment variable NAME.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{where}: larger than {MAX_CONFIG_BYTES} bytes; is this the right file?")
    root, data = _compose(text, where)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the top level must be a mapping (sources:, destinations:)")
    try:
        config = decode_struct(interpolate(data, os.environ), Config)
        check_config(config)
    except ConfigProblem as problem:
        raise _fail(where, root, problem.path, problem.message) from None
    return config


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; None means the empty default configuration."""
    if path is None:
        return Config()
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; is this the right file?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid UTF-8 at byte {error.start}") from None
    return parse_config(text, str(path))
