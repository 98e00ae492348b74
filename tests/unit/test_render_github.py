"""What people read on GitHub: the status comment, the validation comment, the pull request's
body, its line review, the check run and the commit status. Changes here are deliberate; hostile
text in titles and findings shows that every escape holds."""

from __future__ import annotations

import re

import pytest
from syrupy.assertion import SnapshotAssertion

from bot.redact import REDACTED, Redactor
from bot.render.checks import MAX_ANNOTATIONS, check_run, check_run_name, commit_status
from bot.render.comments import line_review, pr_body, status_comment, validation_comment
from bot.render.markdown import MAX_TEXT, cap, code, code_block, table_cell
from bot.state import Finding, TicketStatus
from tests.unit.render_samples import FINDINGS, HOSTILE, LONG, SECRET, attempt, chain

REDACT = Redactor([SECRET])


def _cells(row: str) -> int:
    """The cells of a table row: the `|` no backslash escapes, less one."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


# -- the escaping every Markdown renderer shares --------------------------------------------------


def test_a_table_cell_holds_any_text_on_one_line() -> None:
    cell = table_cell(HOSTILE)
    assert cell == (
        r"a \| b second line third \`tick\` \`\`\`fence\`\`\` 100% done ::error::forged, a:b "
        r"&lt;b&gt;bold&lt;/b&gt; &amp; [link]\(https://evil.example) @"
        "\u200beveryone &lt;!channel&gt;"  # a zero-width space: a mention that notifies nobody
    )
    assert "\n" not in cell
    assert _cells(f"| {cell} |") == 1
    assert "<b>" not in cell
    assert "](" not in cell
    assert table_cell(None) == table_cell("") == ""
    assert table_cell(LONG).endswith("…")
    assert len(table_cell(LONG)) == 300
    assert len(table_cell(LONG, None)) > 300


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("src/app.py:3", "`src/app.py:3`"),
        ("a`b", "``a`b``"),
        ("``x`", "``` ``x` ```"),
        ("two\nlines", "`two lines`"),
    ],
)
def test_a_code_span_shows_its_text_as_written(text: str, span: str) -> None:
    assert code(text) == span


def test_a_fence_in_a_code_block_cannot_end_it() -> None:
    lines = code_block("one\n```\ntwo", indent="  ")
    assert lines[0] == "  ```text"
    assert lines[-1] == "  ```"
    assert [line for line in lines if line.strip() == "```"] == ["  ```"]


def test_text_is_cut_to_githubs_limit() -> None:
    assert cap("short") == "short"
    long = cap("x" * (MAX_TEXT + 10))
    assert len(long) <= MAX_TEXT
    assert long.endswith("… (cut to GitHub's size limit)")


# -- the status comment ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["#1", "#2", "#3", "#4"])
def test_status_comment(snapshot: SnapshotAssertion, key: str) -> None:
    state = chain()
    text = status_comment(state, state.tickets[key])
    assert text == snapshot
    for row in (line for line in text.splitlines() if line.startswith("| ")):
        assert _cells(row) == 4, row


@pytest.mark.parametrize("status", ["queued", "running", "validating", "correcting", "recovering"])
def test_an_unfinished_ticket_is_in_progress(status: TicketStatus) -> None:
    state = chain(finished=False)
    ticket = state.tickets["#2"].model_copy(update={"status": status})
    text = status_comment(state, ticket)
    assert "🔧 **Baton** · chain `sprint-9` · this ticket is **in progress**" in text


def test_status_comment_while_correcting(snapshot: SnapshotAssertion) -> None:
    state = chain(finished=False)
    assert status_comment(state, state.tickets["#2"]) == snapshot


# -- the validation comment and the line review ---------------------------------------------------


def test_validation_comment(snapshot: SnapshotAssertion) -> None:
    state = chain()
    ticket = state.tickets["#1"].model_copy(update={"attempts": state.tickets["#1"].attempts[:1]})
    text = validation_comment(ticket, ticket.title)
    assert text == snapshot
    assert text is not None
    findings = text[text.index("**Findings:**") : text.index("<details>")].strip().splitlines()
    assert len(findings) == 1 + len(FINDINGS), "one list item per finding, whatever it says"
    assert text.count("\n```") == 2, "the test output's fence cannot end its block"


def test_a_passed_attempt_has_no_findings_to_show(snapshot: SnapshotAssertion) -> None:
    state = chain()
    assert validation_comment(state.tickets["#1"], "Serve books") == snapshot


def test_no_validation_comment_before_a_validated_attempt() -> None:
    state = chain()
    assert validation_comment(state.tickets["#3"], None) is None
    assert validation_comment(state.tickets["#4"], None) is None


def test_line_review(snapshot: SnapshotAssertion) -> None:
    state = chain()
    review = line_review(state.tickets["#1"], state.tickets["#1"].attempts[0])
    assert review == snapshot
    assert review is not None
    _, comments = review
    assert [(c["path"], c["line"]) for c in comments] == [
        ("tests/test_app.py", 3),
        ("src/long.py", 9),
    ], "only the findings on a line"


def test_no_line_review_without_a_finding_on_a_line() -> None:
    state = chain()
    ticket = state.tickets["#1"]
    assert line_review(ticket, ticket.attempts[1]) is None
    on_file = attempt(1, "launch", 0, passed=False, findings=FINDINGS[1:3])
    assert line_review(ticket, on_file) is None
    assert line_review(ticket, state.tickets["#3"].attempts[0]) is None


# -- the pull request -----------------------------------------------------------------------------


def test_pr_body(snapshot: SnapshotAssertion) -> None:
    assert pr_body(chain(), {"#1": 11, "#2": 12, "#3": 13}) == snapshot


def test_pr_body_without_issues(snapshot: SnapshotAssertion) -> None:
    assert pr_body(chain(finished=False), {}) == snapshot


# -- the check run and the commit status ----------------------------------------------------------


def test_check_run(snapshot: SnapshotAssertion) -> None:
    state = chain()
    ticket = state.tickets["#1"].model_copy(update={"attempts": state.tickets["#1"].attempts[:1]})
    output = check_run(ticket, ticket.title, REDACT)
    assert output == snapshot
    assert output is not None
    assert SECRET not in repr(output)
    assert REDACTED in output.annotations[1]["message"]
    assert [a["annotation_level"] for a in output.annotations] == ["failure", "warning", "failure"]
    assert output.batches() == [output.annotations]


def test_a_passed_check_run(snapshot: SnapshotAssertion) -> None:
    output = check_run(chain().tickets["#1"], "Serve books", REDACT)
    assert output == snapshot
    assert output is not None
    assert output.batches() == [[]], "one request, even without annotations"


def test_annotations_go_in_requests_of_fifty() -> None:
    many = [
        Finding(rule=f"r{n}", severity="minor", file=f"f{n}.py", line=n, message="m")
        for n in range(1, 2 * MAX_ANNOTATIONS + 8)
    ]
    ticket = chain().tickets["#2"]
    ticket = ticket.model_copy(
        update={"attempts": [attempt(1, "launch", 0, passed=False, findings=many)]}
    )
    output = check_run(ticket, None, REDACT)
    assert output is not None
    batches = output.batches()
    assert [len(b) for b in batches] == [50, 50, 7]
    assert [a["path"] for b in batches for a in b] == [f.file for f in many]


def test_a_check_runs_name_is_cut() -> None:
    assert check_run_name("#1", None) == "baton: #1"
    name = check_run_name("#3", LONG)
    assert len(name) == 100
    assert name.endswith("…")


def test_no_check_run_before_a_validated_attempt() -> None:
    state = chain()
    assert check_run(state.tickets["#3"], None, REDACT) is None
    assert commit_status(state.tickets["#4"], REDACT) is None


def test_commit_status(snapshot: SnapshotAssertion) -> None:
    state = chain()
    assert [commit_status(state.tickets[k], REDACT) for k in ("#1", "#2")] == snapshot
