"""What people read: an issue body rendered from a full ticket. Changes here are deliberate."""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion

from bot.issue_form import parse_issue_body, render_issue_body
from bot.tickets import Ticket, TicketFiles

FULL_TICKET = Ticket(
    key="books-get",
    title="GET /books/{id}",
    chain="bookshelf",
    goal="Serve one book by id as JSON, or 404 when there is none.",
    context=(
        "The store keeps books in memory. A response looks like this:\n\n"
        '```json\n{"id": 1, "title": "Dune"}\n```\n\n'
        "### Notes from the last sprint\n"
        "Keep handlers thin."
    ),
    files=TicketFiles(
        create=["tests/test_books_get.py"],
        modify=["src/bookshelf/api.py", "src/bookshelf/store.py"],
        read=["src/bookshelf/**/*.py", "docs/"],
    ),
    acceptance=["GET /books/1 returns 200 with the book", "GET /books/999 returns 404"],
    test_command="python -m pytest -q tests/test_books_get.py",
    depends_on=["#12", "octo/bookshelf#3"],
)


def test_render_issue_body_of_a_full_ticket(snapshot: SnapshotAssertion) -> None:
    text = render_issue_body(FULL_TICKET)
    assert text == snapshot
    ticket, problems = parse_issue_body(
        text, title=FULL_TICKET.title, key=FULL_TICKET.key, chain=FULL_TICKET.chain
    )
    assert problems == []
    assert ticket == FULL_TICKET
