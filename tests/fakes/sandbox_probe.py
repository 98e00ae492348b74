"""What a confined process can reach, written as JSON for the sandbox tests to judge.

    python sandbox_probe.py OUT [--read PATH]... [--port N] [--run PROGRAM] [--count FILE]
                               [--print-reply]

It records its environment, every other process it can see (`/proc/<pid>/environ` and
`cmdline`), the files named with --read (their text, or the error), whether it can write the
working copy's `.git` and see Baton's `.baton/state.json`, what is in HOME, whether it can
connect to 127.0.0.1:N, the output of PROGRAM found on PATH, and (--count) a number it keeps in
FILE under HOME, one more on every call. No secret is given to it on its command line: the
tests look for their planted secrets in what it saw. With --print-reply it answers like a CLI
agent (one JSON result with a session id) on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any


def processes() -> dict[str, dict[str, str]]:
    seen = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        found = {}
        for name in ("environ", "cmdline"):
            try:
                found[name] = (
                    (entry / name).read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError as exc:
                found[name] = f"error: {exc.strerror}"
        seen[entry.name] = found
    return seen


def read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError as exc:
        return f"error: {exc.strerror}"


def attempt(action: Any) -> str:
    try:
        action()
    except OSError as exc:
        return f"error: {exc.strerror or exc}"
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--read", action="append", default=[])
    parser.add_argument("--port", type=int)
    parser.add_argument("--run")
    parser.add_argument("--count")
    parser.add_argument("--print-reply", action="store_true")
    args, _ = parser.parse_known_args()
    home = Path(os.environ.get("HOME", "/nonexistent"))
    seen: dict[str, Any] = {
        "uid": os.getuid(),
        "env": dict(os.environ),
        "proc": processes(),
        "files": {path: read(path) for path in args.read},
        "git_write": attempt(lambda: Path(".git/config").open("a").close()),
        "state_visible": Path(".baton/state.json").exists(),
        "home": str(home),
        "home_files": sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
        if home.is_dir()
        else [],
    }
    if args.port:
        seen["connect"] = attempt(
            lambda: socket.create_connection(("127.0.0.1", args.port), timeout=3).close()
        )
    if args.run:
        proc = subprocess.run([args.run], capture_output=True, text=True, check=False)
        seen["run"] = (proc.returncode, proc.stdout.strip())
    if args.count:
        counter = home / args.count
        count = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(count))
        seen["count"] = count
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(seen, indent=1))
    if args.print_reply:
        session = f"probe-{uuid.uuid4().hex[:8]}"
        print(json.dumps({"session_id": session, "is_error": False, "result": "probed"}))


if __name__ == "__main__":
    main()
