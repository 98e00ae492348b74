"""The plan checks of a ticket's files against the base commit: files to modify or read exist
(or an earlier ticket creates them), files to create do not, globs match, no protected path is
named, and no ticket changes more files than `plan.max_files_per_ticket`."""

from __future__ import annotations

from bot.errors import Problem
from bot.globs import is_glob, matches_any
from bot.planning.drafted import Drafted
from bot.protected import is_protected, protected_files, protected_message


def _open_entries(drafted: Drafted, names: tuple[str, ...]) -> list[tuple[int, str, int, str]]:
    """(ticket, list name, index, path) of the entries in `names`, but protected paths where they
    are not allowed: those get one line of their own (`protected_paths`), not one more."""
    return [
        (i, name, j, path)
        for i, ticket in enumerate(drafted.tickets)
        for name in names
        for j, path in enumerate(getattr(ticket.files, name))
        if drafted.allow_protected or not is_protected(path)
    ]


def missing_files(drafted: Drafted) -> list[Problem]:
    """Files to modify or read that the base does not have, and that no ticket this one comes
    after creates."""
    found = []
    for i, name, j, path in _open_entries(drafted, ("modify", "read")):
        earlier = [p for k in drafted.after[i] for p in drafted.tickets[k].files.create]
        if is_glob(path) or drafted.tree.exists(path) or matches_any(path, earlier):
            continue
        fix = (
            "or move it to files.create if the ticket makes it"
            if name == "modify"
            else "or drop it"
        )
        message = f"`{path}` does not exist at the base commit; correct the path, {fix}"
        found.append(drafted.problem(i, ("files", name, j), message))
    return found


def existing_creates(drafted: Drafted) -> list[Problem]:
    """Files to create that the base has already (a directory or glob to create in is fine)."""
    return [
        drafted.problem(
            i,
            ("files", "create", j),
            f"`{path}` exists at the base commit already; move it to files.modify, or name a "
            "new file",
        )
        for i, _, j, path in _open_entries(drafted, ("create",))
        if not is_glob(path) and drafted.tree.has_file(path)
    ]


def unmatched_globs(drafted: Drafted) -> list[Problem]:
    """Globs among the files to modify or read that match no file at the base."""
    return [
        drafted.problem(
            i,
            ("files", name, j),
            f"the glob `{path}` matches no file at the base commit; correct the pattern, or drop it",
        )
        for i, name, j, path in _open_entries(drafted, ("modify", "read"))
        if is_glob(path) and not drafted.tree.matching(path)
    ]


def protected_paths(drafted: Drafted) -> list[Problem]:
    """Protected paths among a ticket's files, unless the repository allows them."""
    if drafted.allow_protected:
        return []
    return [
        drafted.problem(i, ("files", name, j), protected_message(path))
        for i, ticket in enumerate(drafted.tickets)
        for name, j, path in protected_files(ticket.files)
    ]


def oversized(drafted: Drafted, limit: int) -> list[Problem]:
    """Tickets that create and modify more than `limit` files (a glob or directory counts the
    files it matches at the base, at least one)."""
    found = []
    for i, ticket in enumerate(drafted.tickets):
        create = _count(drafted, ticket.files.create)
        modify = _count(drafted, ticket.files.modify)
        if create + modify > limit:
            found.append(
                drafted.problem(
                    i,
                    ("files",),
                    f"changes {create + modify} files ({create} to create, {modify} to modify), "
                    f"more than plan.max_files_per_ticket ({limit}); split it into smaller "
                    "tickets",
                )
            )
    return found


def _count(drafted: Drafted, patterns: list[str]) -> int:
    """The files `patterns` stand for; a glob to create in, which matches nothing yet, as one."""
    matched = [drafted.files_of(p) for p in patterns]
    return len(set().union(*matched)) + sum(1 for files in matched if not files)
