"""What a file is, by its path alone: its language (by extension), whether it is a test, whether
it is source code the audit looks into. Paths only: the audit stays cheap on a large repository."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

LANGUAGES = {
    ".py": "Python",
    ".pyi": "Python",
    ".js": "JavaScript",
    ".jsx": "JavaScript",
    ".mjs": "JavaScript",
    ".cjs": "JavaScript",
    ".ts": "TypeScript",
    ".tsx": "TypeScript",
    ".mts": "TypeScript",
    ".cts": "TypeScript",
    ".go": "Go",
    ".rb": "Ruby",
    ".java": "Java",
    ".kt": "Kotlin",
    ".kts": "Kotlin",
    ".scala": "Scala",
    ".rs": "Rust",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".cxx": "C++",
    ".hpp": "C++",
    ".cs": "C#",
    ".php": "PHP",
    ".swift": "Swift",
    ".m": "Objective-C",
    ".ex": "Elixir",
    ".exs": "Elixir",
    ".erl": "Erlang",
    ".clj": "Clojure",
    ".hs": "Haskell",
    ".lua": "Lua",
    ".r": "R",
    ".dart": "Dart",
    ".sh": "Shell",
    ".bash": "Shell",
    ".sql": "SQL",
    ".html": "HTML",
    ".htm": "HTML",
    ".css": "CSS",
    ".scss": "CSS",
    ".vue": "Vue",
    ".svelte": "Svelte",
    ".md": "Markdown",
    ".rst": "reStructuredText",
    ".json": "JSON",
    ".yml": "YAML",
    ".yaml": "YAML",
    ".toml": "TOML",
}
# Languages whose files are code a test could cover (not markup, data or documentation).
CODE = frozenset(
    {
        "Python",
        "JavaScript",
        "TypeScript",
        "Go",
        "Ruby",
        "Java",
        "Kotlin",
        "Scala",
        "Rust",
        "C",
        "C++",
        "C#",
        "PHP",
        "Swift",
        "Objective-C",
        "Elixir",
        "Erlang",
        "Clojure",
        "Haskell",
        "Lua",
        "R",
        "Dart",
        "Vue",
        "Svelte",
    }
)
# Directories of code a project does not write itself: not looked into for tests or routes.
VENDORED = frozenset(
    {"node_modules", "vendor", "third_party", "dist", "build", ".venv", "venv", "site-packages"}
)
_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testing"})
# test_x.py, x_test.py, x_test.go, x.test.js, x.spec.ts, XTest.java, x_spec.rb
_TEST_NAME = re.compile(
    r"^tests?\.\w+$|^test_.*|.*_test\.\w+$|.*\.(test|spec)\.\w+$|.*Tests?\.\w+$|.*_spec\.rb$"
)
# Files every project of their kind has and no test is expected to name (packaging, test setup,
# Django's settings and URL configuration).
_NOT_UNITS = frozenset(
    {"setup.py", "conftest.py", "manage.py", "wsgi.py", "asgi.py", "settings.py", "urls.py"}
)


def language_of(path: str) -> str | None:
    return LANGUAGES.get(PurePosixPath(path).suffix.lower())


def is_vendored(path: str) -> bool:
    return any(part in VENDORED for part in PurePosixPath(path).parts[:-1])


def is_test(path: str) -> bool:
    """A test file: under a test directory, or named as test runners find them."""
    parts = PurePosixPath(path).parts
    return any(part in _TEST_DIRS for part in parts[:-1]) or bool(_TEST_NAME.match(parts[-1]))


def is_source(path: str) -> bool:
    """Code the project wrote that a test could cover: a code language, not a test, not
    vendored, not a file of the language's own plumbing (setup.py, conftest.py, manage.py…)."""
    return (
        language_of(path) in CODE
        and not is_test(path)
        and not is_vendored(path)
        and PurePosixPath(path).name not in _NOT_UNITS
    )


def unit_name(path: str) -> str:
    """The name a test uses for the module at `path`: its stem, or for a package's `__init__.py`
    or a directory's `index.js`, the directory's name."""
    file = PurePosixPath(path)
    if file.stem in ("__init__", "index", "mod") and len(file.parts) > 1:
        return file.parent.name
    return file.stem
