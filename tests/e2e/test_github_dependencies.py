"""Dependencies in GitHub mode end to end: issues alone (each a chain of its own) that wait for
each other in a cycle are blocked with one comment each while the other chains are worked; a
ticket waits for an issue Baton does not work until it is closed, at no rate-limit cost while it
waits; a dependency on another repository's issue, written or a "blocked by" relationship, is
refused on the issue."""

from __future__ import annotations

from pathlib import Path

from bot.issue_form import render_issue_body
from bot.tickets import Ticket, TicketFiles
from tests.e2e.github_support import calls, checkout, run
from tests.fakes.github import FakeGitHub


def lone_issue(fake: FakeGitHub, title: str, path: str, *depends: str) -> int:
    """A labelled issue with no milestone: a chain of its own (`issue-N`)."""
    ticket = Ticket(
        goal=f"Create {path}.", files=TicketFiles(create=[path]), depends_on=list(depends)
    )
    return fake.add_issue(title, render_issue_body(ticket), labels=["ready-for-agent"])


def status_comments(fake: FakeGitHub, number: int) -> list[str]:
    return [c.body for c in fake.comments_on(number) if "baton:ticket=" in c.body]


def test_a_cycle_across_lone_issues_blocks_only_them(github: FakeGitHub, tmp_path: Path) -> None:
    north = lone_issue(github, "North", "work/north.txt")
    south = lone_issue(github, "South", "work/south.txt", f"#{north}")
    github.block(north, by=south)  # and North waits for South: a cycle across two chains
    east = lone_issue(github, "East", "work/east.txt")
    west = lone_issue(github, "West", "work/west.txt", f"#{north}")
    work = checkout(github, tmp_path)

    result = run(github, work)
    assert result.exit_code == 1, result.output  # chains were blocked: the run says so
    assert "Traceback" not in result.output
    for number in (north, south):
        assert "baton:blocked" in github.labels_of(number)
        [comment] = status_comments(github, number)  # one comment on each issue of the cycle
        assert f"cycle (#{north} → #{south} → #{north})" in comment
    assert "baton:done" in github.labels_of(east), "another chain is worked"
    [skipped] = status_comments(github, west)
    assert f"depends on #{north}, which is blocked" in skipped
    [call] = calls(work)
    assert f"ticket #{east} " in call


def test_a_ticket_waits_for_an_open_issue_until_it_is_closed(
    github: FakeGitHub, tmp_path: Path
) -> None:
    manual = github.add_issue("Order the new server", "Done by hand, not by Baton.")
    dropped = github.add_issue("An idea", "Maybe later.")
    waiting = lone_issue(github, "Deploy on it", "work/deploy.txt", f"#{manual}")
    doomed = lone_issue(github, "Build the idea", "work/idea.txt", f"#{dropped}")
    work = checkout(github, tmp_path)

    first = run(github, work, "--stats")
    assert first.exit_code == 0, first.output
    assert calls(work) == [], "nothing starts while the issue it waits for is open"
    assert "baton:done" not in github.labels_of(waiting)
    # Waiting costs nothing: the issue it waits for answers 304 while unchanged.
    again = run(github, work, "--stats")
    assert again.exit_code == 0, again.output
    assert "0 rate-limit units" in again.output, again.output

    github.close_issue(manual)
    github.close_issue(dropped, reason="not_planned")
    after = run(github, work)
    assert after.exit_code == 1, after.output  # the ticket on the dropped idea was skipped
    assert "baton:done" in github.labels_of(waiting)
    assert github.read_file("work/deploy.txt", f"baton/issue-{waiting}") is not None
    [skipped] = status_comments(github, doomed)
    assert f"depends on #{dropped}, which was closed as not planned" in skipped


def test_a_dependency_in_another_repository_is_refused_on_the_issue(
    github: FakeGitHub, tmp_path: Path
) -> None:
    number = lone_issue(github, "Follow upstream", "work/up.txt", "someone/elsewhere#12")
    _assert_refused(github, tmp_path, number, "someone/elsewhere#12 is in another repository")


def test_a_blocker_in_another_repository_is_refused_never_taken_for_a_local_issue(
    github: FakeGitHub, tmp_path: Path
) -> None:
    """GitHub's "blocked by" may name another repository's issue #1: Baton must not wait for
    this repository's #1 (done here, so it would run) nor drop the relationship."""
    local = lone_issue(github, "Done already", "work/done.txt")
    github.close_issue(local)
    ticket = Ticket(goal="Create work/up.txt.", files=TicketFiles(create=["work/up.txt"]))
    number = github.add_issue(
        "Follow upstream",
        render_issue_body(ticket),
        labels=["ready-for-agent"],
        blocked_elsewhere=[("someone/elsewhere", local)],
    )
    refusal = f"Blocked by: someone/elsewhere#{local} is in another repository"
    _assert_refused(github, tmp_path, number, refusal)


def _assert_refused(github: FakeGitHub, tmp_path: Path, number: int, refusal: str) -> None:
    """A run works nothing and answers the issue once, with `refusal`, labelled invalid."""
    work = checkout(github, tmp_path)
    result = run(github, work)
    assert result.exit_code == 0, result.output
    assert calls(work) == []
    answers = [c.body for c in github.comments_on(number) if "Baton cannot work" in c.body]
    assert len(answers) == 1
    assert refusal in answers[0]
    assert "baton:invalid" in github.labels_of(number)
