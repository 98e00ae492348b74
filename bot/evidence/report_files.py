"""The files a test run writes for Baton (its JUnit XML, its coverage report). Each is removed
before the run, so that a stale one, or one the agent committed, is never read as this run's;
taken after it; and the working copy is left as it was: an untracked report is removed, a
tracked one gets its committed bytes back."""

from __future__ import annotations

from pathlib import Path

# A report larger than this is not read (a test run's JUnit XML is far smaller).
MAX_BYTES = 64 * 1024 * 1024


class ReportFiles:
    def __init__(self, root: Path, paths: list[str], committed: dict[str, bytes | None]) -> None:
        """`committed`: each path's bytes at the commit under test (None: not in it)."""
        self.root = root
        self.paths = paths
        self.committed = committed

    def clear(self) -> None:
        for path in self.paths:
            self._remove(path)

    def take(self) -> dict[str, bytes | None]:
        """Each report's bytes (None: the run wrote none, or not a plain file inside the
        working copy), the working copy then put back as it was."""
        found = {path: self._read(path) for path in self.paths}
        for path in self.paths:
            self._remove(path)
            blob = self.committed.get(path)
            if blob is not None:
                full = self.root / path
                full.parent.mkdir(parents=True, exist_ok=True)
                full.write_bytes(blob)
        return found

    def _inside(self, path: str) -> Path | None:
        full = self.root / path
        # A directory on the way may be a link the agent's code made: never read through it.
        if not full.parent.resolve().is_relative_to(self.root.resolve()):
            return None
        return full

    def _read(self, path: str) -> bytes | None:
        full = self._inside(path)
        if full is None or full.is_symlink() or not full.is_file():
            return None
        if full.stat().st_size > MAX_BYTES:
            return None
        return full.read_bytes()

    def _remove(self, path: str) -> None:
        full = self._inside(path)
        if full is not None and (full.is_symlink() or full.is_file()):
            full.unlink()
