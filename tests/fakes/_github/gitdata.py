"""Contents and git data (blobs, trees, commits, refs), all read from and written to the bare repo."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .common import parse_time, required, shapes
from .gitrepo import GitError, Signature, TreeEntry
from .protocol import ApiError, Call, Response, Routes, invalid_request, not_found

routes = Routes()
REPO = "/repos/{owner}/{repo}"
CONTENTS = f"{REPO}/contents/{{path:path}}"
MAX_INLINE_CONTENT = 1024 * 1024  # larger files come without their content, as on GitHub
_MODES = ("100644", "100755", "040000", "160000", "120000")


def _guard_branch(call: Call, branch: str, *, through_contents: bool) -> None:
    """A protected branch that wants pull requests or checks takes no direct writes."""
    settings = call.world.protection(branch)
    if settings is None:
        return
    if call.user.role == "admin" and not settings.get("enforce_admins"):
        return
    if settings.get("required_pull_request_reviews") is None and not settings.get(
        "required_status_checks"
    ):
        return
    if through_contents:
        raise ApiError(409, "Changes must be made through a pull request.")
    raise ApiError(422, f"Protected branch update failed for refs/heads/{branch}.")


def _signature(call: Call, value: Any, default: Signature) -> Signature:
    if not value:
        return default
    if not isinstance(value, dict) or "name" not in value or "email" not in value:
        raise invalid_request("For 'properties/author', name and email are required.")
    return Signature(
        str(value["name"]),
        str(value["email"]),
        parse_time(value.get("date"), "date") or call.world.clock(),
    )


def _decode(content: Any) -> bytes:
    try:
        return base64.b64decode(str(content).replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        raise invalid_request("content is not valid Base64") from None


# ---- contents -------------------------------------------------------------------------------------


@routes.get(CONTENTS, docs="repos/contents#get-repository-content")
def get_content(call: Call) -> Response:
    world = call.world
    ref = call.request.arg("ref") or world.repo.default_branch
    commit = world.git.resolve(ref)
    if commit is None:
        raise not_found(f"No commit found for the ref {ref}")
    path = call.params["path"].strip("/")
    entry = world.git.entry_at(commit, path)
    if entry is None:
        raise not_found()
    render = shapes(call)
    if entry.type == "tree":
        children = world.git.ls_tree(entry.sha)
        listing = [render.content_entry(f"{path}/{c.path}".lstrip("/"), c, ref) for c in children]
        return Response(200, listing)
    if entry.type != "blob":
        raise not_found()
    data = world.git.read_blob(entry.sha)
    body = render.content_file(path, entry, ref, data if len(data) <= MAX_INLINE_CONTENT else b"")
    if len(data) > MAX_INLINE_CONTENT:
        body["encoding"] = "none"
    return Response(200, body)


def _file_write(call: Call, *, delete: bool) -> Response:
    """PUT and DELETE on contents: one commit on the branch, checked like GitHub checks it."""
    world = call.world
    git = world.git
    body = call.body()
    message = str(required(body, "message"))
    data = None if delete else _decode(required(body, "content"))
    branch = str(body.get("branch") or world.repo.default_branch)
    head = git.ref(f"refs/heads/{branch}")
    if head is None:
        raise not_found(f"Branch {branch} not found")
    path = call.params["path"].strip("/")
    existing = git.entry_at(head, path)
    if existing is not None and existing.type != "blob":
        raise invalid_request(f"{path} is a directory")
    given = body.get("sha")
    if existing is None and delete:
        raise not_found()
    if existing is not None:
        if given is None:
            raise invalid_request('"sha" wasn\'t supplied.')
        if given != existing.sha:
            raise ApiError(409, f"{path} does not match {given}")
    _guard_branch(call, branch, through_contents=True)
    entry = (
        None
        if data is None
        else TreeEntry(existing.mode if existing else "100644", "blob", git.write_blob(data), path)
    )
    tree = git.edit_tree(git.read_commit(head).tree, {path: entry})
    committer = _signature(call, body.get("committer"), world.signature(call.user.login))
    author = _signature(call, body.get("author"), committer)
    sha = git.commit_tree(tree, [head], message, author=author, committer=committer)
    try:
        git.update_ref(f"refs/heads/{branch}", sha, head)
    except GitError:
        raise ApiError(409, f"refs/heads/{branch} was updated while this request ran") from None
    commit = git.read_commit(sha)
    if entry is None:
        return Response(200, shapes(call).file_commit(commit, None))
    written = git.entry_at(sha, path)
    assert written is not None
    status = 200 if existing is not None else 201
    return Response(status, shapes(call).file_commit(commit, (path, written, branch)))


@routes.put(CONTENTS, docs="repos/contents#create-or-update-file-contents")
def put_content(call: Call) -> Response:
    return _file_write(call, delete=False)


@routes.delete(CONTENTS, docs="repos/contents#delete-a-file")
def delete_content(call: Call) -> Response:
    return _file_write(call, delete=True)


# ---- blobs, trees, commits ------------------------------------------------------------------------


@routes.post(f"{REPO}/git/blobs", docs="git/blobs#create-a-blob")
def create_blob(call: Call) -> Response:
    body = call.body()
    content = required(body, "content")
    encoding = body.get("encoding", "utf-8")
    if encoding not in ("utf-8", "base64"):
        raise ApiError(422, f"encoding must be 'utf-8' or 'base64', not {encoding!r}")
    data = _decode(content) if encoding == "base64" else str(content).encode()
    sha = call.world.git.write_blob(data)
    return Response(201, {"sha": sha, "url": f"{shapes(call).repo_api}/git/blobs/{sha}"})


@routes.get(f"{REPO}/git/blobs/{{file_sha}}", docs="git/blobs#get-a-blob")
def get_blob(call: Call) -> Response:
    sha = call.params["file_sha"]
    if call.world.git.object_type(sha) != "blob":
        raise not_found()
    return Response(200, shapes(call).blob(sha, call.world.git.read_blob(sha)))


def _tree_of(call: Call, name: str) -> str | None:
    git = call.world.git
    kind = git.object_type(name)
    if kind == "tree":
        return name
    commit = name if kind == "commit" else git.resolve(name)
    return git.read_commit(commit).tree if commit else None


@routes.post(f"{REPO}/git/trees", docs="git/trees#create-a-tree")
def create_tree(call: Call) -> Response:
    git = call.world.git
    body = call.body()
    base = None
    if body.get("base_tree"):
        base = _tree_of(call, str(body["base_tree"]))
        if base is None:
            raise ApiError(422, "base_tree is not a valid tree oid")
    entries = required(body, "tree")
    if not isinstance(entries, list):
        raise invalid_request("For 'properties/tree', it is not an array.")
    edits: dict[str, TreeEntry | None] = {}
    for item in entries:
        path, mode, kind = item.get("path"), item.get("mode"), item.get("type")
        if not path or mode not in _MODES or kind not in ("blob", "tree", "commit"):
            raise invalid_request("For 'items', each tree entry needs a path, a mode and a type.")
        if item.get("content") is not None and "sha" not in item:
            sha = git.write_blob(str(item["content"]).encode())
        elif "sha" in item and "content" not in item:
            sha = item["sha"]
            if sha is None:
                edits[path] = None
                continue
            if kind != "commit" and git.object_type(str(sha)) != kind:
                raise ApiError(422, f"tree.sha {sha} is not a valid {kind}")
        else:
            raise ApiError(
                422,
                "Must supply tree.sha or tree.content. Request will be rejected if both are present.",
            )
        edits[path] = TreeEntry(mode, kind, str(sha), path)
    tree = git.edit_tree(base, edits)
    return Response(201, shapes(call).tree(tree, git.ls_tree(tree)))


@routes.get(f"{REPO}/git/trees/{{tree_sha:path}}", docs="git/trees#get-a-tree")
def get_tree(call: Call) -> Response:
    tree = _tree_of(call, call.params["tree_sha"])
    if tree is None:
        raise not_found()
    recursive = call.request.arg("recursive") is not None  # any value at all, as on GitHub
    return Response(200, shapes(call).tree(tree, call.world.git.ls_tree(tree, recursive=recursive)))


@routes.post(f"{REPO}/git/commits", docs="git/commits#create-a-commit")
def create_commit(call: Call) -> Response:
    git = call.world.git
    body = call.body()
    message = str(required(body, "message"))
    tree = str(required(body, "tree"))
    if git.object_type(tree) != "tree":
        raise ApiError(422, "Tree SHA does not exist")
    parents = body.get("parents") or []
    for parent in parents:
        if git.object_type(str(parent)) != "commit":
            raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    author = _signature(call, body.get("author"), call.world.signature(call.user.login))
    committer = _signature(call, body.get("committer"), author)
    sha = git.commit_tree(
        tree, [str(p) for p in parents], message, author=author, committer=committer
    )
    return Response(201, shapes(call).git_commit(git.read_commit(sha)))


@routes.get(f"{REPO}/git/commits/{{commit_sha}}", docs="git/commits#get-a-commit-object")
def get_commit(call: Call) -> Response:
    sha = call.params["commit_sha"]
    if call.world.git.object_type(sha) != "commit":
        raise not_found()
    return Response(200, shapes(call).git_commit(call.world.git.read_commit(sha)))


# ---- refs -----------------------------------------------------------------------------------------


def _ref_body(call: Call, name: str, sha: str) -> dict[str, Any]:
    kind = call.world.git.object_type(sha) or "commit"
    return shapes(call).git_ref(name, sha, kind)


def _branch_of(ref: str) -> str | None:
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None


@routes.get(f"{REPO}/git/ref/{{ref:path}}", docs="git/refs#get-a-reference")
def get_ref(call: Call) -> Response:
    name = f"refs/{call.params['ref']}"
    sha = call.world.git.ref(name)
    if sha is None:
        raise not_found()
    return Response(200, _ref_body(call, name, sha))


@routes.get(f"{REPO}/git/matching-refs/{{ref:path}}", docs="git/refs#list-matching-references")
def matching_refs(call: Call) -> Response:
    prefix = f"refs/{call.params['ref']}"
    render = shapes(call)
    refs = call.world.git.refs(prefix)
    return Response(200, [render.git_ref(ref, sha, kind) for ref, sha, kind in refs])


@routes.post(f"{REPO}/git/refs", docs="git/refs#create-a-reference")
def create_ref(call: Call) -> Response:
    git = call.world.git
    body = call.body()
    name, sha = str(required(body, "ref")), str(required(body, "sha"))
    if not name.startswith("refs/") or name.count("/") < 2 or not git.valid_ref_name(name):
        raise ApiError(422, f"{name} is not a valid ref name.")
    if git.object_type(sha) is None:
        raise ApiError(422, "Object does not exist")
    if git.ref(name) is not None:
        raise ApiError(422, "Reference already exists")
    try:
        git.update_ref(name, sha, None)
    except GitError:
        raise ApiError(422, "Reference already exists") from None
    return Response(201, _ref_body(call, name, sha))


@routes.patch(f"{REPO}/git/refs/{{ref:path}}", docs="git/refs#update-a-reference")
def update_ref(call: Call) -> Response:
    git = call.world.git
    name = f"refs/{call.params['ref']}"
    body = call.body()
    sha = str(required(body, "sha"))
    current = git.ref(name)
    if current is None:
        raise ApiError(422, "Reference does not exist")
    if git.object_type(sha) is None:
        raise ApiError(422, "Object does not exist")
    branch = _branch_of(name)
    if branch is not None:
        _guard_branch(call, branch, through_contents=False)
    if not body.get("force") and not git.is_ancestor(current, sha):
        raise ApiError(422, "Update is not a fast forward")
    try:
        git.update_ref(name, sha, current)
    except GitError:
        raise ApiError(422, "Reference cannot be updated") from None
    return Response(200, _ref_body(call, name, sha))


@routes.delete(f"{REPO}/git/refs/{{ref:path}}", docs="git/refs#delete-a-reference")
def delete_ref(call: Call) -> Response:
    git = call.world.git
    name = f"refs/{call.params['ref']}"
    current = git.ref(name)
    if current is None:
        raise ApiError(422, "Reference does not exist")
    branch = _branch_of(name)
    settings = call.world.protection(branch) if branch is not None else None
    if settings is not None and not settings.get("allow_deletions"):
        raise ApiError(422, "Cannot delete a protected branch")
    git.delete_ref(name, current)
    return Response(204)
