"""Issue bodies written by the `agent-ticket` issue form: parse them exactly as GitHub renders them,
and render tickets back.

GitHub writes each field as `### {label}` + blank line + value, joins fields with a blank line, writes
`_No response_` for an empty field, and keeps the user's CRLF line ends inside values. A field heading
is written by GitHub, never by the user, so it always starts a section, even where a user's unclosed
code fence would swallow it. Inside a value, heading-like lines are escaped with a backslash when
Baton renders, so parse(render(t)) == t.
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
_LIST_FIELDS = {"Files to create", "Files to modify", "Files to read", "Acceptance criteria"}

_HEADING = re.compile(r"^ {0,3}###[ \t]+(?P<label>.+?)[ \t]*#*[ \t]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_HEADING_LIKE = re.compile(r"^(?P<indent> {0,3})(?P<slashes>\\*)(?P<rest>###.*)$")
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]?\][ \t]+)?")
_EMPTY_CHECKBOX_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+\[[ xX]?\]$")


@dataclass(frozen=True)
class _Section:
    label: str
    known: bool
    line: int  # 1-based line of the heading
    lines: list[str]


def _known_label(line: str) -> str | None:
    m = _HEADING.match(line)
    return _BY_LOWER.get(m.group("label").strip().lower()) if m else None


def _fence_mask(lines: list[str]) -> list[bool]:
    """True for lines inside a fenced code block (an unclosed fence runs to the end)."""
    mask = [False] * len(lines)
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            i += 1
            continue
        fence = m.group("fence")
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = next((k for k in range(i + 1, len(lines)) if close.match(lines[k])), len(lines) - 1)
        for k in range(i, j + 1):
            mask[k] = True
        i = j + 1
    return mask


def _is_escapable(line: str, in_fence: bool) -> re.Match[str] | None:
    m = _HEADING_LIKE.match(line)
    if not m:
        return None
    if in_fence and _known_label(m.group("indent") + m.group("rest")) is None:
        return None
    return m


def _escape(text: str) -> str:
    """Backslash every line the parser would otherwise take as a heading or as `_No response_`."""
    if re.fullmatch(r"\\*" + re.escape(NO_RESPONSE), text):
        return "\\" + text
    lines = text.split("\n")
    mask = _fence_mask(lines)
    out = []
    for line, fenced in zip(lines, mask, strict=True):
        m = _is_escapable(line, fenced)
        out.append(f"{m['indent']}\\{m['slashes']}{m['rest']}" if m else line)
    return "\n".join(out)


def _unescape(lines: list[str]) -> list[str]:
    mask = _fence_mask(lines)
    out = []
    for line, fenced in zip(lines, mask, strict=True):
        m = _is_escapable(line, fenced)
        out.append(f"{m['indent']}{m['slashes'][1:]}{m['rest']}" if m and m["slashes"] else line)
    return out


def _split(body: str) -> tuple[list[str], list[_Section]]:
    """The preamble before the first heading, and the sections in order."""
    lines = body.split("\n")
    # Field headings come first: GitHub wrote them, so no user fence can hide one.
    chunks: list[tuple[str | None, int, list[str]]] = [(None, 0, [])]
    for number, line in enumerate(lines, start=1):
        label = _known_label(line)
        if label is not None:
            chunks.append((label, number, []))
        else:
            chunks[-1][2].append(line)
    preamble: list[str] = []
    sections: list[_Section] = []
    for label, number, chunk in chunks:
        mask = _fence_mask(chunk)
        current: list[str] = []
        target = _Section(label, True, number, current) if label else None
        if target is None:
            current = preamble
        else:
            sections.append(target)
        for offset, (line, fenced) in enumerate(zip(chunk, mask, strict=True)):
            m = None if fenced else _HEADING.match(line)
            if m:
                current = []
                sections.append(_Section(m.group("label"), False, number + offset + 1, current))
            else:
                current.append(line)
    return preamble, sections


def _value(lines: list[str]) -> str | None:
    text = "\n".join(_unescape(lines)).strip()
    if text == NO_RESPONSE or not text:
        return None
    if re.fullmatch(r"\\+" + re.escape(NO_RESPONSE), text):
        return text[1:]
    return text


def _unfence(text: str) -> str:
    """A value GitHub wrapped in a code fence (a field with `render:`) is the text inside it."""
    lines = text.split("\n")
    if (
        len(lines) >= 2
        and _FENCE_OPEN.match(lines[0])
        and _fence_mask(lines) == [True] * len(lines)
    ):
        closing = lines[-1].strip()
        if closing and set(closing) <= {"`", "~"}:
            return "\n".join(lines[1:-1]).strip()
    return text


def _list_items(text: str) -> list[str]:
    items = []
    for raw in _unfence(text).split("\n"):
        line = raw.strip()
        if not line or _EMPTY_CHECKBOX_ITEM.fullmatch(line):
            continue
        items.append(_BULLET.sub("", line, count=1).strip())
    return items


def _path_items(text: str) -> list[str]:
    return [item.strip("`").strip() for item in _list_items(text)]


def _dependency_tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", _unfence(text)) if t and t not in {"-", "*", "+"}]


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
        value = _value(section.lines)
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
            test_command=_unfence(command) if (command := values.get("Test command")) else None,
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


def render_issue_body(ticket: Ticket) -> str:
    """The body GitHub would store had a person filled the form with this ticket."""

    def text(value: str | None) -> str:
        return _escape(value) if value else NO_RESPONSE

    def items(values: list[str], prefix: str = "") -> str:
        return "\n".join(f"{prefix}{v}" for v in values) if values else NO_RESPONSE

    parts = {
        "Goal": text(ticket.goal),
        "Context": text(ticket.context),
        "Files to create": items(ticket.files.create),
        "Files to modify": items(ticket.files.modify),
        "Files to read": items(ticket.files.read),
        "Acceptance criteria": items(ticket.acceptance, "- [ ] "),
        "Test command": text(ticket.test_command),
        "Depends on": ", ".join(ticket.depends_on) if ticket.depends_on else NO_RESPONSE,
    }
    return "\n\n".join(f"### {label}\n\n{value}" for label, value in parts.items())
