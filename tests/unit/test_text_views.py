"""The views keep, for each character, the span of the original it came from: checked against
the plain model, a list of (start, end) per character, carried through each decoding."""

from __future__ import annotations

import base64
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.text_views import (
    _BASE64,
    _INVISIBLE,
    _JSON_ESCAPE,
    _PERCENT,
    _TEXT_SHARE,
    JSON_DEPTH,
    decode_escape,
    views,
)

Spans = list[tuple[int, int]]
# The model finds base64 runs with Python's engine, the views with RE2.
BASE64_RUNS = re.compile(_BASE64.pattern.decode())


def _model_rewrite(
    text: str, spans: Spans, pattern: re.Pattern[str], drop: bool
) -> tuple[str, Spans]:
    out, kept, last = [], [], 0
    for match in pattern.finditer(text):
        out.append(text[last : match.start()])
        kept += spans[last : match.start()]
        decoded = "" if drop else decode_escape(match.group())
        out.append(decoded)
        kept += [(spans[match.start()][0], spans[match.end() - 1][1])] * len(decoded)
        last = match.end()
    out.append(text[last:])
    kept += spans[last:]
    return "".join(out), kept


def _model(text: str) -> list[tuple[str, Spans]]:
    base = (text, [(i, i + 1) for i in range(len(text))])
    if _INVISIBLE.search(text):
        base = _model_rewrite(*base, _INVISIBLE, drop=True)
    found = [base] if base[0] != text else []
    if _PERCENT.search(base[0]):
        found.append(_model_rewrite(*base, _PERCENT, drop=False))
    view = base
    for _ in range(JSON_DEPTH):
        if not _JSON_ESCAPE.search(view[0]):
            break
        view = _model_rewrite(*view, _JSON_ESCAPE, drop=False)
        found.append(view)
    decoded = _model_base64(*base)
    if decoded[0]:
        found.append(decoded)
    return found


def _model_base64(text: str, spans: Spans) -> tuple[str, Spans]:
    """Each run that decodes to text, a line each; a byte's span: its base64 characters'."""
    out, kept = "", []
    for match in BASE64_RUNS.finditer(text):
        run = match.group()
        altchars = b"-_" if "-" in run or "_" in run else None
        padded = run + "=" * (-len(run.rstrip("=")) % 4)
        try:
            data = base64.b64decode(padded, altchars=altchars)
        except ValueError:
            continue
        if sum(32 <= b < 127 or b in (9, 10, 13) for b in data) < _TEXT_SHARE * len(data):
            continue
        for i, byte in enumerate(data):
            first = match.start() + 8 * i // 6
            last = match.start() + (8 * i + 7) // 6
            out += chr(byte)
            kept.append((spans[first][0], spans[last][1]))
        out += "\n"
        kept.append(spans[match.end() - 1])
    return out, kept


PIECES = st.sampled_from(
    [
        "dG9rZW4=",
        "Z2hwXw",
        "QUJD",
        "-_",
        "+/",
        "a",
        "Z",
        "0",
        " ",
        "\n",
        "%2F",
        "%4",
        "+",
        "\\\\",
        '\\"',
        "\\/",
        "\\n",
        "\\u0041",
        "\\u00",
        "\\\\u0041",
        '\\\\\\"',
        "\u200b",
        "\ufeff",
        "\u00ad",
        "%5C%22",
        "ü",
    ]
)


@given(st.lists(PIECES, max_size=40).map("".join))
def test_every_character_of_every_view_maps_back_as_the_model_says(text: str) -> None:
    got = views(text)
    expected = _model(text)
    assert [view.text for view in got] == [decoded for decoded, _ in expected]
    for view, (decoded, spans) in zip(got, expected, strict=True):
        for i in range(len(decoded)):
            assert view.original(i, i + 1) == spans[i]
            assert view.original(0, i + 1) == (spans[0][0], spans[i][1])
