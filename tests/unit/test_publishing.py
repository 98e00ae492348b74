"""The outbox and its executor: what is written, once, and when a write is looked for first.

A recording Reports port stands in for GitHub: it keeps every verb called, with its arguments,
and fails the verbs a test tells it to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config import LabelsConfig
from bot.errors import Forbidden, ForgeError, ServerError
from bot.forge import CheckRun
from bot.outbox import Comment, Labels, intents, pull_request, ticket_writes
from bot.publishing import Publisher
from bot.state import AgentResult, Attempt, ChainState, TicketState, Validation

LABELS = LabelsConfig()


@dataclass
class RecordingReports:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: dict[str, ForgeError] = field(default_factory=dict)
    next_id: int = 100

    def _call(self, verb: str, **args: Any) -> int:
        self.calls.append((verb, args))
        if verb in self.fail:
            raise self.fail.pop(verb)
        self.next_id += 1
        return self.next_id

    def verbs(self) -> list[str]:
        return [verb for verb, _ in self.calls]

    def ensure_comment(
        self, issue: int, mark: str, body: str, known_id: int | None, *, lookup: bool
    ) -> int:
        return known_id or self._call(
            "ensure_comment", issue=issue, mark=mark, body=body, known_id=known_id, lookup=lookup
        )

    def set_labels(self, issue: int, add: str | None, remove: list[str]) -> None:
        self._call("set_labels", issue=issue, add=add, remove=remove)

    def ensure_pull_request(
        self, known: int | None, *, base: str, head: str, title: str, body: str, lookup: bool
    ) -> int:
        self._call(
            "ensure_pull_request",
            known=known,
            base=base,
            head=head,
            title=title,
            body=body,
            lookup=lookup,
        )
        return known or 7

    def ensure_check_run(
        self, sha: str, run: CheckRun, external_id: str, known_id: int | None, *, lookup: bool
    ) -> int:
        return known_id or self._call(
            "ensure_check_run", sha=sha, run=run, external_id=external_id, lookup=lookup
        )

    def set_commit_status(self, sha: str, context: str, state: str, description: str) -> None:
        self._call(
            "set_commit_status", sha=sha, context=context, state=state, description=description
        )

    def ensure_review(
        self,
        pr: int,
        mark: str,
        commit: str | None,
        body: str,
        comments: list[dict[str, Any]],
        *,
        lookup: bool,
    ) -> int:
        return self._call(
            "ensure_review",
            pr=pr,
            mark=mark,
            commit=commit,
            body=body,
            comments=comments,
            lookup=lookup,
        )

    def reply(self, pr: int, body: str, comment_id: int | None) -> int:
        return self._call("reply", pr=pr, body=body, comment_id=comment_id)

    def lookups(self) -> list[tuple[str, bool]]:
        return [(verb, args["lookup"]) for verb, args in self.calls if "lookup" in args]


def _validated(number: int, sha: str) -> Attempt:
    return Attempt(
        number=number,
        kind="launch",
        session=1,
        agent=AgentResult(ok=True, summary="done"),
        commit=sha,
        validation=Validation(commit=sha, changed_files=["a.txt"]),
    )


def _chain(*, passed: bool = True) -> ChainState:
    ticket = TicketState(
        key="#12",
        title="Add a health check",
        status="passed" if passed else "running",
        attempts=[_validated(1, "a" * 40)] if passed else [],
    )
    return ChainState(
        name="sprint",
        branch="baton/sprint",
        base_branch="main",
        base_commit="0" * 40,
        tickets={"#12": ticket},
    )


def _publisher(reports: RecordingReports, labels: dict[int, set[str]] | None = None) -> Publisher:
    return Publisher(reports, LABELS, labels if labels is not None else {}, lambda text: text)


def test_intents_are_the_writes_that_create_something() -> None:
    state = _chain()
    assert intents(state) == ["status:#12", "check:#12:1", "pr"]
    state.pr_number = 7
    assert intents(state) == ["status:#12", "validation:#12", "check:#12:1", "pr"]


def test_a_chain_without_work_has_no_pull_request() -> None:
    assert pull_request(_chain(passed=False), str) is None
    assert pull_request(_chain(), str) is not None


def test_what_was_staged_in_this_process_is_written_without_a_lookup_and_once() -> None:
    reports = RecordingReports()
    publisher = _publisher(reports)
    state = _chain()
    publisher.stage(state)
    publisher.report(state)
    assert reports.verbs() == [
        "ensure_pull_request",
        "set_labels",
        "ensure_comment",
        "ensure_check_run",
    ]
    assert all(not args["lookup"] for _, args in reports.calls if "lookup" in args)
    assert state.pr_number == 7
    # The validation comment goes on the pull request: staged with the next save.
    reports.calls.clear()
    publisher.stage(state)
    publisher.report(state)
    assert reports.lookups() == [("ensure_comment", False)]
    assert reports.calls[0][1]["issue"] == 7
    assert {key: r.id is not None for key, r in state.reports.items()} == {
        "pr": True,
        "labels:#12": True,
        "status:#12": True,
        "validation:#12": True,
        "check:#12:1": True,
    }
    reports.calls.clear()
    publisher.stage(state)
    publisher.report(state)
    assert reports.calls == [], "nothing changed: nothing is written"


def test_a_write_that_failed_is_looked_for_at_the_next_try() -> None:
    reports = RecordingReports(fail={"ensure_check_run": ServerError("GitHub answered 502")})
    publisher = _publisher(reports)
    state = _chain()
    publisher.stage(state)
    publisher.report(state)
    assert state.reports["check:#12:1"].digest == "", "not recorded as written"
    reports.calls.clear()
    publisher.report(state)
    assert reports.lookups() == [("ensure_check_run", True)]


def test_a_record_from_another_process_is_looked_for() -> None:
    """Staged by a run that crashed after its save: this process did not stage it."""
    state = _chain()
    _publisher(RecordingReports()).stage(state)
    reports = RecordingReports()
    _publisher(reports).report(state)
    assert reports.lookups() == [
        ("ensure_pull_request", True),
        ("ensure_comment", True),
        ("ensure_check_run", True),
    ]


def test_refused_check_runs_become_commit_statuses_for_the_rest_of_the_run() -> None:
    reports = RecordingReports(fail={"ensure_check_run": Forbidden("GitHub answered 403")})
    publisher = _publisher(reports)
    state = _chain()
    publisher.stage(state)
    publisher.report(state)
    assert reports.verbs()[-2:] == ["ensure_check_run", "set_commit_status"]
    assert state.reports["check:#12:1"].id is None
    state.tickets["#12"].attempts.append(_validated(2, "b" * 40))
    reports.calls.clear()
    publisher.stage(state)
    publisher.report(state)
    assert "ensure_check_run" not in reports.verbs()
    assert reports.verbs().count("set_commit_status") == 1


def test_labels_add_the_wanted_one_and_take_off_the_stale_ones() -> None:
    state = _chain()
    current = {12: {"ready-for-agent", LABELS.running}}
    (labels,) = [w for w in ticket_writes(state, LABELS, current, str) if isinstance(w, Labels)]
    assert (labels.add, labels.remove) == (LABELS.done, [LABELS.running])
    reports = RecordingReports()
    _publisher(reports, current).report(state)
    assert current[12] == {"ready-for-agent", LABELS.done}
    assert state.reports["labels:#12"].digest == LABELS.done
    assert not [w for w in ticket_writes(state, LABELS, current, str) if isinstance(w, Labels)]


def test_only_a_staged_comment_is_written() -> None:
    state = _chain()
    assert not [w for w in ticket_writes(state, LABELS, {}, str) if isinstance(w, Comment)]
    _publisher(RecordingReports()).stage(state)
    comments = [w for w in ticket_writes(state, LABELS, {}, str) if isinstance(w, Comment)]
    assert [c.key for c in comments] == ["status:#12"]
