"""What the command Baton waits on (an agent's CLI, the test command) has written last, for the
terminal's live line. Its output goes to files (`processes.run_command`); the line is read from
their ends when the line is drawn, never by the process that waits."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

_TAIL = 4096  # bytes read from a file's end: enough for a last line
_lock = threading.Lock()
_watched: list[IO[bytes]] = []


@contextmanager
def watching(*files: IO[bytes]) -> Iterator[None]:
    """While the block runs, `files` (a command's output) are the ones `last_line` reads."""
    with _lock:
        _watched[:] = list(files)
    try:
        yield
    finally:
        with _lock:
            _watched.clear()


def last_line() -> str | None:
    """The last line written to the watched files (the one written to last), or None."""
    with _lock:
        files = list(_watched)
    newest: tuple[float, str] | None = None
    for file in files:
        try:
            info = os.fstat(file.fileno())
            data = os.pread(file.fileno(), _TAIL, max(info.st_size - _TAIL, 0))
        except (OSError, ValueError):  # closed meanwhile
            continue
        lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
        if lines and (newest is None or info.st_mtime > newest[0]):
            newest = (info.st_mtime, lines[-1].strip())
    return newest[1] if newest else None
