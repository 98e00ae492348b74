"""The mutation operators: each reads one masked source line and yields rewrites of it that keep
the syntax (see `mutations` for the rules they follow)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus

from bot.evidence.source_lines import JAVASCRIPT, PYTHON, SourceLine, Syntax


@dataclass(frozen=True)
class Site:
    line: SourceLine
    syntax: Syntax
    precedes: str  # the code of the previous non-blank line, stripped ("" at the start)
    follows: str  # the code of the next non-blank line, stripped ("" at the end)
    in_function: bool  # Python: the line is in a function's body, so not run on import


Rewrites = Iterator[tuple[str, str]]  # (operator, the mutated line)

# Decorators and annotations, imports, declarations of types: nothing there to sabotage.
_SKIPPED = {
    "python": re.compile(r"@.*|(?:import|from|global|nonlocal)\b.*|[\w.]+\s*:[^=]*"),
    "javascript": re.compile(
        r"@.*|(?:import|export\s+(?:\*|\{|type\b|interface\b)|type|interface|declare|enum)\b.*"
        r"|.*\brequire\s*\(.*"
    ),
    "c": re.compile(r"[@#].*|(?:import|package|using|use|namespace|include|require)\b.*"),
}


def skipped(site: Site) -> bool:
    return bool(_SKIPPED[site.syntax.name].fullmatch(site.line.code.strip()))


def mutants(site: Site) -> Rewrites:
    for operator in _OPERATORS:
        yield from operator(site)


def _swap(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _near(char: str, chars: str) -> bool:
    return bool(char) and char in chars


_COMPARISONS = {"===": "!==", "!==": "===", "==": "!=", "!=": "=="}
_COMPARISONS |= {"<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_COMPARISON = re.compile(r"===|!==|==|!=|<=|>=|<|>")
# Generics (`List<String>`), JSX and HTML-ish text: their angle brackets are no comparison.
_ANGLE_BRACKETS = re.compile(r"<[A-Za-z/]|[\w\]]>|/>")
_MEMBERSHIP = re.compile(r"\b(?:is\s+not|not\s+in|is|in)\b")
_MEMBERSHIPS = {"is": "is not", "in": "not in", "is not": "is", "not in": "in"}


def _comparison(site: Site) -> Rewrites:
    code, text, python = site.line.code, site.line.text, site.syntax is PYTHON
    angles = python or not _ANGLE_BRACKETS.search(code)
    for found in _COMPARISON.finditer(code):
        operator, start, end = found.group(), found.start(), found.end()
        before, after = code[start - 1 : start] if start else "", code[end : end + 1]
        # Not part of `<<`, `>>=`, `->`, `=>`, `<-`, `<=>`.
        if _near(before, "<>=!-") or _near(after, "<>=-"):
            continue
        if operator[0] in "<>" and not (
            angles and (python or (before.isspace() and after.isspace()))
        ):
            continue
        yield "comparison", _swap(text, start, end, _COMPARISONS[operator])
    if python:
        for found in _MEMBERSHIP.finditer(code):
            new = _MEMBERSHIPS[" ".join(found.group().split())]
            yield "comparison", _swap(text, found.start(), found.end(), new)


_PYTHON_CONDITION = re.compile(r"(\s*)(if|elif|while)\b\s*(.+?)\s*:\s*")
_C_CONDITION = re.compile(r"\s*(?:\}\s*)?(?:else\s+)?(?:if|while)\s*\(")


def _negate(site: Site) -> Rewrites:
    line = site.line
    if line.continued or not (line.balanced if site.syntax is PYTHON else line.parenthesized):
        return
    if site.syntax is PYTHON:
        if found := _PYTHON_CONDITION.fullmatch(line.code):
            condition = line.text[found.start(3) : found.end(3)]
            head = found.group(1) + found.group(2)
            yield "negate", f"{head} not ({condition}){line.text[found.end(3) :]}"
    elif (found := _C_CONDITION.match(line.code)) and (close := _closing(line.code, found.end())):
        yield "negate", _swap(line.text, found.end(), close, f"!({line.text[found.end() : close]})")


def _closing(code: str, start: int) -> int | None:
    """The index of the `)` that closes a `(` just before `start`, when the line holds it."""
    depth = 1
    for index in range(start, len(code)):
        depth += {"(": 1, ")": -1}.get(code[index], 0)
        if depth == 0:
            return index if code[start:index].strip() else None
    return None


_BOOLEANS = {"True": "False", "False": "True", "and": "or", "or": "and"}
_BOOLEANS |= {"true": "false", "false": "true", "&&": "||", "||": "&&"}
_PYTHON_BOOLEAN = re.compile(r"\b(?:True|False|and|or)\b")
_C_BOOLEAN = re.compile(r"\b(?:true|false)\b|(?<![&|])(?:&&|\|\|)(?![&|=])")


def _boolean(site: Site) -> Rewrites:
    pattern = _PYTHON_BOOLEAN if site.syntax is PYTHON else _C_BOOLEAN
    for found in pattern.finditer(site.line.code):
        yield "boolean", _swap(site.line.text, found.start(), found.end(), _BOOLEANS[found.group()])


_RETURN = re.compile(r"\s*return\s+(?P<value>\S(?:.*\S)?)\s*")
_WRONG_RETURN = {"python": "None", "javascript": "undefined"}
# Code that continues the statement of the line before it, or after it, in JavaScript.
_JS_CONTINUES = tuple("=+-*/%&|^?:,(<>[.!~`")
# A line that opens an object literal rather than a block.
_JS_OBJECT = re.compile(r"(?:[=(,:\[?&|]|\b(?:return|yield|await))\s*\{$")
# A JavaScript line can end a statement on these (no operator left dangling).
_ENDS_VALUE = re.compile(r"[\w$\"'`)\]}]$")


def _return(site: Site) -> Rewrites:
    line, wrong = site.line, _WRONG_RETURN.get(site.syntax.name)
    found = _RETURN.fullmatch(line.code)
    if not (found and wrong and line.balanced) or line.continued:
        return
    start, end = found.span("value")
    if site.syntax is JAVASCRIPT and line.code[end - 1] == ";":
        end -= 1
    value = line.code[start:end].strip()
    if value == wrong or value.endswith("\\") or not _ENDS_VALUE.search(value):
        return
    if site.syntax is JAVASCRIPT and site.follows.startswith(_JS_CONTINUES):
        return
    yield "return", _swap(line.text, start, end, wrong)


_STATUS_NUMBER = re.compile(r"(?<![\w.])[1-5]\d\d(?![\w.])")
# A line has to speak of HTTP for its three-digit numbers to be statuses.
_STATUS_CONTEXT = re.compile(
    r"(?i)status|\bcode\b|respon|reply|abort|http|writehead|\berr|send|\bres\b"
)
_STATUS_NAME = re.compile(r"\bHTTPStatus\.([A-Z_]+)\b")
# Starlette's and Django REST framework's names, such as `status.HTTP_404_NOT_FOUND`.
_STATUS_CONSTANT = re.compile(r"\bstatus\.(HTTP_(\d{3})_[A-Z_]+)\b")
_STATUS_CONSTANTS = {
    HTTPStatus.OK: "HTTP_200_OK",
    HTTPStatus.INTERNAL_SERVER_ERROR: "HTTP_500_INTERNAL_SERVER_ERROR",
}
_STATUSES = frozenset(map(int, HTTPStatus))  # the statuses HTTP defines: 255 is no status


def _wrong_status(status: int) -> int | None:
    """A success becomes a server error; an error becomes a success."""
    if status not in _STATUSES:
        return None
    if 200 <= status < 300:
        return HTTPStatus.INTERNAL_SERVER_ERROR
    return HTTPStatus.OK if 400 <= status < 600 else None


def _status(site: Site) -> Rewrites:
    code, text = site.line.code, site.line.text
    if _STATUS_CONTEXT.search(text):
        for found in _STATUS_NUMBER.finditer(code):
            if wrong := _wrong_status(int(found.group())):
                yield "status", _swap(text, found.start(), found.end(), str(int(wrong)))
    if site.syntax is PYTHON:
        for found in _STATUS_NAME.finditer(code):
            status = HTTPStatus.__members__.get(found.group(1))
            if status is not None and (wrong := _wrong_status(status)):
                yield "status", _swap(text, found.start(1), found.end(1), HTTPStatus(wrong).name)
        for found in _STATUS_CONSTANT.finditer(code):
            if wrong := _wrong_status(int(found.group(2))):
                new = _STATUS_CONSTANTS[HTTPStatus(wrong)]
                yield "status", _swap(text, found.start(1), found.end(1), new)


# `+` and `-` between two operands of which one is a number: never a string concatenation, a
# unary sign, `++`, `+=` or `->`.
_ARITHMETIC = re.compile(r"(?P<left>[\w.]+|[)\]])\s*(?P<op>[+-])(?![+=>-])\s*(?P<right>[\w.]+)")
_NUMBER = re.compile(r"\d[\d_]*(?:\.\d[\d_]*)?")
_EXPONENT = re.compile(r"\d[\w.]*[eE]")
# After these words a sign is unary.
_UNARY_AFTER = re.compile(
    r"return|in|not|and|or|else|yield|case|typeof|await|lambda|is|if|elif|while|of|new|void"
    r"|delete|throw"
)


def _arithmetic(site: Site) -> Rewrites:
    code, text = site.line.code, site.line.text
    for found in _ARITHMETIC.finditer(code):
        left, right = found.group("left"), found.group("right")
        if (
            _UNARY_AFTER.fullmatch(left)
            or _EXPONENT.fullmatch(left)
            or code[found.start() - 1 : found.start()] in ("+", "-")
        ):
            continue
        if _NUMBER.fullmatch(left) or _NUMBER.fullmatch(right):
            start = found.start("op")
            yield (
                "arithmetic",
                _swap(text, start, start + 1, "-" if found.group("op") == "+" else "+"),
            )


# Lines that start with these are no call or assignment to delete.
_STATEMENT_KEYWORDS = re.compile(
    r"def|class|import|from|return|else|elif|if|while|for|with|try|except|finally|pass|break"
    r"|continue|global|nonlocal|del|yield|async|lambda|assert|match|case|function|const|let|var"
    r"|export|do|switch|default|catch|type|interface|enum|declare|private|public|protected"
    r"|readonly|static|abstract"
)
_ASSIGNMENT = re.compile(r"(?<![=!<>:])=(?![=>])")
_JS_PROPERTY = re.compile(r"[\w$]+\s*:")


def _delete(site: Site) -> Rewrites:
    line, code = site.line, site.line.code.strip()
    if line.continued or not line.balanced or code[-1:] in (":", ",", "\\", "{"):
        return
    first_word = re.split(r"[^\w$]", code, maxsplit=1)[0]
    throws = first_word in {"raise", "throw"}
    if _STATEMENT_KEYWORDS.fullmatch(first_word) or code.startswith(
        ("}", "module.exports", "exports.")
    ):
        return
    if not (throws or code.endswith((")", ");")) or _ASSIGNMENT.search(code)):
        return
    if re.search(r"\byield\b", code):  # without it a generator would become a function
        return
    indent = line.text[: len(line.text) - len(line.text.lstrip())]
    if site.syntax is PYTHON and site.in_function:
        if not _binds_a_name(code):
            yield "delete", f"{indent}pass"
    elif site.syntax is JAVASCRIPT and _deletable_in_javascript(site, code, first_word):
        yield "delete", f"{indent};"


def _binds_a_name(code: str) -> bool:
    """`name = ...` or `a, b: T = ...` in Python. Deleting it only makes a later line fail with
    a NameError, which any test that runs the code notices, asserting or not; deleting `a.b =`,
    `a[b] =` or `a += b` changes a value instead."""
    found = _ASSIGNMENT.search(code)
    target = code[: found.start()].rstrip() if found else ""
    if not target or target[-1] in "+-*/%&|^@":
        return False
    return not re.search(r"[.\[]", target.partition(":")[0])


def _deletable_in_javascript(site: Site, code: str, first_word: str) -> bool:
    """A whole statement that ends on its line, so that `;` can stand in for it."""
    case = re.match(r"(?:case\b.*|default\s*):$", site.precedes)
    return (
        bool(first_word)
        and site.line.text[:1].isspace()  # in a block: the module's own lines run on import
        and bool(_ENDS_VALUE.search(code.removesuffix(";")))
        and not _JS_PROPERTY.match(code)
        and not site.follows.startswith(_JS_CONTINUES)
        and (case is not None or not site.precedes.endswith(_JS_CONTINUES))
        and not _JS_OBJECT.search(site.precedes)
    )


_OPERATORS: tuple[Callable[[Site], Rewrites], ...] = (
    _comparison,
    _negate,
    _boolean,
    _return,
    _status,
    _arithmetic,
    _delete,
)
