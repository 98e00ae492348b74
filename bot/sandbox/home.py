"""What a confined command sees of HOME.

The real HOME is hidden whole: it holds the user's keys and tokens (`~/.ssh`, `~/.netrc`, gh's
`hosts.yml`, cloud credentials). What must still run from it comes back read-only: the tool
directories on PATH (pyenv, nvm, cargo: an agent's CLI or the test command's interpreter often
lives there), with the credential files known to live in such directories hidden again. An
agent gets a HOME of its own per chain, holding copies of its own configuration and login only.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Paths under HOME that hold credentials. The real HOME is hidden anyway; these are hidden
# again inside a tool directory that comes back (`~/.cargo/credentials.toml` beside
# `~/.cargo/bin`), and never copied into an agent's HOME.
CREDENTIALS = (
    ".ssh",
    ".gnupg",
    ".netrc",
    ".git-credentials",
    ".config/git/credentials",
    ".config/gh",
    ".config/hub",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".kube",
    ".docker",
    ".npmrc",
    ".yarnrc.yml",
    ".pypirc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".local/share/uv/credentials",
    ".local/share/keyrings",
    ".password-store",
    ".gem/credentials",
    ".m2/settings.xml",
    ".gradle/gradle.properties",
    ".terraform.d/credentials.tfrc.json",
)
# Directories that hold many tools' files: a tool's own directory is one level further down.
_SHARED_DIRS = frozenset({".local", ".local/share", ".local/lib", ".local/state", ".config"})


@dataclass(frozen=True)
class AgentFiles:
    """An agent CLI's own configuration and login under HOME (`paths`), copied into the HOME it
    gets in the sandbox; `skip` names what inside them is not copied (the sessions of other
    projects: large, and none of this chain's business)."""

    paths: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()


# Where each CLI keeps its configuration and login (its documentation, and what a login writes).
AGENT_FILES = {
    "claude": AgentFiles((".claude", ".claude.json"), skip=(".claude/projects",)),
    "codex": AgentFiles((".codex",), skip=(".codex/sessions",)),
    "gemini": AgentFiles((".gemini",), skip=(".gemini/tmp",)),
    "cursor-cli": AgentFiles((".cursor", ".config/cursor")),
}


def tool_root(home: Path, path: Path) -> Path | None:
    """The directory of the tool that `path` belongs to, when `path` is under `home`:
    `~/.pyenv` for `~/.pyenv/shims`, `~/.local/bin` for itself, `~/.local/share/claude` for a
    file in it. None for a path outside `home` (or `home` itself)."""
    try:
        parts = path.relative_to(home).parts
    except ValueError:
        return None
    for depth in range(1, len(parts) + 1):
        if "/".join(parts[:depth]) not in _SHARED_DIRS:
            return home.joinpath(*parts[:depth])
    return None


def tool_roots(
    homes: Iterable[Path], paths: Iterable[Path], exact: Iterable[Path] = ()
) -> list[Path]:
    """The directories under any of `homes` that must come back: the tool directories of
    `paths` (PATH's directories) and the directories `exact` (an interpreter's prefix: its
    tool directory could be a whole project). Outermost first, each once, existing ones only."""
    homes = list(homes)
    found: list[Path] = []
    for path, whole in [*((p, False) for p in paths), *((p, True) for p in exact)]:
        for candidate in dict.fromkeys([path, _resolved(path)]):
            for home in homes:
                root = tool_root(home, candidate)
                if whole and root is not None:
                    root = candidate
                if root is not None and root.exists() and root not in found:
                    found.append(root)
    found.sort(key=lambda p: len(p.parts))
    return [r for r in found if not any(r != o and r.is_relative_to(o) for o in found)]


def credentials_inside(homes: Iterable[Path], roots: Iterable[Path]) -> list[Path]:
    """The credential paths that exist inside the tool directories that come back."""
    roots = list(roots)
    return [
        path
        for home in homes
        for path in (home / name for name in CREDENTIALS)
        if (path.exists() or path.is_symlink()) and any(path.is_relative_to(r) for r in roots)
    ]


def home_name(chain: str) -> str:
    """A directory name for a chain's HOME: readable, and distinct for distinct chains."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", chain).strip(".-")[:60] or "chain"
    return f"{slug}-{hashlib.sha256(chain.encode()).hexdigest()[:8]}"


def agent_home(homes_dir: Path, chain: str, files: AgentFiles, real_home: Path | None) -> Path:
    """The chain's HOME under `homes_dir`, made once with copies of the agent's own files from
    the real HOME. It lasts as long as the working copy's state, so a CLI's sessions (kept in
    its HOME) can be resumed on the next ticket; the agent's own changes to it are kept."""
    home = homes_dir / home_name(chain)
    if home.is_dir():
        return home
    homes_dir.mkdir(parents=True, exist_ok=True)
    # Made aside and renamed: a run killed while copying leaves no half-made HOME behind.
    draft = Path(tempfile.mkdtemp(prefix=".new-", dir=homes_dir))
    if real_home is not None:
        for name in files.paths:
            _copy(real_home, name, draft, files.skip)
    draft.rename(home)
    return home


def _copy(real_home: Path, name: str, target: Path, skip: tuple[str, ...]) -> None:
    source = real_home / name
    if name in CREDENTIALS or not source.exists():
        return
    dest = target / name
    dest.parent.mkdir(parents=True, exist_ok=True)

    def ignore(directory: str, names: list[str]) -> list[str]:
        here = Path(directory).relative_to(source.resolve())
        return [n for n in names if (Path(name) / here / n).as_posix() in skip]

    try:
        if source.is_dir():
            # Links inside stay links (to nothing, in the sandbox): never a way to copy out
            # whatever they point at.
            shutil.copytree(source.resolve(), dest, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, dest)
    except (OSError, shutil.Error) as exc:
        log.warning("sandbox.home_copy_incomplete", extra={"path": name, "error": str(exc)})


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return path
