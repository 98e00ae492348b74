"""The shape of `bot/`, read from its source with `ast`: no import cycle, no module over 400
lines, the forge and the agents independent of the chain state (even through other modules),
and the environment read only by the entry point."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
MAX_LINES = 400
STATE = "bot.state"
INDEPENDENT = ("bot.forge", "bot.agents")
# The entry point reads the environment once and builds the runtime from it.
READS_ENVIRONMENT = {"bot.cli", "bot.runtime"}


def _name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _modules() -> dict[str, Path]:
    return {_name(path): path for path in sorted(BOT.rglob("*.py"))}


@functools.cache
def _tree(name: str) -> ast.Module:
    path = _modules()[name]
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


@functools.cache
def _imported(name: str) -> frozenset[str]:
    """The modules of `bot` that `name` imports anywhere in it (also inside a function, or for
    type checking only): `from a import b` counts as `a.b` when that is a module, else `a`."""
    package = name if _modules()[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return frozenset(
        module for imported in found if (module := _module_of(imported)) not in {"", name}
    )


def _module_of(imported: str) -> str:
    """The module of `bot` that `imported` names, or is in ("" when none: another package)."""
    while imported and imported not in _modules():
        imported = imported.rpartition(".")[0]
    return imported


def _with_packages(names: frozenset[str]) -> frozenset[str]:
    """`names` and the packages they are in: importing `a.b.c` runs `a/__init__` and `a/b/__init__`."""
    parts = [name.split(".") for name in names]
    packages = {".".join(p[:i]) for p in parts for i in range(1, len(p))}
    return names | (packages & set(_modules()))


def _path_to(start: str, target: str) -> list[str] | None:
    """The first import path from `start` to `target` (packages run on the way included)."""
    came_from: dict[str, str | None] = {start: None}
    todo = [start]
    while todo:
        current = todo.pop(0)
        if current == target:
            path = [current]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            return path[::-1]
        for following in sorted(_with_packages(_imported(current)) - {current}):
            if following not in came_from:
                came_from[following] = current
                todo.append(following)
    return None


def _cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    graph = {name: _imported(name) for name in _modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for following in graph[node]:
            if following not in index:
                visit(following)
                low[node] = min(low[node], low[following])
            elif following in stack:
                low[node] = min(low[node], index[following])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return found


def _reads_environment(name: str) -> bool:
    """`os.environ`, `os.environb`, `os.getenv` or `from os import environ` anywhere in `name`."""
    for node in ast.walk(_tree(name)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in {"environ", "environb", "getenv", "getenvb"}
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in {"environ", "environb", "getenv"} for alias in node.names)
        ):
            return True
    return False


def test_the_graph_is_read_from_the_package() -> None:
    assert {"bot.cli", "bot.state", "bot.forge", "bot.agents.cli.agent"} <= set(_modules())
    assert "bot.state" in _imported("bot.chain_store")
    assert _path_to("bot.local", STATE) is not None


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: lines
        for name, path in _modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_forge_and_the_agents_do_not_reach_the_chain_state() -> None:
    reaching = {
        name: " -> ".join(path)
        for name in _modules()
        if name.startswith(INDEPENDENT) and (path := _path_to(name, STATE))
    }
    assert reaching == {}


def test_only_the_entry_point_reads_the_environment() -> None:
    assert {name for name in _modules() if _reads_environment(name)} <= READS_ENVIRONMENT
    assert _reads_environment("bot.cli")
