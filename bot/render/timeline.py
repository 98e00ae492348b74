"""The chain's timeline: one bar per attempt, from when its prompt was sent to when its validation
finished, told by how it ended in three ways at once (a colour, a fill pattern and a mark before
its label: ✓ passed, ✗ failed, ○ interrupted), so that no reader depends on colour; a legend says
which is which. As an SVG (the chain report) and as text (the pull request). Pure: state in,
text out."""

from __future__ import annotations

from datetime import datetime

from bot.state import Attempt, ChainState

ROW = 22
LABEL = 190
WIDTH = 760
_COLOURS = {"passed": "#2da44e", "failed": "#cf222e", "interrupted": "#8c959f"}
_FILLS = {"passed": "#2da44e", "failed": "url(#failed)", "interrupted": "url(#interrupted)"}
MARKS = {"passed": "✓", "failed": "✗", "interrupted": "○"}
# Hatching for a failed attempt, dots for an interrupted one: told apart without colour.
_PATTERNS = (
    '<defs><pattern id="failed" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#cf222e"/>'
    '<rect width="2" height="6" fill="#ffffff"/></pattern>'
    '<pattern id="interrupted" width="4" height="4" patternUnits="userSpaceOnUse">'
    '<rect width="4" height="4" fill="#ffffff"/><circle cx="2" cy="2" r="1.2" fill="#8c959f"/>'
    "</pattern></defs>"
)
TEXT_WIDTH = 40  # columns of the text timeline's bars
_TEXT_FILLS = {"passed": "█", "failed": "▒", "interrupted": "·"}


def _escape(text: str) -> str:
    """`text` as XML character data. (`xml.sax.saxutils.escape` does the same, but importing it
    loads urllib.request, http.client and ssl.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _outcome(attempt: Attempt) -> str:
    if attempt.validation is not None:
        return "passed" if attempt.validation.passed else "failed"
    if attempt.agent is not None and not attempt.agent.ok:
        return "failed"
    return "interrupted"


def _end(attempt: Attempt) -> datetime:
    if attempt.finished_at is not None:
        return attempt.finished_at
    if attempt.validation is not None:
        return attempt.validation.finished_at
    return attempt.started_at


def _bars(chain: ChainState) -> tuple[list[tuple[str, Attempt]], datetime, float]:
    """Every attempt with its ticket's key, the first start, and the span in seconds."""
    bars = [(t.key, a) for t in chain.tickets.values() for a in t.attempts]
    start = min((a.started_at for _, a in bars), default=chain.started_at)
    end = max((_end(a) for _, a in bars), default=start)
    return bars, start, max((end - start).total_seconds(), 1.0)


def timeline_svg(chain: ChainState) -> str:
    bars, start, span = _bars(chain)
    scale = (WIDTH - LABEL - 20) / span
    height = ROW * len(bars) + 62
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f"<title>Timeline of chain {_escape(chain.name)}: one bar per attempt</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        _PATTERNS,
    ]
    for row, (key, attempt) in enumerate(bars):
        y = 10 + row * ROW
        x = LABEL + (attempt.started_at - start).total_seconds() * scale
        width = max((_end(attempt) - attempt.started_at).total_seconds() * scale, 2.0)
        outcome = _outcome(attempt)
        label = f"{key} #{attempt.number} {attempt.kind}"
        out += [
            f'<text x="4" y="{y + 14}">{MARKS[outcome]} {_escape(label)}</text>',
            f'<rect class="attempt" x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{ROW - 6}" '
            f'fill="{_FILLS[outcome]}" stroke="{_COLOURS[outcome]}">'
            f"<title>{_escape(label)}: {outcome}</title></rect>",
        ]
    axis_y = 10 + len(bars) * ROW + 16
    out += [
        f'<text x="{LABEL}" y="{axis_y}" fill="#57606a">0s</text>',
        f'<text x="{WIDTH - 20}" y="{axis_y}" fill="#57606a" text-anchor="end">{span:.0f}s</text>',
        *_legend(axis_y + 20),
        "</svg>",
    ]
    return "\n".join(out) + "\n"


def _legend(y: int) -> list[str]:
    out = []
    for i, outcome in enumerate(MARKS):
        x = LABEL + i * 120
        out += [
            f'<rect x="{x}" y="{y - 10}" width="18" height="12" fill="{_FILLS[outcome]}" '
            f'stroke="{_COLOURS[outcome]}"/>',
            f'<text x="{x + 24}" y="{y}">{MARKS[outcome]} {outcome}</text>',
        ]
    return out


def timeline_text(chain: ChainState) -> str:
    """The same chart as text, for a pull request (which shows no SVG from a comment): a line
    per attempt, its mark, its bar drawn in its outcome's own character, and its length."""
    bars, start, span = _bars(chain)
    labels = [f"{key} #{a.number} {a.kind}" for key, a in bars]
    pad = max(map(len, labels), default=0)
    lines = []
    for label, (_, attempt) in zip(labels, bars, strict=True):
        outcome = _outcome(attempt)
        begin = round((attempt.started_at - start).total_seconds() / span * TEXT_WIDTH)
        seconds = (_end(attempt) - attempt.started_at).total_seconds()
        length = max(round(seconds / span * TEXT_WIDTH), 1)
        bar = (" " * begin + _TEXT_FILLS[outcome] * length).ljust(TEXT_WIDTH)[:TEXT_WIDTH]
        lines.append(f"{MARKS[outcome]} {label.ljust(pad)} |{bar}| {seconds:.0f}s")
    legend = "   ".join(f"{MARKS[o]} {_TEXT_FILLS[o] * 2} {o}" for o in MARKS)
    return "\n".join([*lines, "", legend, f"0s to {span:.0f}s"])
