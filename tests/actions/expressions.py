"""GitHub Actions expressions (`${{ … }}`): the language as GitHub documents it, for the subset a
workflow here may use. Anything else is an `ExpressionError`, never a silent true.

Supported: the literals `null`, `true`, `false`, numbers (decimal, `0x` hex, exponents) and
'strings' (`''` is a quote); named values (`github`, `inputs`, `needs`, `matrix`, …: whatever
contexts the caller gives) with `.name` and `[index]`; the operators `!`, `<`, `<=`, `>`, `>=`,
`==`, `!=`, `&&`, `||` and parentheses; the functions `contains`, `startsWith`, `endsWith`,
`format`, `join`, `toJSON`, `fromJSON`, and the status functions `success`, `always`, `failure`,
`cancelled` where the caller allows them (an `if:`). Not supported (an error): object filters
(`a.*.b`), `hashFiles`, any other function.

Semantics, from GitHub's "Evaluate expressions in workflows and actions": `&&` and `||` give an
operand, not a boolean; falsy are `false`, `0`, `-0`, `''`, `null` and `NaN`; `==` ignores case
between strings and, between different types, compares them as numbers (`null` → 0, booleans →
1/0, a string parsed, arrays and objects → NaN); property names ignore case; a missing property
is `null`. As text, `null` is `''`, booleans are `true`/`false`, whole numbers have no `.0`, and
arrays and objects are `Array` and `Object`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

STATUS_FUNCTIONS = frozenset({"success", "always", "failure", "cancelled"})


class ExpressionError(Exception):
    """An expression this runner cannot evaluate (bad syntax, an unknown name or function)."""


# ---- tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # number | string | name | op | end
    text: str
    at: int


def _tokens(source: str) -> list[_Token]:
    tokens, at = [], 0
    while at < len(source):
        m = _TOKEN.match(source, at)
        if m is None:
            raise ExpressionError(f"unexpected {source[at]!r} at {at} in `{source}`")
        kind = m.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, m.group(), at))
        at = m.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


# ---- syntax ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Member:
    target: Node
    key: Node  # a Literal for `.name`


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


Node = Literal | Name | Member | Not | Binary | Call

_PRECEDENCE = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))
_LITERALS = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self, text: str | None = None) -> _Token:
        token = self.tokens[self.at]
        if text is not None and token.text != text:
            found = token.text or "the end"
            raise ExpressionError(f"expected `{text}` but found `{found}` in `{self.source}`")
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.binary(0)
        if self.peek().kind != "end":
            raise ExpressionError(f"unexpected `{self.peek().text}` in `{self.source}`")
        return node

    def binary(self, level: int) -> Node:
        if level == len(_PRECEDENCE):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek().kind == "op" and self.peek().text in _PRECEDENCE[level]:
            op = self.take().text
            node = Binary(op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.peek().text == "!":
            self.take()
            return Not(self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "number":
            text = token.text
            return Literal(float(int(text, 16)) if text.startswith("0x") else float(text))
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.text == "(":
            node = self.binary(0)
            self.take(")")
            return node
        if token.kind == "name":
            if token.text in _LITERALS:
                return Literal(_LITERALS[token.text])
            if self.peek().text == "(":
                self.take("(")
                args: list[Node] = []
                if self.peek().text != ")":
                    args.append(self.binary(0))
                    while self.peek().text == ",":
                        self.take(",")
                        args.append(self.binary(0))
                self.take(")")
                return Call(token.text, tuple(args))
            return Name(token.text)
        raise ExpressionError(f"unexpected `{token.text or 'end'}` in `{self.source}`")

    def postfix(self, node: Node) -> Node:
        while self.peek().text in (".", "["):
            if self.take().text == ".":
                key = self.take()
                if key.text == "*":
                    raise ExpressionError(
                        f"object filters (`.*`) are not supported by this runner: `{self.source}`"
                    )
                if key.kind != "name":
                    raise ExpressionError(f"expected a property name in `{self.source}`")
                node = Member(node, Literal(key.text))
            else:
                if self.peek().text == "*":
                    raise ExpressionError(
                        f"object filters (`[*]`) are not supported by this runner: `{self.source}`"
                    )
                index = self.binary(0)
                self.take("]")
                node = Member(node, index)
        return node


@lru_cache(maxsize=1024)
def parse(source: str) -> Node:
    """The syntax tree of one expression (without `${{ }}`)."""
    return _Parser(source).parse()


def uses_status_function(node: Node) -> bool:
    match node:
        case Call(function=function, args=args):
            return function.lower() in STATUS_FUNCTIONS or any(map(uses_status_function, args))
        case Member(target=target, key=key):
            return uses_status_function(target) or uses_status_function(key)
        case Not(operand=operand):
            return uses_status_function(operand)
        case Binary(left=left, right=right):
            return uses_status_function(left) or uses_status_function(right)
    return False


# ---- values ---------------------------------------------------------------------------------------


def to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, str):
        return value
    return "Array" if isinstance(value, list) else "Object"


def truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not (value == 0 or math.isnan(value))
    return True


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def equal(left: Any, right: Any) -> bool:
    kinds = (_kind(left), _kind(right))
    if kinds[0] == kinds[1]:
        if kinds[0] == "string":
            return bool(left.casefold() == right.casefold())
        if kinds[0] == "number":
            return float(left) == float(right)
        if kinds[0] in ("array", "object"):
            return left is right
        return bool(left == right)
    return to_number(left) == to_number(right)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left.casefold()
        b: Any = right.casefold()
    else:
        a, b = to_number(left), to_number(right)
        if math.isnan(a) or math.isnan(b):
            return False
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def member(target: Any, key: Any) -> Any:
    """`target.key` or `target[key]`: property names ignore case; anything missing is null."""
    if isinstance(target, Mapping):
        name = to_string(key)
        if name in target:
            return target[name]
        folded = name.casefold()
        return next((v for k, v in target.items() if str(k).casefold() == folded), None)
    if isinstance(target, list) and isinstance(key, int | float) and not isinstance(key, bool):
        index = float(key)
        if index.is_integer() and 0 <= index < len(target):
            return target[int(index)]
    return None


def to_json(value: Any) -> str:
    """toJSON: indented by two spaces, as GitHub prints it; whole numbers without `.0`."""

    def plain(item: Any) -> Any:
        if isinstance(item, float) and item.is_integer():
            return int(item)
        if isinstance(item, list):
            return [plain(i) for i in item]
        if isinstance(item, Mapping):
            return {k: plain(v) for k, v in item.items()}
        return item

    return json.dumps(plain(value), indent=2, ensure_ascii=False)


def _format(template: Any, *args: Any) -> str:
    text, out, at = to_string(template), [], 0
    while at < len(text):
        if text.startswith("{{", at) or text.startswith("}}", at):
            out.append(text[at])
            at += 2
        elif text[at] == "{":
            end = text.find("}", at)
            index = text[at + 1 : end] if end > 0 else ""
            if not index.isdigit() or int(index) >= len(args):
                raise ExpressionError(f"format: the string `{text}` has no argument {{{index}}}")
            out.append(to_string(args[int(index)]))
            at = end + 1
        elif text[at] == "}":
            raise ExpressionError(f"format: an unmatched `}}` in `{text}`")
        else:
            out.append(text[at])
            at += 1
    return "".join(out)


def _from_json(value: Any) -> Any:
    text = to_string(value)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ExpressionError(f"fromJSON: `{text[:200]}` is not JSON ({exc})") from exc


def _contains(search: Any, item: Any) -> bool:
    if isinstance(search, list):
        return any(equal(element, item) for element in search)
    return to_string(item).casefold() in to_string(search).casefold()


def _join(items: Any, separator: Any = ",") -> str:
    if not isinstance(items, list):
        return to_string(items)
    return to_string(separator).join(to_string(i) for i in items)


# name → (function, fewest arguments, most arguments)
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "contains": (_contains, 2, 2),
    "startswith": (
        lambda s, v: to_string(s).casefold().startswith(to_string(v).casefold()),
        2,
        2,
    ),
    "endswith": (lambda s, v: to_string(s).casefold().endswith(to_string(v).casefold()), 2, 2),
    "format": (_format, 1, 100),
    "join": (_join, 1, 2),
    "tojson": (to_json, 1, 1),
    "fromjson": (_from_json, 1, 1),
}


# ---- evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What an expression can see: the named values (contexts) and, in an `if:`, the status
    functions' answers."""

    contexts: Mapping[str, Any]
    status: Mapping[str, bool] | None = None

    def evaluate(self, source: str) -> Any:
        return _evaluate(parse(source), self, source)


def _evaluate(node: Node, scope: Scope, source: str) -> Any:
    match node:
        case Literal(value=value):
            return value
        case Name(name=name):
            found = {k.casefold(): k for k in scope.contexts}.get(name.casefold())
            if found is None:
                raise ExpressionError(f"unrecognized named-value `{name}` in `{source}`")
            return scope.contexts[found]
        case Member(target=target, key=key):
            return member(_evaluate(target, scope, source), _evaluate(key, scope, source))
        case Not(operand=operand):
            return not truthy(_evaluate(operand, scope, source))
        case Binary():
            return _binary(node, scope, source)
        case Call(function=function, args=args):
            return _call(function, args, scope, source)
    raise ExpressionError(f"cannot evaluate `{source}`")  # pragma: no cover - exhaustive


def _binary(node: Binary, scope: Scope, source: str) -> Any:
    left = _evaluate(node.left, scope, source)
    if node.op == "&&":
        return _evaluate(node.right, scope, source) if truthy(left) else left
    if node.op == "||":
        return left if truthy(left) else _evaluate(node.right, scope, source)
    right = _evaluate(node.right, scope, source)
    if node.op in ("==", "!="):
        return equal(left, right) == (node.op == "==")
    return _compare(node.op, left, right)


def _call(function: str, args: Sequence[Node], scope: Scope, source: str) -> Any:
    name = function.casefold()
    if name in STATUS_FUNCTIONS:
        if scope.status is None:
            raise ExpressionError(f"`{function}()` is allowed only in an `if:`: `{source}`")
        if args:
            raise ExpressionError(f"`{function}()` takes no arguments: `{source}`")
        return scope.status[name]
    if name not in _FUNCTIONS:
        raise ExpressionError(f"unknown function `{function}` in `{source}`")
    implementation, fewest, most = _FUNCTIONS[name]
    if not fewest <= len(args) <= most:
        raise ExpressionError(f"`{function}` takes {fewest} to {most} arguments: `{source}`")
    return implementation(*(_evaluate(arg, scope, source) for arg in args))


# ---- expressions inside text ----------------------------------------------------------------------


def _pieces(text: str) -> list[tuple[bool, str]]:
    """`text` as literal pieces and expressions: `(is_expression, source)`."""
    pieces: list[tuple[bool, str]] = []
    at = 0
    while (start := text.find("${{", at)) >= 0:
        pieces.append((False, text[at:start]))
        cursor, quoted = start + 3, False
        while cursor < len(text):
            if text[cursor] == "'":
                quoted = not quoted  # '' inside a string toggles twice: still inside
            elif not quoted and text.startswith("}}", cursor):
                break
            cursor += 1
        else:
            raise ExpressionError(f"an expression is not closed with `}}}}`: `{text[start:]}`")
        pieces.append((True, text[start + 3 : cursor].strip()))
        at = cursor + 2
    pieces.append((False, text[at:]))
    return [(is_expression, piece) for is_expression, piece in pieces if is_expression or piece]


def evaluate_value(value: Any, scope: Scope) -> Any:
    """A YAML value as Actions reads it: a string that is exactly one `${{ }}` gives the
    expression's value (an object, a number…); other strings are text with expressions
    substituted; lists and mappings are evaluated item by item; other scalars stay."""
    if isinstance(value, str):
        pieces = _pieces(value)
        if len(pieces) == 1 and pieces[0][0]:
            return scope.evaluate(pieces[0][1])
        return "".join(to_string(scope.evaluate(p)) if e else p for e, p in pieces)
    if isinstance(value, list):
        return [evaluate_value(item, scope) for item in value]
    if isinstance(value, Mapping):
        return {key: evaluate_value(item, scope) for key, item in value.items()}
    return value


def interpolate(value: Any, scope: Scope) -> str:
    """A value as text (an input, an environment variable, a name, a group)."""
    return to_string(evaluate_value(value, scope))


def condition(value: Any, scope: Scope) -> bool:
    """An `if:`: with or without `${{ }}`; `success() && (…)` unless it calls a status
    function itself. (Text around a `${{ }}` makes it a non-empty string, so true: as on GitHub.)"""
    if value is None:
        value = "success()"
    if isinstance(value, bool | int | float):
        return truthy(value)
    text = str(value).strip()
    pieces = _pieces(text)
    if len(pieces) == 1 and pieces[0][0]:
        text = pieces[0][1]
    elif any(is_expression for is_expression, _ in pieces):
        return truthy(interpolate(text, scope))
    node = parse(text)
    if not uses_status_function(node):
        node = Binary("&&", Call("success", ()), node)
    return truthy(_evaluate(node, scope, text))
