"""Where chain state lives. The file store keeps `.baton/state.json`, replaced atomically and saved
with compare-and-swap on a revision number, so an interrupted write never leaves half a file and
two overlapping runs cannot both win. The branch store keeps the same JSON in a file a forge holds
(GitHub: `state.json` on the `baton/state` branch), written over the version it read."""

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

from bot.errors import (
    Conflict,
    ProtectedBranch,
    StateConflict,
    StateError,
    Unanswered,
    Unprocessable,
)
from bot.redact import Redactor
from bot.state import StoreData
from bot.state_dir import state_dir


class Store(Protocol):
    def load(self) -> StoreData: ...

    def save(self, data: StoreData) -> StoreData:
        """Save if nobody saved since `data` was loaded; returns it with the new revision.
        Raises StateConflict otherwise."""
        ...


_MOVE_ASIDE = "restore it from a backup, or move it aside to start the chains afresh"
_FROM_HISTORY = (
    "restore it from the branch's history, or delete the branch to start the chains afresh"
)


def parse_state(raw: bytes, where: str, hint: str = _MOVE_ASIDE) -> StoreData:
    """The state a file holds; a file that is not Baton's state is one line naming it."""
    try:
        return StoreData.model_validate(json.loads(raw.decode("utf-8")))
    except (ValueError, RecursionError, ValidationError) as exc:
        raise StateError(
            f"{where} is not valid Baton state ({str(exc).splitlines()[0]})",
            hint=hint,
        ) from exc


class FileStore:
    """StoreData in a local file. What an agent or a test command said is in it, and the file
    stays on the machine, shared with whoever reads the working copy: no secret may ride in it."""

    def __init__(self, path: Path, redact: Redactor) -> None:
        self.path = path
        self.redact = redact
        # The file as this store last wrote it, when that is exactly the state saved, and the
        # state's revision: a save reads the file again (another run may have saved since) but
        # parses it only when it holds something else.
        self._written: tuple[bytes, int] | None = None

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
        return self._parsed(self._raw())

    def _parsed(self, raw: bytes | None) -> StoreData:
        return StoreData() if raw is None else parse_state(raw, str(self.path))

    def _raw(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read {self.path}: {exc}") from exc

    def _revision(self) -> int:
        raw = self._raw()
        if self._written is not None and raw == self._written[0]:
            return self._written[1]
        return self._parsed(raw).revision

    def load(self) -> StoreData:
        with self._locked():
            return self._read()

    def save(self, data: StoreData) -> StoreData:
        with self._locked():
            revision = self._revision()
            if revision != data.revision:
                raise StateConflict(
                    f"state was saved by another run (revision {revision}, "
                    f"expected {data.revision})",
                    hint="re-read the state and plan again",
                )
            saved = data.model_copy(update={"revision": data.revision + 1})
            dump = saved.model_dump_json(indent=2)
            redacted = self.redact(dump)
            text = redacted + "\n"
            _atomic_write(self.path, text)
            self._written = (text.encode(), saved.revision) if redacted == dump else None
            return saved


class StateFile(Protocol):
    """The state's file at a forge: read with its version, written over a version."""

    @property
    def where(self) -> str:
        """The file and where it is, for messages: `state.json on the baton/state branch`."""
        ...

    def read(self) -> tuple[str, bytes] | None:
        """(version, content), or None when there is no such file yet."""
        ...

    def write(self, text: str, message: str, version: str | None) -> str:
        """Write `text` over `version` (None: the first write); returns the new version. Raises
        Conflict or Unprocessable when the file is not at `version` any more."""
        ...


class BranchStore:
    """StoreData in a forge's file; compare-and-swap by the file's version. The state is
    committed to the repository: no secret may ride in it (test output, ...)."""

    def __init__(self, file: StateFile, redact: Redactor) -> None:
        self.file = file
        self.redact = redact
        self._version: str | None = None
        self._revision: int | None = None

    def load(self) -> StoreData:
        found = self.file.read()
        if found is None:
            self._version, self._revision = None, 0
            return StoreData()
        version, raw = found
        store = parse_state(raw, self.file.where, _FROM_HISTORY)
        self._version, self._revision = version, store.revision
        return store

    def save(self, data: StoreData) -> StoreData:
        if self._revision is not None and data.revision != self._revision:
            raise StateConflict(
                f"state revision {data.revision} is not the one loaded ({self._revision})",
                hint="re-read the state and plan again",
            )
        saved = data.model_copy(update={"revision": data.revision + 1})
        text = self.redact(saved.model_dump_json(indent=1)) + "\n"
        message = f"baton: state revision {saved.revision}"
        try:
            version = self._write(text, message)
        except Unanswered as exc:
            # The write may have happened: what the forge holds now says whether it did.
            landed = self.file.read()
            if landed is not None and landed[1] == text.encode():
                version = landed[0]
            elif (landed[0] if landed else None) == self._version:
                version = self._write(text, message)
            else:
                raise self._conflict() from exc
        self._version, self._revision = version, saved.revision
        return saved

    def _write(self, text: str, message: str) -> str:
        try:
            return self.file.write(text, message, self._version)
        except (Conflict, Unprocessable, ProtectedBranch) as exc:
            raise self._conflict() from exc

    def _conflict(self) -> StateConflict:
        return StateConflict(
            f"{self.file.where} changed since it was read (another run saved it)",
            hint="re-read the state and plan again",
        )


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


def load_state(root: Path) -> StoreData:
    """The state kept in the working copy at `root` (empty when there is none yet)."""
    return local_store(root, Redactor()).load()


def local_store(root: Path, redact: Redactor) -> FileStore:
    """The state of the working copy at `root`, in its `.baton/`."""
    return FileStore(state_dir(root) / "state.json", redact)
