"""The audit `baton plan` starts from: deterministic and cheap, made from the repository at the
base commit alone (no agent): its layout, languages, test command and how it does there, the
source files no test touches, and the HTTP entry points it can tell. The data is here; its
Markdown, and the file the knowledge base keeps it in, are `bot.planning.audit_md`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.config import Config
from bot.planning.base_tests import BaseTests, run_base_tests
from bot.planning.file_kinds import is_test, is_vendored, language_of
from bot.planning.routes import Route, find_routes
from bot.planning.tree import Tree, read_tree
from bot.planning.untested import tests_to_read, untested_sources
from bot.sandbox import Sandbox
from bot.workspace import Git, decoded

# Source files larger than this are generated or bundled: no route or test is looked for there.
MAX_SOURCE_BYTES = 256_000
_ROUTE_LANGUAGES = frozenset({"Python", "JavaScript", "TypeScript"})
TOP_LEVEL = "(top level)"


@dataclass(frozen=True)
class Audit:
    chain: str
    commit: str  # the base commit's full id
    files: int
    layout: list[tuple[str, int]]  # top-level directory (or TOP_LEVEL) and the files under it
    languages: list[tuple[str, int]]  # most files first; "other" for unknown extensions
    test_command: str | None  # the configured one (validation.test_command)
    tests: BaseTests | None  # its run at the base; None when there is no test command
    untested: list[str]  # source files no test mentions (heuristic: bot.planning.untested)
    routes: list[Route]


def audit_repository(
    git: Git,
    base: str,
    config: Config,
    *,
    chain: str,
    environ: Mapping[str, str],
    sandbox: Sandbox,
) -> Audit:
    """Audit the repository of `git` at `base` (a commit or branch) for the chain `chain`. The
    test command runs in `sandbox` with `environ` less every credential, in a throwaway checkout:
    the working copy is left as it is."""
    tree = read_tree(git, base)
    command = config.validation.test_command
    tests = None
    if command:
        tests = run_base_tests(git, tree.commit, command, config, environ=environ, sandbox=sandbox)
    sizes = {path: file.size for path, file in tree.files.items()}
    test_paths = tests_to_read(sizes)
    route_paths = [p for p in tree.files if _route_source(tree, p)]
    texts = {
        path: decoded(blob)
        for path, blob in git.files_at(tree.commit, [*test_paths, *route_paths]).items()
        if blob is not None
    }
    return Audit(
        chain=chain,
        commit=tree.commit,
        files=len(tree.files),
        layout=layout(tree),
        languages=languages(tree),
        test_command=command,
        tests=tests,
        untested=untested_sources(sizes, {p: texts[p] for p in test_paths if p in texts}),
        routes=find_routes({p: texts[p] for p in route_paths if p in texts}),
    )


def _route_source(tree: Tree, path: str) -> bool:
    return (
        language_of(path) in _ROUTE_LANGUAGES
        and not is_test(path)  # a test's requests, or a fake server's routes, are no entry point
        and not is_vendored(path)
        and tree.files[path].size <= MAX_SOURCE_BYTES
    )


def layout(tree: Tree) -> list[tuple[str, int]]:
    """Files per top-level directory, by name; the files at the top last."""
    counts = Counter(
        parts[0] if len(parts := PurePosixPath(p).parts) > 1 else TOP_LEVEL for p in tree.files
    )
    top = counts.pop(TOP_LEVEL, 0)
    return [*sorted(counts.items()), *([(TOP_LEVEL, top)] if top else [])]


def languages(tree: Tree) -> list[tuple[str, int]]:
    """Files per language (by extension), most first; the rest as "other", last."""
    counts = Counter(language_of(p) or "other" for p in tree.files)
    other = counts.pop("other", 0)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [*ranked, *([("other", other)] if other else [])]
