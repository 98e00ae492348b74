"""The machine-checkable rules of `CONVENTIONS.md`: fenced `baton-rules` YAML blocks in the prose.

The file stays prose for people. Each ```` ```baton-rules ```` block holds a YAML list of rules; every
rule has an `id`, a `kind`, a `severity` (`minor` warns, `major` sends a correction), a `message`
and a fix `hint`. The kinds:

- `forbidden_paths`: `paths` (globs) no change may touch, unless the ticket names the path (or a
  glob inside the forbidden area) in its files to create or modify; a catch-all such as `**` does
  not lift the rule.
- `path`: files matching `applies_to` that the change ADDS (or renames to) must match one of
  `allowed`.
- `imports`: in files matching `applies_to` (Python, parsed with `ast`; JavaScript and TypeScript,
  `import`/`export … from`/`require()`/`import()`), imports from a `forbid` source are findings;
  with `require_from`, every import (or, with `names`, every import whose module or imported names
  match one of those globs) must come from one of those sources; `forbid_relative_depth: N` forbids
  relative imports that climb N or more directories (`../../x`, Python `from ...x`). A source is a
  module prefix (`unittest.mock`, `lodash`) or a path prefix (`tests/helpers/`).
- `patterns`: in ADDED lines of files matching `applies_to`, a `forbid` entry is a finding;
  a `require` entry must appear in every file the change adds (and must not be removed from a
  file that had it). An entry is a literal string (or `{literal: "..."}`), or `{regex: "..."}`,
  run in linear time by RE2 (`bot.validation.linear_regex`): the agent writes the text it runs on.
- `size`: at most `max_changed_lines` (added + removed) and `max_changed_files` per change,
  counting files matching `applies_to` (default: all).

`applies_to` and `exclude` take one glob or a list (glob semantics: `bot.globs`).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import Problem
from bot.state import Severity
from bot.tickets import RepoPath
from bot.validation.linear_regex import LiteralText, Matcher, compile_linear
from bot.yaml_source import parse_yaml, validation_problems

FENCE_INFO: Final = "baton-rules"
RULE_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
RESERVED_PREFIXES: Final = ("scope", "llm")  # ids Baton uses for its own findings

_FENCE_OPEN = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})(?P<rest>.*)")
_FENCE_CLOSE = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})[ \t]*")


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _compiles(value: str) -> str:
    compile_linear(value)  # UnsafePattern is a ValueError: the rule's problem, with its fix
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
Globs = Annotated[list[RepoPath], Field(min_length=1)]


class _Strict(BaseModel):
    # Built at the first rule read, not at import: most runs read none.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class Pattern(_Strict):
    """A `forbid` or `require` entry: a literal string (written bare, or as `{literal: ...}`) or a
    regular expression (`{regex: ...}`)."""

    literal: str | None = None
    regex: Annotated[str, AfterValidator(_compiles)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Pattern:
        if (self.literal is None) == (self.regex is None):
            raise ValueError("write a string, `{literal: ...}` or `{regex: ...}`")
        if not (self.literal or self.regex or "").strip():
            raise ValueError("is empty")
        return self

    @property
    def shown(self) -> str:
        return self.regex if self.regex is not None else str(self.literal)

    def compile(self) -> Matcher:
        return (
            compile_linear(self.regex) if self.regex is not None else LiteralText(str(self.literal))
        )


def _patterns(value: Any) -> Any:
    value = _one_or_many(value)
    if isinstance(value, list):
        return [{"literal": v} if isinstance(v, str) else v for v in value]
    return value


class _Rule(_Strict):
    id: str = Field(pattern=f"^{RULE_ID}$")
    severity: Severity
    message: Text
    hint: Text

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        head = re.split(r"[._-]", value, maxsplit=1)[0].lower()
        if head in RESERVED_PREFIXES:
            raise ValueError(f"ids starting with `{head}` are Baton's own; choose another")
        return value


class _Scoped(_Rule):
    applies_to: Globs
    exclude: list[RepoPath] = Field(default_factory=list)

    _lists = field_validator("applies_to", "exclude", mode="before")(_one_or_many)


class ForbiddenPathsRule(_Rule):
    kind: Literal["forbidden_paths"]
    paths: Globs

    _lists = field_validator("paths", mode="before")(_one_or_many)


class PathRule(_Scoped):
    kind: Literal["path"]
    allowed: Globs

    _allowed = field_validator("allowed", mode="before")(_one_or_many)


class ImportsRule(_Scoped):
    kind: Literal["imports"]
    forbid: list[Text] = Field(default_factory=list)
    require_from: list[Text] = Field(default_factory=list)
    names: list[Text] = Field(default_factory=list)
    forbid_relative_depth: int | None = Field(default=None, ge=1)

    _sources = field_validator("forbid", "require_from", "names", mode="before")(_one_or_many)

    @model_validator(mode="after")
    def _something_to_check(self) -> ImportsRule:
        if not (self.forbid or self.require_from or self.forbid_relative_depth):
            raise ValueError("needs `forbid`, `require_from` or `forbid_relative_depth`")
        if self.names and not self.require_from:
            raise ValueError("`names` selects imports for `require_from`; add `require_from`")
        return self


class PatternsRule(_Scoped):
    kind: Literal["patterns"]
    forbid: list[Pattern] = Field(default_factory=list)
    require: list[Pattern] = Field(default_factory=list)

    _patterns = field_validator("forbid", "require", mode="before")(_patterns)

    @model_validator(mode="after")
    def _something_to_check(self) -> PatternsRule:
        if not (self.forbid or self.require):
            raise ValueError("needs `forbid` or `require`")
        return self


class SizeRule(_Rule):
    kind: Literal["size"]
    max_changed_lines: int | None = Field(default=None, ge=1)
    max_changed_files: int | None = Field(default=None, ge=1)
    applies_to: list[RepoPath] = Field(default_factory=list)
    exclude: list[RepoPath] = Field(default_factory=list)

    _lists = field_validator("applies_to", "exclude", mode="before")(_one_or_many)

    @model_validator(mode="after")
    def _something_to_check(self) -> SizeRule:
        if self.max_changed_lines is None and self.max_changed_files is None:
            raise ValueError("needs `max_changed_lines` or `max_changed_files`")
        return self


AnyRule = ForbiddenPathsRule | PathRule | ImportsRule | PatternsRule | SizeRule
Rule = Annotated[AnyRule, Field(discriminator="kind")]
KINDS: dict[str, type[AnyRule]] = {
    "forbidden_paths": ForbiddenPathsRule,
    "path": PathRule,
    "imports": ImportsRule,
    "patterns": PatternsRule,
    "size": SizeRule,
}


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block: the 1-based lines of its opening and closing fences."""

    info: str
    text: str
    start: int
    end: int | None  # None when the fence is never closed


def fenced_blocks(markdown: str) -> list[Block]:
    """Every fenced code block (``` or ~~~), as CommonMark reads them."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.fullmatch(lines[i])
        if opened is None or (opened["fence"][0] == "`" and "`" in opened["rest"]):
            i += 1  # not a fence: a backtick fence's info string has no backtick
            continue
        fence, info = opened["fence"], (opened["rest"].split() or [""])[0]
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closed = _FENCE_CLOSE.fullmatch(lines[j])
            if closed and closed["fence"][0] == fence[0] and len(closed["fence"]) >= len(fence):
                break
            body.append(lines[j])
            j += 1
        end = j + 1 if j < len(lines) else None
        blocks.append(Block(info, "\n".join(body), i + 1, end))
        i = j + 1
    return blocks


def conventions_prose(markdown: str) -> str:
    """The conventions for people: the markdown without its `baton-rules` blocks."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    drop: set[int] = set()
    for block in fenced_blocks(markdown):
        if block.info == FENCE_INFO:
            drop.update(range(block.start - 1, block.end or len(lines)))
    kept = [line for n, line in enumerate(lines) if n not in drop]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip() + "\n"


def _rule_name(item: Any, number: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
        return f"rule `{item['id']}`"
    return f"rule #{number}"


def parse_rules(markdown: str, source: str) -> tuple[list[Rule], list[Problem]]:
    """Every rule of every `baton-rules` block, and every problem (with the line in the markdown
    file and the rule's id, or its number counted from 1 across the file, when it has no id).
    Valid rules are returned even when others are malformed."""
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    number = 0
    for block in fenced_blocks(markdown):
        if block.info != FENCE_INFO:
            continue
        offset = block.start  # block line 1 is the line after the opening fence
        if block.end is None:
            problems.append(
                Problem(
                    "error",
                    FENCE_INFO,
                    f"the block opened at line {block.start} is never closed; close it with a fence",
                    source,
                    block.start,
                )
            )
        doc, found = parse_yaml(block.text, source)
        problems += [_shift(p, offset, FENCE_INFO) for p in found]
        if doc is None or doc.data is None:
            continue
        if not isinstance(doc.data, list):
            problems.append(
                Problem(
                    "error",
                    FENCE_INFO,
                    "a rules block is a YAML list of rules (`- id: ...`)",
                    source,
                    block.start,
                )
            )
            continue
        for index, item in enumerate(doc.data):
            number += 1
            name = _rule_name(item, number)
            line = (doc.line((index,)) or 1) + offset
            rule, errors = _parse_rule(item, index, doc)
            problems += [
                _shift(
                    dataclasses.replace(p, field=name + p.field.removeprefix(f"[{index}]")), offset
                )
                for p in errors
            ]
            if rule is None:
                continue
            if rule.id in seen:
                problems.append(
                    Problem(
                        "error",
                        name,
                        f"the id is used twice (lines {seen[rule.id]} and {line}); ids are unique",
                        source,
                        line,
                    )
                )
                continue
            seen[rule.id] = line
            rules.append(rule)
    return rules, sorted(problems, key=lambda p: p.line or 0)


def _shift(problem: Problem, offset: int, field: str | None = None) -> Problem:
    line = problem.line + offset if problem.line is not None else offset
    return dataclasses.replace(problem, line=line, field=field or problem.field)


def _parse_rule(item: Any, index: int, doc: Any) -> tuple[Rule | None, list[Problem]]:
    def problem(field: str, message: str) -> list[Problem]:
        loc = (index, field) if field else (index,)
        suffix = f".{field}" if field else ""
        return [Problem("error", f"[{index}]{suffix}", message, doc.source, doc.line(loc))]

    if not isinstance(item, dict):
        return None, problem("", "a rule is a mapping with `id`, `kind`, `severity`, ...")
    kind = item.get("kind")
    known = ", ".join(KINDS)
    if kind is None:
        return None, problem("kind", f"is required (one of: {known})")
    if not isinstance(kind, str):
        # Named by its type only: its text could be a billion items long (YAML aliases).
        return None, problem("kind", f"is a {type(kind).__name__}, not a name; one of: {known}")
    if kind not in KINDS:
        near = difflib.get_close_matches(kind, list(KINDS), n=1)
        advice = f"did you mean `{near[0]}`?" if near else f"known: {known}"
        return None, problem("kind", f"unknown kind `{kind[:80]}`; {advice}")
    model = KINDS[kind]
    try:
        return model.model_validate(item), []
    except ValidationError as exc:
        return None, validation_problems(exc, doc, model, prefix=(index,))
