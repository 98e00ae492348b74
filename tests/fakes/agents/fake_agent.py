"""Fake headless coding-agent CLIs: `claude`, `codex`, `cursor-agent`, `gemini`, and
`generic-agent` for Baton's `kind: command`.

Each executable next to this file is a small launcher that calls `main(<tool>)`. A fake
checks its argv against the shape the real tool accepts and exits 2 with a usage message
otherwise; keeps its sessions under $FAKE_AGENT_HOME the way the real tool keeps them under its
home (per project directory for Claude, Cursor and Gemini, global for Codex), so that resuming
an unknown session fails as it does for real; and prints what the real tool prints. Like the
real tools, `codex` refuses to run outside a git repository without --skip-git-repo-check and
fails when stdin is not at its end at once (the real one waits for it), `cursor-agent` needs
CURSOR_API_KEY, and `gemini` exits 55 in a folder it does not trust (without --skip-trust) and
prints its fatal errors as its last stream-json event.

$FAKE_AGENT_MODE picks the behaviour (default `ok`):

  ok                        a normal answer; its text tells the turn and every prompt so far
  error                     the tool's own failure report, exit non-zero
  is_error_success_subtype  Claude only: `subtype: success` with `is_error: true`, exit 0, so
                            that only `is_error` tells of the failure
  refused                   a success, exit 0, with a tool call refused, as each real one
                            reports it: Claude's `permission_denials` (a shell command),
                            Codex's failed `file_change` (its sandbox could not write), Gemini's
                            `tool_result` error `policy_violation` (a shell command)
  hang                      start a child process, then sleep forever
  no_session                well-formed output without a session id
  garbage                   output that is not the JSON asked for, exit 0
  exit_nonzero              a crash: a message on stderr, nothing on stdout, exit 3

Records, all under $FAKE_AGENT_HOME: `calls.jsonl` has one line per call (argv, working
directory, the names of the environment variables it saw, what stdin was, the options it
parsed); `<tool>.pid` and, in `hang` mode, `<tool>.child.pid` hold process ids.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

MODES = frozenset(
    {
        "ok",
        "error",
        "is_error_success_subtype",
        "refused",
        "hang",
        "no_session",
        "garbage",
        "exit_nonzero",
    }
)
CLAUDE_ONLY = frozenset({"is_error_success_subtype"})
ONLY = {"refused": frozenset({"claude", "codex", "gemini"})}


class Usage(Exception):
    """The argv has a shape the real tool would not accept (or Baton must not use)."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class StrictParser(argparse.ArgumentParser):
    """argparse without abbreviations, raising `Usage` instead of exiting."""

    def __init__(self, prog: str, usage: str) -> None:
        super().__init__(prog=prog, usage=usage, allow_abbrev=False, add_help=False)

    def error(self, message: str) -> NoReturn:
        raise Usage(message, self.format_usage())


@dataclass
class Call:
    tool: str
    home: Path
    mode: str
    argv: list[str]
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self) -> Path:
        return self.home / self.tool

    def log(self, **parsed: Any) -> None:
        """Append this call to calls.jsonl, with the options the fake parsed."""
        self.record["parsed"] = parsed
        with (self.home / "calls.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(self.record) + "\n")


@dataclass
class Session:
    path: Path
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @classmethod
    def new(cls, directory: Path) -> Session:
        sid = str(uuid.uuid4())
        return cls(directory / f"{sid}.json", {"id": sid, "cwd": str(Path.cwd()), "turns": []})

    @classmethod
    def load(cls, directory: Path, sid: str) -> Session | None:
        path = directory / f"{sid}.json"
        if not re.fullmatch(r"[A-Za-z0-9_-]+", sid) or not path.is_file():
            return None
        return cls(path, json.loads(path.read_text(encoding="utf-8")))

    def add_turn(self, prompt: str, **details: Any) -> str:
        """Record the prompt; the answer names the turn and every prompt of the session."""
        self.data["turns"].append({"prompt": prompt, **details})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
        prompts = " | ".join(turn["prompt"] for turn in self.data["turns"])
        return f"Turn {len(self.data['turns'])} of session {self.id}. Prompts so far: {prompts}"


def main(tool: str) -> NoReturn:
    home = os.environ.get("FAKE_AGENT_HOME")
    mode = os.environ.get("FAKE_AGENT_MODE", "ok")
    if not home or mode not in MODES:
        print(f"{tool} (fake): set FAKE_AGENT_HOME and FAKE_AGENT_MODE", file=sys.stderr)
        sys.exit(70)
    if mode in CLAUDE_ONLY and tool != "claude":
        print(f"{tool} (fake): {mode} is Claude's quirk only", file=sys.stderr)
        sys.exit(70)
    if tool not in ONLY.get(mode, {tool}):
        print(f"{tool} (fake): {mode} is not one of its ways", file=sys.stderr)
        sys.exit(70)
    call = Call(tool, Path(home), mode, sys.argv[1:])
    call.record = {
        "tool": tool,
        "argv": call.argv,
        "cwd": str(Path.cwd()),
        "env": sorted(os.environ),
        "stdin": stdin_state(),
        "pid": os.getpid(),
    }
    write_pid(call.home / f"{tool}.pid", os.getpid())
    try:
        code = TOOLS[tool](call)
    except Usage as exc:
        call.log(usage_error=exc.message)
        sys.stderr.write(f"{exc.usage}{tool}: error: {exc.message}\n")
        code = 2
    sys.stdout.flush()
    sys.exit(code)


# --- shared behaviour -----------------------------------------------------------------------


def stdin_state() -> str:
    """`eof` (like /dev/null), `tty`, `open` (nothing to read yet: a read would block),
    `data`, or `closed`."""
    try:
        os.fstat(0)
    except OSError:
        return "closed"
    if os.isatty(0):
        return "tty"
    readable, _, _ = select.select([0], [], [], 0.1)
    if not readable:
        return "open"
    return "eof" if os.read(0, 1) == b"" else "data"


def write_pid(path: Path, pid: int) -> None:
    partial = path.with_suffix(".tmp")
    partial.write_text(str(pid), encoding="utf-8")
    partial.replace(path)


def emit(obj: Any, *, indent: int | None = None, stream: Any = None) -> None:
    text = json.dumps(obj, indent=indent, ensure_ascii=False)
    print(text, file=stream or sys.stdout, flush=True)


def fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr, flush=True)
    return code


def hang(call: Call) -> NoReturn:
    """Like a stuck agent with a tool still running: a child process, and no end."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    write_pid(call.home / f"{call.tool}.child.pid", child.pid)
    while True:
        time.sleep(60)


def crash_or_garbage(call: Call) -> int | None:
    """The modes every tool shares; None when the tool's own behaviour applies."""
    if call.mode == "hang":
        hang(call)
    if call.mode == "exit_nonzero":
        return fail(f"{call.tool}: fatal: the process crashed (SIGSEGV in worker thread)", 3)
    if call.mode == "garbage":
        print(f"Update available for {call.tool}! Run the installer to upgrade.")
        print("Thinking…")
        print('{"type": "result", "subtype": "succ', flush=True)
        return 0
    return None


def project_key(cwd: str) -> str:
    return hashlib.sha256(cwd.encode()).hexdigest()[:16]


def in_git_repo(directory: Path) -> bool:
    return any((d / ".git").exists() for d in (directory, *directory.parents))


# --- claude ---------------------------------------------------------------------------------

CLAUDE_USAGE = "claude -p [options] PROMPT --output-format json [--resume ID]"


def claude(call: Call) -> int:
    parser = StrictParser("claude", CLAUDE_USAGE)
    parser.add_argument("prompt")
    parser.add_argument("-p", "--print", action="store_true", required=True)
    parser.add_argument("--output-format", choices=("text", "json", "stream-json"), required=True)
    parser.add_argument("-r", "--resume", metavar="ID")
    parser.add_argument("--model")
    parser.add_argument("--permission-mode", choices=("acceptEdits", "bypassPermissions", "plan"))
    parser.add_argument("--max-turns", type=int)
    parser.add_argument("--allowedTools")
    parser.add_argument("--dangerously-skip-permissions", action="store_true")
    args = parser.parse_args(call.argv)
    if args.output_format != "json":
        parser.error("this fake prints --output-format json only")
    call.log(**vars(args))

    # Claude keeps sessions per project directory: resume only works from the same one.
    projects = call.store / "projects" / re.sub(r"[^A-Za-z0-9]", "-", str(Path.cwd()))
    if args.resume:
        found = Session.load(projects, args.resume)
        if found is None:
            return fail(f"No conversation found with session ID: {args.resume}")
        session = found
    else:
        session = Session.new(projects)
    code = crash_or_garbage(call)
    if code is not None:
        return code

    answer = session.add_turn(args.prompt, model=args.model)
    turns = len(session.data["turns"])
    common = {"duration_ms": 2841, "duration_api_ms": 2610, "num_turns": turns}
    tail = {
        "session_id": session.id,
        "total_cost_usd": 0.0421,
        "usage": {"input_tokens": 812, "output_tokens": 97, "cache_read_input_tokens": 0},
        "permission_denials": [],
        "uuid": str(uuid.uuid4()),
    }
    if call.mode == "error":
        # error_* results carry no `result`: the subtype (and `errors`) say what went wrong.
        reply = {"type": "result", "subtype": "error_max_turns", "is_error": True, **common}
        emit(reply | tail | {"errors": []})
        return 1
    if call.mode == "is_error_success_subtype":
        overloaded = (
            'API Error: 529 {"type":"error","error":{"type":"overloaded_error",'
            '"message":"Overloaded"}}'
        )
        reply = {"type": "result", "subtype": "success", "is_error": True, **common}
        emit(reply | {"result": overloaded} | tail)
        return 0
    reply = {"type": "result", "subtype": "success", "is_error": False, **common, "result": answer}
    reply |= tail
    if call.mode == "refused":
        refused = {"command": "curl -s https://example.invalid/setup.sh", "description": "Fetch"}
        reply["permission_denials"] = [
            {"tool_name": "Bash", "tool_use_id": "toolu_01Refused", "tool_input": refused}
        ]
    if call.mode == "no_session":
        del reply["session_id"]
    emit(reply)
    return 0


# --- codex ----------------------------------------------------------------------------------

CODEX_USAGE = (
    "Usage: codex exec [OPTIONS] [PROMPT]\n"
    "       codex exec [OPTIONS] resume [SESSION_ID] [PROMPT]\n\n"
    "For more information, try '--help'.\n"
)
CODEX_VALUE_FLAGS = {
    "--sandbox": "sandbox",
    "-s": "sandbox",
    "--model": "model",
    "-m": "model",
    "--config": "config",
    "-c": "config",
    "--profile": "profile",
    "-p": "profile",
    "--cd": "cd",
    "-C": "cd",
}
CODEX_BOOL_FLAGS = {
    "--json": "json",
    "--skip-git-repo-check": "skip_git_repo_check",
    "--full-auto": "full_auto",
    "--dangerously-bypass-approvals-and-sandbox": "bypass",
}


def parse_codex(argv: list[str]) -> dict[str, Any]:
    """`exec`, its options, then `PROMPT` or `resume ID PROMPT`. Options go before `resume`:
    the real codex does not apply `exec` options given after it."""

    def usage(message: str) -> NoReturn:
        raise Usage(message, CODEX_USAGE)

    if argv[:1] != ["exec"]:
        usage("this fake knows only `codex exec`")
    opts: dict[str, Any] = {"config": []}
    rest = argv[1:]
    while rest and rest[0].startswith("-"):
        flag, _, inline = rest.pop(0).partition("=")
        if flag in CODEX_BOOL_FLAGS and not inline:
            opts[CODEX_BOOL_FLAGS[flag]] = True
        elif flag in CODEX_VALUE_FLAGS:
            if not inline and not rest:
                usage(f"a value is required for '{flag}' but none was supplied")
            value = inline or rest.pop(0)
            name = CODEX_VALUE_FLAGS[flag]
            if name in opts and name != "config":
                usage(f"the argument '{flag}' cannot be used multiple times")
            opts[name] = [*opts["config"], value] if name == "config" else value
        else:
            usage(f"unexpected argument '{flag}' found")
    if rest[:1] == ["resume"]:
        if len(rest) != 3:
            usage(f"`resume` takes SESSION_ID and PROMPT, got {rest[1:]!r}")
        opts["resume"], opts["prompt"] = rest[1], rest[2]
    elif len(rest) == 1:
        opts["resume"], opts["prompt"] = None, rest[0]
    else:
        usage(f"expected one PROMPT after the options, got {rest!r}")
    if not opts.get("json"):
        usage("this fake prints --json events only")
    if opts.get("sandbox") not in {"read-only", "workspace-write", "danger-full-access"}:
        usage("--sandbox must be read-only, workspace-write or danger-full-access")
    return opts


def codex(call: Call) -> int:
    opts = parse_codex(call.argv)
    call.log(**opts)
    stdin = call.record["stdin"]
    if stdin != "eof":
        # The real codex reads a piped stdin to its end before it starts: an open one never ends.
        return fail(f"Reading additional input from stdin... (stdin is {stdin}; the fake gives up)")
    if not opts.get("skip_git_repo_check") and not in_git_repo(Path.cwd()):
        return fail("Not inside a trusted directory and --skip-git-repo-check was not specified.")
    sessions = call.store / "sessions"  # global, like ~/.codex/sessions
    if opts["resume"]:
        found = Session.load(sessions, opts["resume"])
        if found is None:
            return fail(
                f"ERROR: No saved session found with ID {opts['resume']}. "
                "Run `codex resume` without an ID to choose from existing sessions."
            )
        session = found
    else:
        session = Session.new(sessions)
    if call.mode != "no_session":
        emit({"type": "thread.started", "thread_id": session.id})
    code = crash_or_garbage(call)
    if code is not None:
        return code

    answer = session.add_turn(opts["prompt"], model=opts.get("model"))
    emit({"type": "turn.started"})
    if call.mode == "error":
        message = "stream disconnected before completion: rate limit reached for gpt-5-codex"
        emit({"type": "error", "message": message})
        emit({"type": "turn.failed", "error": {"message": message}})
        return 1
    reasoning = {"id": "item_0", "type": "reasoning", "text": "**Reading the request**"}
    emit({"type": "item.completed", "item": reasoning})
    if call.mode == "refused":
        # Codex 0.171 with bubblewrap but without its codex-linux-sandbox helper: the write
        # fails, the turn goes on and completes, exit 0.
        change = {"path": str(Path.cwd() / "notes.txt"), "kind": "add"}
        item = {"id": "item_2", "type": "file_change", "changes": [change]}
        emit({"type": "item.started", "item": {**item, "status": "in_progress"}})
        emit({"type": "item.completed", "item": {**item, "status": "failed"}})
    emit(
        {
            "type": "item.completed",
            "item": {"id": "item_1", "type": "agent_message", "text": answer},
        }
    )
    usage = {"input_tokens": 24763, "cached_input_tokens": 24448, "output_tokens": 122}
    emit({"type": "turn.completed", "usage": usage})
    return 0


# --- cursor-agent ---------------------------------------------------------------------------

CURSOR_USAGE = "cursor-agent -p --force --output-format json [--resume ID] [options] PROMPT"


def cursor_agent(call: Call) -> int:
    parser = StrictParser("cursor-agent", CURSOR_USAGE)
    parser.add_argument("prompt")
    parser.add_argument("-p", "--print", action="store_true", required=True)
    parser.add_argument("-f", "--force", action="store_true")
    parser.add_argument("--output-format", choices=("text", "json", "stream-json"), required=True)
    parser.add_argument("--resume", metavar="ID")
    parser.add_argument("-m", "--model")
    parser.add_argument("-a", "--api-key")
    parser.add_argument("--approve-mcps", action="store_true")
    args = parser.parse_args(call.argv)
    if args.output_format != "json":
        parser.error("this fake prints --output-format json only")
    if not args.force:
        parser.error("without --force, print mode only proposes changes; Baton needs them made")
    call.log(**{k: v for k, v in vars(args).items() if k != "api_key"})
    if not (os.environ.get("CURSOR_API_KEY") or args.api_key):
        return fail(
            "Error: Authentication required. Please run 'cursor-agent login' first, "
            "or set CURSOR_API_KEY environment variable."
        )
    chats = call.store / "chats" / project_key(str(Path.cwd()))
    if args.resume:
        found = Session.load(chats, args.resume)
        if found is None:
            return fail(f"Error: chat not found: {args.resume}")
        session = found
    else:
        session = Session.new(chats)
    code = crash_or_garbage(call)
    if code is not None:
        return code

    answer = session.add_turn(args.prompt, model=args.model)
    if call.mode == "error":
        # On failure it prints no JSON at all: a message on stderr and a non-zero exit.
        return fail("Error: ConnectError: [resource_exhausted] You have hit your usage limit.")
    reply = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "duration_ms": 5212,
        "duration_api_ms": 5212,
        "result": answer,
        "session_id": session.id,
        "request_id": str(uuid.uuid4()),
    }
    if call.mode == "no_session":
        del reply["session_id"]
    emit(reply)
    return 0


# --- gemini ---------------------------------------------------------------------------------

GEMINI_USAGE = "gemini -p PROMPT --output-format stream-json [-r ID] [options]"


def gemini_event(kind: str, **fields: Any) -> None:
    """One line of `--output-format stream-json`, as Gemini CLI 0.61 prints it."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    emit({"type": kind, "timestamp": stamp, **fields})


def gemini(call: Call) -> int:
    parser = StrictParser("gemini", GEMINI_USAGE)
    parser.add_argument("-p", "--prompt", required=True)
    parser.add_argument("-o", "--output-format", choices=("text", "json", "stream-json"))
    parser.add_argument("-r", "--resume", metavar="ID")
    parser.add_argument("-m", "--model")
    parser.add_argument("-y", "--yolo", action="store_true")
    parser.add_argument(
        "--approval-mode", action="append", choices=("default", "auto_edit", "yolo", "plan")
    )
    parser.add_argument("--skip-trust", action="store_true")
    parser.add_argument("--allowed-tools", action="append")
    args = parser.parse_args(call.argv)
    # The real one takes a repeated option as a list, which no mode is, and not both ways.
    modes = args.approval_mode or []
    if len(modes) > 1:
        parser.error(f"Invalid approval mode: {','.join(modes)}")
    if modes and args.yolo:
        parser.error("Cannot use both --yolo (-y) and --approval-mode together")
    args.approval_mode = modes[0] if modes else None
    if args.output_format != "stream-json":
        parser.error("this fake prints --output-format stream-json only")
    call.log(**vars(args))
    trusted = args.skip_trust or os.environ.get("GEMINI_CLI_TRUST_WORKSPACE") == "true"
    if not trusted or os.environ.get("GEMINI_RESTRICTED_MODE") == "true":
        # Headless, in a folder it does not trust: a red line on stderr, nothing on stdout.
        return fail(
            "\x1b[31mGemini CLI is not running in a trusted directory. To proceed, either use "
            "`--skip-trust`, set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or "
            "trust this directory in interactive mode.\x1b[0m",
            55,
        )
    print("Loaded cached credentials.", file=sys.stderr, flush=True)
    chats = call.store / "tmp" / project_key(str(Path.cwd())) / "chats"
    if args.resume:
        found = Session.load(chats, args.resume)
        if found is None:
            return fail(
                f'Error resuming session: Invalid session identifier "{args.resume}".\n'
                f"  Searched for sessions in {chats}.\n"
                "  Use --list-sessions to see available sessions, then use --resume {number}, "
                "--resume {uuid}, or --resume latest."
            )
        session = found
    else:
        session = Session.new(chats)
    code = crash_or_garbage(call)
    if code is not None:
        return code

    answer = session.add_turn(args.prompt, model=args.model)
    start = {} if call.mode == "no_session" else {"session_id": session.id}
    gemini_event("init", **start, model=args.model or "auto")
    gemini_event("message", role="user", content=args.prompt)
    stats = {"total_tokens": 360, "input_tokens": 300, "output_tokens": 60, "tool_calls": 0}
    if call.mode == "error":
        # A fatal error is the last event, a `result` with the error; the exit status its code.
        message = (
            "Reached max session turns for this session. Increase the number of turns by "
            "specifying maxSessionTurns in settings.json."
        )
        error = {"type": "FatalTurnLimitedError", "message": message}
        gemini_event("result", status="error", error=error, stats=stats)
        return 53
    if call.mode == "refused":
        # A shell command no --allowed-tools rule allows: headless mode refuses it, exit 0.
        tool_id = "run_shell_command__run_shell_command_1796283784067_0"
        command = {"command": "curl -s https://example.invalid/setup.sh", "description": "Fetch"}
        gemini_event("tool_use", tool_name="run_shell_command", tool_id=tool_id, parameters=command)
        denied = "Tool execution denied by policy."
        error = {"type": "policy_violation", "message": denied}
        gemini_event("tool_result", tool_id=tool_id, status="error", output=denied, error=error)
    gemini_event("message", role="assistant", content=answer, delta=True)
    gemini_event("result", status="success", stats=stats)
    return 0


# --- generic-agent (for `kind: command`) ----------------------------------------------------

GENERIC_USAGE = (
    "generic-agent {run,continue,step} --prompt-file FILE --session ID [--workdir DIR] "
    "[--tag TEXT] [--meta JSON] [--verbose] [--max-steps N]"
)


def generic_agent(call: Call) -> int:
    """`run` opens a session (it must be new), `continue` needs an existing one, `step` does
    whichever applies. Prints its answer as plain text."""
    parser = StrictParser("generic-agent", GENERIC_USAGE)
    parser.add_argument("action", choices=("run", "continue", "step"))
    parser.add_argument("--prompt-file", required=True, type=Path)
    parser.add_argument("--session", required=True)
    parser.add_argument("--workdir")
    parser.add_argument("--tag")
    parser.add_argument("--meta")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--max-steps", type=int)
    args = parser.parse_args(call.argv)
    try:
        prompt = args.prompt_file.read_text(encoding="utf-8")
    except OSError as exc:
        parser.error(f"cannot read --prompt-file: {exc}")
    if args.workdir is not None and Path(args.workdir).resolve() != Path.cwd().resolve():
        parser.error(f"--workdir {args.workdir} is not the working directory {Path.cwd()}")
    parsed = {**vars(args), "prompt_file": str(args.prompt_file), "prompt": prompt}
    call.log(**parsed)
    sessions = call.store / "sessions"
    found = Session.load(sessions, args.session)
    if args.action == "run" and found is not None:
        return fail(f"generic-agent: session {args.session} already exists")
    if args.action == "continue" and found is None:
        return fail(f"generic-agent: no session {args.session} to continue")
    session = found or Session(
        sessions / f"{args.session}.json", {"id": args.session, "cwd": str(Path.cwd()), "turns": []}
    )
    code = crash_or_garbage(call)
    if code is not None:
        return code
    answer = session.add_turn(prompt)
    if call.mode == "error":
        return fail("generic-agent: error: the model refused the request")
    print(answer)
    return 0


TOOLS: dict[str, Callable[[Call], int]] = {
    "claude": claude,
    "codex": codex,
    "cursor-agent": cursor_agent,
    "gemini": gemini,
    "generic-agent": generic_agent,
}
