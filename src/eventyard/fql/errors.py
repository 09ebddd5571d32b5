"""FQL errors: both are configuration errors, because a filter is part of the configuration.

A syntax error carries the column and the expression so that the UI, the REST API and
`eventyard apply` can all point at the exact spot without re-parsing the message.
"""

from __future__ import annotations

from eventyard.errors import ConfigError

__all__ = ["FQLIRError", "FQLSyntaxError"]


class FQLSyntaxError(ConfigError):
    """The FQL text cannot be parsed; `column` is 1-based, `expression` is the source."""

    def __init__(self, reason: str, expression: str, column: int) -> None:
        shown = expression.replace("\t", " ").replace("\r", " ").replace("\n", " ")
        caret = " " * (column - 1) + "^"
        super().__init__(f"{reason} at column {column}:\n  {shown}\n  {caret}")
        self.reason = reason
        self.expression = expression
        self.column = column


class FQLIRError(ConfigError):
    """A tsub wire IR document (prefix arrays) is malformed or uses an unknown operator."""
