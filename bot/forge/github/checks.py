"""Check runs and commit statuses on a commit. A check run is found again by its external id;
its annotations go 50 to a request (the first with the run, the rest as edits)."""

from __future__ import annotations

from functools import partial
from typing import Any

from bot.forge import CheckRun
from bot.forge.github.repo import Repo


def check_runs(repo: Repo, sha: str, name: str) -> list[dict[str, Any]]:
    data = repo.api.get_json(f"{repo.path}/commits/{sha}/check-runs", {"check_name": name})
    return list((data or {}).get("check_runs", []))


def find_check_run(repo: Repo, sha: str, name: str, external_id: str) -> int | None:
    for run in check_runs(repo, sha, name):
        if run.get("external_id") == external_id:
            return int(run["id"])
    return None


def completed_texts(repo: Repo, sha: str, name: str, external_id: str) -> list[tuple[int, str]]:
    """(id, text) of the completed runs `name` with `external_id` on `sha`."""
    return [
        (int(run["id"]), str((run.get("output") or {}).get("text") or ""))
        for run in check_runs(repo, sha, name)
        if run.get("external_id") == external_id and run.get("status") == "completed"
    ]


def create_check_run(repo: Repo, sha: str, run: CheckRun, external_id: str) -> int:
    def output(annotations: list[dict[str, Any]] | None) -> dict[str, Any]:
        out: dict[str, Any] = {"title": run.title, "summary": repo.redact(run.summary)}
        if run.text is not None:
            out["text"] = repo.redact(run.text)
        if annotations is not None:
            out["annotations"] = annotations
        return out

    gh = repo.gh_repo
    first = output(run.batches[0] if run.batches else None)
    created = repo.api.call(
        lambda: gh.create_check_run(
            name=run.name,
            head_sha=sha,
            status="completed",
            conclusion=run.conclusion,
            external_id=external_id,
            output=first,
        ),
        write=True,
    )
    for batch in run.batches[1:]:
        more = {"title": run.title, "summary": repo.redact(run.summary), "annotations": batch}
        repo.api.call(partial(created.edit, output=more), write=True)
    return int(created.id)


def set_commit_status(repo: Repo, sha: str, context: str, state: str, description: str) -> None:
    commit = repo.gh_repo.get_commit(sha)
    repo.api.call(
        lambda: commit.create_status(state, description=repo.redact(description), context=context),
        write=True,
    )
