"""The sabotage check: break the code under test, one small change at a time, and run the
ticket's tests; each mutant they do not notice survives. It runs in a checkout of the head, so
the working copy is never touched, and within `validation.evidence.budget_minutes`.

The tests run alone first, unbroken: they must pass there, and how long they take sets each
mutant's timeout (a mutant that loops forever is noticed, as a timeout). Where that run writes a
coverage report, the mutants go on the lines the tests ran; a file they never ran is broken
anywhere, so that tests of a mock are caught."""

from __future__ import annotations

import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.config import ValidationConfig
from bot.evidence.checkout import checkout
from bot.evidence.coverage import read_coverage
from bot.evidence.files import Target
from bot.evidence.mutations import Mutation, apply, candidates, choose
from bot.evidence.report_error import ReportError
from bot.evidence.report_files import ReportFiles
from bot.evidence.runner import Runner
from bot.state import Mutant
from bot.workspace import Git

# A Python run under sabotage must read the mutated source, never a cached compile of the
# original: a mutant of the same size written within the same second has the same stamp.
_NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}
# A mutant's timeout: this many times the unbroken run, and at least `_MIN_TIMEOUT_S`.
_SLOWER = 4
_MIN_TIMEOUT_S = 10.0


@dataclass
class Sabotage:
    mutants: list[Mutant] = field(default_factory=list)
    not_tried: str | None = None  # why nothing was tried, when nothing was


def command_for(cfg: ValidationConfig, command: str, tests: list[str]) -> str:
    """The command that runs only `tests`, or the whole `command` where none is configured."""
    template = cfg.evidence.tests_command
    if template is None:
        return command
    # A name the agent chose is one argument, and never an option (`-k.py` is `./-k.py`).
    paths = [f"./{t}" if t.startswith("-") else t for t in tests]
    return template.replace("{tests}", " ".join(shlex.quote(t) for t in paths))


def sabotage(
    git: Git, head: str, *, command: str, targets: list[Target], tests: list[str], run: Runner
) -> Sabotage:
    cfg, run = run.config, replace(run, extra_env={**run.extra_env, **_NO_BYTECODE})
    started = time.monotonic()
    budget = cfg.evidence.budget_minutes * 60
    command = command_for(cfg, command, tests)
    reports = [cfg.coverage] if cfg.coverage else []
    with checkout(git, head, run_as=run.run_as, reports=reports) as work:
        files = ReportFiles(work, reports, {})
        files.clear()
        clean = run(command, work, min(run.timeout_s, budget))
        if not clean.ok:
            state = "timed out" if clean.timed_out else f"exit {clean.exit_code}"
            return Sabotage(
                not_tried=f"the tests fail when run alone, unbroken (`{command}`: {state})"
            )
        covered = _covered(files.take(), cfg.coverage, work)
        texts = {t.path: _text(work, t.path) for t in targets}
        chosen = _choose(targets, texts, covered, cfg.evidence.mutants)
        if not chosen:
            return Sabotage(not_tried="no line of the code under test can be broken")
        timeout = min(run.timeout_s, max(_MIN_TIMEOUT_S, _SLOWER * clean.duration_s))
        out = []
        for path, mutation in chosen:
            left = budget - (time.monotonic() - started)
            if left < min(timeout, _MIN_TIMEOUT_S):
                out.append(_mutant(path, mutation, None, "not tried: the time budget ran out"))
                continue
            text, limit = texts[path] or "", min(timeout, left)
            out.append(_try(work, path, text, mutation, command=command, run=run, timeout=limit))
    return Sabotage(mutants=out)


def _try(
    work: Path,
    path: str,
    text: str,
    mutation: Mutation,
    *,
    command: str,
    run: Runner,
    timeout: float,
) -> Mutant:
    file = work / path
    original = file.read_bytes()
    file.write_text(apply(text, mutation), encoding="utf-8", newline="")
    try:
        result = run(command, work, timeout)
    finally:
        file.write_bytes(original)
    if result.timed_out:
        return _mutant(path, mutation, True, "timed out")
    return _mutant(
        path, mutation, not result.ok, "tests failed" if not result.ok else "tests passed"
    )


def _mutant(path: str, m: Mutation, killed: bool | None, outcome: str) -> Mutant:
    return Mutant(
        file=path,
        line=m.line,
        operator=m.operator,
        before=m.before.strip(),
        after=m.after.strip(),
        killed=killed,
        outcome=outcome,
    )


def _text(work: Path, path: str) -> str | None:
    """The file's text, when it is a plain file of the checkout. Baton reads and writes it with
    its own rights: never through a link the agent committed, which may lead anywhere."""
    file = work / path
    if file.is_symlink() or not file.resolve().is_relative_to(work.resolve()):
        return None
    try:
        return file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # gone, or not UTF-8: not broken by Baton


def _covered(
    taken: Mapping[str, bytes | None], path: str | None, root: Path
) -> dict[str, frozenset[int]]:
    data = taken.get(path) if path else None
    if data is None:
        return {}
    try:
        return read_coverage(data, path or "", str(root))
    except ReportError:
        return {}  # an unreadable report only loses the aim; phase 1 reports it


def _choose(
    targets: list[Target],
    texts: Mapping[str, str | None],
    covered: Mapping[str, frozenset[int]],
    limit: int,
) -> list[tuple[str, Mutation]]:
    """At most `limit` mutations over all targets, shared out by how many each file offers."""
    found: dict[str, list[Mutation]] = {}
    for target in targets:
        text = texts[target.path]
        if text is None:
            continue
        ran = covered.get(target.path)
        aimed = (target.lines & ran if target.lines is not None else ran) if ran else None
        # Where the tests ran nothing that can be broken, anything may be: tests of a mock.
        possible = (aimed and candidates(target.path, text, aimed)) or candidates(
            target.path, text, target.lines
        )
        if possible:
            found[target.path] = possible
    total = sum(len(c) for c in found.values())
    if not total:
        return []
    shares = _shares({p: len(c) for p, c in found.items()}, min(limit, total))
    return [
        (path, m)
        for path, possible in found.items()
        for m in choose(path, texts[path] or "", possible, shares[path])
    ]


def _shares(sizes: dict[str, int], limit: int) -> dict[str, int]:
    """`limit` shared out in proportion to `sizes` (largest remainders), none above its size."""
    total = sum(sizes.values())
    exact = {p: limit * n / total for p, n in sizes.items()}
    shares = {p: int(x) for p, x in exact.items()}
    for p in sorted(exact, key=lambda p: (shares[p] - exact[p], p))[: limit - sum(shares.values())]:
        shares[p] += 1
    return {p: min(s, sizes[p]) for p, s in shares.items()}
