"""Property: any mapping built from valid directives never raises on any JSON event."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eventyard.mapping import compile_mapping

KEYS = st.sampled_from(["a", "b", "0", "1", "properties", "userId", "x y", "$", "é"])
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)
EVENTS = st.dictionaries(KEYS | st.text(max_size=4), JSON, max_size=6)
PATHS = st.lists(KEYS, max_size=4).map(lambda keys: "$." + ".".join(keys)) | st.text(max_size=10)
TEMPLATES = st.lists(st.text(max_size=4) | PATHS.map(lambda p: "{{" + p + "}}"), max_size=4).map(
    "".join
)
SHORT = st.text(min_size=1, max_size=5)


def _directives(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    objects = st.dictionaries(KEYS, inner, max_size=3)
    return st.one_of(
        st.builds(lambda p: {"@path": p}, PATHS),
        st.builds(lambda t: {"@template": t}, TEMPLATES),
        st.builds(lambda v: {"@literal": v}, inner),
        st.builds(lambda v: {"@excludeWhenNull": v}, inner),
        st.builds(
            lambda k, c, t, e: {"@if": {k: c, "then": t, "else": e}},
            st.sampled_from(["exists", "blank"]),
            inner,
            inner,
            inner,
        ),
        st.builds(
            lambda o, v: {"@case": {"operator": o, "value": v}},
            st.sampled_from(["lower", "upper"]),
            inner,
        ),
        st.builds(lambda p, s: {"@arrayPath": [p, s]}, PATHS, objects),
        st.builds(
            lambda v, p, r, g, i: {
                "@replace": {
                    "value": v,
                    "pattern": p,
                    "replacement": r,
                    "global": g,
                    "ignorecase": i,
                }
            },
            inner,
            SHORT,
            st.text(max_size=5),
            st.booleans(),
            st.booleans(),
        ),
        st.builds(
            lambda d, o: {"@merge": {"direction": d, "objects": o}},
            st.sampled_from(["left", "right"]),
            st.lists(objects, max_size=3),
        ),
        st.builds(lambda a, m: {"@transform": {"apply": a, "mapping": m}}, objects, inner),
        st.builds(
            lambda v, s, o: {"@flatten": {"value": v, "separator": s, "omitArrays": o}},
            inner,
            SHORT,
            st.booleans(),
        ),
        st.builds(
            lambda m, v: {"@json": {"mode": m, "value": v}},
            st.sampled_from(["encode", "decode"]),
            inner,
        ),
        objects,
        st.lists(inner, max_size=3),
    )


MAPPINGS = st.recursive(
    SCALARS | st.builds(lambda p: {"@path": p}, PATHS), _directives, max_leaves=12
)


@settings(max_examples=300, deadline=None)
@given(mapping=MAPPINGS, event=EVENTS)
def test_compiled_mappings_never_raise_and_return_json(mapping: Any, event: dict[str, Any]) -> None:
    result = compile_mapping(mapping)(event)
    json.dumps(result)  # only JSON values come out: no undefined sentinel leaks
