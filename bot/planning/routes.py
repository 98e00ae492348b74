"""HTTP entry points found by pattern in source text: Express (`app.get('/x', …)`,
`router.route('/x').post(…)`), Flask (`@app.route('/x', methods=[…])`, `@bp.get('/x')`),
FastAPI (`@app.get('/x')`, `@router.post('/x')`) and Django (`path()`, `re_path()`, `url()` in a
`urls.py`). Found where it can tell, never claimed complete: mount prefixes (`app.use('/api',
router)`, `include()`, a router's `prefix=`) are not applied, and routes built at run time are not
seen. A framework's patterns are looked for only when the repository imports it, so that an HTTP
client's `axios.get('/x')` in a project without Express is no route."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.planning.file_kinds import language_of

_HTTP = "get|post|put|patch|delete|options|head|all"
_STRING = r"""(?P<q>['"`])(?P<path>[^'"`\n]*)(?P=q)"""
# The receivers Express code names its app and routers by: app, router, apiRouter, server…
_RECEIVER = r"\b(?:\w*(?:app|App|router|Router|api|Api|server|Server|routes|Routes))"
_EXPRESS = re.compile(rf"{_RECEIVER}\s*\.\s*(?P<method>{_HTTP})\(\s*{_STRING}")
_EXPRESS_ROUTE = re.compile(rf"{_RECEIVER}\s*\.\s*route\(\s*{_STRING}\s*\)")
_CHAINED = re.compile(rf"\s*\.\s*(?P<method>{_HTTP})\(")
_DECORATOR = re.compile(
    r"^[ \t]*@[\w.]+\.(?P<method>route|api_route|websocket|get|post|put|patch|delete|options|head)"
    r"\(\s*(?P<q>r?['\"])(?P<path>/[^'\"\n]*|)['\"]",
    re.MULTILINE,
)
_METHODS = re.compile(r"methods\s*=\s*[\[(](?P<list>[^\])]*)[\])]")
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(?P<name>\w+)", re.MULTILINE)
_DJANGO = re.compile(
    r"\b(?P<kind>re_path|path|url)\(\s*r?(?P<q>['\"])(?P<path>[^'\"\n]*)(?P=q)\s*,\s*"
    r"(?P<view>[\w.]+(?:\([^()\n]*\))?)"
)
_IMPORTS = {
    "flask": re.compile(r"^\s*(?:from|import)\s+flask\b", re.MULTILINE),
    "fastapi": re.compile(r"^\s*(?:from|import)\s+fastapi\b", re.MULTILINE),
    "express": re.compile(r"""require\(\s*['"]express['"]\s*\)|from\s+['"]express['"]"""),
}


@dataclass(frozen=True)
class Route:
    framework: str  # Express, Flask, FastAPI, Django
    method: str  # GET, POST…; ANY where the framework does not say (Django, Express's `all`)
    path: str  # as written in the source
    file: str
    line: int
    handler: str | None = None  # the decorated function, or Django's view


def find_routes(sources: Mapping[str, str]) -> list[Route]:
    """The routes in `sources` (repository path -> text), by file and line."""
    used = {
        name for name, pattern in _IMPORTS.items() if any(map(pattern.search, sources.values()))
    }
    found: list[Route] = []
    for path, text in sources.items():
        language = language_of(path)
        if language in ("JavaScript", "TypeScript") and "express" in used:
            found += _express(path, text)
        elif language == "Python":
            if PurePosixPath(path).name == "urls.py":
                found += _django(path, text)
            frameworks = {name for name in ("flask", "fastapi") if _IMPORTS[name].search(text)}
            framework = _python_framework(frameworks or used & {"flask", "fastapi"})
            if framework:
                found += _decorated(path, text, framework)
    return sorted(found, key=lambda r: (r.file, r.line))


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _method(name: str) -> str:
    return "ANY" if name == "all" else name.upper()


def _express(path: str, text: str) -> list[Route]:
    routes = [
        Route("Express", _method(m["method"]), m["path"], path, _line(text, m.start()))
        for m in _EXPRESS.finditer(text)
        if m["path"].startswith(("/", "*"))
    ]
    for m in _EXPRESS_ROUTE.finditer(text):
        # `router.route('/x').get(…).post(…)`: each verb of the chain, its arguments skipped.
        at = m.end()
        while chained := _CHAINED.match(text, at):
            line = _line(text, chained.start("method"))
            routes.append(Route("Express", _method(chained["method"]), m["path"], path, line))
            at = _after_call(text, chained.end())
    return routes


def _after_call(text: str, at: int) -> int:
    """Where the call whose arguments start at `at` ends (just past its `)`); strings and
    comments are not told apart: a stray bracket in one only cuts the chain short."""
    depth = 1
    for i in range(at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return len(text)


def _python_framework(names: set[str]) -> str | None:
    if names == {"flask"}:
        return "Flask"
    if names == {"fastapi"}:
        return "FastAPI"
    return "Flask or FastAPI" if names else None


def _decorated(path: str, text: str, framework: str) -> list[Route]:
    routes: list[Route] = []
    for m in _DECORATOR.finditer(text):
        handler = _DEF.search(text, m.end())
        # The decorator's own arguments: up to the function it decorates (or the next decorator).
        args = text[m.end() : handler.start() if handler else len(text)]
        methods = ["GET"]
        if m["method"] == "websocket":
            methods = ["WEBSOCKET"]
        elif m["method"] not in ("route", "api_route"):
            methods = [m["method"].upper()]
        elif listed := _METHODS.search(args):
            methods = [w.upper() for w in re.findall(r"\w+", listed["list"])] or methods
        name = "Flask" if m["method"] == "route" and framework != "FastAPI" else framework
        line = _line(text, m.start())
        for method in methods:
            routes.append(Route(name, method, m["path"], path, line, handler and handler["name"]))
    return routes


def _django(path: str, text: str) -> list[Route]:
    return [
        Route("Django", "ANY", m["path"], path, _line(text, m.start()), m["view"])
        for m in _DJANGO.finditer(text)
    ]
