"""Every step the runner does not run as written, and why: the one place to read them.

A substitution names a step by the composite action it belongs to (the action's `name:`, or
None for a workflow's own step) and the step's `name:`; when that step comes up, the emulation
runs instead, with the step's environment and inputs, and the run records it
(`WorkflowRun.substituted`), so a test can check that each one still matches a step.

Beside them, the environment every step gets on top of a runner's (`ENVIRONMENT`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.actions.emulated import Emulation, StepCall, StepFailed
from tests.warm_baton import write_shim


@dataclass(frozen=True)
class Substitution:
    action: str | None  # the composite action's `name:`; None: a step of the workflow itself
    step: str  # the step's `name:`
    why: str  # why the step cannot run as written in a test
    instead: str  # what the emulation does
    emulate: Emulation

    def matches(self, action: str | None, step: str | None) -> bool:
        return self.action == action and self.step == step


def _install_baton(*, warm: bool) -> Emulation:
    def install(call: StepCall) -> None:
        baton = Path(sys.prefix) / "bin" / "baton"
        if not baton.is_file():
            raise StepFailed(f"the test environment has no `baton` at {baton}: run `uv sync` first")
        bin_dir = Path(call.env["RUNNER_TEMP"]) / "baton-venv" / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        (bin_dir / "baton").unlink(missing_ok=True)
        if warm:
            write_shim(bin_dir / "baton")
        else:
            (bin_dir / "baton").symlink_to(baton)
        (bin_dir / "python").unlink(missing_ok=True)
        (bin_dir / "python").symlink_to(Path(sys.executable))
        call.run([str(bin_dir / "baton"), "--version"])

    return install


def _no_agent_cli(call: StepCall) -> None:
    agent = call.env.get("BATON_AGENT", "")
    if agent not in ("", "none"):
        call.log(f"not installing the agent CLI `{agent}`: the test's configuration runs its own")


_INSTALL = "it pip-installs Baton and its locked dependencies from the package index: minutes of "
_INSTALL += "downloads, and tests have no network"
_AGENT_CLI = Substitution(
    action="Baton",
    step="Install the agent CLI",
    why="it runs `npm install --global` of the agent's CLI from the registry",
    instead="nothing is installed: the test's `.github/baton.yml` names its own agent command "
    "(agent.kind `command`)",
    emulate=_no_agent_cli,
)
BATON: tuple[Substitution, ...] = (
    Substitution(
        action="Baton",
        step="Install Baton",
        why=_INSTALL,
        instead="`$RUNNER_TEMP/baton-venv/bin/baton` (the path the next steps use) is the Baton of "
        "this checkout, each call a process forked from a warm server that imported it once "
        "(tests/warm_baton.py), in the step's hostname, killed with the step; a process it "
        "leaves running fails the call; `baton --version` runs as the step's last line does",
        emulate=_install_baton(warm=True),
    ),
    _AGENT_CLI,
)
# For the benchmarks, which time Baton's steps: each call a new interpreter, as installed.
BATON_AS_INSTALLED: tuple[Substitution, ...] = (
    Substitution(
        action="Baton",
        step="Install Baton",
        why=_INSTALL,
        instead="`$RUNNER_TEMP/baton-venv/bin/baton` (the path the next steps use) is the test "
        "environment's `baton`, i.e. the Baton of this checkout; `baton --version` runs as the "
        "step's last line does",
        emulate=_install_baton(warm=False),
    ),
    _AGENT_CLI,
)

# Added to every step's environment.
ENVIRONMENT: Mapping[str, str] = {
    # Baton spaces its GitHub writes a second apart, as GitHub asks of content-creating requests;
    # the fake GitHub has no secondary rate limit to respect, and a test would wait for minutes.
    "BATON_GITHUB_WRITE_INTERVAL": "0",
}
