"""The actions from the marketplace that the runner emulates, by name, and what an emulated step
gets. Any other action is an error that names it.

- `actions/checkout`: a fresh clone, as the action makes it (`git init`, a fetch of the ref only
  with `fetch-depth` commits, or of every branch and tag with `fetch-depth: 0`, a checkout of the
  branch or commit), fetched with the token as the action sends it (`http.extraHeader`, never in
  the URL), which stays in `.git/config` only with `persist-credentials: true` (its default).
  Without `ref`, the event's `GITHUB_REF`/`GITHUB_SHA`. Inputs it does not know are an error.
- `actions/setup-python`: nothing is installed; the interpreter running the tests stands in
  (`python-path`, `python-version`), and with `update-environment` (the default) its directory
  goes on PATH and `pythonLocation` is set, as the action does.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class StepFailed(Exception):
    """An emulated step fails with this message (the step's conclusion is failure)."""


@dataclass
class StepCall:
    """What an emulated or substituted step gets, and what it hands back."""

    inputs: Mapping[str, str]  # a `uses` step's `with:`, evaluated
    env: Mapping[str, str]  # the step's environment, as its process would have it
    workspace: Path
    cwd: Path
    github: Mapping[str, Any]  # the `github` context
    sources: Mapping[str, str]  # a repository's full name → where to fetch it from
    lines: list[str] = field(default_factory=list)  # the step's log
    outputs: dict[str, str] = field(default_factory=dict)
    added_env: dict[str, str] = field(default_factory=dict)  # as if written to $GITHUB_ENV
    added_path: list[str] = field(default_factory=list)  # as if written to $GITHUB_PATH

    def log(self, text: str) -> None:
        self.lines.extend(text.rstrip("\n").splitlines())

    def run(
        self, argv: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        """Run a command as the step would (its environment, plus `env`); its output goes to
        the log; a failure fails the step."""
        self.log(f"[command] {' '.join(argv)}")
        proc = subprocess.run(
            argv,
            cwd=cwd or self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        self.log(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise StepFailed(f"`{' '.join(argv[:3])}` failed (exit {proc.returncode})")
        return proc.stdout


Emulation = Callable[[StepCall], None]

_CHECKOUT_INPUTS = {
    "repository", "ref", "token", "path", "fetch-depth", "persist-credentials", "clean",
    "fetch-tags", "show-progress",
}  # fmt: skip
_SETUP_PYTHON_INPUTS = {"python-version", "update-environment", "check-latest", "architecture"}


def _unknown(call: StepCall, known: set[str], action: str) -> None:
    extra = sorted(set(call.inputs) - known)
    if extra:
        raise StepFailed(f"{action}: this runner does not emulate the input(s) {', '.join(extra)}")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() == "true"


def checkout(call: StepCall) -> None:
    _unknown(call, _CHECKOUT_INPUTS, "actions/checkout")
    github = call.github
    repository = call.inputs.get("repository") or str(github["repository"])
    url = call.sources.get(repository)
    if url is None:
        raise StepFailed(f"actions/checkout: no repository `{repository}` is served here")
    token = call.inputs.get("token") or str(github["token"])
    target = (call.workspace / (call.inputs.get("path") or ".")).resolve()
    if not target.is_relative_to(call.workspace.resolve()):
        raise StepFailed(f"actions/checkout: path {target} is outside the workspace")
    depth = int(call.inputs.get("fetch-depth") or "1")
    persist = _flag(call.inputs.get("persist-credentials"), True)
    header = "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
    auth = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": header,
        "GIT_TERMINAL_PROMPT": "0",
    }
    target.mkdir(parents=True, exist_ok=True)
    git = ["git", "-C", str(target)]
    call.run(["git", "init", "-q", str(target)])
    call.run([*git, "remote", "add", "origin", url])
    ref = call.inputs.get("ref") or ""
    sha = ""
    if not ref and repository == github["repository"]:
        ref, sha = str(github["ref"]), str(github["sha"])
    if not ref:
        ref = _default_branch(call, url, auth)
    kind, name = _kind(call, git, ref, auth)
    fetch = [*git, "fetch", "--prune", "--no-recurse-submodules"]
    if depth > 0:
        fetch += ["--no-tags", f"--depth={depth}"]
    if depth == 0:
        specs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
        if kind == "commit":
            specs.append(name)
    elif kind == "branch":
        specs = [f"+refs/heads/{name}:refs/remotes/origin/{name}"]
    elif kind == "tag":
        specs = [f"+refs/tags/{name}:refs/tags/{name}"]
    else:
        specs = [sha or name]
    call.run([*fetch, "origin", *specs], env=auth)
    if kind == "branch":
        call.run([*git, "checkout", "-q", "--force", "-B", name, f"refs/remotes/origin/{name}"])
    elif kind == "tag":
        call.run([*git, "checkout", "-q", "--force", f"refs/tags/{name}"])
    else:
        call.run([*git, "checkout", "-q", "--force", sha or name])
    if persist:
        server = str(github["server_url"]).rstrip("/")
        call.run([*git, "config", "--local", f"http.{server}/.extraheader", header])
    call.run([*git, "log", "-1", "--format=%H %s"])


def _default_branch(call: StepCall, url: str, auth: Mapping[str, str]) -> str:
    out = call.run(["git", "ls-remote", "--symref", url, "HEAD"], env=auth)
    m = re.search(r"ref: refs/heads/(\S+)\s+HEAD", out)
    if m is None:
        raise StepFailed(f"actions/checkout: {url} has no default branch")
    return m.group(1)


def _kind(call: StepCall, git: list[str], ref: str, auth: Mapping[str, str]) -> tuple[str, str]:
    """What `ref` names, as the action tells it: a commit, a branch or a tag."""
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        return "commit", ref
    if ref.startswith("refs/heads/"):
        return "branch", ref.removeprefix("refs/heads/")
    if ref.startswith("refs/tags/"):
        return "tag", ref.removeprefix("refs/tags/")
    if ref.startswith("refs/"):
        return "commit", ref
    found = call.run(
        [*git, "ls-remote", "origin", f"refs/heads/{ref}", f"refs/tags/{ref}"], env=auth
    )
    if f"refs/heads/{ref}" in found:
        return "branch", ref
    if f"refs/tags/{ref}" in found:
        return "tag", ref
    raise StepFailed(f"actions/checkout: a branch or tag with the name '{ref}' could not be found")


def setup_python(call: StepCall) -> None:
    _unknown(call, _SETUP_PYTHON_INPUTS, "actions/setup-python")
    ours = ".".join(map(str, sys.version_info[:3]))
    wanted = call.inputs.get("python-version", "")
    if wanted and not f"{ours}.".startswith(f"{wanted}."):
        call.log(f"python-version {wanted} was asked for; the tests' Python {ours} stands in")
    call.outputs.update({"python-version": ours, "python-path": sys.executable, "cache-hit": ""})
    if _flag(call.inputs.get("update-environment"), True):
        call.added_path.append(str(Path(sys.executable).parent))
        call.added_env.update(pythonLocation=sys.prefix, Python_ROOT_DIR=sys.prefix)
    call.log(f"Successfully set up CPython ({ours})")


EMULATED: dict[str, Emulation] = {
    "actions/checkout": checkout,
    "actions/setup-python": setup_python,
}
