"""The file store: atomic replace, compare-and-swap, and clear errors for a broken file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import StateConflict, StateError
from bot.redact import Redactor
from bot.state import ChainState, StoreData
from bot.store import FileStore


def _chain(name: str) -> ChainState:
    return ChainState(name=name, branch=f"baton/{name}", base_branch="main")


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    store = FileStore(tmp_path / ".baton" / "state.json", Redactor())
    assert store.load() == StoreData()
    saved = store.save(StoreData(chains={"a": _chain("a")}))
    assert saved.revision == 1
    assert store.load() == saved


def test_a_stale_save_loses_and_changes_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "state.json", Redactor())
    first = store.load()
    second = store.load()
    store.save(first.model_copy(update={"chains": {"a": _chain("a")}}))
    with pytest.raises(StateConflict):
        store.save(second.model_copy(update={"chains": {"b": _chain("b")}}))
    assert set(store.load().chains) == {"a"}


def test_a_save_reads_what_another_run_wrote_since_its_own(tmp_path: Path) -> None:
    """A store knows the file it wrote last without parsing it again; a save by another run, a
    hand edit, or a secret redacted on the way (the file is then not the state saved) all show."""
    path = tmp_path / "state.json"
    ours, theirs = FileStore(path, Redactor()), FileStore(path, Redactor())
    saved = ours.save(StoreData(chains={"a": _chain("a")}))
    saved = ours.save(saved.model_copy(update={"chains": {"b": _chain("b")}}))
    theirs.save(theirs.load().model_copy(update={"chains": {"c": _chain("c")}}))
    with pytest.raises(StateConflict, match=r"revision 3, expected 2"):
        ours.save(saved.model_copy(update={"chains": {"d": _chain("d")}}))
    path.write_text('{"schema_version": 1, "chains": ')
    with pytest.raises(StateError, match="not valid Baton state"):
        ours.save(saved)

    secret = FileStore(tmp_path / "secret.json", Redactor(["hunter2-is-a-secret"]))
    first = secret.save(StoreData(chains={"hunter2-is-a-secret": _chain("a")}))
    assert "hunter2" not in (tmp_path / "secret.json").read_text()
    assert secret.save(first).revision == 2


def test_a_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"schema_version": 1, "chains": ')
    with pytest.raises(StateError, match="not valid Baton state"):
        FileStore(path, Redactor()).load()


def test_a_full_disk_leaves_the_old_state_whole(tmp_path: Path) -> None:
    """A write that runs out of space (a file-size limit stands in for a full disk) raises a
    StateError and leaves the previous state file exactly as it was, with no temporary file."""
    path = tmp_path / "state.json"
    FileStore(path, Redactor()).save(StoreData(chains={"a": _chain("a")}))
    before = path.read_text()
    script = f"""
import resource, signal, sys
from pathlib import Path
from bot.errors import StateError
from bot.redact import Redactor
from bot.state import ChainState
from bot.store import FileStore
store = FileStore(Path({str(path)!r}), Redactor())
data = store.load()
big = {{f"c{{i}}": ChainState(name=f"c{{i}}", branch="b", base_branch="main") for i in range(200)}}
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (len({before!r}) + 10, resource.RLIM_INFINITY))
try:
    store.save(data.model_copy(update={{"chains": big}}))
except StateError as exc:
    print(exc)
    sys.exit(3)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 3, result.stderr
    assert "cannot write" in result.stdout
    assert "free disk space" in result.stdout
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.lock"]
