"""Recursive-descent parser: FQL text -> syntax tree, with errors that point at a column.

Precedence, loosest first: `or`, `and`, `!`/`not`, comparisons (`= != < <= > >= in`,
not chainable), then operands (literals, lists, paths, function calls, parentheses).
"""

from __future__ import annotations

from typing import Any, NoReturn

from eventyard.fql.errors import FQLSyntaxError
from eventyard.fql.functions import ARITY
from eventyard.fql.nodes import Bool, Call, Cmp, Lit, Node, Not, Path
from eventyard.fql.tokenizer import Token, tokenize

__all__ = ["parse"]

_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "null": None}
_MAX_DEPTH = 64  # nesting of (), !, [] and calls; keeps parsing and evaluation off the C stack


def parse(text: str) -> Node:
    """Parse a whole FQL expression; raises FQLSyntaxError naming the column."""
    return _Parser(text).parse()


def _describe(tok: Token) -> str:
    return "end of input" if tok.kind == "eof" else repr(tok.raw)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        tok = self.tokens[self.index]
        self.index += 1
        return tok

    def fail(self, reason: str, tok: Token) -> NoReturn:
        raise FQLSyntaxError(reason, self.text, tok.pos + 1)

    def is_kw(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "kw" and tok.value == word

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            self.fail("expected an expression", self.peek())
        node = self.or_expr(None)
        tok = self.peek()
        if tok.kind != "eof":
            self.fail(f"unexpected {_describe(tok)}", tok)
        return node

    def or_expr(self, after: Token | None) -> Node:
        items = [self.and_expr(after)]
        while self.is_kw("or"):
            items.append(self.and_expr(self.take()))
        return items[0] if len(items) == 1 else Bool("or", tuple(items))

    def and_expr(self, after: Token | None) -> Node:
        items = [self.unary(after)]
        while self.is_kw("and"):
            items.append(self.unary(self.take()))
        return items[0] if len(items) == 1 else Bool("and", tuple(items))

    def nest(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail(f"expression nested more than {_MAX_DEPTH} levels deep", tok)

    def unary(self, after: Token | None) -> Node:
        tok = self.peek()
        self.nest(tok)
        if (tok.kind == "op" and tok.value == "!") or self.is_kw("not"):
            node: Node = Not(self.unary(self.take()))
        else:
            node = self.comparison(after)
        self.depth -= 1
        return node

    def comparison(self, after: Token | None) -> Node:
        left = self.operand(after)
        tok = self.peek()
        if not ((tok.kind == "op" and tok.value in _COMPARISONS) or self.is_kw("in")):
            return left
        self.take()
        node = Cmp(tok.value, left, self.operand(tok))
        nxt = self.peek()
        if (nxt.kind == "op" and nxt.value in _COMPARISONS) or self.is_kw("in"):
            self.fail("comparisons cannot be chained; add parentheses", nxt)
        return node

    def operand(self, after: Token | None) -> Node:
        tok = self.peek()
        if tok.kind in ("str", "num") or (tok.kind == "kw" and tok.value in _CONSTANTS):
            return Lit(self.literal())
        if tok.kind == "[":
            return Lit(self.literal())
        if tok.kind == "(":
            self.take()
            inner = self.or_expr(tok)
            if self.peek().kind != ")":
                self.fail(f"expected ')' to match the '(' of column {tok.pos + 1}", self.peek())
            self.take()
            return inner
        if tok.kind == "path":
            self.take()
            if self.peek().kind == "(" and len(tok.value) == 1 and tok.raw == tok.value[0]:
                return self.call(tok)
            return Path(tok.value)
        valued = after is not None and (after.value in _COMPARISONS or after.value == "in")
        reason = "expected a value" if valued else "expected an expression"
        if after is not None:
            reason += f" after {after.raw!r}"
        if tok.kind != "eof":
            reason += f", found {_describe(tok)}"
        self.fail(reason, tok)

    def literal(self) -> Any:
        tok = self.take()
        if tok.kind in ("str", "num"):
            return tok.value
        if tok.kind == "kw" and tok.value in _CONSTANTS:
            return _CONSTANTS[tok.value]
        if tok.kind != "[":
            self.fail(f"expected a literal value in the list, found {_describe(tok)}", tok)
        self.nest(tok)
        items: list[Any] = []
        while self.peek().kind != "]":
            items.append(self.literal())
            if self.peek().kind == ",":
                self.take()
            elif self.peek().kind != "]":
                self.fail(f"expected ',' or ']', found {_describe(self.peek())}", self.peek())
        self.take()
        self.depth -= 1
        return items

    def call(self, name: Token) -> Node:
        fname = name.value[0]
        if fname not in ARITY:
            self.fail(f"unknown function {fname!r}", name)
        opening = self.take()
        args: list[Node] = []
        if self.peek().kind != ")":
            args.append(self.or_expr(opening))
            while self.peek().kind == ",":
                args.append(self.or_expr(self.take()))
        if self.peek().kind != ")":
            self.fail(f"expected ',' or ')', found {_describe(self.peek())}", self.peek())
        self.take()
        if len(args) != ARITY[fname]:
            count = ARITY[fname]
            plural = "argument" if count == 1 else "arguments"
            self.fail(f"{fname}() takes {count} {plural}, got {len(args)}", name)
        return Call(fname, tuple(args))
