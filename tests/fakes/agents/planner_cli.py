"""A CLI-like planner whose drafts are scripted: each call writes the next prepared draft as the
chain file the prompt names, in a session kept in its HOME, as Claude Code keeps its own.

    python planner_cli.py PROMPT_FILE WORKDIR DRAFTS [--resume SESSION_ID] [--stray PATH]

The prompt's first line is Baton's header, `# Baton · plan|correction · chain <name>`; a plan
prompt starts a session, a correction continues the one named by --resume (a missing session
fails as Claude Code fails: `No conversation found with session ID`, exit 1). Call n of a
session writes DRAFTS/<n>.yml to WORKDIR/tickets/<name>.yml, or writes nothing when there is no
such draft. --stray also writes PATH in WORKDIR (a change the planner may not make). The
session file keeps every prompt, whole, for the tests to read.

The answer is one JSON object on stdout, shaped like `claude -p --output-format json`.
Only the standard library: it runs under any Python, inside Baton's sandbox too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from pathlib import Path

_HEADER = re.compile(r"# Baton · (plan|correction) · chain (\S+)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="planner_cli", allow_abbrev=False)
    parser.add_argument("prompt_file")
    parser.add_argument("workdir")
    parser.add_argument("drafts")
    parser.add_argument("--resume", metavar="SESSION_ID")
    parser.add_argument("--stray")
    args = parser.parse_args(argv)
    store = Path(os.environ["HOME"]) / ".planner-sessions"
    prompt = Path(args.prompt_file).read_text(encoding="utf-8")
    header = _HEADER.match(prompt)
    if header is None:
        print("planner_cli: the prompt has no plan header", file=sys.stderr)
        return 2
    if args.resume is not None:
        path = store / args.resume
        if not re.fullmatch(r"[A-Za-z0-9_-]+", args.resume) or not path.is_file():
            print(f"No conversation found with session ID: {args.resume}", file=sys.stderr)
            return 1
        session = json.loads(path.read_text(encoding="utf-8"))
    else:
        session = {"id": str(uuid.uuid4()), "prompts": []}
        path = store / session["id"]
    session["prompts"].append(prompt)
    turn = len(session["prompts"])
    draft = Path(args.drafts) / f"{turn}.yml"
    workdir = Path(args.workdir)
    if draft.is_file():
        target = workdir / "tickets" / f"{header.group(2)}.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(draft.read_text(encoding="utf-8"), encoding="utf-8")
    if args.stray:
        (workdir / args.stray).write_text("not the planner's to change\n", encoding="utf-8")
    store.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(session), encoding="utf-8")
    summary = f"draft {turn} written" if draft.is_file() else "no draft"
    reply = {"type": "result", "is_error": False, "session_id": session["id"], "result": summary}
    print(json.dumps(reply))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
