"""YAML as users write it: the data, plus the line of every key, so that an error can say where."""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import Problem

Loc = tuple[int | str, ...]

# The C loader is much faster; PyYAML built without libyaml has only the pure-Python one.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """The data of a YAML text, as `yaml.safe_load` reads it, with the C loader where there is one
    (some ten times faster on a workflow file)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)


@dataclass
class YamlDoc:
    data: Any
    source: str
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest parent that has one."""
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


MAX_DEPTH = 50  # Baton's files are a few levels deep; far deeper is an accident or an attack
_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _index(node: yaml.Node, lines: dict[Loc, int], twice: list[tuple[Loc, int, int]]) -> int:
    """Record the line of every key and item; a key written twice in one mapping goes to `twice`
    (YAML loaders keep the last one silently, so the first would be lost without a word).

    Iterative, and each node is walked once: an alias is not walked again (a "billion laughs"
    file names one node billions of times). Returns the deepest nesting seen."""
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(node, ())]
    deepest = 0
    while stack:
        current, loc = stack.pop()
        lines.setdefault(loc, current.start_mark.line + 1)
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        deepest = max(deepest, len(loc))
        if len(loc) > MAX_DEPTH:
            break
        if isinstance(current, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key, value in current.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line)
                line = key.start_mark.line + 1
                if name in keys and key.tag != "tag:yaml.org,2002:merge":
                    twice.append(((*loc, name), keys[name], line))
                keys.setdefault(name, line)
                lines[(*loc, name)] = line
                stack.append((value, (*loc, name)))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, (*loc, i)) for i, item in enumerate(current.value))
    return deepest


def _nested_too_deep(text: str) -> bool:
    """Whether a collection opens inside more than MAX_DEPTH + 1 others, which `_index` would find
    too deep, told from the parser's events before anything is composed: libyaml slows with the
    square of the nesting (0.7 s a pass over a 10,000-deep file), and this stops a level past
    the limit."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, _OPENS):
            depth += 1
            if depth > MAX_DEPTH + 1:
                return True
        elif isinstance(event, _CLOSES):
            depth -= 1
    return False


def _too_deep(source: str) -> Problem:
    return Problem("error", "yaml", f"is nested more than {MAX_DEPTH} levels deep", source, 1)


def parse_yaml(text: str, source: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse one YAML document. Invalid YAML is a problem with its line, never an exception."""
    try:
        if _nested_too_deep(text):
            return None, [_too_deep(source)]
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            lines: dict[Loc, int] = {}
            twice: list[tuple[Loc, int, int]] = []
            if node is not None and _index(node, lines, twice) > MAX_DEPTH:
                return None, [_too_deep(source)]
            # The data from the nodes just composed, as `yaml.load` would build it from its own.
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        return None, [
            Problem("error", "yaml", f"invalid YAML: {_said(exc, text)}", source, _line(exc))
        ]
    except yaml.YAMLError as exc:
        return None, [Problem("error", "yaml", f"invalid YAML: {exc}", source)]
    except RecursionError:
        return None, [Problem("error", "yaml", "is nested too deeply to read", source, 1)]
    if twice:
        return None, [
            Problem(
                "error",
                _dotted(loc),
                f"is written twice (lines {first} and {second}); keep one",
                source,
                second,
            )
            for loc, first, second in sorted(twice, key=lambda t: t[2])
        ]
    return YamlDoc(data, source, lines), []


def read_yaml(path: Path) -> tuple[YamlDoc | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem("error", "file", f"cannot read: {exc}", str(path))]
    return parse_yaml(text, str(path))


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that holds the last key of `loc`, walking fields, lists and dicts."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        while True:
            origin = typing.get_origin(current)
            if origin in (typing.Union, types.UnionType):
                models = [a for a in typing.get_args(current) if isinstance(a, type)]
                models = [a for a in models if issubclass(a, BaseModel)]
                current = models[0] if models else None
            elif origin in (list, dict):
                if isinstance(part, str) and origin is list:
                    break
                current = typing.get_args(current)[-1]
                break
            else:
                break
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top)"


def validation_problems(
    exc: ValidationError, doc: YamlDoc, model: type[BaseModel], prefix: Loc = ()
) -> list[Problem]:
    """Turn pydantic's errors into problems that name the key path, the line and the near miss."""
    problems = []
    for err in exc.errors():
        loc: Loc = (*prefix, *err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            holder = _model_at(model, err["loc"][:-1])
            known = list(holder.model_fields) if holder else []
            near = difflib.get_close_matches(str(loc[-1]), known, n=1)
            message = "unknown key" + (f"; did you mean `{near[0]}`?" if near else "")
            if known and not near:
                message += f" (known: {', '.join(known)})"
        elif err["type"] == "missing":
            message = "is required"
        elif err["type"] == "list_type":
            message = "must be a list: `[a, b]`, or one `- item` per line"
        elif err["type"] == "literal_error" and isinstance(err["input"], str):
            known = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
            near = difflib.get_close_matches(err["input"], known, n=1, cutoff=0.5)
            message = f"`{err['input']}` is not one of {', '.join(known)}" + (
                f"; did you mean `{near[0]}`?" if near else ""
            )
        problems.append(Problem("error", _dotted(loc), message, doc.source, doc.line(loc)))
    # pydantic reports in field order; people read a file top to bottom.
    return sorted(problems, key=lambda p: p.line or 0)


def _line(exc: yaml.MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark else None


def _said(exc: yaml.MarkedYAMLError, text: str) -> str:
    """PyYAML's problem, with where what it was reading began when that is another line (an
    unclosed `[` is found on a later line), and the fix of its most common cause, a tab."""
    if not exc.problem:
        return str(exc)
    said = exc.problem
    start = exc.context_mark
    if exc.context and start and exc.problem_mark and start.line != exc.problem_mark.line:
        said += f", {exc.context} that begins on line {start.line + 1}"
    elif exc.context:
        said += f" {exc.context}"
    mark = exc.problem_mark
    lines = text.splitlines()
    if (
        mark
        and mark.line < len(lines)
        and lines[mark.line][mark.column : mark.column + 1] == "\t"
        and "tab" not in said
    ):
        said += "; it is a tab: indent with spaces"
    return said
