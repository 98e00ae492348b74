"""An in-memory store for authors and books. Ids start at 1 and are never reused."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import count


@dataclass(frozen=True)
class Author:
    id: int
    name: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Book:
    id: int
    title: str
    author_id: int

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class Store:
    """Keeps everything in dictionaries; a new store starts empty."""

    def __init__(self) -> None:
        self._authors: dict[int, Author] = {}
        self._books: dict[int, Book] = {}
        self._author_ids = count(1)
        self._book_ids = count(1)

    def list_authors(self) -> list[Author]:
        return sorted(self._authors.values(), key=lambda author: author.id)

    def get_author(self, author_id: int) -> Author | None:
        return self._authors.get(author_id)

    def add_author(self, name: str) -> Author:
        author = Author(id=next(self._author_ids), name=name)
        self._authors[author.id] = author
        return author

    def list_books(self) -> list[Book]:
        return sorted(self._books.values(), key=lambda book: book.id)

    def get_book(self, book_id: int) -> Book | None:
        return self._books.get(book_id)

    def add_book(self, title: str, author_id: int) -> Book:
        book = Book(id=next(self._book_ids), title=title, author_id=author_id)
        self._books[book.id] = book
        return book

    def delete_book(self, book_id: int) -> bool:
        """Removes a book; False when there was no such book."""
        return self._books.pop(book_id, None) is not None
