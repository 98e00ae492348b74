"""The regular expressions of `baton-rules`, run by RE2 in time linear in the text.

A rule's regex is the repository's, but the text it runs on is the agent's: with a backtracking
engine, `(a+)+$` over forty `a` and a `b` runs for minutes. RE2 never backtracks, so a line costs
at most its length times the size of the program: the size is capped here, and constructs that
need backtracking (backreferences, lookaround, atomic groups) are refused with the fix.

Patterns are RE2 syntax, which is Python's for everything both engines run, with Python's
spellings that RE2 lacks translated (`\\Z`, `{,n}`, `\\uXXXX`, `\\UXXXXXXXX`, `\\N{NAME}`). As in
RE2, `\\d`, `\\w`, `\\s` and `\\b` are ASCII: write `\\p{L}` or `\\pN` for other scripts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Protocol

import re2

# The most steps a rule may take per byte of text. RE2 runs a DFA, one step per byte; when a
# pattern's DFA would need more states than memory allows (`.*a.{50}b` over random `a` and `b`),
# it runs an NFA instead, whose step per byte walks every position of the pattern still alive.
# Counted on the program compiled byte-wise (Latin-1), where a class is one position whatever
# its UTF-8 tree, the cap keeps the slowest rule near half a second of CPU on a 100 kB hostile
# line (benchmarks/rules.py measures it) and still admits `.{121}`, a line too long.
MAX_STEPS: Final = 250
UNICODE_CLASS_STEPS: Final = 16
# Room for RE2's DFA, which keeps hostile lines at memory speed (with RE2's default of 8 MiB, a
# counted repetition of a few hundred over 2-byte text already falls back to the NFA).
_MAX_MEM: Final = 64 << 20

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print its own copy of the error on stderr
_OPTIONS.never_capture = True  # only "is there a match" counts: no submatch pass
_OPTIONS.max_mem = _MAX_MEM
_BYTEWISE = re2.Options()
_BYTEWISE.log_errors = False
_BYTEWISE.never_capture = True
_BYTEWISE.encoding = re2.Options.Encoding.LATIN1


class UnsafePattern(ValueError):
    """A pattern RE2 cannot run, or not within the budget; the message says the fix."""


class Matcher(Protocol):
    """A `forbid` or `require` entry, ready to run: the first match's text, or None."""

    def search(self, text: str) -> str | None: ...


@dataclass(frozen=True)
class LiteralText:
    """A literal entry: Python's substring search, which is linear in the text too."""

    text: str

    def search(self, text: str) -> str | None:
        return self.text if self.text in text else None


@dataclass(frozen=True)
class LinearRegex:
    """A compiled rule regex."""

    pattern: str
    _compiled: re2._Regexp

    def search(self, text: str) -> str | None:
        found = self._compiled.search(_valid(text))
        return None if found is None else str(found.group())


def compile_linear(pattern: str) -> LinearRegex:
    """The pattern compiled for RE2, or UnsafePattern naming the problem and its fix."""
    translated = _translate(pattern)
    try:
        compiled = re2.compile(translated, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise UnsafePattern(f"`{pattern}` is not a valid regular expression: {detail}") from exc
    steps = _steps(translated, compiled)
    if steps > MAX_STEPS:
        raise UnsafePattern(
            f"`{pattern}` takes {steps} steps per character, more than the {MAX_STEPS} a rule "
            "may take to stay fast on any line; use smaller counted repetitions (`{n}`) or "
            "split it into several entries"
        )
    return LinearRegex(pattern, compiled)


def _steps(translated: str, compiled: re2._Regexp) -> int:
    # A Unicode class has no byte-wise form; in UTF-8 each of its positions tries the many
    # first bytes of its characters: it counts as UNICODE_CLASS_STEPS positions.
    bytewise = _UNICODE_CLASS.sub(f"(?:a{{{UNICODE_CLASS_STEPS}}})", translated)
    try:
        return int(re2.compile(bytewise.encode(), _BYTEWISE).programsize)
    except re2.error:  # `\x{100}` and above have no byte-wise form: count the UTF-8 program
        return int(compiled.programsize)


def _valid(text: str) -> str:
    # RE2 reads UTF-8: a lone surrogate (from a lenient decode) would not encode.
    return text.encode("utf-8", "replace").decode("utf-8")


# --- Python's spellings and the constructs that need backtracking --------------------------------

_AROUND = "match the text around it instead, or move the condition to `exclude`"
_NO_BACKTRACKING = "RE2 never backtracks, so it needs none"
_BACKREFERENCE = "spell out the repeated text, or list the alternatives"
# Group openings RE2 has no support for: what each is, and the fix.
_REFUSED: Final = {
    "(?=": ("lookahead `(?=`", _AROUND),
    "(?!": ("negative lookahead `(?!`", _AROUND),
    "(?<=": ("lookbehind `(?<=`", _AROUND),
    "(?<!": ("negative lookbehind `(?<!`", _AROUND),
    "(?P=": ("a named backreference `(?P=`", _BACKREFERENCE),
    "(?(": ("a conditional group `(?(`", "write the alternatives with `|`"),
    "(?>": ("an atomic group `(?>`", f"write it as a plain group: {_NO_BACKTRACKING}"),
    "(?#": ("a comment group `(?#`", "remove the comment"),
}
_FLAGS = "use only the flags `i`, `m`, `s` and `U`; `\\d \\w \\s \\b` are ASCII here"
_FLAGS_GROUP = re.compile(r"\(\?([a-zA-Z-]+)[:)]")
_COUNT = re.compile(r"\{(\d+|(?=,))(,\d*)?\}")  # a repetition, as Python reads `{`
_HEX = {"u": 4, "U": 8}
# A Unicode class (`\\pL`, or a bracket class holding one), to count by its weight.
_UNICODE_CLASS = re.compile(
    r"\[\^?\]?(?:[^]\\]|\\.)*?\\[pP](?:[^]\\]|\\.)*\]|\\[pP](?:\{[^}]*\}|[A-Za-z])"
)
_OCTAL = re.compile(r"[0-3][0-7]{2}")


def _refuse(pattern: str, what: str, fix: str) -> UnsafePattern:
    return UnsafePattern(
        f"`{pattern}` uses {what}, which rules cannot use: they run in linear time (RE2); {fix}"
    )


def _translate(pattern: str) -> str:
    """The pattern in RE2's spelling; UnsafePattern for what RE2 cannot run."""
    out: list[str] = []
    i, class_start, quantified = 0, -1, False  # class_start: where the open class's items begin
    multiline = [False]  # the `m` flag in each open group
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            text, i = _escape(pattern, i, class_start >= 0)
            out.append(text)
            quantified = False
            continue
        if class_start >= 0:
            if ch == "]" and i > class_start:  # a `]` first in the class is itself an item
                class_start = -1
        elif ch == "[":
            class_start = i + 2 if pattern.startswith("^", i + 1) else i + 1
        elif ch == "(":
            multiline.append(_group_multiline(pattern, i, multiline))
        elif ch == ")" and len(multiline) > 1:
            multiline.pop()
        elif ch == "$" and not multiline[-1]:
            ch = "(?:\\n?\\z)"  # Python's `$` also holds before a final newline; RE2's does not
        elif ch == "{" and (count := _COUNT.match(pattern, i)):
            # Python's `{,n}` and `{,}` count from 0; RE2 would read them as text.
            out.append(f"{{{count[1] or 0}{count[2] or ''}}}")
            i, quantified = count.end(), True
            continue
        elif ch == "+" and quantified:
            raise _refuse(pattern, "a possessive quantifier", f"drop the `+`: {_NO_BACKTRACKING}")
        out.append(ch)
        quantified = class_start < 0 and ch in "*+?" and not (ch == "?" and quantified)
        i += 1
    return "".join(out)


def _group_multiline(pattern: str, i: int, multiline: list[bool]) -> bool:
    """Whether `m` holds inside the group opened at `i`; a bare `(?m)` sets it for the rest of
    the enclosing group. UnsafePattern for a group RE2 has no support for."""
    for opening, (what, fix) in _REFUSED.items():
        if pattern.startswith(opening, i):
            raise _refuse(pattern, what, fix)
    flags = _FLAGS_GROUP.match(pattern, i)
    if flags is None:
        return multiline[-1]
    on, _, off = flags[1].partition("-")
    if set(on + off) - set("imsU"):
        raise _refuse(pattern, f"the flags `{flags[0]}`", _FLAGS)
    inside = "m" in on or (multiline[-1] and "m" not in off)
    if flags[0].endswith(")"):
        multiline[-1] = inside
        return inside  # popped by the group's own `)`
    return inside


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """The escape at `i` in RE2's spelling, and the index after it."""
    if i + 1 >= len(pattern):
        return "\\", i + 1  # RE2 reports the trailing backslash
    ch = pattern[i + 1]
    if ch in _HEX:
        digits = pattern[i + 2 : i + 2 + _HEX[ch]]
        if len(digits) == _HEX[ch] and all(c in "0123456789abcdefABCDEF" for c in digits):
            return f"\\x{{{digits}}}", i + 2 + len(digits)
    elif ch == "N" and pattern.startswith("{", i + 2) and "}" in pattern[i + 3 :]:
        end = pattern.index("}", i + 3)
        try:
            return f"\\x{{{ord(unicodedata.lookup(pattern[i + 3 : end])):x}}}", end + 1
        except KeyError:
            raise UnsafePattern(
                f"`{pattern}` names no Unicode character `{pattern[i + 3 : end]}`; write the "
                "character itself, or `\\x{...}` with its code point"
            ) from None
    elif ch in "xpP" and pattern.startswith("{", i + 2) and "}" in pattern[i + 3 :]:
        end = pattern.index("}", i + 3) + 1  # RE2's `\x{2014}`, `\p{Greek}`: no repetition
        return pattern[i:end], end
    elif ch == "Z" and not in_class:
        return "\\z", i + 2  # Python's end of text is RE2's `\z`
    elif ch in "123456789" and not in_class and not _OCTAL.match(pattern, i + 1):
        raise _refuse(pattern, f"a backreference `\\{ch}`", _BACKREFERENCE)
    return pattern[i : i + 2], i + 2
