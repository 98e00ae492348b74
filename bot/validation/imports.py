"""The import statements of a Python or JavaScript/TypeScript file, as data for the `imports`
rule: where each one is, what it names, where it takes it from and how far a relative one climbs.
Python is parsed with `ast`; scripts are read with bounded regular expressions, comments blanked
first."""

from __future__ import annotations

import ast
import bisect
import posixpath
import re
from dataclasses import dataclass
from typing import Literal

PYTHON = (".py", ".pyi")
SCRIPT = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")


@dataclass(frozen=True)
class Import:
    """One import statement: its lines, what it names and where it takes it from."""

    language: Literal["python", "script"]
    start: int
    end: int
    shown: str  # the source as written: `..helpers.mocks`, `'../helpers/mock'`
    sources: tuple[str, ...]  # Python: absolute modules it may load; script: the specifier
    names: tuple[str, ...]  # the module and the names imported, for `names` globs
    up: int  # directories a relative import climbs
    resolved: str | None = None  # script: the repository path of a relative specifier


def python_imports(path: str, text: str) -> list[Import]:
    """Every import of a Python file (anywhere in it); a file that does not parse has none."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    package = posixpath.dirname(path).split("/") if "/" in path else []
    found: list[Import] = []
    for node in ast.walk(tree):
        end = node.end_lineno if isinstance(node, ast.Import | ast.ImportFrom) else None
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(
                    Import(
                        "python",
                        node.lineno,
                        end or node.lineno,
                        alias.name,
                        (alias.name,),
                        (alias.name,),
                        0,
                    )
                )
        elif isinstance(node, ast.ImportFrom):
            written = "." * node.level + (node.module or "")
            module = _absolute(package, node.level, node.module) or written
            imported = tuple(a.name for a in node.names if a.name != "*")
            sources = (module, *(f"{module}.{name}" for name in imported))
            up = max(node.level - 1, 0)
            found.append(
                Import(
                    "python",
                    node.lineno,
                    end or node.lineno,
                    written,
                    sources,
                    (module, *imported),
                    up,
                )
            )
    return sorted(found, key=lambda i: (i.start, i.shown))


def _absolute(package: list[str], level: int, module: str | None) -> str | None:
    if level == 0:
        return module
    if level - 1 > len(package):
        return None
    parts = package[: len(package) - (level - 1)] + (module.split(".") if module else [])
    return ".".join(p for p in parts if p) or None


_CLAUSE = r"[\w$*{}\s,]{1,2000}?"
_SOURCE = r"(?P<q>['\"])(?P<src>[^'\"\n]{0,500})(?P=q)"
_SCRIPT_IMPORTS = (
    re.compile(
        rf"(?<![\w$.])import\s+(?:type\s+)?(?P<clause>{_CLAUSE})\s{{0,200}}from\s*{_SOURCE}"
    ),
    re.compile(
        rf"(?<![\w$.])export\s+(?:type\s+)?(?P<clause>\*(?:\s+as\s+[\w$]+)?|\{{[^}}]{{0,2000}}\}})\s*from\s*{_SOURCE}"
    ),
    re.compile(rf"(?<![\w$.])import\s*{_SOURCE}"),
    re.compile(rf"(?<![\w$.])(?:import|require)\s*\(\s*{_SOURCE}\s*\)"),
)


def _blank_comments(text: str) -> str:
    """`//` and `/* */` comments replaced by spaces (newlines kept), strings left alone."""
    out = list(text)
    i, quote = 0, ""
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote or (char == "\n" and quote != "`"):
                quote = ""
        elif char in "'\"`":
            quote = char
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = len(text) if end < 0 else end + 2
            out[i:end] = [c if c == "\n" else " " for c in text[i:end]]
            i = end
            continue
        i += 1
    return "".join(out)


def script_imports(path: str, text: str) -> list[Import]:
    """`import … from`, `export … from`, `import '…'`, `import('…')` and `require('…')`."""
    code = _blank_comments(text)
    newlines = [i for i, c in enumerate(code) if c == "\n"]
    found: dict[int, Import] = {}
    for regex in _SCRIPT_IMPORTS:
        for match in regex.finditer(code):
            if match.start() in found:
                continue
            spec = match["src"]
            clause = match.groupdict().get("clause") or ""
            names = [n for n in re.findall(r"[\w$]+", clause) if n not in ("as", "type")]
            resolved, up = None, 0
            if spec.startswith("."):
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
                for part in spec.split("/"):
                    if part == "..":
                        up += 1
                    elif part != ".":
                        break
            found[match.start()] = Import(
                "script",
                bisect.bisect_left(newlines, match.start()) + 1,
                bisect.bisect_left(newlines, match.end() - 1) + 1,
                spec,
                (spec,),
                (spec, *names),
                up,
                resolved,
            )
    return sorted(found.values(), key=lambda i: (i.start, i.shown))


def _strip_suffix(path: str) -> str:
    root, ext = posixpath.splitext(path)
    return root if ext in PYTHON + SCRIPT else path


def source_matches(imp: Import, prefix: str) -> bool:
    """Does `imp` take from `prefix`, a module prefix (`unittest.mock`, `lodash`) or a path prefix
    (`tests/helpers/`)? Prefixes end at a separator: `os` is not `ossaudiodev`."""
    prefix = prefix.strip()
    while prefix.startswith("./"):
        prefix = prefix[2:]
    prefix = prefix.rstrip("/")
    if imp.language == "python":
        dotted = _strip_suffix(prefix).replace("/", ".")
        return any(s == dotted or s.startswith(dotted + ".") for s in imp.sources)
    if imp.resolved is not None:
        target = imp.resolved
        return (
            target == prefix
            or target.startswith(prefix + "/")
            or _strip_suffix(target) == _strip_suffix(prefix)
        )
    return any(s == prefix or s.startswith(prefix + "/") for s in imp.sources)


def imports_in(path: str, text: str) -> list[Import]:
    if path.endswith(PYTHON):
        return python_imports(path, text)
    if path.endswith(SCRIPT):
        return script_imports(path, text)
    return []
