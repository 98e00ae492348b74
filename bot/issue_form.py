"""Issue bodies written by the `agent-ticket` issue form: parse them exactly as GitHub renders them,
and render tickets back.

GitHub writes each field as `### {label}` + blank line + value, joins fields with a blank line, writes
`_No response_` for an empty field, and keeps the user's CRLF line ends inside values. A `###` line
inside a closed code fence is text, as GitHub shows it. A field heading is written by GitHub, never
by the user, so it ends a fence the user opened and never closed.

Rendering escapes what the parser would misread: a backslash before heading-like lines outside
fences, before fence lines that never close (and before lines that already start with a backslash
and a fence), before a value that is exactly `_No response_`; a path that would be misread is put in
backticks and a test command that looks fenced is fenced once more. So parse(render(t)) == t.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from bot.errors import Problem, Severity, TicketError
from bot.tickets import Ticket, TicketFiles, is_issue_reference

MAX_BODY = 65_536
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
_BY_LOWER = {label.lower(): label for label in FIELDS}

# Every pattern is matched against one line and runs in linear time: bodies are untrusted.
_HEADING_START = re.compile(r" {0,3}###[ \t]+")
_HEADING_LIKE = re.compile(r"(?P<indent> {0,3})(?P<slashes>\\*)(?P<rest>###.*)")
_FENCE_OPEN = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)")
_FENCE_CLOSE = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})[ \t]*")
_ESCAPED_FENCE = re.compile(r"(?P<indent> {0,3})(?P<rest>\\+(?:`{3,}|~{3,}).*)")
_ESCAPED_NO_RESPONSE = re.compile(r"\\+" + re.escape(NO_RESPONSE))
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]?\][ \t]+)?")
_EMPTY_CHECKBOX_ITEM = re.compile(r"(?:[-*+]|\d+[.)])[ \t]+\[[ xX]?\]")


@dataclass(frozen=True)
class _Section:
    label: str
    known: bool
    line: int  # 1-based line of the heading
    lines: list[str]


def _heading_label(line: str) -> str | None:
    """The text of a level-3 ATX heading (`### Goal`, `### Goal ###`), or None."""
    m = _HEADING_START.match(line)
    if not m:
        return None
    label = line[m.end() :].rstrip(" \t")
    without_closing = label.rstrip("#")
    if without_closing != label and (not without_closing or without_closing[-1] in " \t"):
        label = without_closing.rstrip(" \t")
    return label or None


def _known_label(line: str) -> str | None:
    label = _heading_label(line)
    return _BY_LOWER.get(label.strip().lower()) if label else None


def _opener(line: str) -> tuple[str, int] | None:
    m = _FENCE_OPEN.match(line)
    if not m or (m["fence"][0] == "`" and "`" in m["info"]):
        return None
    return m["fence"][0], len(m["fence"])


def _closer(line: str) -> tuple[str, int] | None:
    m = _FENCE_CLOSE.fullmatch(line)
    return (m["fence"][0], len(m["fence"])) if m else None


def _fences(lines: list[str], *, escape_unclosed: bool = False) -> list[tuple[int, int]]:
    """The fenced code blocks of `lines` as (first, last) line indexes.

    A fence ends at its closing line. One never closed ends before the next field heading, or at
    the end. With `escape_unclosed`, a fence that is never closed is not a fence: its opening line
    gets a backslash (in `lines`) and the lines after it are read as text."""
    closers = [_closer(line) for line in lines]
    # The longest closing line of each kind at or after each index: an unclosed fence shows at once.
    longest: dict[str, list[int]] = {"`": [0] * (len(lines) + 1), "~": [0] * (len(lines) + 1)}
    for k in range(len(lines) - 1, -1, -1):
        for kind, sizes in longest.items():
            closer = closers[k]
            sizes[k] = max(sizes[k + 1], closer[1] if closer and closer[0] == kind else 0)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        opened = _opener(lines[i])
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
            lines[i] = _add_backslash(lines[i])
            i += 1
        else:
            end = next((k for k in range(i + 1, len(lines)) if _known_label(lines[k])), len(lines))
            spans.append((i, end - 1))
            i = end
    return spans


def _fence_mask(lines: list[str]) -> list[bool]:
    """True for lines inside a fenced code block."""
    mask = [False] * len(lines)
    for first, last in _fences(lines):
        mask[first : last + 1] = [True] * (last + 1 - first)
    return mask


def _add_backslash(line: str) -> str:
    indent = len(line) - len(line.lstrip(" "))
    return f"{line[:indent]}\\{line[indent:]}"


def _escape(text: str) -> str:
    """Backslash every line the parser would otherwise take as a heading, a fence that swallows
    the next fields, or `_No response_`; `_unescape` takes the backslashes away again."""
    if text == NO_RESPONSE or _ESCAPED_NO_RESPONSE.fullmatch(text):
        return "\\" + text
    lines = [
        _add_backslash(line) if _ESCAPED_FENCE.match(line) else line for line in text.split("\n")
    ]
    _fences(lines, escape_unclosed=True)
    mask = _fence_mask(lines)
    return "\n".join(
        _add_backslash(line) if not fenced and _HEADING_LIKE.match(line) else line
        for line, fenced in zip(lines, mask, strict=True)
    )


def _unescape(text: str) -> str:
    if _ESCAPED_NO_RESPONSE.fullmatch(text):
        return text[1:]
    lines = text.split("\n")
    mask = _fence_mask(lines)
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


def _split(body: str) -> tuple[list[str], list[_Section]]:
    """The preamble before the first heading, and the sections in order."""
    lines = body.split("\n")
    mask = _fence_mask(lines)
    preamble: list[str] = []
    sections: list[_Section] = []
    current = preamble
    for number, (line, fenced) in enumerate(zip(lines, mask, strict=True), start=1):
        label = None if fenced else _heading_label(line)
        if label is None:
            current.append(line)
            continue
        known = _BY_LOWER.get(label.strip().lower())
        current = []
        sections.append(_Section(known or label, known is not None, number, current))
    return preamble, sections


def _raw_value(lines: list[str]) -> str | None:
    text = "\n".join(lines).strip()
    return None if not text or text == NO_RESPONSE else text


def _unfence(text: str) -> str:
    """A value GitHub wrapped in a code fence (a field with `render:`) is the text inside it."""
    lines = text.split("\n")
    if len(lines) >= 2 and _opener(lines[0]) and _fence_mask(lines) == [True] * len(lines):
        closing = lines[-1].strip()
        if closing and set(closing) <= {"`", "~"}:
            return "\n".join(lines[1:-1]).strip()
    return text


def _list_items(text: str) -> list[str]:
    items = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or _EMPTY_CHECKBOX_ITEM.fullmatch(line):
            continue
        items.append(_BULLET.sub("", line, count=1).strip())
    return items


def _unquote(item: str) -> str:
    """`path` or ``path`` is path; a stray backtick at either end is dropped."""
    ticks = len(item) - len(item.lstrip("`"))
    if ticks and len(item) > 2 * ticks and item.endswith("`" * ticks):
        return item[ticks:-ticks].strip()
    return item.strip("`").strip()


def _path_items(text: str) -> list[str]:
    return [_unquote(item) for item in _list_items(text)]


def _dependency_tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", text) if t and t not in {"-", "*", "+"}]


_UNFENCED = {"Files to create", "Files to modify", "Files to read", "Acceptance criteria"}
_UNFENCED |= {"Test command", "Depends on"}


def _decode(label: str, raw: str | None) -> str | None:
    """A field's text as the user meant it: a `render:` fence taken off, Baton's escapes undone."""
    if raw is None:
        return None
    return _unescape(_unfence(raw) if label in _UNFENCED else raw) or None


def parse_issue_body(
    body: str,
    *,
    title: str | None = None,
    key: str | None = None,
    chain: str | None = None,
    source: str = "<issue>",
) -> tuple[Ticket | None, list[Problem]]:
    """Parse an issue-form body. Returns the ticket (None when any error) and every problem found."""
    problems: list[Problem] = []

    def problem(severity: Severity, field: str, message: str, line: int | None = None) -> None:
        problems.append(Problem(severity, field, message, source, line))

    if len(body) > MAX_BODY:
        problem("error", "body", f"is {len(body):,} characters; GitHub allows {MAX_BODY:,}")
        return None, problems

    preamble, sections = _split(body.replace("\r\n", "\n").replace("\r", "\n"))
    values: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    extra: list[str] = []
    if "\n".join(preamble).strip():
        problem("warning", "body", "text before the first field was kept in Context", 1)
        extra.append("\n".join(preamble).strip())
    for section in sections:
        value = _decode(section.label, _raw_value(section.lines))
        if not section.known:
            problem(
                "warning",
                section.label,
                "is not a field of the ticket form; its text was kept in Context",
                section.line,
            )
            extra.append(f"### {section.label}" + (f"\n\n{value}" if value else ""))
        elif section.label in values:
            problem(
                "error",
                section.label,
                f"appears twice (lines {lines[section.label]} and {section.line}); keep one",
                section.line,
            )
        else:
            values[section.label] = value
            lines[section.label] = section.line

    goal = values.get("Goal")
    if goal is None:
        found = "is empty (_No response_)" if "Goal" in values else "is missing"
        problem("error", "Goal", f"{found}; say what the ticket must achieve", lines.get("Goal"))

    depends: list[str] = []
    for token in _dependency_tokens(values.get("Depends on") or ""):
        if is_issue_reference(token):
            depends.append(token)
        else:
            problem(
                "error",
                "Depends on",
                f"{token!r} is not an issue reference; write #12, owner/repo#3 or an issue URL",
                lines.get("Depends on"),
            )

    context = "\n\n".join([v for v in [values.get("Context"), *extra] if v]) or None
    if any(p.severity == "error" for p in problems) or goal is None:
        return None, problems
    try:
        ticket = Ticket(
            key=key,
            title=title,
            chain=chain,
            goal=goal,
            context=context,
            files=TicketFiles(
                create=_path_items(values.get("Files to create") or ""),
                modify=_path_items(values.get("Files to modify") or ""),
                read=_path_items(values.get("Files to read") or ""),
            ),
            acceptance=_list_items(values.get("Acceptance criteria") or ""),
            test_command=values.get("Test command"),
            depends_on=depends,
        )
    except ValidationError as exc:
        for err in exc.errors():
            field = _field_label(err["loc"])
            problem("error", field, str(err["msg"]).removeprefix("Value error, "), lines.get(field))
        return None, problems
    return ticket, problems


def _field_label(loc: tuple[int | str, ...]) -> str:
    names = {attr: label for label, attr in FIELDS.items()}
    for part in reversed(loc):
        if isinstance(part, str) and part in names:
            return names[part]
    return str(loc[0]) if loc else "body"


def ticket_from_issue_body(
    body: str, *, title: str | None = None, key: str | None = None, chain: str | None = None
) -> Ticket:
    """Like `parse_issue_body`, but raises TicketError on any error."""
    ticket, problems = parse_issue_body(body, title=title, key=key, chain=chain)
    if ticket is None:
        raise TicketError(problems)
    return ticket


def _quoted_path(path: str) -> str:
    """A path as one line of a files field: bare, or in backticks where it would be misread."""
    plain = not path.startswith(("#", "\\", "`", "~")) and _path_items(path) == [path]
    return path if plain and path != NO_RESPONSE else f"`{path}`"


def _command(command: str) -> str:
    """The test command's text; fenced once more when the parser would take its own fence off."""
    escaped = _escape(command)
    if _unfence(escaped) == escaped:
        return escaped
    longest = max((len(run) for run in re.findall(r"`+", escaped)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{escaped}\n{fence}"


def render_issue_body(ticket: Ticket) -> str:
    """The body GitHub would store had a person filled the form with this ticket."""

    def text(value: str | None) -> str:
        return _escape(value) if value else NO_RESPONSE

    def items(values: list[str]) -> str:
        return "\n".join(values) if values else NO_RESPONSE

    parts = {
        "Goal": text(ticket.goal),
        "Context": text(ticket.context),
        "Files to create": items([_quoted_path(p) for p in ticket.files.create]),
        "Files to modify": items([_quoted_path(p) for p in ticket.files.modify]),
        "Files to read": items([_quoted_path(p) for p in ticket.files.read]),
        "Acceptance criteria": items([f"- [ ] {c}" for c in ticket.acceptance]),
        "Test command": _command(ticket.test_command) if ticket.test_command else NO_RESPONSE,
        "Depends on": ", ".join(ticket.depends_on) if ticket.depends_on else NO_RESPONSE,
    }
    return "\n\n".join(f"### {label}\n\n{value}" for label, value in parts.items())
