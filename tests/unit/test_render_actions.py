"""What GitHub Actions shows: findings and blocked tickets as annotations (workflow commands), and
the chain's table in the job summary, rendered from hostile text. Changes here are deliberate."""

from __future__ import annotations

import re

from syrupy.assertion import SnapshotAssertion

from bot.notify import Event
from bot.redact import Redactor
from bot.render.actions import (
    MESSAGE_MAX,
    annotation,
    finding_commands,
    summary_markdown,
    workflow_command,
)
from bot.render.links import Links
from tests.unit.render_samples import FINDINGS, HOSTILE, SECRET, chain


def _commands(text: str) -> list[str]:
    """Every line the runner would read a command from (it trims the line first)."""
    return [line for line in text.splitlines() if line.strip().startswith("::")]


def test_finding_commands(snapshot: SnapshotAssertion) -> None:
    lines = finding_commands(FINDINGS)
    assert lines == snapshot
    assert len("\n".join(lines).splitlines()) == len(FINDINGS), "one line per finding"
    for line in lines:
        assert re.fullmatch(r"::(error|warning) (file=[^:,]*,)?(line=\d+,)?title=[^:,]*::.*", line)


def test_a_hostile_path_stays_a_property() -> None:
    (line,) = finding_commands([FINDINGS[0].model_copy(update={"file": "a,b:c\n::error::x"})])
    assert line.startswith("::error file=a%2Cb%3Ac%0A%3A%3Aerror%3A%3Ax,line=3,title=no-mocks")


def test_a_command_without_properties() -> None:
    assert workflow_command("notice", "50%\ndone") == "::notice::50%25%0Adone"


def test_blocked_and_skipped_annotations(snapshot: SnapshotAssertion) -> None:
    state = chain()
    events = [
        Event(
            kind=kind,
            chain=state.name,
            ticket=key,
            message=state.tickets[key].reason or "",
            title=state.tickets[key].title,
            details=HOSTILE,
            url="https://github.com/octo/widgets/pull/7",
            state=state,
        )
        for kind, key in (("blocked", "#3"), ("skipped", "#4"))
    ]
    lines = [annotation(e, Redactor([SECRET])) for e in events]
    assert lines == snapshot
    assert all(line is not None and len(_commands(line)) == 1 for line in lines)


def test_a_long_annotation_is_cut_before_it_is_escaped() -> None:
    line = annotation(Event(kind="blocked", chain="c", message="%" * (MESSAGE_MAX + 10)))
    assert line is not None
    assert line.endswith("::" + "%25" * MESSAGE_MAX)


def test_job_summary(snapshot: SnapshotAssertion) -> None:
    links = Links("https://github.com/octo/widgets")
    text = summary_markdown(chain(), report="knowledge/reports/2026-03-14-sprint-9.md", links=links)
    assert text == snapshot
    rows = [line for line in text.splitlines() if line.startswith("| #")]
    assert len(rows) == 4
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 8, row
    assert not _commands(text)


def test_job_summary_in_local_mode_while_running(snapshot: SnapshotAssertion) -> None:
    assert summary_markdown(chain(finished=False), redact=Redactor([SECRET])) == snapshot
