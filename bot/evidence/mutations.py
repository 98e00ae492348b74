"""Sabotage for the evidence phase: small, deterministic mutations of source lines that the tests
a ticket adds must notice.

Line-based and language-agnostic: a regular expression on one line whose strings and comments are
masked (`source_lines`); lines inside docstrings, block comments and template literals, imports,
decorators and annotations are left alone. Every mutant must still parse, or any test that
imports the module would "kill" it: Python mutants are checked with `ast`; elsewhere only
rewrites that keep the syntax are made. The operators (`operators`):

- comparison: `==`/`!=`, `===`/`!==`, `<`/`>=`, `>`/`<=` (in Python also `is`/`is not`,
  `in`/`not in`); never an angle bracket of generics, arrows, shifts or markup.
- negate: the condition of an `if`, `elif` or `while` that fits on its line.
- boolean: `True`/`False` and `and`/`or`; `true`/`false` and `&&`/`||`.
- return: `return EXPR` returns `None` (Python) or `undefined` (JavaScript).
- status: an HTTP status (a number on a line that speaks of HTTP, `HTTPStatus.NAME`,
  `status.HTTP_404_NOT_FOUND`): a success becomes 500, an error 200.
- arithmetic: `+`/`-` only where one operand is a number, so never a string concatenation.
- delete: a call, `raise`/`throw` or assignment on one line becomes `pass` (Python, in a
  function; not `name = ...`, whose absence only raises a NameError later, which a test that
  asserts nothing notices too) or `;` (JavaScript, in a block; no declaration).

Languages other than Python and JavaScript get no return and no delete: a compiler would reject
the mutant for a wrong type or an unused name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

from bot.evidence.operators import Site, mutants, skipped
from bot.evidence.source_lines import (
    MASK,
    PYTHON,
    SourceLine,
    Syntax,
    scan,
    split_lines,
    syntax_for,
)


@dataclass(frozen=True)
class Mutation:
    line: int  # 1-based
    operator: str  # "comparison", "negate", "boolean", "return", "status", "arithmetic", "delete"
    before: str  # the whole original line, without its line ending
    after: str  # the whole mutated line


def mutations(path: str, text: str, lines: Collection[int] | None = None) -> list[Mutation]:
    """Every mutation of the given lines (all lines when None) of file `path` with content
    `text`, in line order."""
    found = candidates(path, text, lines)
    return [m for m in found if _still_parses(path, text, m)]


def choose(path: str, text: str, found: Sequence[Mutation], limit: int) -> list[Mutation]:
    """At most `limit` of the `candidates` found, spread as `pick` spreads them, each one that
    still parses: only those taken are parsed, as a Python file of thousands of lines has as
    many candidates, each a parse of the whole file."""
    chosen: list[Mutation] = []
    pool = list(found)
    while pool and len(chosen) < limit:
        taken = pick(pool, limit - len(chosen))
        good = [m for m in taken if _still_parses(path, text, m)]
        chosen += good
        if len(good) == len(taken):
            break
        dropped = set(map(id, taken))
        pool = [m for m in pool if id(m) not in dropped]
    return sorted(chosen, key=lambda m: m.line)


def candidates(path: str, text: str, lines: Collection[int] | None = None) -> list[Mutation]:
    """The mutations of the given lines, in line order, before a Python mutant is parsed."""
    syntax = syntax_for(path)
    if syntax is None or (syntax is PYTHON and not _parses(text)):
        return []
    found: list[Mutation] = []
    for site in _sites(scan(text, syntax), syntax):
        line = site.line
        if (lines is not None and line.number not in lines) or not line.whole or skipped(site):
            continue
        seen = {line.text}
        for operator, after in mutants(site):
            if after not in seen:
                seen.add(after)
                found.append(Mutation(line.number, operator, line.text, after))
    return found


def _still_parses(path: str, text: str, mutation: Mutation) -> bool:
    return syntax_for(path) is not PYTHON or _parses(apply(text, mutation))


def pick(found: Sequence[Mutation], limit: int) -> list[Mutation]:
    """At most `limit`, deterministic, spread evenly over the lines (not the first ten of line
    1), and varied in operator where a line has several."""
    if len(found) <= limit:
        return list(found)
    by_line: dict[int, list[int]] = {}
    for index, mutation in enumerate(found):
        by_line.setdefault(mutation.line, []).append(index)
    # Round r holds each line's r-th mutation: every line gets one before any line gets two.
    rounds: list[list[int]] = []
    for line in sorted(by_line):
        for depth, index in enumerate(_varied([found[i] for i in by_line[line]], by_line[line])):
            if depth == len(rounds):
                rounds.append([])
            rounds[depth].append(index)
    chosen: list[int] = []
    for indices in rounds:
        room = max(0, limit - len(chosen))
        if len(indices) <= room:
            chosen += indices
        else:  # evenly spaced: the middle one of each of `room` equal slices
            chosen += [indices[(2 * j + 1) * len(indices) // (2 * room)] for j in range(room)]
    return [found[index] for index in sorted(chosen)]


def apply(text: str, mutation: Mutation) -> str:
    """`text` with the mutation's line replaced; keeps the file's line endings; raises ValueError
    if the line is no longer `before`."""
    lines = split_lines(text)
    index = mutation.line - 1
    if not 0 <= index < len(lines) or lines[index][0] != mutation.before:
        raise ValueError(
            f"line {mutation.line} is no longer {mutation.before.strip()!r}: "
            "find the mutations of the file again"
        )
    lines[index] = (mutation.after, lines[index][1])
    return "".join(content + ending for content, ending in lines)


def _varied(group: list[Mutation], indices: list[int]) -> list[int]:
    """The indices of one line's mutations, taking each operator in turn."""
    by_operator: dict[str, list[int]] = {}
    for mutation, index in zip(group, indices, strict=True):
        by_operator.setdefault(mutation.operator, []).append(index)
    queues = list(by_operator.values())
    return [q[depth] for depth in range(max(map(len, queues))) for q in queues if depth < len(q)]


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _sites(scanned: list[SourceLine], syntax: Syntax) -> Iterator[Site]:
    code = [line.code.strip() for line in scanned]
    before = list(accumulate(code, lambda last, now: now or last, initial=""))
    after = list(accumulate(reversed(code), lambda last, now: now or last, initial=""))[::-1]
    defs: list[tuple[int, bool]] = []  # the enclosing def and class lines: indentation, a def?
    for index, line in enumerate(scanned):
        first = code[index][:1]
        if syntax is PYTHON and first and first != MASK and not line.continued:
            indent = len(line.text) - len(line.text.lstrip())
            while defs and defs[-1][0] >= indent:
                defs.pop()
            if keyword := re.match(r"(?:async\s+)?(def|class)\b", code[index]):
                defs.append((indent, keyword.group(1) == "def"))
        yield Site(
            line=line,
            syntax=syntax,
            precedes=before[index],
            follows=after[index + 1],
            in_function=bool(defs) and defs[-1][1],
        )
