"""Text that reads as something it is not: characters a person cannot see or cannot tell apart.

A heading `### Test c\u03bfmmand` (a Greek omicron) or `### \uff27oal` (a full-width G) looks like a field of
the ticket form and is not one; `fold` gives what such text reads as, so the parser can say so.
The look-alike letters come from Unicode's confusables (UTS #39), as the `confusable_homoglyphs`
package ships them; compatibility forms (full-width, ligatures, super- and subscripts) from NFKC.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.security import has_invisible

# Refused in every field of a ticket: C0 controls but tab and the line ends, DEL and C1 controls
# (NUL, ESC and its terminal sequences, BEL, ...), and the bidi embeddings, overrides and
# isolates that show text in another order than it is read (Trojan Source).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SHORT_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BACKSPACE", 0x1B: "ESC", 0x7F: "DEL"}
# Invisible inside a word: zero-width characters and marks, word joiners, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")


def describe(char: str) -> str:
    """`U+202E (RIGHT-TO-LEFT OVERRIDE)`: a character people cannot see, named so they can."""
    code = ord(char)
    name = _SHORT_NAMES.get(code) or unicodedata.name(char, "a control character")
    return f"U+{code:04X} ({name})"


def forbidden_char(text: str) -> str | None:
    """The first control or bidi character in `text`, described; None when it has none."""
    m = _FORBIDDEN.search(text)
    return describe(m.group()) if m else None


@lru_cache(maxsize=1)
def _ascii_twins() -> dict[str, str]:
    """Each character that Unicode lists as confusable with one ASCII character, mapped to it."""
    from confusable_homoglyphs.confusables import (  # type: ignore[import-untyped]  # noqa: PLC0415 (900 kB of data, read only for non-ASCII headings)
        confusables_data,
    )

    twins: dict[str, str] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        ascii_glyphs = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii()]
        if ascii_glyphs:
            twins[char] = ascii_glyphs[0]
    return twins


def fold(text: str) -> str:
    """What `text` reads as: compatibility forms and look-alike letters as their ASCII twin,
    invisible characters gone, case folded. `fold("\uff27\u03bfal") == fold("goal")`."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    if not text.isascii():
        twins = _ascii_twins()
        # Twice: a letter's lower case can be a look-alike of its own (U+A7AC folds to U+0261).
        text = "".join(twins.get(c, c) for c in text).casefold()
        text = "".join(twins.get(c, c) for c in text)
    return " ".join(text.split()).casefold()


def disguise(text: str, folded_as: str) -> str | None:
    """Why `text`, which folds to `folded_as` without being it, is not it: the first character
    that differs from plain ASCII, described. None when `text` is plainly `folded_as`."""
    if " ".join(text.split()).casefold() == folded_as.casefold():
        return None
    for char in text:
        if not char.isascii() or has_invisible(char):
            return describe(char)
    return None
