"""GitHub-flavoured Markdown, the escaping every Markdown renderer shares (comments, the check
run's summary, the job summary, the knowledge files).

Ticket titles, agents' words, findings and test output are untrusted: in a table cell they stay
one cell on one line, in a code span or block they cannot close it early, and in prose (`prose`)
they stay on their line. Wherever they are read as Markdown they are defanged: no HTML renders, an
`@name` notifies nobody and `Closes #1` closes nothing (a zero-width space breaks the mention
and the keyword, as Renovate does; people read the same words).
"""

from __future__ import annotations

import re

MAX_TEXT = 65_000  # GitHub allows 65,535 characters in a comment or a check run's text
CELL_MAX = 300

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
# Control characters (but tab and line ends) and bidi controls: nothing a reader should get from
# untrusted text, and a bidi override shows text in another order than it is read.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ZWSP = "\u200b"
# `@login` or `@org/team`, not an e-mail address (`a@b.c`): GitHub notifies whoever it names.
_MENTION = re.compile(r"(?<![\w/])@(?=[A-Za-z0-9])")
# GitHub's closing keywords before an issue reference (`#1`, `o/r#1`, `GH-1`, an issue URL): in a
# pull request's body they close the issue on merge. Matched in a line, in linear time.
_KEYWORD = re.compile(r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b")
_REFERENCE = re.compile(r"\s*:?\s+(?:[\w.-]+/[\w.-]+#\d|#\d|gh-\d|https?://)", re.IGNORECASE)


def cap(text: str) -> str:
    """`text` cut to GitHub's size limit, saying so."""
    if len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 40].rstrip() + "\n\n… (cut to GitHub's size limit)"


def defang(text: str) -> str:
    """`text` with its mentions and closing keywords broken by a zero-width space."""
    text = _MENTION.sub("@" + _ZWSP, text)

    def keyword(m: re.Match[str]) -> str:
        word = m.group()
        if not _REFERENCE.match(text, m.end()):
            return word
        return word[0] + _ZWSP + word[1:]

    return _KEYWORD.sub(keyword, text)


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def prose(text: str | None) -> str:
    """Untrusted text in a line of Markdown (a list item, a heading): one line, no HTML, no link
    or image target, defanged. A code span (`if a < b:`) stays as written: inside one, Markdown
    shows `&lt;` as those four characters, and no HTML nor link starts there."""
    parts = []
    for piece, is_code in _code_spans(one_line(text or "")):
        parts.append(piece if is_code else escape_html(piece).replace("](", "]\\("))
    return defang("".join(parts))


_BACKTICKS = re.compile(r"`+")


def _code_spans(text: str) -> list[tuple[str, bool]]:
    """`text` cut into its code spans (True) and the text between them, as CommonMark reads
    them: a run of backticks opens a span that the next run of the same length closes; with
    none, or after a backslash, the run is plain text. Left to right, as the parser goes:
    escaped outside, no HTML tag can start before a span, so a span is a span."""
    out: list[tuple[str, bool]] = []
    at = start = 0
    while (opening := _BACKTICKS.search(text, at)) is not None:
        if text[: opening.start()].endswith("\\"):
            at = opening.end()  # an escaped backtick opens nothing (when unsure: escape)
            continue
        closing = next(
            (m for m in _BACKTICKS.finditer(text, opening.end()) if len(m[0]) == len(opening[0])),
            None,
        )
        if closing is None:
            at = opening.end()  # no closer of its length: plain backticks
            continue
        out.append((text[start : opening.start()], False))
        out.append((text[opening.start() : closing.end()], True))
        at = start = closing.end()
    out.append((text[start:], False))
    return [(piece, is_code) for piece, is_code in out if piece]


def one_line(text: str) -> str:
    """Line breaks (and the spaces around them) as one space: the text stays in its list item.
    Control and bidi characters are dropped."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text)).strip()


def table_cell(text: str | None, limit: int | None = CELL_MAX) -> str:
    """Text for one table cell: one line, no HTML, no link, no code span, no column break.
    Cut to `limit` characters (None: never)."""
    if not text:
        return ""
    text = one_line(text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    text = escape_html(text)
    # `](` is how a link or an image starts its target; a bracket alone stays as written, so
    # `[redacted]` reads as it does everywhere else.
    return defang(re.sub(r"([\\|`])", r"\\\1", text).replace("](", "]\\("))


def code(text: str) -> str:
    """An inline code span that shows `text` as written: fenced by more backticks than any run in
    it (CommonMark), on one line."""
    text = one_line(text)
    runs = {len(run) for run in re.findall(r"`+", text)}
    fence = "`" * next(n for n in range(1, len(runs) + 2) if n not in runs)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, info: str = "text", indent: str = "") -> list[str]:
    """A fenced code block's lines; a fence inside `text` is broken with a zero-width space, so
    it cannot end the block."""
    body = _CONTROL.sub("", text).replace("```", "``\u200b`").splitlines()
    return [f"{indent}```{info}", *(f"{indent}{line}" for line in body), f"{indent}```"]
