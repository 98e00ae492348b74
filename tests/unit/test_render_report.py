"""What the knowledge base holds for a chain whose text is hostile: the report, STATUS.md, the
changelog, the project context and the timeline, as `knowledge_files` commits them (redacted).
Changes here are deliberate."""

from __future__ import annotations

import re

from syrupy.assertion import SnapshotAssertion

from bot.knowledge import knowledge_files
from bot.redact import Redactor
from bot.render.report import report_md, status_md
from bot.render.timeline import timeline_svg, timeline_text
from bot.state import Retry, StoreData
from tests.unit.render_samples import SECRET, at, attempt, chain

REPORT = "knowledge/reports/2026-03-14-sprint-9.md"


def _files() -> dict[str, str]:
    state = chain()
    return knowledge_files(
        "knowledge",
        StoreData(chains={state.name: state}),
        state,
        "# Changelog\n\nPeople's words.\n\n## 2026-01-01: chain `earlier`, passed (1 passed)\n",
        "# Project context\n\nPeople's words.\n",
        redact=Redactor([SECRET]),
    )


def test_report(snapshot: SnapshotAssertion) -> None:
    text = _files()[REPORT]
    assert text == snapshot
    assert SECRET not in text
    rows = [line for line in text.splitlines() if line.startswith("| `#")]
    assert len(rows) == 4
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 7, row
    fences = [line for line in text.splitlines() if line.strip().startswith("```")]
    assert fences == ["  ```text", "  ```"] * 2, "each of two test outputs stays in its block"


def test_status_md(snapshot: SnapshotAssertion) -> None:
    assert _files()["knowledge/STATUS.md"] == snapshot


def test_changelog(snapshot: SnapshotAssertion) -> None:
    text = _files()["knowledge/CHANGELOG.md"]
    assert text == snapshot
    assert text.index("chain `sprint-9`") < text.index("chain `earlier`")


def test_context(snapshot: SnapshotAssertion) -> None:
    assert _files()["knowledge/CONTEXT.md"] == snapshot


def test_timeline(snapshot: SnapshotAssertion) -> None:
    svg = _files()["knowledge/reports/2026-03-14-sprint-9.svg"]
    assert svg == snapshot
    assert "<b>" not in svg


def test_the_timeline_tells_outcomes_apart_without_colour(snapshot: SnapshotAssertion) -> None:
    """Each bar has a mark before its label and a fill pattern of its outcome; a legend says
    which is which. The pull request gets the same chart as text."""
    state = chain()
    svg = timeline_svg(state)
    outcomes = [t.status for t in state.tickets.values()]
    assert {"passed", "blocked"} <= set(outcomes)
    assert re.search(r"<text [^>]*>✓ \S+ #2 ", svg), "a passed attempt is marked"
    assert re.search(r"<text [^>]*>✗ \S+ #1 ", svg), "a failed attempt is marked"
    assert 'fill="url(#failed)"' in svg, "a failed bar is hatched"
    for legend in ("✓ passed", "✗ failed", "○ interrupted"):
        assert f">{legend}</text>" in svg
    text = timeline_text(state)
    assert text == snapshot
    assert len({len(line.split("|")[1]) for line in text.splitlines() if "|" in line}) == 1


def test_the_renderers_are_what_is_committed_before_redaction() -> None:
    state = chain()
    files = _files()
    assert files[REPORT] == Redactor([SECRET])(report_md(state, "2026-03-14-sprint-9.svg"))
    assert files["knowledge/STATUS.md"] == status_md(StoreData(chains={state.name: state}))
    assert files["knowledge/reports/2026-03-14-sprint-9.svg"] == timeline_svg(state)


def test_a_retried_ticket_shows_its_retry_between_its_attempts(snapshot: SnapshotAssertion) -> None:
    state = chain()
    blocked = state.tickets["#3"]
    later = attempt(2, "launch", 300, passed=True)
    retry = Retry(by="ada", at=at(240), status="blocked", reason=blocked.reason, after=1)
    state.tickets["#3"] = blocked.model_copy(
        update={
            "status": "passed",
            "reason": None,
            "retries": [retry],
            "attempts": [*blocked.attempts, later],
        }
    )
    skipped = Retry(by="ada", at=at(240), status="skipped", reason=state.tickets["#4"].reason)
    state.tickets["#4"] = state.tickets["#4"].model_copy(
        update={"status": "queued", "reason": None, "retries": [skipped]}
    )
    text = report_md(state, "timeline.svg")
    sections = text[text.index("## `#3`") :]
    assert sections == snapshot
    assert (
        sections.index("Attempt 1") < sections.index("Retried by ada") < sections.index("Attempt 2")
    )
    assert "- Retried by ada at 2026-03-14 09:04 UTC, with a fresh budget (it was skipped" in text
