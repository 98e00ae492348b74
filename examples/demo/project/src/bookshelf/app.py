"""The WSGI application: matches each request to a handler and answers in JSON.

    GET    /health          {"status": "ok"}
    GET    /books           every book, by id
    POST   /books           {"title": str, "author_id": int} -> 201 and the new book
    GET    /books/<id>      one book
    DELETE /books/<id>      204 and no body
    GET    /authors         every author, by id
    POST   /authors         {"name": str} -> 201 and the new author
    GET    /authors/<id>    one author

Errors are JSON objects too, `{"error": "<message>"}`: 400 for a body that is not valid JSON,
not an object, or fails validation; 404 for an unknown path or id; 405 for a known path with
the wrong method (the `Allow` header lists the methods the path accepts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from http import HTTPStatus
from wsgiref.types import StartResponse, WSGIEnvironment

from bookshelf.store import Store

Headers = tuple[tuple[str, str], ...]


class HTTPError(Exception):
    """Raised by a handler to answer with an error status and a message."""

    def __init__(self, status: HTTPStatus, message: str, headers: Headers = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes
    params: tuple[str, ...] = ()

    def item_id(self) -> int:
        """The numeric id captured from the path, as in `/books/<id>`."""
        return int(self.params[0])

    def json_object(self) -> dict[str, object]:
        try:
            data = json.loads(self.body)
        except ValueError:
            raise HTTPError(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HTTPError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return data


@dataclass(frozen=True)
class Response:
    status: HTTPStatus
    body: object = None  # anything json.dumps accepts; None sends no body
    headers: Headers = ()


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    handlers: dict[str, Handler]


class BookshelfApp:
    """A WSGI application. Each instance has its own store, so tests can start from empty."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store if store is not None else Store()
        self._routes = [
            Route(re.compile(r"/health"), {"GET": self._health}),
            Route(re.compile(r"/books"), {"GET": self._list_books, "POST": self._create_book}),
            Route(
                re.compile(r"/books/(\d+)"), {"GET": self._get_book, "DELETE": self._delete_book}
            ),
            Route(
                re.compile(r"/authors"), {"GET": self._list_authors, "POST": self._create_author}
            ),
            Route(re.compile(r"/authors/(\d+)"), {"GET": self._get_author}),
        ]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.handle(_read_request(environ))
        except HTTPError as error:
            response = Response(error.status, {"error": error.message}, error.headers)
        body = b"" if response.body is None else json.dumps(response.body).encode()
        headers = [("Content-Length", str(len(body))), *response.headers]
        if response.body is not None:
            headers.insert(0, ("Content-Type", "application/json"))
        start_response(f"{response.status.value} {response.status.phrase}", headers)
        return [body]

    def handle(self, request: Request) -> Response:
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            handler = route.handlers.get(request.method)
            if handler is None:
                raise HTTPError(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    f"{request.method} is not allowed on {request.path}",
                    (("Allow", ", ".join(route.handlers)),),
                )
            return handler(replace(request, params=match.groups()))
        raise HTTPError(HTTPStatus.NOT_FOUND, f"no such path: {request.path}")

    def _health(self, _request: Request) -> Response:
        return Response(HTTPStatus.OK, {"status": "ok"})

    def _list_books(self, _request: Request) -> Response:
        return Response(HTTPStatus.OK, [book.to_json() for book in self.store.list_books()])

    def _create_book(self, request: Request) -> Response:
        data = request.json_object()
        title = data.get("title")
        author_id = data.get("author_id")
        if not isinstance(title, str) or not title.strip():
            raise HTTPError(HTTPStatus.BAD_REQUEST, "title must be a non-empty string")
        if isinstance(author_id, bool) or not isinstance(author_id, int):
            raise HTTPError(HTTPStatus.BAD_REQUEST, "author_id must be an integer")
        if self.store.get_author(author_id) is None:
            raise HTTPError(HTTPStatus.BAD_REQUEST, f"author {author_id} does not exist")
        book = self.store.add_book(title, author_id)
        return Response(HTTPStatus.CREATED, book.to_json(), (("Location", f"/books/{book.id}"),))

    def _get_book(self, request: Request) -> Response:
        book = self.store.get_book(request.item_id())
        if book is None:
            raise HTTPError(HTTPStatus.NOT_FOUND, f"no book with id {request.item_id()}")
        return Response(HTTPStatus.OK, book.to_json())

    def _delete_book(self, request: Request) -> Response:
        if not self.store.delete_book(request.item_id()):
            raise HTTPError(HTTPStatus.NOT_FOUND, f"no book with id {request.item_id()}")
        return Response(HTTPStatus.NO_CONTENT)

    def _list_authors(self, _request: Request) -> Response:
        return Response(HTTPStatus.OK, [author.to_json() for author in self.store.list_authors()])

    def _create_author(self, request: Request) -> Response:
        name = request.json_object().get("name")
        if not isinstance(name, str) or not name.strip():
            raise HTTPError(HTTPStatus.BAD_REQUEST, "name must be a non-empty string")
        author = self.store.add_author(name)
        return Response(
            HTTPStatus.CREATED, author.to_json(), (("Location", f"/authors/{author.id}"),)
        )

    def _get_author(self, request: Request) -> Response:
        author = self.store.get_author(request.item_id())
        if author is None:
            raise HTTPError(HTTPStatus.NOT_FOUND, f"no author with id {request.item_id()}")
        return Response(HTTPStatus.OK, author.to_json())


def _read_request(environ: WSGIEnvironment) -> Request:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    return Request(
        method=environ["REQUEST_METHOD"], path=environ.get("PATH_INFO") or "/", body=body
    )


app = BookshelfApp()
