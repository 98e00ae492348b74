"""The repository itself, rate limits, app tokens, permissions, branches and protection, compare."""

from __future__ import annotations

import secrets
from datetime import timedelta

from .common import shapes
from .model import Token
from .protocol import ApiError, Call, Response, Routes, invalid_request, not_found

routes = Routes()
REPO = "/repos/{owner}/{repo}"
BRANCH = f"{REPO}/branches/{{branch:path}}"


@routes.get(REPO, docs="repos/repos#get-a-repository")
def get_repository(call: Call) -> Response:
    return Response(200, shapes(call).repository(viewer=call.user))


@routes.get(
    "/rate_limit", docs="rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user"
)
def rate_limit(call: Call) -> Response:
    """The caller's core limit; other resources are shown untouched. Asking costs nothing."""
    core = call.rate_limit
    untouched = {"limit": 30, "remaining": 30, "used": 0, "reset": core["reset"]}
    resources = {
        "core": core,
        "search": untouched,
        "graphql": {**core, "used": 0, "remaining": core["limit"]},
    }
    resources |= {
        name: dict(untouched) for name in ("code_search", "integration_manifest", "source_import")
    }
    return Response(200, {"resources": resources, "rate": core})


@routes.add(
    "POST",
    "/app/installations/{installation_id}/access_tokens",
    docs="apps/apps#create-an-installation-access-token-for-an-app",
    auth="jwt",
)
def create_installation_token(call: Call) -> Response:
    world = call.world
    if call.int_param("installation_id") != world.app.installation_id:
        raise not_found()
    token = Token(f"ghs_{secrets.token_hex(18)}", world.app.bot_login, app=True)
    world.tokens[token.token] = token
    expires = world.clock() + timedelta(hours=1)
    return Response(
        201,
        {
            "token": token.token,
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "permissions": shapes(call).app()["permissions"],
            "repository_selection": "selected",
        },
    )


@routes.get(
    f"{REPO}/collaborators/{{username}}/permission",
    docs="collaborators/collaborators#get-repository-permissions-for-a-user",
)
def collaborator_permission(call: Call) -> Response:
    user = call.world.user(call.params["username"])
    if user is None:
        raise not_found()
    role = user.role
    if role == "none" and not call.world.repo.private:
        role = "read"  # anyone can read a public repository, and GitHub says so
    return Response(200, shapes(call).collaborator_permission(user, role))


# ---- branches ---------------------------------------------------------------------------------------


def _branch_commit(call: Call) -> str:
    sha = call.world.git.ref(f"refs/heads/{call.params['branch']}")
    if sha is None:
        raise not_found("Branch not found")
    return sha


@routes.get(BRANCH, docs="branches/branches#get-a-branch")
def get_branch(call: Call) -> Response:
    sha = _branch_commit(call)
    return Response(
        200, shapes(call).branch(call.params["branch"], call.world.git.read_commit(sha))
    )


@routes.get(f"{BRANCH}/protection", docs="branches/branch-protection#get-branch-protection")
def get_protection(call: Call) -> Response:
    _branch_commit(call)
    settings = call.world.protection(call.params["branch"])
    if settings is None:
        raise not_found("Branch not protected")
    return Response(200, shapes(call).protection(call.params["branch"], settings))


@routes.put(f"{BRANCH}/protection", docs="branches/branch-protection#update-branch-protection")
def put_protection(call: Call) -> Response:
    _branch_commit(call)
    body = call.body()
    for name in (
        "required_status_checks",
        "enforce_admins",
        "required_pull_request_reviews",
        "restrictions",
    ):
        if name not in body:
            raise invalid_request(f'"{name}" wasn\'t supplied.')
    call.world.protections[call.params["branch"]] = body
    return Response(200, shapes(call).protection(call.params["branch"], body))


@routes.delete(f"{BRANCH}/protection", docs="branches/branch-protection#delete-branch-protection")
def delete_protection(call: Call) -> Response:
    _branch_commit(call)
    if call.world.protections.pop(call.params["branch"], None) is None:
        raise not_found("Branch not protected")
    return Response(204)


# ---- compare ----------------------------------------------------------------------------------------


def _side(call: Call, name: str) -> str:
    owner, _, rev = name.rpartition(":")
    if owner and owner.lower() != call.world.repo.owner.lower():
        raise not_found()
    sha = call.world.git.resolve(rev)
    if sha is None:
        raise not_found()
    return sha


@routes.get(f"{REPO}/compare/{{basehead:path}}", docs="commits/commits#compare-two-commits")
def compare(call: Call) -> Response:
    basehead = call.params["basehead"]
    base_name, dots, head_name = basehead.partition("...")
    if not dots:
        base_name, dots, head_name = basehead.partition("..")
    if not dots:
        raise not_found()
    git = call.world.git
    base, head = _side(call, base_name), _side(call, head_name)
    merge_base = git.merge_base(base, head)
    if merge_base is None:
        raise ApiError(404, f"No common ancestor between {base_name} and {head_name}.")
    ahead = git.commits_between(base, head)
    behind = git.commits_between(head, base)
    status = (
        "identical"
        if not ahead and not behind
        else "ahead"
        if not behind
        else "behind"
        if not ahead
        else "diverged"
    )
    render = shapes(call)
    web = f"{render.repo_web}/compare/{basehead}"
    owner = call.world.repo.owner
    return Response(
        200,
        {
            "url": f"{render.repo_api}/compare/{basehead}",
            "html_url": web,
            "permalink_url": f"{render.repo_web}/compare/{owner}:{base}...{owner}:{head}",
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "base_commit": render.commit(git.read_commit(base)),
            "merge_base_commit": render.commit(git.read_commit(merge_base)),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": [render.commit(git.read_commit(sha)) for sha in ahead[:250]],
            "files": [render.diff_entry(f, head) for f in git.diff(merge_base, head)],
        },
    )
