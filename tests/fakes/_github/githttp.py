"""Git over HTTP for the fake's repository, as `https://github.com/{owner}/{repo}.git` serves it.

Git's smart HTTP protocol is spoken by git itself (`git http-backend`, as a CGI program); this
module decides who may do what, as GitHub does:

- credentials come as HTTP basic auth whose password is a token (`x-access-token:<token>`, which
  is what actions/checkout and Baton send in `http.extraHeader`);
- anyone may fetch a public repository; a private one needs a token, and a token with scopes
  needs `contents: read` for it; a push needs `contents: write` and an account with write
  access to the repository;
- an unknown token is `401` with `WWW-Authenticate: Basic realm="GitHub"`; a refused push or
  fetch is `403` with GitHub's words (`Permission to owner/repo.git denied to <login>.`).

Every request is recorded in `requests` (git's requests are not REST answers, so they stay out
of the API's books and its conformance checks).
"""

from __future__ import annotations

import base64
import binascii
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import permissions
from .gitrepo import _git_environment
from .model import Token, World


@dataclass(frozen=True)
class GitRequest:
    """One git request: `service` is `git-upload-pack` (fetch) or `git-receive-pack` (push)."""

    method: str
    path: str
    service: str
    token: str | None
    login: str | None
    status: int


@dataclass(frozen=True)
class GitAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


class GitHttp:
    """Answers git's requests for the one repository of `world` (whose bare repository is
    `<project_root>/<owner>/<name>.git`)."""

    def __init__(self, world: World, project_root: Path) -> None:
        self.world = world
        self.project_root = project_root
        self.requests: list[GitRequest] = []

    def path_info(self, path: str) -> str | None:
        """`/owner/name.git/…` for a request to this repository's git address, else None."""
        repo = self.world.repo
        for prefix in (f"/{repo.full_name}.git/", f"/{repo.full_name}/"):
            if path.lower().startswith(prefix.lower()):
                rest = path[len(prefix) :]
                if rest in ("info/refs", "git-upload-pack", "git-receive-pack"):
                    return f"/{repo.owner}/{repo.name}.git/{rest}"
        return None

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> GitAnswer:
        info = self.path_info(path)
        assert info is not None, path
        service = (
            query.removeprefix("service=") if info.endswith("/info/refs") else info.rsplit("/")[-1]
        )
        with self.world.lock:
            token, refused = self._authorize(service, headers.get("authorization", ""))
        if refused is not None:
            answer = refused
        else:
            login = self.world.user(token.login) if token else None
            answer = self._backend(
                method,
                info,
                query=query,
                headers=headers,
                body=body,
                login=login.login if login else "",
            )
        request = GitRequest(
            method,
            path,
            service,
            token.token if token else None,
            token.login if token else None,
            answer.status,
        )
        with self.world.lock:
            self.requests.append(request)
        return answer

    def _authorize(self, service: str, authorization: str) -> tuple[Token | None, GitAnswer | None]:
        repo = self.world.repo
        token = None
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                _, _, secret = base64.b64decode(credential.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                secret = ""
            token = self.world.tokens.get(secret)
            if token is None:
                return None, _challenge("Invalid username or token.")
        elif scheme.lower() in ("bearer", "token") and credential.strip():
            token = self.world.tokens.get(credential.strip())
            if token is None:
                return None, _challenge("Invalid username or token.")
        push = service == "git-receive-pack"
        if service not in ("git-upload-pack", "git-receive-pack"):
            return token, GitAnswer(403, {"Content-Type": "text/plain"}, b"Forbidden\n")
        if token is None:
            if push or repo.private:
                return None, _challenge("")
            return None, None
        user = self.world.ensure_user(token.login)
        level = "write" if push else "read"
        allowed = (
            token.scopes is None
            or permissions.allows(token.scopes, "contents", level)
            or (not push and not repo.private)  # anyone may fetch a public repository
        )
        if push and user.role not in ("admin", "maintain", "write"):
            allowed = False
        if not allowed:
            message = f"Permission to {repo.full_name}.git denied to {user.login}.\n"
            return token, GitAnswer(403, {"Content-Type": "text/plain"}, message.encode())
        return token, None

    def _backend(
        self,
        method: str,
        path_info: str,
        *,
        query: str,
        headers: dict[str, str],
        body: bytes,
        login: str,
    ) -> GitAnswer:
        env = _git_environment()
        env.update(
            GIT_PROJECT_ROOT=str(self.project_root),
            GIT_HTTP_EXPORT_ALL="1",
            PATH_INFO=path_info,
            QUERY_STRING=query,
            REQUEST_METHOD=method,
            CONTENT_TYPE=headers.get("content-type", ""),
            CONTENT_LENGTH=str(len(body)),
            REMOTE_ADDR="127.0.0.1",
            REMOTE_USER=login,  # git http-backend allows a push only with one
        )
        if "content-encoding" in headers:
            env["HTTP_CONTENT_ENCODING"] = headers["content-encoding"]
        if "git-protocol" in headers:
            env["GIT_PROTOCOL"] = headers["git-protocol"]
        proc = subprocess.run(
            ["git", "http-backend"],
            input=body,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        head, blank, payload = proc.stdout.partition(b"\r\n\r\n")
        if not blank:
            head, blank, payload = proc.stdout.partition(b"\n\n")
        status = 200
        answer_headers: dict[str, str] = {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                answer_headers[name] = value.strip()
        if proc.returncode != 0 and status == 200:
            return GitAnswer(500, {"Content-Type": "text/plain"}, proc.stderr)
        return GitAnswer(status, answer_headers, payload)


def _challenge(message: str) -> GitAnswer:
    body = f"{message}\n".encode() if message else b""
    return GitAnswer(
        401, {"WWW-Authenticate": 'Basic realm="GitHub"', "Content-Type": "text/plain"}, body
    )
