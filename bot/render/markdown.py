"""GitHub-flavoured Markdown, the escaping every Markdown renderer shares (comments, the check
run's summary, the job summary, the knowledge files).

Ticket titles, agents' words, findings and test output are untrusted: in a table cell they stay
one cell on one line, in a code span or block they cannot close it early.
"""

from __future__ import annotations

import re

MAX_TEXT = 65_000  # GitHub allows 65,535 characters in a comment or a check run's text
CELL_MAX = 300

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def cap(text: str) -> str:
    """`text` cut to GitHub's size limit, saying so."""
    if len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 40].rstrip() + "\n\n… (cut to GitHub's size limit)"


def one_line(text: str) -> str:
    """Line breaks (and the spaces around them) as one space: the text stays in its list item."""
    return _LINE_BREAKS.sub(" ", text).strip()


def table_cell(text: str | None, limit: int | None = CELL_MAX) -> str:
    """Text for one table cell: one line, no HTML, no link, no code span, no column break.
    Cut to `limit` characters (None: never)."""
    if not text:
        return ""
    text = one_line(text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # `](` is how a link or an image starts its target; a bracket alone stays as written, so
    # `[redacted]` reads as it does everywhere else.
    return re.sub(r"([\\|`])", r"\\\1", text).replace("](", "]\\(")


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
    body = text.replace("```", "``\u200b`").splitlines()
    return [f"{indent}```{info}", *(f"{indent}{line}" for line in body), f"{indent}```"]
