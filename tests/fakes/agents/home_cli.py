"""A CLI-like coding agent whose sessions live in its HOME, as Claude Code's do.

    python home_cli.py PROMPT_FILE                      a new session
    python home_cli.py PROMPT_FILE --resume SESSION_ID  the next turn of a session
    options: --seconds N (take N seconds per call)

Each session is a file `$HOME/.sessions/<id>` (JSON: its id and the first line of every prompt
it was sent). Resuming a session that is not there fails as Claude Code fails on a fresh HOME:
`No conversation found with session ID: <id>` on stderr, exit 1. So an agent started in one
HOME (one runner, one job) cannot be resumed in another.

The work: it appends `done by the agent for <ticket>` to the first file the prompt's ticket names
(its files to create or modify, or the files the prompt says may change). A ticket whose text
holds `[fake-cli: needs a correction]` gets nothing done in a launch, followup or recovery
prompt; only a correction does the work, so such a ticket passes after exactly one correction.

The answer is one JSON object on stdout, shaped like Claude Code's `--output-format json`:
`{"type": "result", "subtype": "success", "is_error": false, "session_id", "result"}`.

Only the standard library: it runs under any Python, inside Baton's sandbox too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path

NEEDS_CORRECTION = "[fake-cli: needs a correction]"
_HEADER = re.compile(r"# Baton · (\w+) · ticket (\S+)")
_TARGETS = (
    re.compile(r"### Files to (?:create|modify)\n\n- (\S+)"),
    re.compile(r"Only these files may change: `([^`]+)`"),
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="home_cli", allow_abbrev=False)
    parser.add_argument("prompt_file")
    parser.add_argument("--resume", metavar="SESSION_ID")
    parser.add_argument("--seconds", type=float, default=0.0)
    args = parser.parse_args(argv)
    home = os.environ.get("HOME")
    if not home:
        print("home_cli: HOME is not set", file=sys.stderr)
        return 70
    store = Path(home) / ".sessions"
    if args.resume is not None:
        session_id = args.resume
        path = store / session_id
        if not re.fullmatch(r"[A-Za-z0-9_-]+", session_id) or not path.is_file():
            print(f"No conversation found with session ID: {session_id}", file=sys.stderr)
            return 1
        session = json.loads(path.read_text(encoding="utf-8"))
    else:
        session_id = str(uuid.uuid4())
        path = store / session_id
        session = {"id": session_id, "turns": []}
    prompt = Path(args.prompt_file).read_text(encoding="utf-8")
    if args.seconds > 0:
        time.sleep(args.seconds)

    first = prompt.splitlines()[0] if prompt else ""
    header = _HEADER.match(first)
    kind, key = header.groups() if header else ("unknown", "?")
    target = next((m.group(1) for p in _TARGETS if (m := p.search(prompt))), None)
    skip = NEEDS_CORRECTION in prompt and kind != "correction"
    if target is not None and not skip:
        file = Path(target)
        file.parent.mkdir(parents=True, exist_ok=True)
        with file.open("a", encoding="utf-8") as out:
            out.write(f"done by the agent for {key}\n")

    session["turns"].append(first)
    store.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(session, indent=1), encoding="utf-8")
    turn = len(session["turns"])
    did = "did nothing yet" if skip or target is None else f"wrote {target}"
    answer = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "session_id": session_id,
        "result": f"{did} (turn {turn} of session {session_id})",
    }
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
