"""Where chain state lives. The file store keeps `.baton/state.json`, replaced atomically and saved
with compare-and-swap on a revision number, so an interrupted write never leaves half a file and
two overlapping runs cannot both win."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from bot.errors import StateConflict, StateError
from bot.state import StoreData


class Store(Protocol):
    def load(self) -> StoreData: ...

    def save(self, data: StoreData) -> StoreData:
        """Save if nobody saved since `data` was loaded; returns it with the new revision.
        Raises StateConflict otherwise."""
        ...


class FileStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with (self.path.parent / (self.path.name + ".lock")).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> StoreData:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return StoreData()
        except OSError as exc:
            raise StateError(f"cannot read {self.path}: {exc}") from exc
        try:
            return StoreData.model_validate(json.loads(raw.decode("utf-8")))
        except (ValueError, RecursionError, ValidationError) as exc:
            raise StateError(
                f"{self.path} is not valid Baton state ({str(exc).splitlines()[0]})",
                hint="restore it from a backup, or move it aside to start the chains afresh",
            ) from exc

    def load(self) -> StoreData:
        with self._locked():
            return self._read()

    def save(self, data: StoreData) -> StoreData:
        with self._locked():
            current = self._read()
            if current.revision != data.revision:
                raise StateConflict(
                    f"state was saved by another run (revision {current.revision}, "
                    f"expected {data.revision})",
                    hint="re-read the state and plan again",
                )
            saved = data.model_copy(update={"revision": data.revision + 1})
            _atomic_write(self.path, saved.model_dump_json(indent=2) + "\n")
            return saved


def _atomic_write(path: Path, text: str) -> None:
    """Write a sibling temp file, flush it to disk, then rename over the target: all or nothing."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StateError(
            f"cannot write {path}: {exc}", hint="free disk space and run again"
        ) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
