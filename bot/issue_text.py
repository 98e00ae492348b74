"""The Markdown of an issue-form body, line by line: field headings, code fences, and the escapes
that keep a value from being read as structure.

GitHub writes each field as `### {label}` + blank line + value. A `###` line inside a closed code
fence is text, as GitHub shows it. A field heading is written by GitHub, never by the user, so it
ends a fence the user opened and never closed.

Escaping puts a backslash before heading-like lines outside fences, before fence lines that never
close (and before lines that already start with a backslash and a fence), before a value that is
exactly `_No response_`; `unescape` takes them away again.
"""

from __future__ import annotations

import re

NO_RESPONSE = "_No response_"

# Field labels, in form order, and the ticket attribute each one fills.
FIELDS: dict[str, str] = {
    "Goal": "goal",
    "Context": "context",
    "Files to create": "create",
    "Files to modify": "modify",
    "Files to read": "read",
    "Acceptance criteria": "acceptance",
    "Test command": "test_command",
    "Depends on": "depends_on",
}
BY_LOWER = {label.lower(): label for label in FIELDS}

# Every pattern is matched against one line and runs in linear time: bodies are untrusted.
_HEADING_START = re.compile(r" {0,3}###[ \t]+")
_HEADING_LIKE = re.compile(r"(?P<indent> {0,3})(?P<slashes>\\*)(?P<rest>###.*)")
_FENCE_OPEN = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)")
_FENCE_CLOSE = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})[ \t]*")
_ESCAPED_FENCE = re.compile(r"(?P<indent> {0,3})(?P<rest>\\+(?:`{3,}|~{3,}).*)")
_ESCAPED_NO_RESPONSE = re.compile(r"\\+" + re.escape(NO_RESPONSE))


def heading_label(line: str) -> str | None:
    """The text of a level-3 ATX heading (`### Goal`, `### Goal ###`), or None."""
    m = _HEADING_START.match(line)
    if not m:
        return None
    label = line[m.end() :].rstrip(" \t")
    without_closing = label.rstrip("#")
    if without_closing != label and (not without_closing or without_closing[-1] in " \t"):
        label = without_closing.rstrip(" \t")
    return label or None


def known_label(line: str) -> str | None:
    label = heading_label(line)
    return field_of(label) if label else None


def field_of(label: str) -> str | None:
    """The field a heading's text names, whatever its case and spaces (a no-break space too)."""
    return BY_LOWER.get(" ".join(label.split()).lower())


def opening_fence(line: str) -> tuple[str, int] | None:
    m = _FENCE_OPEN.match(line)
    if not m or (m["fence"][0] == "`" and "`" in m["info"]):
        return None
    return m["fence"][0], len(m["fence"])


def closing_fence(line: str) -> tuple[str, int] | None:
    m = _FENCE_CLOSE.fullmatch(line)
    return (m["fence"][0], len(m["fence"])) if m else None


def fences(lines: list[str], *, escape_unclosed: bool = False) -> list[tuple[int, int]]:
    """The fenced code blocks of `lines` as (first, last) line indexes.

    A fence ends at its closing line. One never closed ends before the next field heading, or at
    the end. With `escape_unclosed`, a fence that is never closed is not a fence: its opening line
    gets a backslash (in `lines`) and the lines after it are read as text."""
    closers = [closing_fence(line) for line in lines]
    # The longest closing line of each kind at or after each index: an unclosed fence shows at once.
    longest: dict[str, list[int]] = {"`": [0] * (len(lines) + 1), "~": [0] * (len(lines) + 1)}
    for k in range(len(lines) - 1, -1, -1):
        for kind, sizes in longest.items():
            closer = closers[k]
            sizes[k] = max(sizes[k + 1], closer[1] if closer and closer[0] == kind else 0)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        opened = opening_fence(lines[i])
        if opened is None:
            i += 1
            continue
        kind, size = opened
        if longest[kind][i + 1] >= size:
            end = next(
                k
                for k in range(i + 1, len(lines))
                if (c := closers[k]) is not None and c[0] == kind and c[1] >= size
            )
            spans.append((i, end))
            i = end + 1
        elif escape_unclosed:
            lines[i] = add_backslash(lines[i])
            i += 1
        else:
            end = next((k for k in range(i + 1, len(lines)) if known_label(lines[k])), len(lines))
            spans.append((i, end - 1))
            i = end
    return spans


def fence_mask(lines: list[str]) -> list[bool]:
    """True for lines inside a fenced code block."""
    mask = [False] * len(lines)
    for first, last in fences(lines):
        mask[first : last + 1] = [True] * (last + 1 - first)
    return mask


def add_backslash(line: str) -> str:
    indent = len(line) - len(line.lstrip(" "))
    return f"{line[:indent]}\\{line[indent:]}"


def escape(text: str) -> str:
    """Backslash every line the parser would otherwise take as a heading, a fence that swallows
    the next fields, or `_No response_`; `unescape` takes the backslashes away again."""
    if text == NO_RESPONSE or _ESCAPED_NO_RESPONSE.fullmatch(text):
        return "\\" + text
    lines = [
        add_backslash(line) if _ESCAPED_FENCE.match(line) else line for line in text.split("\n")
    ]
    fences(lines, escape_unclosed=True)
    mask = fence_mask(lines)
    return "\n".join(
        add_backslash(line) if not fenced and _HEADING_LIKE.match(line) else line
        for line, fenced in zip(lines, mask, strict=True)
    )


def unescape(text: str) -> str:
    if _ESCAPED_NO_RESPONSE.fullmatch(text):
        return text[1:]
    lines = text.split("\n")
    mask = fence_mask(lines)
    out = []
    for line, fenced in zip(lines, mask, strict=True):
        heading = None if fenced else _HEADING_LIKE.match(line)
        if heading and heading["slashes"]:
            out.append(heading["indent"] + heading["slashes"][1:] + heading["rest"])
        elif fence := _ESCAPED_FENCE.match(line):
            out.append(fence["indent"] + fence["rest"][1:])
        else:
            out.append(line)
    return "\n".join(out)


def unfence(text: str) -> str:
    """A value GitHub wrapped in a code fence (a field with `render:`) is the text inside it."""
    lines = text.split("\n")
    if len(lines) >= 2 and opening_fence(lines[0]) and fence_mask(lines) == [True] * len(lines):
        closing = lines[-1].strip()
        if closing and set(closing) <= {"`", "~"}:
            return "\n".join(lines[1:-1]).strip()
    return text
