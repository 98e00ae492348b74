"""Bookshelf: a small JSON API for books and their authors, built on the standard library."""

from bookshelf.app import BookshelfApp, app
from bookshelf.store import Author, Book, Store

__all__ = ["Author", "Book", "BookshelfApp", "Store", "app"]
