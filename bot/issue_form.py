"""Issue bodies written by the `agent-ticket` issue form: parse them exactly as GitHub renders them,
and render tickets back.

GitHub writes each field as `### {label}` + blank line + value, joins fields with a blank line, writes
`_No response_` for an empty field, and keeps the user's CRLF line ends inside values (the lines'
Markdown is read in `bot.issue_text`). A heading that only looks like a field's (a Greek omicron,
a full-width letter) is an error naming the field, as is a control character in any field.

Rendering escapes what the parser would misread (`bot.issue_text.escape`); a path that would be
misread is put in backticks and a test command that looks fenced is fenced once more. So
parse(render(t)) == t.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from bot.errors import Problem, Severity, TicketError, cap_warnings
from bot.issue_text import (
    FIELDS,
    NO_RESPONSE,
    escape,
    fence_mask,
    field_of,
    heading_label,
    unescape,
    unfence,
)
from bot.lookalikes import disguise, fold, forbidden_char
from bot.protected import protected_files, protected_message
from bot.tickets import Ticket, TicketFiles, is_issue_reference

MAX_BODY = 65_536

_BY_FOLDED = {fold(label): label for label in FIELDS}
_LIST_NAMES = {"create": "Files to create", "modify": "Files to modify", "read": "Files to read"}

_Report = Callable[[Severity, str, str, int | None], None]

_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]?\][ \t]+)?")
_EMPTY_CHECKBOX_ITEM = re.compile(r"(?:[-*+]|\d+[.)])[ \t]+\[[ xX]?\]")


@dataclass(frozen=True)
class _Section:
    label: str
    known: bool
    line: int  # 1-based line of the heading
    lines: list[str]


def _split(body: str) -> tuple[list[str], list[_Section]]:
    """The preamble before the first heading, and the sections in order."""
    lines = body.split("\n")
    mask = fence_mask(lines)
    preamble: list[str] = []
    sections: list[_Section] = []
    current = preamble
    for number, (line, fenced) in enumerate(zip(lines, mask, strict=True), start=1):
        label = None if fenced else heading_label(line)
        if label is None:
            current.append(line)
            continue
        known = field_of(label)
        current = []
        sections.append(_Section(known or label, known is not None, number, current))
    return preamble, sections


def _raw_value(lines: list[str]) -> str | None:
    text = "\n".join(lines).strip()
    return None if not text or text == NO_RESPONSE else text


def _list_items(text: str) -> list[str]:
    items = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or _EMPTY_CHECKBOX_ITEM.fullmatch(line):
            continue
        items.append(_BULLET.sub("", line, count=1).strip())
    return items


def _loose_lines(text: str) -> list[str]:
    """The lines of a list field that are not list items (prose, a wrapped item's second line)."""
    return [
        line.strip()
        for line in text.split("\n")
        if line.strip() and not _BULLET.match(line.strip())
    ]


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
    return unescape(unfence(raw) if label in _UNFENCED else raw) or None


def parse_issue_body(
    body: str,
    *,
    title: str | None = None,
    key: str | None = None,
    chain: str | None = None,
    source: str = "<issue>",
    allow_protected: bool = False,
) -> tuple[Ticket | None, list[Problem]]:
    """Parse an issue-form body. Returns the ticket (None when any error) and every problem found
    (warnings capped, see `cap_warnings`). A protected path among the files is an error unless
    `allow_protected` (the repository's `allow_protected`)."""
    ticket, problems = _parse(
        body, title=title, key=key, chain=chain, source=source, allow_protected=allow_protected
    )
    return ticket, cap_warnings(problems)


def _parse(
    body: str,
    *,
    title: str | None,
    key: str | None,
    chain: str | None,
    source: str,
    allow_protected: bool,
) -> tuple[Ticket | None, list[Problem]]:
    problems: list[Problem] = []

    def problem(severity: Severity, field: str, message: str, line: int | None = None) -> None:
        problems.append(Problem(severity, field, message, source, line))

    if len(body) > MAX_BODY:
        problem("error", "body", f"is {len(body):,} characters; GitHub allows {MAX_BODY:,}")
        return None, problems

    preamble, sections = _split(body.replace("\r\n", "\n").replace("\r", "\n"))
    if title and (char := forbidden_char(title)):
        problem("error", "title", f"has the control character {char}; remove it")
    extra: list[str] = []
    if "\n".join(preamble).strip():
        problem("warning", "body", "text before the first field was kept in Context", 1)
        extra.append("\n".join(preamble).strip())
        _refuse_controls(problem, "body", extra[-1], 1)
    values, lines = _read_sections(sections, extra, problem)

    goal = values.get("Goal")
    if goal is None and "Goal" not in {p.field for p in problems}:
        found = "is empty (_No response_)" if "Goal" in values else "is missing"
        problem("error", "Goal", f"{found}; say what the ticket must achieve", lines.get("Goal"))

    loose = _loose_lines(values.get("Acceptance criteria") or "")
    if loose:
        more = f" (and {len(loose) - 1} more such line(s))" if len(loose) > 1 else ""
        problem(
            "error",
            "Acceptance criteria",
            f"{loose[0][:80]!r} is not a list item{more}; write each criterion as `- [ ] …` "
            "and anything else in Context",
            lines.get("Acceptance criteria"),
        )

    depends: list[str] = []
    refused = {p.field for p in problems}  # a field refused already is not read further
    for token in _dependency_tokens(
        "" if "Depends on" in refused else values.get("Depends on") or ""
    ):
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
    protected = [] if allow_protected else protected_files(ticket.files)
    for name, _, path in protected:
        field = _LIST_NAMES[name]
        problem("error", field, protected_message(path), lines.get(field))
    return (None if protected else ticket), problems


def _read_sections(
    sections: list[_Section], extra: list[str], problem: _Report
) -> tuple[dict[str, str | None], dict[str, int]]:
    """The value and heading line of each field; the text of unknown sections goes to `extra`.
    A heading that only looks like a field's is an error naming that field."""
    values: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    for section in sections:
        value = _decode(section.label, _raw_value(section.lines))
        lookalike = None if section.known else _BY_FOLDED.get(fold(section.label))
        if lookalike is not None:
            problem(
                "error",
                lookalike,
                f"the heading `{section.label}` only looks like `{lookalike}` (it has "
                f"{disguise(section.label, lookalike)}); type the heading again",
                section.line,
            )
        elif not section.known:
            problem(
                "warning",
                section.label,
                "is not a field of the ticket form; its text was kept in Context",
                section.line,
            )
            extra.append(f"### {section.label}" + (f"\n\n{value}" if value else ""))
            _refuse_controls(problem, section.label, extra[-1], section.line)
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
            _refuse_controls(problem, section.label, value, section.line)
    return values, lines


def _refuse_controls(
    problem: _Report,
    field: str,
    value: str | None,
    line: int,
) -> None:
    """A control or bidi character anywhere in a field is an error naming the field and it:
    it hides text from the person who reads the issue, or acts on a terminal."""
    char = forbidden_char(value or "")
    if char:
        problem("error", field, f"has the control character {char}; remove it", line)


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
    escaped = escape(command)
    if unfence(escaped) == escaped:
        return escaped
    longest = max((len(run) for run in re.findall(r"`+", escaped)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{escaped}\n{fence}"


def render_issue_body(ticket: Ticket) -> str:
    """The body GitHub would store had a person filled the form with this ticket."""

    def text(value: str | None) -> str:
        return escape(value) if value else NO_RESPONSE

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
