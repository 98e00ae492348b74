"""Source files that no test touches, by a cheap heuristic: a source file is touched when some
test file mentions its module's name as a word (`from shop.cart import`, `require('./cart')`,
`import { total } from "../src/cart"` all mention `cart`). A name shared by two modules counts
for both, and a test that names a module only in a comment counts too: the list errs towards
leaving a file out, and every file on it is one that no test names at all."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.planning.file_kinds import is_source, is_test, is_vendored, unit_name

MAX_TEST_BYTES = 512_000  # a generated fixture this large is no test anyone reads


def tests_to_read(sizes: Mapping[str, int]) -> list[str]:
    """The test files among `sizes` (path -> bytes) worth reading: not vendored, not huge."""
    return [
        p
        for p, size in sizes.items()
        if is_test(p) and not is_vendored(p) and size <= MAX_TEST_BYTES
    ]


def untested_sources(sizes: Mapping[str, int], tests: Mapping[str, str]) -> list[str]:
    """The source files among `sizes` (path -> bytes; an empty file, such as a package's
    `__init__.py`, holds nothing to test) whose module name no text in `tests` (path -> content)
    mentions as a word, sorted."""
    words: set[str] = set()
    for text in tests.values():
        words.update(re.findall(r"[A-Za-z_$][\w$-]*", text))
    # A hyphenated module (`order-service.js`) is mentioned whole; `-` also splits words.
    words.update(part for word in list(words) for part in word.split("-"))
    return sorted(
        p for p, size in sizes.items() if size and is_source(p) and unit_name(p) not in words
    )
