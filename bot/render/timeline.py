"""The chain's timeline as an SVG: one bar per attempt, from when its prompt was sent to when its
validation finished, coloured by how it ended. Pure: state in, text out."""

from __future__ import annotations

from datetime import datetime

from bot.state import Attempt, ChainState

ROW = 22
LABEL = 190
WIDTH = 760
_COLOURS = {"passed": "#2da44e", "failed": "#cf222e", "interrupted": "#8c959f"}


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


def timeline_svg(chain: ChainState) -> str:
    bars = [(t.key, a) for t in chain.tickets.values() for a in t.attempts]
    start = min((a.started_at for _, a in bars), default=chain.started_at)
    end = max((_end(a) for _, a in bars), default=start)
    span = max((end - start).total_seconds(), 1.0)
    scale = (WIDTH - LABEL - 20) / span
    height = ROW * len(bars) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f"<title>Timeline of chain {_escape(chain.name)}: one bar per attempt</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for row, (key, attempt) in enumerate(bars):
        y = 10 + row * ROW
        x = LABEL + (attempt.started_at - start).total_seconds() * scale
        width = max((_end(attempt) - attempt.started_at).total_seconds() * scale, 2.0)
        outcome = _outcome(attempt)
        label = f"{key} #{attempt.number} {attempt.kind}"
        out += [
            f'<text x="4" y="{y + 14}">{_escape(label)}</text>',
            f'<rect class="attempt" x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{ROW - 6}" '
            f'fill="{_COLOURS[outcome]}"><title>{_escape(label)}: {outcome}</title></rect>',
        ]
    axis_y = 10 + len(bars) * ROW + 16
    out += [
        f'<text x="{LABEL}" y="{axis_y}" fill="#57606a">0s</text>',
        f'<text x="{WIDTH - 20}" y="{axis_y}" fill="#57606a" text-anchor="end">{span:.0f}s</text>',
        "</svg>",
    ]
    return "\n".join(out) + "\n"
