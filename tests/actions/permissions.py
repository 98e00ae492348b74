"""A job's `permissions:` as the scopes of its GITHUB_TOKEN, in the names the REST API uses.

As GitHub documents "Controlling permissions for GITHUB_TOKEN": a job's `permissions` replace the
workflow's; each permission not listed is `none`; `read-all`/`write-all` set every one; `{}` sets
none. With neither, the repository's default applies: `restricted` (contents and packages read,
GitHub's default for new repositories) or `permissive` (every permission write). `metadata: read`
is always granted by the fake GitHub. A workflow that is called can only narrow its caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from tests.fakes._github.permissions import LEVELS

Scopes = dict[str, str]
Default = Literal["restricted", "permissive"]

# `permissions:` keys → the REST API's names
NAMES = {
    "actions": "actions",
    "attestations": "attestations",
    "checks": "checks",
    "contents": "contents",
    "deployments": "deployments",
    "discussions": "discussions",
    "id-token": "id_token",
    "issues": "issues",
    "models": "models",
    "packages": "packages",
    "pages": "pages",
    "pull-requests": "pull_requests",
    "repository-projects": "repository_projects",
    "security-events": "security_events",
    "statuses": "statuses",
}


class PermissionsError(Exception):
    """A `permissions:` value GitHub would refuse."""


def scopes(
    job: Any, workflow: Any, *, default: Default = "restricted", cap: Scopes | None = None
) -> Scopes:
    """The token's scopes for a job with these `permissions` (job-level, then workflow-level);
    only the granted ones are listed."""
    value = job if job is not None else workflow
    if value is None:
        granted = (
            {"contents": "read", "packages": "read"}
            if default == "restricted"
            else dict.fromkeys(NAMES.values(), "write")
        )
    elif value in ("read-all", "write-all"):
        granted = dict.fromkeys(NAMES.values(), value.removesuffix("-all"))
    elif isinstance(value, Mapping):
        granted = {}
        for key, level in value.items():
            if key not in NAMES:
                raise PermissionsError(f"`{key}` is not a permission of GITHUB_TOKEN")
            if level not in ("read", "write", "none"):
                raise PermissionsError(f"`{key}: {level}` must be read, write or none")
            if key == "id-token" and level == "read":
                raise PermissionsError("`id-token` is write or none")
            if level != "none":
                granted[NAMES[key]] = str(level)
    else:
        raise PermissionsError(
            f"`permissions: {value!r}` is neither a mapping nor read-all/write-all"
        )
    if cap is not None:
        granted = {
            name: min(level, cap.get(name, "none"), key=LEVELS.__getitem__)
            for name, level in granted.items()
        }
        granted = {name: level for name, level in granted.items() if level != "none"}
    return granted
