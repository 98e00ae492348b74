"""What a token with scopes may do: the permissions each endpoint needs.

A token with scopes is an app installation token restricted to some permissions, which is what
Actions' `GITHUB_TOKEN` is: its permissions are the job's `permissions:`, and `metadata: read`
always. A request outside them is answered as GitHub answers it::

    403 {"message": "Resource not accessible by integration", "documentation_url": …, "status": "403"}

with the header `X-Accepted-GitHub-Permissions` naming what would have been enough (sets
separated by `;`). Source: GitHub's "Permissions required for GitHub Apps" and "Troubleshooting
the REST API" (the header). Reads need `read`, every other method `write`; `write` includes
`read`. Issue endpoints also accept `pull_requests` when the issue is a pull request, and the
repository's labels and milestones accept either, as GitHub's table lists them. What anyone may
read (a public repository's resources) a token may read whatever its scopes: "these permissions
are required to access private resources".
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import World

LEVELS = {"none": 0, "read": 1, "write": 2}
# The permissions an app (and so GITHUB_TOKEN) can hold on a repository, by GitHub's names.
NAMES = frozenset(
    {
        "actions",
        "administration",
        "attestations",
        "checks",
        "contents",
        "deployments",
        "discussions",
        "id_token",
        "issues",
        "metadata",
        "models",
        "packages",
        "pages",
        "pull_requests",
        "repository_projects",
        "security_events",
        "statuses",
    }
)
REPO = "/repos/{owner}/{repo}"
# Path templates (after the repository's prefix) by the permission they need, most specific first.
_BY_PREFIX: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/actions/", ("actions",)),  # workflows and their runs
    ("/branches/{branch}/protection", ("administration",)),
    ("/branches/", ("contents",)),
    ("/collaborators/", ("metadata",)),
    ("/compare/", ("contents",)),
    ("/contents/", ("contents",)),
    ("/git/", ("contents",)),
    ("/check-runs", ("checks",)),
    ("/commits/{ref}/check-runs", ("checks",)),
    ("/commits/{ref}/status", ("statuses",)),
    ("/statuses/", ("statuses",)),
    ("/issues/{issue_number}", ("issues",)),  # or pull_requests, on a pull request
    ("/issues", ("issues",)),
    ("/labels", ("issues", "pull_requests")),
    ("/milestones", ("issues", "pull_requests")),
    ("/pulls", ("pull_requests",)),
)


def accepted(
    method: str, template: str, params: Mapping[str, str], world: World
) -> list[tuple[str, str]]:
    """The `(permission, level)` pairs of which any one lets a request through; empty when the
    endpoint needs none (the rate limit, the app's own JWT endpoints)."""
    if not template.startswith(REPO):
        return []
    rest = template[len(REPO) :]
    level = "read" if method in ("GET", "HEAD") else "write"
    if rest == "":
        return [("metadata", "read")] if level == "read" else [("administration", "write")]
    names: tuple[str, ...] = ("metadata",)
    for prefix, found in _BY_PREFIX:
        if rest.startswith(prefix):
            names = found
            break
    if rest.startswith("/issues/{issue_number}") and _is_pull(params, world):
        names = (*names, "pull_requests")
    if names == ("metadata",):
        level = "read"
    return [(name, level) for name in names]


def refusal(
    method: str, template: str, params: Mapping[str, str], world: World, scopes: Mapping[str, str]
) -> list[tuple[str, str]] | None:
    """None when a token with `scopes` may make this request; else what would be enough."""
    needed = accepted(method, template, params, world)
    if not needed or any(allows(scopes, *need) for need in needed):
        return None
    if method in ("GET", "HEAD") and not world.repo.private:
        return None  # public, so readable by anyone
    return needed


def allows(scopes: Mapping[str, str], permission: str, level: str) -> bool:
    if permission == "metadata" and level == "read":
        return True  # every token of an installation may read the repository's metadata
    return LEVELS.get(scopes.get(permission, "none"), 0) >= LEVELS[level]


def header(pairs: list[tuple[str, str]]) -> str:
    """`X-Accepted-GitHub-Permissions`: each set that would do, separated by `; `."""
    return "; ".join(f"{name}={level}" for name, level in pairs)


def _is_pull(params: Mapping[str, str], world: World) -> bool:
    try:
        issue = world.issues.get(int(params.get("issue_number", "")))
    except ValueError:
        return False
    return issue is not None and issue.pull is not None
