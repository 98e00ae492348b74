"""A costly result that several tests compare against, made once per run of the suite: when the
suite runs in parallel, the first worker to ask makes it under a file lock and the others read it
(the xdist workers share the parent of their temporary directories)."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def as_json(value: Any) -> Any:
    """`value` as it reads back from JSON (tuples become lists), for comparing with a shared one."""
    return json.loads(json.dumps(value))


def once_per_run(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Any]) -> Any:
    """`make(directory)`, JSON data, made once for the whole run in a new directory; every caller
    gets it as read back from JSON."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    saved = root / f"{name}.json"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.is_file():
            saved.write_text(json.dumps(make(root / name)))
        return json.loads(saved.read_text())
