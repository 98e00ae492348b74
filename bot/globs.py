"""Path globs as people write them in tickets and conventions: `*` stays inside one directory,
`**` spans any number of them, `?` is one character. (fnmatch lets `*` cross `/`.)"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.DOTALL)  # a file name may hold a newline


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?")


def matches(path: str, pattern: str) -> bool:
    """True when `path` (repository-relative, `/`-separated) matches `pattern`.
    A pattern naming a directory (`src/` or `src`) also matches everything below it.
    `./` segments mean nothing: `./src/app.py` is `src/app.py`."""
    path, pattern = _normalize(path), _normalize(pattern)
    if path == pattern or path.startswith(pattern.rstrip("/") + "/"):
        return True
    return _compile(pattern).fullmatch(path) is not None


def _normalize(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    while "/./" in path:
        path = path.replace("/./", "/")
    return path


def matches_any(path: str, patterns: list[str]) -> bool:
    return any(matches(path, p) for p in patterns)
