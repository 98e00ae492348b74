"""Chain files, `tickets/<chain>.yml`: the tickets of one chain, in order, kept in the repository."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ChainError, Problem, TicketError, cap_warnings
from bot.ordering import work_order
from bot.protected import protected_files, protected_message
from bot.tickets import Ticket
from bot.yaml_source import YamlDoc, read_yaml, validation_problems

KEY_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def unfit_for_branch(name: str) -> str | None:
    """Why a chain name that matches KEY_RE still cannot end a git branch name
    (`git check-ref-format`), or None."""
    if ".." in name:
        return "holds `..`"
    if name.endswith((".lock", ".")):
        return "ends in `.lock`" if name.endswith(".lock") else "ends in `.`"
    return None


def _name(value: str) -> str:
    """A key or chain name: KEY_RE, said in words rather than as the pattern."""
    if not re.fullmatch(KEY_RE, value):
        raise ValueError(
            f"`{value}` is not a name Baton takes: start with a letter or digit, then letters, "
            "digits, `.`, `_` or `-` (64 characters at most)"
        )
    return value


Name = Annotated[str, AfterValidator(_name)]


class TicketEntry(Ticket):
    """One ticket as written in a chain file: a key and a title are required, the chain is the file's."""

    key: Name  # required here, and narrower than an issue's key
    title: str
    chain: None = Field(default=None, exclude=True)


class ChainFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    chain: Name | None = None
    description: str | None = None
    tickets: list[TicketEntry] = Field(min_length=1)


class ChainFile(BaseModel):
    """A parsed chain file: its name, description and tickets in file order."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    description: str | None
    tickets: list[Ticket]


def parse_chain_doc(
    doc: YamlDoc,
    default_name: str,
    *,
    allow_protected: bool = False,
    keep_cycles: bool = False,
    lint: Path | None = None,
) -> tuple[ChainFile | None, list[Problem]]:
    """The chain of a parsed file (None when any error) and its problems. A protected path among
    a ticket's files is an error unless `allow_protected` (the repository's `allow_protected`).
    `keep_cycles`: a chain whose only error is a dependency cycle is returned all the same, for a
    run, which blocks the tickets on the cycle and works the others. `lint`: the working copy;
    warnings too, of what parses but cannot work as meant there."""
    chain, problems = _parse_chain_doc(doc, default_name, allow_protected)
    if chain is not None and problems and not keep_cycles:
        chain = None
    if lint is not None and chain is not None:
        problems += _unscoped(doc, chain) + _mistaken_paths(doc, chain, lint)
    return chain, cap_warnings(problems)


def _unscoped(doc: YamlDoc, chain: ChainFile) -> list[Problem]:
    """A ticket that names no file to create or modify: every file its agent changes is outside
    its scope (a major finding), so it can pass only by changing nothing."""
    return [
        Problem(
            "warning",
            f"tickets[{i}].files",
            "names no file to create or modify: any file the agent changes is then a major "
            "finding (scope.outside), and the ticket passes only if nothing changes",
            doc.source,
            doc.line(("tickets", i)),
        )
        for i, ticket in enumerate(chain.tickets)
        if not (ticket.files.create or ticket.files.modify)
    ]


def _parse_chain_doc(
    doc: YamlDoc, default_name: str, allow_protected: bool
) -> tuple[ChainFile | None, list[Problem]]:
    if not isinstance(doc.data, dict):
        return None, [Problem("error", "(top)", "must be a mapping with `tickets:`", doc.source, 1)]
    try:
        model = ChainFileModel.model_validate(doc.data)
    except ValidationError as exc:
        return None, validation_problems(exc, doc, ChainFileModel)
    name = model.chain or default_name
    problems: list[Problem] = []
    if not re.fullmatch(KEY_RE, name):
        # The name becomes part of a branch name: the file name must be a valid one too.
        problems.append(
            Problem(
                "error",
                "chain",
                f"the file name `{name}` is not a valid chain name ({KEY_RE}); rename the file "
                "or set `chain:`",
                doc.source,
                1,
            )
        )
    elif why := unfit_for_branch(name):
        where = doc.line(("chain",)) if model.chain else 1
        problems.append(
            Problem(
                "error",
                "chain",
                f"`{name}` {why}, so `baton/{name}` is not a git branch name; rename the chain",
                doc.source,
                where,
            )
        )
    seen: dict[str, int] = {}
    for i, entry in enumerate(model.tickets):
        if entry.key in seen:
            problems.append(
                Problem(
                    "error",
                    f"tickets[{i}].key",
                    f"`{entry.key}` is used twice (also tickets[{seen[entry.key]}]); keys are unique",
                    doc.source,
                    doc.line(("tickets", i, "key")),
                )
            )
        seen.setdefault(entry.key, i)
        for name, j, path in [] if allow_protected else protected_files(entry.files):
            problems.append(
                Problem(
                    "error",
                    f"tickets[{i}].files.{name}[{j}]",
                    protected_message(path),
                    doc.source,
                    doc.line(("tickets", i, "files", name, j)),
                )
            )
    for i, entry in enumerate(model.tickets):
        for j, dep in enumerate(entry.depends_on):
            if dep not in seen:
                problems.append(
                    Problem(
                        "error",
                        f"tickets[{i}].depends_on",
                        f"`{dep}` is not a ticket key in this file",
                        doc.source,
                        doc.line(("tickets", i, "depends_on", j)),
                    )
                )
            elif dep == entry.key:
                problems.append(
                    Problem(
                        "error",
                        f"tickets[{i}].depends_on",
                        f"`{dep}` depends on itself",
                        doc.source,
                        doc.line(("tickets", i, "depends_on", j)),
                    )
                )
    if any(p.severity == "error" for p in problems):
        return None, problems
    try:
        work_order(model.tickets)
    except ChainError as exc:
        # An error for `tickets lint`; a run blocks the tickets on the cycle and works the rest.
        problems.append(
            Problem("error", "depends_on", str(exc), doc.source, doc.line(("tickets",)))
        )
    tickets = [
        Ticket.model_validate({**entry.model_dump(), "chain": name}) for entry in model.tickets
    ]
    chain = ChainFile(name=name, path=doc.source, description=model.description, tickets=tickets)
    return chain, problems


def _mistaken_paths(doc: YamlDoc, chain: ChainFile, root: Path) -> list[Problem]:
    """A file to modify that is not in the working copy and that no ticket of the chain creates:
    a mistyped path, most likely, and the file the agent changes instead is then a major finding.
    Patterns and directories are left alone. (A file to create that is there already is not
    told: so is every file of a chain that has run.)"""
    created = {p for t in chain.tickets for p in t.files.create}
    return [
        Problem(
            "warning",
            f"tickets[{i}].files.modify[{j}]",
            f"`{path}` does not exist, and no ticket of the chain creates it; correct the path, "
            "or name it in files.create if the ticket makes it",
            doc.source,
            doc.line(("tickets", i, "files", "modify", j)),
        )
        for i, ticket in enumerate(chain.tickets)
        for j, path in enumerate(ticket.files.modify)
        if not (path.endswith("/") or any(c in path for c in "*?["))
        and path not in created
        and not (root / path).exists()
    ]


def parse_chain_file(
    path: Path,
    *,
    allow_protected: bool = False,
    keep_cycles: bool = False,
    lint: Path | None = None,
) -> tuple[ChainFile | None, list[Problem]]:
    doc, problems = read_yaml(path)
    if doc is None:
        return None, problems
    return parse_chain_doc(
        doc, path.stem, allow_protected=allow_protected, keep_cycles=keep_cycles, lint=lint
    )


def load_chain_file(path: Path) -> ChainFile:
    chain, problems = parse_chain_file(path)
    if chain is None:
        raise TicketError(problems)
    return chain


def load_chain_dir(directory: Path, *, allow_protected: bool = False) -> list[ChainFile]:
    """Every chain file in `directory` (`*.yml` and `*.yaml`), sorted by name; all errors at once.
    A chain whose only error is a dependency cycle is loaded: its run blocks the cycle."""
    chains: list[ChainFile] = []
    problems: list[Problem] = []
    for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        chain, found = parse_chain_file(path, allow_protected=allow_protected, keep_cycles=True)
        if chain is None:
            problems += found
        else:
            chains.append(chain)  # a dependency cycle blocks its tickets when the chain runs
    problems += defined_twice(chains)
    if any(p.severity == "error" for p in problems):
        raise TicketError(problems)
    return chains


def defined_twice(chains: list[ChainFile]) -> list[Problem]:
    """An error for each chain after the first of its name."""
    problems: list[Problem] = []
    first: dict[str, ChainFile] = {}
    for chain in chains:
        if chain.name in first:
            problems.append(
                Problem(
                    "error",
                    "chain",
                    f"`{chain.name}` is also defined by {first[chain.name].path}; a chain is one "
                    "file (its name, or its `chain:`)",
                    chain.path,
                )
            )
        first.setdefault(chain.name, chain)
    return problems
