"""The destination filter rules editor (`filters:`, Segment's destination filters): one row
per rule, added and removed by re-showing the form, each row checked by the same compiler the
router uses, so that a problem is shown at its row before anything is saved.

Inputs are named `filters.<row>.<part>` with the rows listed, in order, by the hidden inputs
`filters.row`. A property map is written as one path per line (`properties.email`,
`context.ip`, `userId`): the last part is the key, the rest is the object path (tsub's form,
`{"properties": ["email"], "context": ["ip"], "": ["userId"]}`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eventyard.control.config import FilterRule, decode_struct
from eventyard.control.problem import ConfigProblem
from eventyard.pipeline.destination_filter import PlanError, compile_filters
from eventyard.ui.formdata import Submitted

__all__ = [
    "ADD",
    "REMOVE",
    "THEN",
    "RuleRow",
    "RulesView",
    "edited_rows",
    "parse_rules",
    "rule_keys",
    "rule_pairs",
    "rule_rows",
]

ADD = "filters.add"
REMOVE = "filters.remove"
"""Buttons that change the list of rows; the form is shown again, nothing is saved."""

THEN = {
    "drop": "Drop (don't send)",
    "sample": "Sample",
    "drop_properties": "Drop properties",
    "allow_properties": "Allow properties (only these)",
}
"""The transformation a rule applies when its `if` matches (exactly one)."""

PARTS = ("name", "if", "then", "sample", "sample_path", "properties")


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One rule as its inputs show it."""

    index: int
    name: str = ""
    when: str = ""
    then: str = "drop"
    sample: str = ""
    sample_path: str = ""
    properties: str = ""
    errors: Mapping[str, str] | None = None
    """By part (`if`, `sample`, ...; "" for the rule as a whole)."""

    def error(self, part: str) -> str | None:
        return (self.errors or {}).get(part)


@dataclass(frozen=True, slots=True)
class RulesView:
    """What `_filter_rules.html` shows: the rows and problems not placed at a row."""

    rules: list[RuleRow]
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def then_choices(self) -> Mapping[str, str]:
        return THEN


def _then(rule: Mapping[str, Any]) -> str:
    if rule.get("sample") is not None:
        return "sample"
    if rule.get("drop_properties") is not None:
        return "drop_properties"
    if rule.get("allow_properties") is not None:
        return "allow_properties"
    return "drop"


def _paths(keys: Mapping[str, Any]) -> str:
    return "\n".join(
        f"{path}.{key}" if path else str(key)
        for path, names in keys.items()
        for key in (names if isinstance(names, list) else [])
    )


def rule_pairs(rules: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Stored rules as the form pairs that show them."""
    pairs: list[tuple[str, str]] = []
    for i, rule in enumerate(rules):
        then = _then(rule)
        sample = rule.get("sample")
        props = rule.get(then) if then.endswith("_properties") else None
        values = {
            "name": str(rule.get("name") or ""),
            "if": str(rule.get("if") or ""),
            "then": then,
            "sample": "" if sample is None else str(sample),
            "sample_path": str(rule.get("sample_path") or ""),
            "properties": _paths(props) if isinstance(props, dict) else "",
        }
        pairs.append(("filters.row", str(i)))
        pairs.extend((f"filters.{i}.{part}", value) for part, value in values.items())
    return pairs


def _row(form: Submitted, row: str, index: int) -> RuleRow:
    def part(name: str) -> str:
        return form.get(f"filters.{row}.{name}")

    return RuleRow(
        index=index,
        name=part("name"),
        when=part("if"),
        then=part("then") or "drop",
        sample=part("sample"),
        sample_path=part("sample_path"),
        properties=part("properties"),
    )


def _row_ids(form: Submitted) -> list[str]:
    return list(dict.fromkeys(form.getlist("filters.row")))


def rule_rows(form: Submitted, errors: Mapping[str, str] | None = None) -> list[RuleRow]:
    """The rows the form holds, numbered in order, with their errors (`filters[i].part`)."""
    rows = []
    for index, row in enumerate(_row_ids(form)):
        prefix = f"filters[{index}]"
        mine = {
            key[len(prefix) + 1 :] if key != prefix else "": message
            for key, message in (errors or {}).items()
            if key == prefix or key.startswith(prefix + ".")
        }
        rows.append(replace(_row(form, row, index), errors=mine))
    return rows


def edited_rows(form: Submitted) -> list[RuleRow]:
    """The rows after the Add or Remove button that was pressed."""
    ids = _row_ids(form)
    removed = form.get(REMOVE)
    kept = [row for row in ids if row != removed]
    rows = [_row(form, row, index) for index, row in enumerate(kept)]
    if ADD in form:
        rows.append(RuleRow(index=len(rows)))
    return rows


def rule_keys(count: int) -> list[str]:
    """Form field keys a store error about a rule may be placed at."""
    return ["filters"] + [
        key
        for i in range(count)
        for key in (f"filters[{i}]", *(f"filters[{i}].{part}" for part in PARTS))
    ]


class _Invalid(ValueError):
    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise _Invalid("sample", "Enter a fraction from 0 to 1: 0.1 keeps one event in ten.")
    return value


def _property_map(text: str) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        path = line.strip()
        if not path:
            continue
        parent, _, key = path.rpartition(".")
        if not key or (parent == "" and path.startswith(".")):
            raise _Invalid("properties", f"Line {number}: write a path like properties.email.")
        if key not in keys.setdefault(parent, []):
            keys[parent].append(key)
    if not keys:
        raise _Invalid("properties", "List at least one property path, e.g. properties.email.")
    return keys


def _document(row: RuleRow) -> dict[str, Any]:
    """The rule as eventyard.yaml writes it (defaults left out); raises _Invalid."""
    rule: dict[str, Any] = {}
    if row.name.strip():
        rule["name"] = row.name.strip()
    when = row.when.strip()
    if when and when != "all":
        rule["if"] = when
    if row.then not in THEN:
        raise _Invalid("then", "Choose what the rule does.")
    if row.then == "drop":
        rule["drop"] = True
    elif row.then == "sample":
        rule["sample"] = _fraction(row.sample.strip())
        if row.sample_path.strip():
            rule["sample_path"] = row.sample_path.strip()
    else:
        rule[row.then] = _property_map(row.properties)
    return rule


def _check(rule: dict[str, Any]) -> None:
    """Decode and compile the rule alone, as the router would; raises _Invalid."""
    try:
        compile_filters(None, [decode_struct(rule, FilterRule)])
    except ConfigProblem as problem:
        part = problem.path.removeprefix("$").lstrip(".").split(".")[0]
        raise _Invalid(part if part in PARTS else "", problem.message) from None
    except PlanError as error:
        part = error.path.removeprefix(".filters[0]").lstrip(".")
        raise _Invalid(part if part in PARTS else "", error.reason) from None


def parse_rules(form: Submitted) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(the rules in order, problems keyed `filters[i].part` or `filters[i]`)."""
    rules, errors = [], {}
    for row in rule_rows(form):
        try:
            rule = _document(row)
            _check(rule)
        except _Invalid as problem:
            key = f"filters[{row.index}]" + (f".{problem.part}" if problem.part else "")
            errors[key] = str(problem)
            continue
        rules.append(rule)
    return rules, errors
