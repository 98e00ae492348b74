"""Hidden markers that identify what Baton wrote, so every write can be found and repeated safely.

A marker is an HTML comment, `<!-- baton:ticket=12:validation -->`, invisible on GitHub. Markers
are trusted only in comments Baton itself wrote: anyone can type one into their own comment.
"""

from __future__ import annotations

import re

_MARKER = re.compile(r"<!-- baton:([A-Za-z0-9_.:=#/-]+) -->")


def marker(*parts: str | int) -> str:
    return "<!-- baton:" + ":".join(str(p) for p in parts) + " -->"


def markers_in(body: str | None) -> set[str]:
    """The marker payloads in a body (`ticket=12:validation`), without the comment syntax."""
    return set(_MARKER.findall(body or ""))


def has_marker(body: str | None, author: str | None, bot_login: str | None, mark: str) -> bool:
    """True only when `mark` is in a body Baton wrote itself (the author is Baton's login)."""
    if author is None or bot_login is None or author.lower() != bot_login.lower():
        return False
    payload = _MARKER.fullmatch(mark)
    return payload is not None and payload.group(1) in markers_in(body)
