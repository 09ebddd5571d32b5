"""Property tests: no event and no grammatical filter can make evaluation raise."""

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eventyard.fql import Filter, FQLSyntaxError, compile_fql, from_ir, to_ir
from eventyard.fql.functions import ARITY
from eventyard.fql.nodes import Bool, Call, Cmp, Lit, Node, Not, Path, to_text

SETTINGS = settings(max_examples=300, deadline=None, database=None)

# Keys shared by events and filters, so that generated paths actually hit values.
KEYS = ["type", "event", "properties", "a", "b", "0", "1", "x y", "in", "é.\\"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: Python's json accepts them
    | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=20,
)
events = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6) | json_values

literal_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(["*", "a*", "[a-z]*", "?", "\\*", "[", "track"])
)
literals = st.builds(Lit, literal_scalars | st.lists(literal_scalars, max_size=3))
paths = st.builds(Path, st.lists(st.sampled_from(KEYS), min_size=1, max_size=4).map(tuple))


def _calls(values: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.sampled_from(sorted(ARITY)).flatmap(
        lambda name: st.builds(
            Call,
            st.just(name),
            st.lists(values, min_size=ARITY[name], max_size=ARITY[name]).map(tuple),
        )
    )


values = st.recursive(literals | paths, _calls, max_leaves=4)
comparisons = st.builds(
    Cmp, st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "in"]), values, values
)


def _combine(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.builds(Not, children) | st.builds(
        Bool, st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=3).map(tuple)
    )


conditions = st.recursive(values | comparisons, _combine, max_leaves=8)


@SETTINGS
@given(event=events)
def test_realistic_filters_never_raise(event: Any) -> None:
    for text in [
        'type = "track" and properties.revenue > 100 and contains(context.page.url, "x")',
        'match(event, "Order *") or properties.0.a in ["x", 1, null] or !properties',
        "length(properties) > 2 and typeof(a) = 'list' and number(string(b)) >= 0",
        "a = b and a != properties and properties.1 = [1, [2]]",
    ]:
        assert type(compile_fql(text)(event)) is bool


@SETTINGS
@given(node=conditions, event=events)
def test_generated_filters_never_raise_and_survive_round_trips(node: Node, event: Any) -> None:
    text = to_text(node)
    compiled = compile_fql(text)
    assert compiled.node == node  # the canonical text re-parses to the same tree
    result = compiled(event)
    assert type(result) is bool
    restored = from_ir(json.loads(json.dumps(to_ir(compiled))))
    assert restored(event) is result


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from(list("ab.()[]!=<>\"'\\ ,-1*and or in")), max_size=30))
def test_arbitrary_text_compiles_or_raises_a_syntax_error(text: str) -> None:
    try:
        compiled = compile_fql(text)
    except FQLSyntaxError as error:
        assert 1 <= error.column <= len(text) + 1
    else:
        assert isinstance(compiled, Filter)
        assert type(compiled({"a": {"b": [1]}})) is bool
