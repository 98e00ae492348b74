"""What people read in knowledge/: the report, STATUS.md and status.json, from a fixed state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from syrupy.assertion import SnapshotAssertion

from bot.knowledge import knowledge_files, status_json
from bot.redact import Redactor
from bot.render.report import changelog_with_entry, report_md, status_md
from bot.state import (
    AgentResult,
    Attempt,
    AttemptKind,
    ChainState,
    CommandResult,
    Finding,
    Session,
    StoreData,
    TicketState,
    Validation,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _attempt(
    n: int, kind: AttemptKind, start: float, *, passed: bool, finding: Finding | None = None
) -> Attempt:
    command = CommandResult(
        command="python3 -m unittest",
        exit_code=0 if passed or finding else 1,
        duration_s=1.5,
        tail=""
        if passed or finding
        else "FAIL: test_list (tests.test_books.BooksTest)\nFAILED (failures=1)",
    )
    return Attempt(
        number=n,
        kind=kind,
        session=1,
        started_at=_at(start),
        agent=AgentResult(ok=True, summary="done", duration_s=30.0, cost_usd=0.12),
        commit=f"{n}" * 40,
        validation=Validation(
            commit=f"{n}" * 40,
            changed_files=["tests/test_books.py"],
            command=command,
            findings=[finding] if finding else [],
            finished_at=_at(start + 40),
        ),
        finished_at=_at(start + 40),
    )


MOCKS = Finding(
    rule="shared-test-client",
    severity="major",
    file="tests/test_books.py",
    line=5,
    message="tests reach the API only through the shared helper",
    hint="import make_client from tests.helpers",
)


def _chain() -> ChainState:
    return ChainState(
        name="api-tests",
        branch="baton/api-tests",
        base_branch="main",
        base_commit="b" * 40,
        checkpoint="2" * 40,
        prepared=True,
        finished=True,
        started_at=T0,
        finished_at=_at(300),
        sessions=[Session(number=1, id="s-1", backend="claude", started_at=T0)],
        tickets={
            "helper": TicketState(
                key="helper",
                title="A shared client",
                status="passed",
                checkpoint="1" * 40,
                attempts=[_attempt(1, "launch", 0, passed=True)],
            ),
            "books": TicketState(
                key="books",
                title="Books tests",
                status="passed",
                checkpoint="2" * 40,
                attempts=[
                    _attempt(1, "followup", 60, passed=False, finding=MOCKS),
                    _attempt(2, "correction", 120, passed=True),
                ],
            ),
            "errors": TicketState(
                key="errors",
                title="Error paths",
                status="blocked",
                reason="validation still failing after 2 correction(s)",
                attempts=[_attempt(1, "followup", 180, passed=False)],
            ),
            "later": TicketState(
                key="later",
                title="After errors",
                status="skipped",
                reason="depends on errors, which is blocked",
            ),
        },
    )


def test_report(snapshot: SnapshotAssertion) -> None:
    assert report_md(_chain(), "2026-11-02-api-tests.svg") == snapshot


def test_status_md(snapshot: SnapshotAssertion) -> None:
    assert status_md(StoreData(chains={"api-tests": _chain()})) == snapshot


def test_status_json_is_versioned_and_complete() -> None:
    data = status_json(StoreData(chains={"api-tests": _chain()}))
    assert data["schema_version"] == 1
    chain = data["chains"]["api-tests"]
    assert chain["outcome"] == "blocked"
    books = next(t for t in chain["tickets"] if t["key"] == "books")
    assert books["corrections"] == 1
    assert books["attempts"][0]["validation"]["passed"] is False
    assert books["attempts"][0]["validation"]["findings"][0]["line"] == 5
    assert "tail" not in books["attempts"][0]["validation"]["command"]
    json.dumps(data)


def test_the_changelog_gets_one_entry_per_run_newest_first() -> None:
    first = changelog_with_entry("", _chain())
    assert first.count("## 2026-11-02: chain `api-tests`, blocked") == 1
    assert changelog_with_entry(first, _chain()) == first
    later = _chain().model_copy(update={"name": "next", "started_at": _at(3600)})
    both = changelog_with_entry(first, later)
    assert both.index("chain `next`") < both.index("chain `api-tests`")


def test_every_knowledge_file_of_a_finished_chain() -> None:
    files = knowledge_files(
        "knowledge", StoreData(chains={"api-tests": _chain()}), _chain(), "", "", redact=Redactor()
    )
    assert sorted(files) == [
        "knowledge/CHANGELOG.md",
        "knowledge/CONTEXT.md",
        "knowledge/STATUS.md",
        "knowledge/reports/2026-11-02-api-tests.md",
        "knowledge/reports/2026-11-02-api-tests.svg",
        "knowledge/status.json",
    ]
