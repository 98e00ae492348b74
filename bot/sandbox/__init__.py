"""The sandbox every agent call and test command runs in (bubblewrap), or none.

`open_sandbox` chooses once, in the entry point, from the configuration and the environment:
bubblewrap when it works here; without it, one warning and no sandbox on a developer's machine,
but an error inside GitHub Actions, where nobody reads a warning (unless `sandbox: off`).
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from bot.errors import ConfigError
from bot.sandbox.bwrap import BwrapSandbox, home_dirs, probe
from bot.sandbox.home import AGENT_FILES, AgentFiles
from bot.sandbox.none import NoSandbox
from bot.sandbox.port import Command, Confinement, Sandbox

__all__ = [
    "AGENT_FILES",
    "AgentFiles",
    "BwrapSandbox",
    "Command",
    "Confinement",
    "NoSandbox",
    "Sandbox",
    "open_sandbox",
]

log = logging.getLogger(__name__)
_INSTALL = "install the `bubblewrap` package (e.g. `apt-get install bubblewrap`)"


def open_sandbox(mode: Literal["auto", "bwrap", "off"], environ: Mapping[str, str]) -> Sandbox:
    """The sandbox for `mode` (the `sandbox` setting) on this machine."""
    root = os.geteuid() == 0
    if mode == "off":
        log.warning("sandbox.off: agents and test commands run unconfined (`sandbox: off`)")
        return NoSandbox()
    executable = shutil.which("bwrap", path=environ.get("PATH", os.defpath))
    if executable is None:
        reason, fix = "bubblewrap (`bwrap`) is not installed", _INSTALL
    else:
        why = probe(executable)
        if why is None:
            return _bwrap_here(executable, environ, root=root)
        reason = f"bubblewrap cannot make its namespaces here ({why})"
        fix = "allow user namespaces (e.g. `sysctl kernel.apparmor_restrict_unprivileged_userns=0`)"
    if mode == "bwrap" or environ.get("GITHUB_ACTIONS") == "true":
        raise ConfigError(
            f"{reason}, so agents and test commands cannot be sandboxed",
            hint=f"{fix}, or set `sandbox: off` in .github/baton.yml",
        )
    log.warning("sandbox.missing: %s: agents and test commands run unconfined; %s", reason, fix)
    return NoSandbox()


def _bwrap_here(executable: str, environ: Mapping[str, str], *, root: bool) -> BwrapSandbox:
    try:
        account_home: str | None = pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:  # a uid with no account (some containers)
        account_home = None
    path_dirs = [Path(p) for p in environ.get("PATH", "").split(os.pathsep) if p]
    home = environ.get("HOME")
    return BwrapSandbox.here(
        executable,
        homes=home_dirs(environ, account_home),
        path_dirs=path_dirs,
        # Baton's own Python too: the demo's agent and many test commands run with it.
        prefixes=[Path(sys.prefix), Path(sys.base_prefix)],
        real_home=Path(home) if home else None,
        root=root,
    )
