"""Segment destination filters: `filter` (only send) and `filters` (sample, drop, properties).

Rules apply in Segment's documented order, whatever their order in the file: every sample
rule, then "only send" and every drop rule, then drop_properties, then allow_properties.
Each rule's `if` is evaluated, at its turn, against the event as the earlier rules left it
(as analytics.js's routing middleware does). Property rules never mutate the event they are
given, which other destinations share: only the objects on the edited path are copied.

Property maps follow tsub: keys are object paths split on `.` (`""` is the top level); where
a path meets an array, the rule applies to each object in it. Deterministic sampling
(`sample_path`) follows segmentio/sampler: the MD5 of the value's JSON becomes a number in
[0, 1) and the event is kept when it is below the percentage, so one user is always in or
always out.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.control.config import FilterRule
from eventyard.errors import ConfigError
from eventyard.fql import Filter, FQLSyntaxError, compile_fql

__all__ = ["DestinationFilter", "Dropped", "PlanError", "compile_filters", "sample_fraction"]

Event = dict[str, Any]
Path = tuple[str, ...]
_STAGES = ("sample", "drop", "drop_properties", "allow_properties")


class PlanError(ConfigError):
    """A filter or action of a destination does not compile; `path` is relative to it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path.lstrip('.')}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Dropped:
    """Why a filter stopped an event: `reason` is short (a counter label), `detail` explains."""

    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class _Rule:
    label: str
    stage: str
    when: Filter
    percent: float = 1.0
    sample_path: Path | None = None
    properties: tuple[tuple[Path, frozenset[str]], ...] = ()


def _split(key: str) -> Path:
    return tuple(key.split(".")) if key else ()


def _fql(text: str, path: str) -> Filter:
    try:
        return compile_fql(text)
    except FQLSyntaxError as error:
        raise PlanError(path, str(error)) from None


def _compile_rule(rule: FilterRule, i: int) -> _Rule:
    at = f".filters[{i}]"
    chosen = [
        stage
        for stage, value in zip(
            _STAGES,
            (rule.sample, rule.drop or None, rule.drop_properties, rule.allow_properties),
            strict=True,
        )
        if value is not None
    ]
    if len(chosen) != 1:
        raise PlanError(at, "give exactly one of drop, sample, drop_properties, allow_properties")
    if rule.sample_path is not None and rule.sample is None:
        raise PlanError(f"{at}.sample_path", "sample_path needs sample")
    label = f"filters[{i}]" + (f" ({rule.name})" if rule.name else "")
    props = rule.drop_properties or rule.allow_properties or {}
    return _Rule(
        label=label,
        stage=chosen[0],
        when=_fql(rule.if_, f"{at}.if"),
        percent=1.0 if rule.sample is None else rule.sample,
        sample_path=None if rule.sample_path is None else _split(rule.sample_path),
        properties=tuple((_split(key), frozenset(keys)) for key, keys in props.items()),
    )


def _value_at(event: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(event, dict):
            return None
        event = event.get(key)
    return event


def sample_fraction(value: Any) -> float:
    """A number in [0, 1) fixed by the value's JSON (segmentio/sampler's Float64 of its MD5)."""
    digest = hashlib.md5(orjson.dumps(value), usedforsecurity=False).digest()
    significand = int.from_bytes(digest[:8], "big")
    exponent = -64
    if zeros := 64 - significand.bit_length():
        exponent -= zeros
        rest = int.from_bytes(digest[8:], "big") >> (64 - zeros)
        significand = ((significand << zeros) & (2**64 - 1)) | rest
    return math.ldexp(significand | 1, exponent)


def _edit(node: Any, path: Path, change: Callable[[Event], Event]) -> Any:
    """`node` with the object(s) at `path` replaced by change(obj); copies only what changes."""
    if isinstance(node, list):
        items = [_edit(item, path, change) for item in node]
        return node if all(a is b for a, b in zip(items, node, strict=True)) else items
    if not isinstance(node, dict):
        return node
    if not path:
        return change(node)
    head, rest = path[0], path[1:]
    if head not in node:
        return node
    child = node[head]
    new = _edit(child, rest, change)
    return node if new is child else {**node, head: new}


def _without(keys: frozenset[str]) -> Callable[[Event], Event]:
    def change(obj: Event) -> Event:
        return {k: v for k, v in obj.items() if k not in keys} if keys & obj.keys() else obj

    return change


def _only(keys: frozenset[str]) -> Callable[[Event], Event]:
    def change(obj: Event) -> Event:
        return obj if obj.keys() <= keys else {k: v for k, v in obj.items() if k in keys}

    return change


class DestinationFilter:
    """Call `apply(event)`: the event to map (maybe an edited copy), or Dropped."""

    __slots__ = ("only", "rules")

    def __init__(self, only: Filter | None, rules: Sequence[_Rule]) -> None:
        self.only = only
        order = {stage: n for n, stage in enumerate(_STAGES)}
        self.rules = sorted(rules, key=lambda rule: order[rule.stage])  # stable: file order

    def apply(self, event: Event) -> Event | Dropped:
        only_checked = self.only is None
        for rule in self.rules:
            if not only_checked and rule.stage != "sample":
                if (dropped := self._only_send(event)) is not None:
                    return dropped
                only_checked = True
            if not rule.when(event):
                continue
            if rule.stage == "sample":
                if not self._sampled(rule, event):
                    return Dropped("sample", f"{rule.label} sample {rule.percent:g}: not sampled")
            elif rule.stage == "drop":
                return Dropped("drop", f"{rule.label} drop: if {rule.when.text}")
            else:
                edit = _without if rule.stage == "drop_properties" else _only
                for path, keys in rule.properties:
                    event = _edit(event, path, edit(keys))
        if not only_checked and (dropped := self._only_send(event)) is not None:
            return dropped
        return event

    def _only_send(self, event: Event) -> Dropped | None:
        assert self.only is not None
        return None if self.only(event) else Dropped("filter", f"filter: {self.only.text}")

    @staticmethod
    def _sampled(rule: _Rule, event: Event) -> bool:
        if rule.percent <= 0 or rule.percent >= 1:
            return rule.percent >= 1
        if rule.sample_path is None:
            return random.random() < rule.percent
        return sample_fraction(_value_at(event, rule.sample_path)) < rule.percent


def compile_filters(only: str | None, rules: Sequence[FilterRule]) -> DestinationFilter | None:
    """Compile a destination's filters; None when it has none. Raises PlanError."""
    if only is None and not rules:
        return None
    compiled = [_compile_rule(rule, i) for i, rule in enumerate(rules)]
    return DestinationFilter(None if only is None else _fql(only, ".filter"), compiled)
