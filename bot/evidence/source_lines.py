"""The code of a source file line by line: string literals and comments masked, so that a
mutation never lands inside one, and the lines a construct spans (docstrings, block comments,
template literals) marked as not to be touched."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

# Stands for a character inside a string literal: neither a word nor an operator matches it.
MASK = "\x01"
_LINE = re.compile(r"(\r\n|\r|\n)")
_CHAR_LITERAL = re.compile(r"'(?:\\.[^'\n]*?|[^\\'\n])'")
_REGEX_LITERAL = re.compile(r"/(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n\[])+/[a-z]*")
# After these a `/` starts a regular expression literal rather than a division.
_BEFORE_REGEX = re.compile(
    r"(?:^|[(,=:\[!&|?{};+\-*%<>~^]|\b(?:return|typeof|case|in|of|new|void|throw|yield|await))\s*$"
)


@dataclass(frozen=True)
class Syntax:
    name: str  # "python", "javascript" or "c" (every other language, best effort)
    line_comments: tuple[str, ...]
    block_comments: bool  # /* ... */
    quotes: str  # strings that end on their line
    triple_quotes: str  # quote characters that, tripled, open a string that may span lines
    backticks: str  # "template" (JavaScript, with ${...}), "raw" (Go) or ""
    char_literals: bool  # ' opens 'x' when it can, else is code (Rust lifetimes)
    regex_literals: bool


PYTHON = Syntax("python", ("#",), False, "'\"", "'\"", "", False, False)
JAVASCRIPT = Syntax("javascript", ("//",), True, "'\"", "", "template", False, True)
_C = Syntax("c", ("//",), True, '"', '"', "raw", True, False)
_PHP = Syntax("c", ("//", "#"), True, "'\"", "", "", False, False)
_RUBY = Syntax("c", ("#",), False, "'\"", "", "", False, False)
_BY_SUFFIX = {
    ".py": PYTHON,
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx"), JAVASCRIPT),
    **dict.fromkeys(
        (".go", ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".cs", ".rs", ".swift", ".scala"), _C
    ),
    ".php": _PHP,
    ".rb": _RUBY,
}


def syntax_for(path: str) -> Syntax | None:
    """The syntax of a file by its extension; None for a language Baton does not mutate."""
    return _BY_SUFFIX.get(PurePosixPath(path).suffix.lower())


@dataclass(frozen=True)
class SourceLine:
    number: int  # 1-based
    text: str  # the line without its line ending
    code: str  # `text` with comments blanked and string contents masked, same length
    whole: bool  # False when the line starts or ends inside a string or comment, or breaks one
    continued: bool  # the line continues a statement (open brackets, a trailing backslash)
    balanced: bool  # the line closes as many brackets of each kind as it opens
    parenthesized: bool  # the same for parentheses and square brackets


def split_lines(text: str) -> list[tuple[str, str]]:
    """Each line of `text` and its line ending ("" for a last line without one)."""
    parts = _LINE.split(text)
    pairs = list(zip(parts[::2], [*parts[1::2], ""], strict=True))
    return pairs[:-1] if pairs[-1] == ("", "") else pairs


def scan(text: str, syntax: Syntax) -> list[SourceLine]:
    """Every line of `text`, masked as `syntax` reads it."""
    scanner = _Scanner(syntax)
    return [scanner.line(number, line) for number, (line, _) in enumerate(split_lines(text), 1)]


class _Scanner:
    """Carries what is open at the end of a line (a long string, a block comment, template
    literals, brackets) to the next."""

    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax
        self.closing = ""  # the end of the construct open across lines, e.g. '"""' or "*/"
        # Per open template literal: the braces open in its current ${...}, or -1 in its text.
        self.templates: list[int] = []
        self.depth = 0
        self.backslash = False

    def line(self, number: int, text: str) -> SourceLine:
        inside_before = bool(self.closing or self.templates)
        continued = self.depth > 0 or self.backslash
        code: list[str] = []
        counts = {"(": 0, "[": 0, "{": 0}
        broken, i = False, 0
        while i < len(text):
            if self.closing or (self.templates and self.templates[-1] < 0):
                i = self._inside(text, i, code)
                continue
            i, ok = self._code(text, i, code, counts)
            broken = broken or not ok
        inside_after = bool(self.closing or self.templates)
        masked = "".join(code)
        self.backslash = masked.rstrip().endswith("\\")
        return SourceLine(
            number=number,
            text=text,
            code=masked,
            whole=not (inside_before or inside_after or broken),
            continued=continued,
            balanced=all(value == 0 for value in counts.values()),
            parenthesized=counts["("] == counts["["] == 0,
        )

    def _inside(self, text: str, i: int, code: list[str]) -> int:
        """Mask one step of an open long string, block comment or template literal."""
        if not self.closing:
            return self._template(text, i, code)
        # Neither comments nor Go's raw strings have escapes.
        end = _find_end(text, i, self.closing, escapes=self.closing not in ("*/", "`"))
        stop = len(text) if end is None else end
        filler = " " if self.closing == "*/" else MASK
        code.append(filler * (stop - i - (0 if end is None else len(self.closing))))
        if end is not None:
            code.append(self.closing if filler == MASK else " " * len(self.closing))
            self.closing = ""
        return stop

    def _template(self, text: str, i: int, code: list[str]) -> int:
        """Mask one step of a template literal's text; its ${...} is code again."""
        step = 2 if text.startswith(("\\", "${"), i) else 1
        if text[i] == "`":
            self.templates.pop()
            code.append("`")
            return i + 1
        if text.startswith("${", i):
            self.templates[-1] = 0
        code.append(MASK * len(text[i : i + step]))
        return i + step

    def _code(self, text: str, i: int, code: list[str], counts: dict[str, int]) -> tuple[int, bool]:
        """Read one token of code at `i`; False when a string does not end on its line."""
        syntax, rest, char = self.syntax, text[i:], text[i]
        if any(rest.startswith(mark) for mark in syntax.line_comments):
            code.append(" " * len(rest))
            return len(text), True
        if syntax.block_comments and rest.startswith("/*"):
            self.closing = "*/"
            code.append("  ")
            return i + 2, True
        triple = next((q * 3 for q in syntax.triple_quotes if rest.startswith(q * 3)), "")
        if triple:
            self.closing = triple
            code.append(triple)
            return i + 3, True
        if self.templates and char in "{}":  # inside the ${...} of a template literal
            if char == "}" and self.templates[-1] == 0:
                self.templates[-1] = -1
                code.append(MASK)
                return i + 1, True
            self.templates[-1] += 1 if char == "{" else -1
        if char == "`" and syntax.backticks:
            if syntax.backticks == "template":
                self.templates.append(-1)
            else:
                self.closing = "`"
            code.append("`")
            return i + 1, True
        literal = None
        if char in syntax.quotes:
            end = _find_end(text, i + 1, char, escapes=True)
            if end is None:
                code.append(MASK * len(rest))
                return len(text), False
            literal = text[i:end]
        elif char == "'" and syntax.char_literals:
            found = _CHAR_LITERAL.match(text, i)
            literal = found.group() if found else None
        elif char == "/" and syntax.regex_literals and _BEFORE_REGEX.search("".join(code)):
            found = _REGEX_LITERAL.match(text, i)
            literal = found.group() if found else None
        if literal is not None:
            code.append(literal[0] + MASK * (len(literal) - 2) + literal[-1])
            return i + len(literal), True
        if char in "([{)]}":
            step = 1 if char in "([{" else -1
            opening = char if step == 1 else "([{"[")]}".index(char)]
            counts[opening] += step
            # In C-like languages braces are blocks: a line inside one is no continuation.
            if opening != "{" or syntax is PYTHON:
                self.depth = max(0, self.depth + step)
        code.append(char)
        return i + 1, True


def _find_end(text: str, start: int, closing: str, *, escapes: bool) -> int | None:
    """The index just after `closing` at or after `start`, skipping backslash escapes."""
    i = start
    while i < len(text):
        if escapes and text[i] == "\\":
            i += 2
        elif text.startswith(closing, i):
            return i + len(closing)
        else:
            i += 1
    return None
