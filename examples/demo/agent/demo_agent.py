#!/usr/bin/env python3
"""A scripted stand-in for a coding agent, so that `baton demo` runs offline.

It speaks the part of Claude Code's headless protocol that Baton uses:

    python3 demo_agent.py --prompt-file PATH --workdir DIR [--resume SESSION_ID]
                          [--chain-file PATH]

The first line of the prompt is Baton's header, `# Baton · <kind> · ticket <key>`, where kind
is launch, followup, correction or recovery. A launch or recovery prompt starts a new session
and comes without --resume; a followup or correction prompt continues the session named by
--resume, which must exist. Sessions are JSON files under
$HOME/.baton-demo-agent/<DIR, escaped>/, as a real CLI keeps them in its HOME, so they survive
between calls.

Instead of thinking, the agent applies the changes prepared for the ticket under
changes/<key>/ next to this file: every file below files/ is written to DIR at the same path
with its trailing `.txt` removed (the suffix keeps linters and test runners off the prepared
code); delete.txt, if present, lists paths to remove, one a line (missing ones are skipped);
summary.txt is the answer, to which the agent adds the files it removed. A ticket may also
have a first-attempt/ directory of the same shape: it is applied instead on the first launch
or followup prompt for that ticket in a session, to show Baton catching a bad result. Any later
prompt for the ticket (a correction, another followup, a recovery) applies the prepared
changes. The agent never commits and never writes under .git/, .baton/ or knowledge/.

It also plans: a prompt headed `# Baton · plan · chain <name>` starts a session that writes
the demo project's own chain file, project/tickets/<name>.yml, to DIR/tickets/<name>.yml; the
first draft of a session carries the mistakes of changes/plan-<name>/first-attempt.txt (lines
`old => new`, each replaced once), and the correction (`# Baton · correction · chain <name>`)
writes it as it is.

It prints one JSON object on stdout, shaped like `claude -p --output-format json`, and exits
0, or 1 with `"is_error": true` when it cannot do the work (no header, unknown ticket, unknown
session, bad arguments).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn

CHANGES = Path(__file__).resolve().parent / "changes"
# The chain files the planner "drafts": the demo project's own.
PLANS = Path(__file__).resolve().parent.parent / "project" / "tickets"
HEADER = re.compile(
    r"# Baton · (?P<kind>launch|followup|correction|recovery|plan) · "
    r"(?P<what>ticket|chain) (?P<key>\S+)"
)
NEW_SESSION_KINDS = frozenset({"launch", "recovery", "plan"})
FIRST_ATTEMPT_KINDS = frozenset({"launch", "followup", "plan"})
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
PROTECTED = frozenset({".git", ".baton", "knowledge"})
STORED_SUFFIX = ".txt"


class AgentFailure(Exception):
    """The agent cannot do what the prompt asks; reported as an error result."""

    def __init__(self, message: str, session_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.session_id = session_id


@dataclass
class Session:
    session_id: str
    created_at: str
    turns: list[dict[str, Any]] = field(default_factory=list)

    def attempted(self, ticket: str) -> bool:
        return any(turn.get("ticket") == ticket for turn in self.turns)

    def to_json(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "created_at": self.created_at, "turns": self.turns}


@dataclass(frozen=True)
class Outcome:
    session_id: str
    summary: str


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise AgentFailure(f"bad arguments: {message}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="demo_agent.py", description="A scripted stand-in for a coding agent.")
    parser.add_argument("--prompt-file", required=True, type=Path)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--resume", metavar="SESSION_ID")
    # Named on the command line, the chain file is brought into a sandbox with the agent.
    parser.add_argument("--chain-file", type=Path, help="the chain file to draft")
    return parser.parse_args(argv)


def read_header(prompt_file: Path) -> tuple[str, str]:
    """The kind and the ticket key (for a chain's plan, `plan-<chain>`) from the prompt's
    first line."""
    try:
        text = prompt_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentFailure(f"cannot read the prompt file {prompt_file}: {exc}") from exc
    first_line = text.split("\n", 1)[0].strip()
    match = HEADER.fullmatch(first_line)
    if match is None:
        raise AgentFailure(
            "the prompt does not start with a Baton header line "
            "(`# Baton · <kind> · ticket <key>`); nothing to do"
        )
    if match["what"] == "chain":
        return match["kind"], f"plan-{match['key']}"
    return match["kind"], match["key"]


class SessionStore:
    def __init__(self, workdir: Path) -> None:
        if not (workdir / ".git").exists():
            raise AgentFailure(f"the working directory {workdir} is not a git repository")
        # Per project, as Claude Code does under ~/.claude/projects/.
        project = re.sub(r"[^A-Za-z0-9]", "-", str(workdir.resolve()))
        self.directory = Path.home() / ".baton-demo-agent" / project

    def create(self) -> Session:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        return Session(session_id=f"demo-{uuid.uuid4().hex}", created_at=created)

    def load(self, session_id: str) -> Session:
        path = self.directory / f"{session_id}.json"
        if not SAFE_NAME.fullmatch(session_id) or not path.is_file():
            raise AgentFailure(f"no conversation found with session id {session_id}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Session(data["session_id"], data["created_at"], list(data["turns"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AgentFailure(f"session {session_id} is unreadable: {exc}") from exc

    def save(self, session: Session) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{session.session_id}.json"
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(session.to_json(), indent=2) + "\n", encoding="utf-8")
        partial.replace(path)


def target_path(workdir: Path, relative: str) -> Path:
    """Where a prepared path lands in the working directory; refuses to leave it."""
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] in PROTECTED:
        raise AgentFailure(f"refusing to touch {relative!r}: outside the files a ticket may change")
    return workdir.joinpath(*path.parts)


def apply_changes(variant: Path, workdir: Path) -> tuple[list[str], list[str]]:
    """Writes and deletes what `variant` prepares; returns the paths written and deleted."""
    files = variant / "files"
    written: list[str] = []
    stored = sorted(p for p in files.rglob(f"*{STORED_SUFFIX}") if p.is_file())
    for source in stored:
        relative = source.relative_to(files).as_posix().removesuffix(STORED_SUFFIX)
        target = target_path(workdir, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        written.append(relative)
    deleted: list[str] = []
    delete_list = variant / "delete.txt"
    lines = delete_list.read_text(encoding="utf-8").splitlines() if delete_list.is_file() else []
    for relative in filter(None, (line.strip() for line in lines)):
        target = target_path(workdir, relative)
        if target.is_file():
            target.unlink()
            deleted.append(relative)
    return written, deleted


def choose_variant(key: str, kind: str, session: Session) -> Path:
    ticket = CHANGES / key
    first_attempt = ticket / "first-attempt"
    if kind in FIRST_ATTEMPT_KINDS and first_attempt.is_dir() and not session.attempted(key):
        return first_attempt
    return ticket


def run(args: argparse.Namespace) -> Outcome:
    kind, key = read_header(args.prompt_file)
    workdir: Path = args.workdir.resolve()
    if not workdir.is_dir():
        raise AgentFailure(f"the working directory {args.workdir} does not exist")
    store = SessionStore(workdir)
    if kind in NEW_SESSION_KINDS:
        if args.resume is not None:
            raise AgentFailure(f"a {kind} prompt starts a new session; it takes no --resume")
        session = store.create()
    else:
        if args.resume is None:
            raise AgentFailure(f"a {kind} prompt continues a session; pass --resume SESSION_ID")
        session = store.load(args.resume)
    if key.startswith("plan-"):
        return draft_plan(args, kind, key, session, store)
    if not SAFE_NAME.fullmatch(key) or not (CHANGES / key / "files").is_dir():
        raise AgentFailure(
            f"unknown ticket {key!r}: this scripted agent only knows the demo chain's tickets",
            session_id=args.resume,
        )
    variant = choose_variant(key, kind, session)
    written, deleted = apply_changes(variant, workdir)
    summary = " ".join((variant / "summary.txt").read_text(encoding="utf-8").split())
    if kind == "correction":
        summary = f"Reworked {key} as the correction asked. {summary}"
    if deleted:
        summary += f" Removed {', '.join(deleted)}."
    lesson = variant / "convention.txt"
    if kind == "correction" and lesson.is_file():
        # Like a real agent reporting what it learned: Baton proposes it as a convention.
        summary += "\nConvention: " + " ".join(lesson.read_text(encoding="utf-8").split())
    session.turns.append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "kind": kind,
            "ticket": key,
            "attempt": "first-attempt" if variant.name == "first-attempt" else "prepared",
            "written": written,
            "deleted": deleted,
            # The whole prompt, as a real agent keeps its transcript.
            "prompt": args.prompt_file.read_text(encoding="utf-8"),
        }
    )
    store.save(session)
    return Outcome(session_id=session.session_id, summary=summary)


def draft_plan(
    args: argparse.Namespace, kind: str, key: str, session: Session, store: SessionStore
) -> Outcome:
    """A plan prompt: write the chain file (--chain-file, or PLANS/<chain>.yml) to tickets/; the
    first draft in a session has the mistakes of changes/<key>/first-attempt.txt (lines
    `old => new`, each replaced once), which Baton's plan check catches."""
    chain = key.removeprefix("plan-")
    plan = args.chain_file or PLANS / f"{chain}.yml"
    if not SAFE_NAME.fullmatch(chain) or plan.name != f"{chain}.yml" or not plan.is_file():
        raise AgentFailure(
            f"unknown chain {chain!r}: this scripted agent only plans the demo's chain",
            session_id=args.resume,
        )
    text = plan.read_text(encoding="utf-8")
    mistakes = CHANGES / key / "first-attempt.txt"
    first = kind in FIRST_ATTEMPT_KINDS and not session.attempted(key) and mistakes.is_file()
    if first:
        for line in mistakes.read_text(encoding="utf-8").splitlines():
            old, _, new = line.partition(" => ")
            text = text.replace(old, new, 1)
    target = target_path(args.workdir.resolve(), f"tickets/{chain}.yml")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    session.turns.append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "kind": kind,
            "ticket": key,
            "attempt": "first-attempt" if first else "prepared",
            "written": [f"tickets/{chain}.yml"],
            "deleted": [],
            "prompt": args.prompt_file.read_text(encoding="utf-8"),
        }
    )
    store.save(session)
    done = "Corrected" if kind == "correction" else "Drafted"
    return Outcome(session.session_id, f"{done} the chain {chain} in tickets/{chain}.yml.")


def result(
    *, session_id: str | None, text: str, started: float, is_error: bool
) -> dict[str, object]:
    return {
        "type": "result",
        "subtype": "error_during_execution" if is_error else "success",
        "is_error": is_error,
        "session_id": session_id,
        "result": text,
        "total_cost_usd": 0.0,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "num_turns": 1,
    }


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    try:
        outcome = run(parse_args(argv))
    except AgentFailure as failure:
        report = result(
            session_id=failure.session_id, text=failure.message, started=started, is_error=True
        )
        print(json.dumps(report, ensure_ascii=False))
        return 1
    except OSError as exc:
        report = result(session_id=None, text=f"I/O error: {exc}", started=started, is_error=True)
        print(json.dumps(report, ensure_ascii=False))
        return 1
    report = result(
        session_id=outcome.session_id, text=outcome.summary, started=started, is_error=False
    )
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
