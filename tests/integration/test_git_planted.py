"""Baton's git never runs what the agent planted in the working copy.

Each case plants one setting the way an agent could (its `.git` is writable), pointing at a
script that leaves a marker (and its environment) when it runs. Plain git is shown running it,
with Baton's secrets in reach; then every path of Baton's that runs git (commit, status, diffs,
review, branch moves, reset, push and fetch with a credential) is driven with the setting
planted again before each one, and nothing runs, no secret reaches git, and pushes land on the
real remote. Real git in temporary repositories throughout; a `git` first on PATH records the
environment of every git process Baton starts."""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import stat
import subprocess
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.errors import WorkspaceError
from bot.secret_names import SECRET_VARIABLES
from bot.tickets import Ticket, TicketFiles
from bot.validation.review import load_conventions, review_change
from bot.workspace import Git

REAL_GIT = shutil.which("git") or "git"
SECRETS = {name: f"{name.lower()}-value-0123456789abcdef" for name in sorted(SECRET_VARIABLES)}
PUSH_TOKEN = "ghs_" + "p" * 36
# The credential of one push, as the GitHub forge hands it to git: a header in that call's
# environment only.
PUSH_HEADER = base64.b64encode(f"x-access-token:{PUSH_TOKEN}".encode()).decode()
CREDENTIAL_ENV = {
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "http.extraHeader",
    "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {PUSH_HEADER}",
}
CONVENTIONS = """\
# Conventions

```baton-rules
- id: no-sleep
  kind: patterns
  severity: major
  applies_to: "**/*.txt"
  forbid: ["time.sleep("]
  message: no sleeping
  hint: remove it
```
"""
HOOKS = (
    "pre-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "post-checkout",
    "post-merge",
    "pre-push",
    "post-rewrite",
    "reference-transaction",
    "post-index-change",
    "pre-auto-gc",
    "push-to-checkout",
)


@dataclass
class Lab:
    """A working copy Baton opened, its real remote, decoys to redirect it to, and the marker
    script every planted setting points at."""

    tmp: Path
    root: Path
    remote: Path
    decoy: Path
    decoy_tree: Path
    marks: Path
    script: Path
    http: str
    git: Git
    base: str
    counter: int = 0

    def mark(self, label: str) -> str:
        return f"{self.script} {label}"

    def plain(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Plain git, as the agent (or Baton before this defence) runs it; the secrets are in
        this process's environment."""
        return subprocess.run(
            [REAL_GIT, *args],
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )

    def config(self, *pairs: tuple[str, str], file: Path | None = None) -> None:
        target = file or self.root / ".git" / "config"
        for key, value in pairs:
            self.plain("config", "--file", str(target), key, value)

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def ran(self) -> list[str]:
        """What the planted programs left: one line per run, its label and arguments."""
        return sorted(
            p.read_text().splitlines()[0] for p in self.marks.glob("ran-*") if p.stat().st_size
        )

    def dumps(self) -> list[str]:
        """The environment (after the argv line) of every git process Baton started."""
        return [p.read_text() for p in sorted(self.marks.glob("git-*"))]

    def clear(self) -> None:
        for p in self.marks.iterdir():
            p.unlink()

    def ref(self, repo: Path, ref: str) -> str:
        return self.plain("rev-parse", "-q", "--verify", ref, cwd=repo).stdout.strip()


class _Refuse(http.server.BaseHTTPRequestHandler):
    """A git server that wants credentials, so that git asks its helpers and askpass."""

    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def http_remote() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/repo.git"
    server.shutdown()
    server.server_close()
    thread.join()


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [REAL_GIT, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http_remote: str) -> Lab:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "planted.sh"
    _executable(
        script,
        textwrap.dedent(f"""\
            #!/bin/sh
            label=$1; shift
            {{ echo "$label $*"; env; }} > "{marks}/ran-$label-$$"
            case $label in
              filter) exec cat ;;
              textconv) exec cat "$1" ;;
            esac
            exit 0
            """),
    )
    # Every git process Baton starts goes through this one first, which keeps its environment.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(
        bin_dir / "git",
        f'#!/bin/sh\n{{ echo "$*"; env; }} > "{marks}/git-$$"\nexec {REAL_GIT} "$@"\n',
    )

    root = tmp_path / "work"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("one\n")
    (root / "knowledge").mkdir()
    (root / "knowledge" / "CONVENTIONS.md").write_text(CONVENTIONS)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    base = _git(root, "rev-parse", "HEAD")
    (root / "a.txt").write_text("two\n")
    _git(root, "commit", "-q", "-am", "second")
    remote, decoy = tmp_path / "remote.git", tmp_path / "decoy.git"
    for bare in (remote, decoy):
        _git(tmp_path, "clone", "-q", "--bare", str(root), str(bare))
    _git(root, "remote", "add", "origin", str(remote))
    decoy_tree = tmp_path / "decoy-tree"
    decoy_tree.mkdir()
    (decoy_tree / "a.txt").write_text("decoy\n")

    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    git = Git.open(root, os.environ)  # as Baton opens a working copy: before any agent ran in it
    return Lab(tmp_path, root, remote, decoy, decoy_tree, marks, script, http_remote, git, base)


# --- what an agent plants -------------------------------------------------------------------------


def _fsmonitor(lab: Lab) -> None:
    lab.config(("core.fsmonitor", lab.mark("fsmonitor")))


def _hooks(lab: Lab) -> None:
    hooks = lab.root / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for hook in HOOKS:
        _executable(hooks / hook, f'#!/bin/sh\nexec {lab.mark(f"hook-{hook}")} "$@"\n')


def _hooks_path(lab: Lab) -> None:
    hooks = lab.tmp / "planted-hooks"
    hooks.mkdir(exist_ok=True)
    for hook in HOOKS:
        _executable(hooks / hook, f'#!/bin/sh\nexec {lab.mark(f"hooksPath-{hook}")} "$@"\n')
    lab.config(("core.hooksPath", str(hooks)))


def _filter_config(lab: Lab, file: Path | None = None) -> None:
    lab.config(
        ("filter.planted.clean", lab.mark("filter")),
        ("filter.planted.smudge", lab.mark("filter")),
        ("filter.planted.required", "true"),
        ("filter.processed.process", lab.mark("filter-process")),
        file=file,
    )


def _filters(lab: Lab) -> None:
    lab.write(".gitattributes", "*.txt filter=planted\n*.md filter=processed\n")
    _filter_config(lab)


def _info_attributes(lab: Lab) -> None:
    (lab.root / ".git" / "info").mkdir(exist_ok=True)
    (lab.root / ".git" / "info" / "attributes").write_text("* filter=planted\n")
    _filter_config(lab)


def _textconv(lab: Lab) -> None:
    lab.write(".gitattributes", "* diff=planted\n")
    lab.config(
        ("diff.planted.textconv", lab.mark("textconv")),
        ("diff.planted.command", lab.mark("diff-command")),
    )


def _diff_external(lab: Lab) -> None:
    lab.config(("diff.external", lab.mark("diff-external")))


def _pagers(lab: Lab) -> None:
    lab.config(*((key, lab.mark("pager")) for key in ("core.pager", "pager.diff", "pager.log")))


def _include(lab: Lab) -> None:
    included = lab.tmp / "included.cfg"
    lab.config(("core.fsmonitor", lab.mark("included-fsmonitor")), file=included)
    _filter_config(lab, included)
    lab.write(".gitattributes", "*.txt filter=planted\n")
    lab.config(("include.path", str(included)))


def _include_if(lab: Lab) -> None:
    included = lab.tmp / "included-if.cfg"
    lab.config(("core.fsmonitor", lab.mark("includeIf-fsmonitor")), file=included)
    _filter_config(lab, included)
    lab.write(".gitattributes", "*.txt filter=planted\n")
    lab.config(
        ("includeIf.gitdir:/.path", str(included)),
        ("includeIf.onbranch:**.path", str(included)),
    )


def _core_worktree(lab: Lab) -> None:
    lab.config(("core.worktree", str(lab.decoy_tree)))


def _config_worktree(lab: Lab) -> None:
    lab.config(("core.repositoryformatversion", "1"), ("extensions.worktreeConfig", "true"))
    lab.config(
        ("core.fsmonitor", lab.mark("worktree-fsmonitor")),
        file=lab.root / ".git" / "config.worktree",
    )


def _commondir(lab: Lab) -> None:
    common = lab.tmp / "planted-common"
    if not common.exists():
        shutil.copytree(lab.root / ".git", common)
    lab.config(("core.fsmonitor", lab.mark("commondir-fsmonitor")), file=common / "config")
    (lab.root / ".git" / "commondir").write_text(f"{common}\n")


def _alternates(lab: Lab) -> None:
    (lab.root / ".git" / "objects" / "info").mkdir(exist_ok=True)
    (lab.root / ".git" / "objects" / "info" / "alternates").write_text(f"{lab.decoy}/objects\n")
    lab.config(("core.alternateRefsCommand", lab.mark("alternate-refs")))


def _ext_url(lab: Lab) -> None:
    lab.config(
        ("protocol.ext.allow", "always"),
        (f"url.ext::{lab.mark('ext')}.insteadOf", str(lab.remote)),
    )


def _decoy_urls(lab: Lab) -> None:
    lab.config(
        (f"url.{lab.decoy}.insteadOf", str(lab.remote)),
        (f"url.{lab.decoy}.pushInsteadOf", str(lab.remote)),
        ("remote.origin.url", str(lab.decoy)),
    )


def _ssh(lab: Lab) -> None:
    lab.config(
        ("url.ssh://planted.invalid/repo.git.insteadOf", str(lab.remote)),
        ("core.sshCommand", lab.mark("ssh")),
    )


def _credential_helpers(lab: Lab) -> None:
    lab.config(
        (f"url.{lab.http}.insteadOf", str(lab.remote)),
        ("credential.helper", f"!{lab.mark('credential-helper')}"),
        (f"credential.{lab.http}.helper", f"!{lab.mark('credential-url-helper')}"),
        ("core.askPass", lab.mark("askpass")),
    )


def _nested_repository(lab: Lab) -> None:
    """A repository inside the working copy, with a configuration of its own: git looks inside
    a nested repository it tracks by running `git status` there."""
    nested = lab.root / "vendor" / "lib"
    if not (nested / ".git").exists():
        nested.mkdir(parents=True)
        lab.plain("init", "-q", cwd=nested)
        (nested / "f.txt").write_text("x\n")
        lab.plain("add", "f.txt", cwd=nested)
        lab.plain("-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "n", cwd=nested)
    lab.config(("core.fsmonitor", lab.mark("nested-fsmonitor")), file=nested / ".git" / "config")
    _filter_config(lab, nested / ".git" / "config")
    (nested / ".gitattributes").write_text("*.txt filter=planted\n")
    lab.counter += 1
    (nested / "f.txt").write_text("changed\n" * lab.counter)  # content git must hash again


def _runs(*args: str) -> Callable[[Lab], bool]:
    """Plain git running `args` (REMOTE and DECOY: those repositories) runs a planted program."""

    def proof(lab: Lab) -> bool:
        names = {"REMOTE": str(lab.remote), "DECOY": str(lab.decoy)}
        lab.plain(*(names.get(arg, arg) for arg in args))
        return bool(lab.ran())

    return proof


def _touch_and_add(lab: Lab) -> bool:
    lab.write("a.txt", "touched\n")
    return _runs("add", "-A")(lab)


def _nested_status(lab: Lab) -> bool:
    lab.plain("add", "-A")  # now the index tracks the nested repository
    _nested_repository(lab)
    return _runs("status", "--porcelain")(lab)


def _pushed_to_decoy(lab: Lab) -> bool:
    lab.plain("push", "-q", "origin", "HEAD:refs/heads/proof")
    return lab.ref(lab.decoy, "proof") != ""


def _decoy_top(lab: Lab) -> bool:
    return lab.plain("rev-parse", "--show-toplevel").stdout.strip() == str(lab.decoy_tree)


PUSH = ("push", "-q", "--force")
# name -> (plant, plain git steered by it; None: a pager needs a terminal to start)
PLANTED: dict[str, tuple[Callable[[Lab], None], Callable[[Lab], bool] | None]] = {
    "core.fsmonitor": (_fsmonitor, _runs("status")),
    ".git/hooks": (_hooks, _runs("commit", "-q", "--allow-empty", "-m", "x")),
    "core.hooksPath": (_hooks_path, _runs("commit", "-q", "--allow-empty", "-m", "x")),
    "filters": (_filters, _touch_and_add),
    "info/attributes": (_info_attributes, _touch_and_add),
    "textconv": (_textconv, _runs("diff", "HEAD~1", "HEAD")),
    "diff.external": (_diff_external, _runs("diff", "HEAD~1", "HEAD")),
    "pagers": (_pagers, None),
    "include.path": (_include, _runs("status")),
    "includeIf": (_include_if, _runs("status")),
    "core.worktree": (_core_worktree, _decoy_top),
    "config.worktree": (_config_worktree, _runs("status")),
    ".git/commondir": (_commondir, _runs("status")),
    "alternateRefsCommand": (_alternates, _runs("fetch", "-q", "DECOY", "main")),
    "ext:: url": (_ext_url, _runs(*PUSH, "REMOTE", "HEAD:refs/heads/proof")),
    "insteadOf and remote.origin.url": (_decoy_urls, _pushed_to_decoy),
    "core.sshCommand": (_ssh, _runs(*PUSH, "REMOTE", "HEAD:refs/heads/proof")),
    "credential.helper and core.askPass": (_credential_helpers, _runs("fetch", "-q", "REMOTE")),
    "nested repository": (_nested_repository, _nested_status),
}


# --- what Baton does ------------------------------------------------------------------------------


def _commit(lab: Lab) -> None:
    lab.counter += 1
    lab.write("a.txt", f"change {lab.counter}\n")
    lab.write(f"new/{lab.counter}.txt", "new\n")
    before = lab.git.head()
    head = lab.git.commit_all(f"attempt {lab.counter}")
    assert head != before, "the change was committed"
    committed = lab.plain("show", f"{head}:a.txt").stdout
    assert committed == f"change {lab.counter}\n", "the working copy's own files were committed"


def _review(lab: Lab) -> None:
    conventions = load_conventions(lab.git, lab.base, "knowledge/CONVENTIONS.md")
    assert [rule.id for rule in conventions.rules] == ["no-sleep"]
    ticket = Ticket(goal="change a", files=TicketFiles(modify=["a.txt"]))
    review_change(lab.git, lab.base, "HEAD", ticket, conventions.rules)


def _push(lab: Lab) -> None:
    lab.git.run_env(
        CREDENTIAL_ENV, "push", "-q", "--force", str(lab.remote), "HEAD:refs/heads/baton/chain"
    )
    assert lab.ref(lab.remote, "baton/chain") == lab.git.head(), "the push reached the remote"


def _fetch(lab: Lab) -> None:
    lab.git.run_env(CREDENTIAL_ENV, "fetch", "-q", "--no-tags", str(lab.remote), "baton/chain")


def _push_origin(lab: Lab) -> None:
    lab.git.run("push", "-q", "--force", "origin", "HEAD:refs/heads/baton/origin")
    assert lab.ref(lab.remote, "baton/origin") == lab.git.head()


def _reset(lab: Lab) -> None:
    head = lab.git.head()
    lab.git.reset_to(lab.base)
    assert (lab.root / "a.txt").read_text() == "one\n"
    lab.git.reset_to(head)


OPERATIONS: list[tuple[str, Callable[[Lab], object]]] = [
    ("commit_all", _commit),
    ("dirty_files", lambda lab: lab.git.dirty_files()),
    ("changed_files", lambda lab: lab.git.changed_files(lab.base)),
    ("diff", lambda lab: lab.git.diff(lab.base)),
    ("review", _review),
    ("checkout_branch", lambda lab: lab.git.checkout_branch("baton/chain", "HEAD")),
    ("commit_all again", _commit),
    ("push with a credential", _push),
    ("fetch with a credential", _fetch),
    ("push to origin", _push_origin),
    ("reset_to", _reset),
    ("switch", lambda lab: lab.git.switch("main")),
]


@pytest.mark.parametrize("name", PLANTED)
def test_a_planted_setting_never_runs_in_batons_git(lab: Lab, name: str) -> None:
    plant, steered = PLANTED[name]
    plant(lab)
    if steered is not None:
        assert steered(lab), f"plain git is steered by the planted {name}"
        ran = [p.read_text() for p in lab.marks.glob("ran-*")]
        assert all(SECRETS["GITHUB_TOKEN"] in text for text in ran), "with the secrets"
    lab.clear()
    decoy_tree = sorted(p.name for p in lab.decoy_tree.iterdir())

    for operation, run in OPERATIONS:
        plant(lab)  # again: each of Baton's git calls meets the setting
        run(lab)
        assert lab.ran() == [], f"{operation} ran the planted {name}"

    assert lab.ref(lab.decoy, "baton/chain") == "", "nothing was pushed to the decoy"
    assert lab.ref(lab.decoy, "baton/origin") == ""
    assert sorted(p.name for p in lab.decoy_tree.iterdir()) == decoy_tree
    _assert_no_secret_reached_git(lab)


def _assert_no_secret_reached_git(lab: Lab) -> None:
    dumps = lab.dumps()
    assert dumps, "Baton's git calls went through the recording `git`"
    for dump in dumps:
        argv, _, env = dump.partition("\n")
        leaked = [name for name, value in SECRETS.items() if value in env]
        assert leaked == [], f"git {argv} had {leaked}"
        if PUSH_HEADER in env:
            assert " push " in f" {argv} " or " fetch " in f" {argv} ", argv


def test_the_configuration_is_put_back_and_what_it_trusted_keeps_working(lab: Lab) -> None:
    # A filter the repository had when Baton opened it (git-lfs is one) is the user's: it runs.
    lab.clear()
    lab.config(("filter.upper.clean", "tr a-z A-Z"))
    lab.write(".gitattributes", "*.up filter=upper\n")
    trusted = Git.open(lab.root, os.environ)
    original = (lab.root / ".git" / "config").read_bytes()

    _fsmonitor(lab)
    _commondir(lab)
    _config_worktree(lab)
    lab.write("shout.up", "quiet\n")
    head = trusted.commit_all("with the trusted filter")

    assert lab.ran() == []
    assert (lab.root / ".git" / "config").read_bytes() == original
    assert not (lab.root / ".git" / "commondir").exists()
    assert not (lab.root / ".git" / "config.worktree").exists()
    assert lab.plain("show", f"{head}:shout.up").stdout == "QUIET\n"


def test_a_helper_the_repository_always_had_never_sees_the_push_credential(
    lab: Lab, http_remote: str
) -> None:
    lab.config(
        ("credential.helper", f"!{lab.mark('trusted-helper')}"),
        ("remote.http.url", http_remote),
    )
    git = Git.open(lab.root, os.environ)
    with pytest.raises(WorkspaceError, match="fetch"):
        git.run_env(CREDENTIAL_ENV, "fetch", "-q", "http", "main")
    assert lab.ran() == [], "no helper is asked for or told the push's credential"
    # Without a credential of Baton's the repository's helper is the user's to use.
    with pytest.raises(WorkspaceError):
        git.run("fetch", "-q", "http", "main")
    assert [line.split()[0] for line in lab.ran()] == ["trusted-helper"]


def test_a_git_directory_swapped_for_another_stops_baton(lab: Lab) -> None:
    planted = lab.tmp / "planted-git"
    shutil.copytree(lab.root / ".git", planted)
    lab.config(("core.fsmonitor", lab.mark("swapped-fsmonitor")), file=planted / "config")
    (lab.root / ".git").rename(lab.tmp / "moved-git")
    (lab.root / ".git").write_text(f"gitdir: {planted}\n")

    with pytest.raises(WorkspaceError, match="cannot be put back"):
        lab.git.commit_all("into the planted repository")
    assert lab.ran() == []


def test_a_replace_ref_the_agent_planted_changes_nothing_baton_reads(lab: Lab) -> None:
    """`refs/replace/<base>` makes plain git read another commit in its place: the conventions
    at the base, and the diff against it, would be the agent's."""
    (lab.root / "knowledge" / "CONVENTIONS.md").write_text("# Conventions\n\nNone at all.\n")
    lab.plain("add", "-A")
    lab.plain("-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "forged base")
    forged = lab.plain("rev-parse", "HEAD").stdout.strip()
    lab.plain("reset", "-q", "--hard", "HEAD~1")
    lab.plain("replace", lab.base, forged)
    steered = lab.plain("show", f"{lab.base}:knowledge/CONVENTIONS.md").stdout
    assert "None at all" in steered, "plain git reads the forged base"

    conventions = load_conventions(lab.git, lab.base, "knowledge/CONVENTIONS.md")
    assert [rule.id for rule in conventions.rules] == ["no-sleep"]
    assert lab.git.changed_files(lab.base) == ["a.txt"]
    assert "None at all" not in lab.git.diff(lab.base)
