"""The plan check: a drafted chain file, checked outside the agent against the repository at the
base commit, like any other result, before anyone spends agent time on it. Each defect is one
`Problem` whose field names the ticket and its field (`price: files.modify[0]`) and whose message
says the fix: the problems go back to the planner as a correction, and the checks, each passed,
failed or skipped, go into the final report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from bot.chain_file import ChainFile, parse_chain_doc
from bot.config import Config
from bot.errors import Problem
from bot.planning.drafted import Drafted
from bot.planning.plan_commands import commands_that_cannot_start
from bot.planning.plan_files import (
    existing_creates,
    missing_files,
    oversized,
    protected_paths,
    unmatched_globs,
)
from bot.planning.plan_order import dependency_cycles, unordered_overlaps
from bot.planning.tree import read_tree
from bot.workspace import Git
from bot.yaml_source import parse_yaml

LINT = "the chain file lints"
FILES_EXIST = "files to modify or read exist at the base"
CREATES_NEW = "files to create are new"
GLOBS_MATCH = "globs match files at the base"
NO_CYCLE = "dependencies form no cycle"
OVERLAPS_ORDERED = "tickets changing one file are ordered"
COMMANDS_START = "test commands start at the base"
NOT_PROTECTED = "no protected paths"
SIZE = "tickets within plan.max_files_per_ticket"
CHECKS = (
    LINT,
    FILES_EXIST,
    CREATES_NEW,
    GLOBS_MATCH,
    NO_CYCLE,
    OVERLAPS_ORDERED,
    COMMANDS_START,
    NOT_PROTECTED,
    SIZE,
)
Status = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class Check:
    name: str  # one of CHECKS
    status: Status  # skipped: the chain file did not lint, so nothing past it could be checked


@dataclass(frozen=True)
class PlanCheck:
    chain: ChainFile | None  # the parsed chain; None when it does not lint
    checks: list[Check]  # every one of CHECKS, in that order
    problems: list[Problem]  # errors, each one line: `Problem.render()`

    @property
    def ok(self) -> bool:
        return not self.problems


def check_plan(
    text: str,
    *,
    source: str,
    git: Git,
    base: str,
    config: Config,
    environ: Mapping[str, str],
) -> PlanCheck:
    """Check the chain file `text` (shown as `source`, e.g. `tickets/<chain>.yml`; its name is
    the chain's unless it sets `chain:`) against the repository of `git` at `base`, with the
    repository's `config`. `environ` is Baton's environment: a test command's program is looked
    for on its PATH. Nothing is run; the working copy is not touched."""
    doc, problems = parse_yaml(text, source)
    chain = None
    if doc is not None:
        # Protected paths and cycles are checks of their own, each naming its ticket.
        chain, problems = parse_chain_doc(
            doc, PurePosixPath(source).stem, allow_protected=True, keep_cycles=True
        )
        problems = [p for p in problems if p.severity == "error" and p.field != "depends_on"]
    if chain is None or doc is None or problems:
        return PlanCheck(
            None,
            [Check(LINT, "failed"), *(Check(name, "skipped") for name in CHECKS[1:])],
            problems,
        )
    drafted = Drafted(chain, doc, read_tree(git, base), config.allow_protected)
    found = {
        LINT: [],
        FILES_EXIST: missing_files(drafted),
        CREATES_NEW: existing_creates(drafted),
        GLOBS_MATCH: unmatched_globs(drafted),
        NO_CYCLE: dependency_cycles(drafted),
        OVERLAPS_ORDERED: unordered_overlaps(drafted),
        COMMANDS_START: commands_that_cannot_start(drafted, config, git.root, environ),
        NOT_PROTECTED: protected_paths(drafted),
        SIZE: oversized(drafted, config.plan.max_files_per_ticket),
    }
    checks = [Check(name, "failed" if found[name] else "passed") for name in CHECKS]
    # In the order of the file, so that the planner reads them as it wrote the tickets.
    problems = sorted((p for name in CHECKS for p in found[name]), key=lambda p: p.line or 0)
    return PlanCheck(chain, checks, problems)
