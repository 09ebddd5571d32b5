"""Syntax errors name the 1-based column and show the expression with a caret."""

import pytest

from eventyard.errors import ConfigError
from eventyard.fql import FQLSyntaxError, compile_fql, evaluate

CASES = [
    ('type = "track" and event =', 27, "expected a value after '='"),
    ('type = "track" and', 19, "expected an expression after 'and'"),
    ('event = "Order', 9, "unterminated string"),
    ("contains(event)", 1, "contains() takes 2 arguments, got 1"),
    ("frobnicate(event)", 1, "unknown function 'frobnicate'"),
    ('(type = "track"', 16, "expected ')' to match the '(' of column 1"),
    ("a = 1 = 2", 7, "comparisons cannot be chained"),
    ("", 1, "expected an expression"),
    ("   ", 4, "expected an expression"),
    ("type track", 6, "unexpected 'track'"),
    ("type = #", 8, "unexpected character '#'"),
    ("properties. = 1", 12, "expected a field name after '.'"),
    ("x in [1, y]", 10, "expected a literal value in the list"),
    ("x in [1 2]", 9, "expected ',' or ']'"),
    ('userId = oops"', 14, "unterminated string"),  # the doc's "Error Handling" example
    ("3abc = 1", 1, "a path cannot start with a digit"),
    ("!", 2, "expected an expression after '!'"),
    ("a = )", 5, "expected a value after '=', found ')'"),
    ("(" * 100 + "a" + ")" * 100, 65, "nested more than 64 levels"),
]


@pytest.mark.parametrize(("text", "column", "reason"), CASES)
def test_syntax_error_column(text: str, column: int, reason: str) -> None:
    with pytest.raises(FQLSyntaxError) as caught:
        compile_fql(text)
    error = caught.value
    assert error.column == column
    assert error.expression == text
    assert reason in str(error)
    assert isinstance(error, ConfigError)


def test_message_shows_a_caret_under_the_column() -> None:
    with pytest.raises(FQLSyntaxError) as caught:
        compile_fql('type = "track" and event =')
    assert str(caught.value) == (
        "expected a value after '=' at column 27:\n"
        '  type = "track" and event =\n'
        "                            ^"
    )


def test_multiline_expressions_keep_the_caret_aligned() -> None:
    with pytest.raises(FQLSyntaxError) as caught:
        compile_fql('type = "track"\nand ?')
    lines = str(caught.value).splitlines()
    assert lines[1] == '  type = "track" and ?'
    assert lines[2].index("^") == lines[1].index("?")


def test_evaluate_raises_for_invalid_text() -> None:
    # Callers fail closed: an invalid filter is a configuration error, never "matches".
    with pytest.raises(FQLSyntaxError):
        evaluate("type ==", {"type": "track"})


@pytest.mark.parametrize("text", ["and", "or", "in", "not"])
def test_bare_keywords_are_not_paths(text: str) -> None:
    with pytest.raises(FQLSyntaxError):
        compile_fql(text)


def test_escaped_keyword_is_a_path() -> None:
    assert compile_fql("\\in = 1")({"in": 1}) is True
    assert compile_fql('properties."and" = 1')({"properties": {"and": 1}}) is True
