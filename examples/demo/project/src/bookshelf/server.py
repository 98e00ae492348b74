"""Serves the API on a local port for people to try by hand: `PYTHONPATH=src python3 -m bookshelf`.
Tests never use it: they call the WSGI application in process (see tests/helpers.py)."""

from __future__ import annotations

import argparse
import contextlib
from wsgiref.simple_server import make_server

from bookshelf.app import app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bookshelf", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with make_server(args.host, args.port, app) as server:
        print(f"Bookshelf API on http://{args.host}:{args.port} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
