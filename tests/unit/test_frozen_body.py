"""Which body an issue's ticket is read from, as the issue and its label's timeline say."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.forge.github.frozen import body_at_label
from bot.forge.github.trust import Labelling

LABELLED = Labelling(login="maintainer", is_bot=False, at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
BOT = "baton-app[bot]"


def _issue(author: str, updated_at: str) -> dict[str, object]:
    return {"number": 7, "user": {"login": author}, "updated_at": updated_at, "body": "the body"}


def test_an_issue_unchanged_since_its_label_is_read_as_it_is() -> None:
    issue = _issue("author", "2026-05-01T12:00:00+00:00")
    assert body_at_label(issue, LABELLED, bot_login=BOT) == "the body"


def test_an_issue_changed_after_its_label_is_not_read() -> None:
    issue = _issue("author", "2026-05-01T12:00:01+00:00")
    assert body_at_label(issue, LABELLED, bot_login=BOT) is None


def test_an_issue_baton_opened_is_read_though_baton_wrote_its_body_after_the_label() -> None:
    """`tickets push --ready` opens the issues with the label, then writes each body again with
    its dependencies' numbers, a second or more later."""
    issue = _issue(BOT, "2026-05-01T12:00:03+00:00")
    assert body_at_label(issue, LABELLED, bot_login=BOT) == "the body"
    assert body_at_label(issue, LABELLED, bot_login="someone-else[bot]") is None
