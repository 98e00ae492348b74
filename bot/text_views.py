"""The same text as a scanner should read it: invisible characters taken out, percent-encoding
(`%2F`, `+` for a space) and JSON escapes (`\\"`, `\\/`, `\\u0041`) decoded, base64 runs that
decode to text decoded. Each view keeps, for every character, the span of the original text it
came from, so that what is found in a view is hidden in the original. Every view is one pass
over the text.
"""

from __future__ import annotations

import base64
import bisect
import re
from dataclasses import dataclass
from typing import Any

import re2

# Zero-width space, non-joiner and joiner, word joiner, soft hyphen, byte order mark: a token
# split by one of them looks whole on screen and to whoever copies it.
INVISIBLE = "\u200b\u200c\u200d\u2060\u00ad\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]+")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}|\+")
_JSON_ESCAPE = re.compile(r'\\(?:u[0-9A-Fa-f]{4}|["\\/bfnrt])')
JSON_DEPTH = 3
# A run that may be base64 (standard or URL-safe): 20 characters hold 15 bytes, less than any
# token the rules know. Decoded, it is read only when it is mostly text (a file sent through the
# contents API, an encoded `.env`): a run of hex or random bytes decodes to noise.
# Run by RE2, in one pass: Python's engine would try each start in a word of fewer than 20 such
# characters again, at many times the cost on prose. The same runs: leftmost, greedy. Over bytes:
# RE2 on a `str` turns each match's UTF-8 offsets back into characters.
_BASE64: Any = re2.compile(rb"[A-Za-z0-9+/]{20,}={0,2}|[A-Za-z0-9_-]{20,}={0,2}")
_TEXT_SHARE = 0.9
_TEXT_BYTES = bytes(range(32, 127)) + b"\t\n\r"
_JSON_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True)
class View:
    """A decoded text, kept as pieces: piece k starts at `at[k]` in `text`. A copied piece
    (`ends[k]` is -1) is `below`'s text from `starts[k]` on, character for character; a decoded
    piece is one escape's decoding, every character of it from `below`'s [starts[k], ends[k]).
    `below` is the view it was decoded from, None for the original text."""

    text: str
    below: View | None
    at: list[int]
    starts: list[int]
    ends: list[int]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the view's `[start, end)` came from."""
        return self._span(start)[0], self._span(end - 1)[1]

    def _span(self, i: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.at, i) - 1
        if self.ends[k] < 0:
            j = self.starts[k] + i - self.at[k]
            return self.below._span(j) if self.below else (j, j + 1)
        start, end = self.starts[k], self.ends[k]
        return (
            (self.below._span(start)[0], self.below._span(end - 1)[1])
            if self.below
            else (start, end)
        )


def identity(text: str) -> View:
    return View(text, None, [0], [0], [-1])


def _rewrite(view: View, pattern: re.Pattern[str], replace: dict[str, str] | None) -> View:
    """`view` with each match of `pattern` replaced by its decoding (`replace` maps a match to
    it; None: by nothing), each piece noting where it came from."""
    out: list[str] = []
    at: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    length = last = 0
    text = view.text

    def piece(part: str, start: int, end: int) -> None:
        nonlocal length
        if part:
            out.append(part)
            at.append(length)
            starts.append(start)
            ends.append(end)
            length += len(part)

    for match in pattern.finditer(text):
        piece(text[last : match.start()], last, -1)
        decoded = "" if replace is None else replace[match.group()]
        piece(decoded, match.start(), match.end())
        last = match.end()
    piece(text[last:], last, -1)
    return View("".join(out), view, at or [0], starts or [0], ends or [-1])


class _Decoded(dict[str, str]):
    """Each escape's decoding, made on first sight."""

    def __missing__(self, key: str) -> str:
        value = decode_escape(key)
        self[key] = value
        return value


def decode_escape(escape: str) -> str:
    """One percent or JSON escape, decoded (a percent-encoded byte as the character of that code:
    the tokens looked for are ASCII)."""
    if escape == "+":
        return " "
    if escape.startswith("%"):
        return chr(int(escape[1:], 16))
    if escape.startswith("\\u"):
        return chr(int(escape[2:], 16))
    return _JSON_SIMPLE.get(escape[1], escape[1])


def _base64(view: View) -> View | None:
    """The runs of `view` that decode from base64 to text, one a line, each byte kept with the
    base64 characters it came from (byte i of a run: its characters 8i/6 to (8i+7)/6); None
    when no run does."""
    out: list[str] = []
    at: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    # Every character that is not ASCII becomes one `?`, which no run holds: the offsets of the
    # bytes are the text's.
    for match in _BASE64.finditer(view.text.encode("ascii", "replace")):
        run = match.group()
        try:
            data = base64.b64decode(
                run + b"=" * (-len(run.rstrip(b"=")) % 4),
                altchars=b"-_" if b"-" in run or b"_" in run else None,
            )
        except ValueError:
            continue
        if len(data) - len(data.translate(None, _TEXT_BYTES)) < _TEXT_SHARE * len(data):
            continue  # noise, not text
        first, count = match.start(), len(data)
        at.extend(range(len(out), len(out) + count))  # a piece a byte, one character each
        out.extend(map(chr, data))
        starts.extend([first + 8 * i // 6 for i in range(count)])
        ends.extend([first + (8 * i + 7) // 6 + 1 for i in range(count)])
        at.append(len(out))
        out.append("\n")  # runs never run into each other
        starts.append(match.end() - 1)
        ends.append(match.end())
    if not out:
        return None
    return View("".join(out), view, at, starts, ends)


def views(text: str) -> list[View]:
    """The views of `text` worth scanning beyond the text itself (none for plain text)."""
    base = identity(text)
    if any(char in text for char in INVISIBLE):  # a tenth of the regex's time on a long text
        base = _rewrite(base, _INVISIBLE, None)
    found = [base] if base.text != text else []
    if _PERCENT.search(base.text):
        found.append(_rewrite(base, _PERCENT, _Decoded()))
    # JSON in JSON (a file's text in a request, a state record holding JSON) is escaped twice.
    view = base
    for _ in range(JSON_DEPTH):
        if not _JSON_ESCAPE.search(view.text):
            break
        view = _rewrite(view, _JSON_ESCAPE, _Decoded())
        found.append(view)
    decoded = _base64(base)
    if decoded is not None:
        found.append(decoded)
    return found
