"""The runner of a CLI agent: one call is one process, in the sandbox, with a timeout.

Each preset knows how to start a session, how to resume one, and where its output says the
session id and whether the call failed (Claude can say `subtype: success` with `is_error: true`).
Every call has a timeout; the process group is killed when it runs out. What the agent says is
redacted before Baton keeps it, and a failure's reason is one line of visible text.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.agents.cli import claude, command
from bot.agents.cli.output import SUMMARY, Refusal, Reply
from bot.agents.cli.preset import Preset
from bot.agents.cli.presets import PRESETS, agent_env, preset_executable
from bot.agents.cli.reasons import failure_detail, generic_fix, one_line, refusal_reason
from bot.agents.result import AgentResult
from bot.config import AgentConfig
from bot.processes import run_command
from bot.redact import Redactor
from bot.sandbox import AGENT_FILES, AgentFiles, Confinement, NoSandbox, Sandbox
from bot.security import strip_ansi
from bot.state_dir import state_dir

MAX_PROMPT = 120_000  # UTF-8 bytes: one argv string may not exceed 128 KiB on Linux
_TRUNCATED = "\n\n[prompt truncated by Baton]"


class CliAgent:
    """One of the presets, or `command`: templates with {prompt_file}, {session_id}, {workdir}.

    `test_command` is the command the agent may run to test its work (a call can name the
    ticket's own instead); a preset grants its CLI that and edits in the working copy.
    `environ` is Baton's environment: the agent sees the part of it that `agent_env` allows and
    its executables are found on its PATH; `redact`, the run's redactor, takes its secrets out of
    what the agent says."""

    def __init__(
        self,
        config: AgentConfig,
        test_command: str | None = None,
        *,
        environ: Mapping[str, str],
        redact: Redactor,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.config = config
        self.name: str = config.kind
        self.timeout_s = config.timeout_minutes * 60
        self.test_command = test_command
        self.environ = environ
        self.redact = redact
        # None runs the agent unconfined; the entry points pass the sandbox they opened.
        self.sandbox: Sandbox = sandbox or NoSandbox()
        self.files = AGENT_FILES.get(config.kind, AgentFiles())
        # Files the configuration names (a script, the executable) and their directories (a
        # script's modules and data): the agent must read them wherever they are, the sandbox's
        # private /tmp and hidden HOME included (the sandbox never shows a HOME whole).
        self.named_paths: tuple[Path, ...]
        if config.kind == "command":
            self.named_paths = command.named_paths(config, environ)
            self.preset: Preset | None = None
            self.executable = ""
        else:
            self.preset = PRESETS[config.kind]
            # Resolved once, here: a relative path means the same file when the agent runs in
            # the working copy, and the check below is the one that counts.
            self.executable = preset_executable(config, environ)
            self.named_paths = (Path(self.executable), Path(self.executable).parent)

    def start(
        self,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
        session_key: str | None = None,
        chain: str | None = None,
    ) -> AgentResult:
        # A CLI agent works in the working copy itself; the branch names its chain's HOME. Its
        # sessions get their ids and names from the CLI.
        del session_key, chain
        return self._call(None, prompt, workdir, test_command or self.test_command, branch)

    def resume(
        self,
        session_id: str,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
    ) -> AgentResult:
        return self._call(session_id, prompt, workdir, test_command or self.test_command, branch)

    def end_session(self, session_id: str) -> None:
        """Nothing to put away: a CLI's session is files in its HOME."""
        del session_id

    def environment(self) -> dict[str, str]:
        """What the agent's process sees of Baton's environment (bot.agents.environment)."""
        return agent_env(self.config, self.environ)

    def _call(
        self,
        session: str | None,
        prompt: str,
        workdir: Path,
        test_command: str | None,
        branch: str | None = None,
    ) -> AgentResult:
        resuming = session is not None
        if self.preset is not None:
            prompt = _argv_safe(prompt)  # a command reads its prompt from a file instead
        with tempfile.TemporaryDirectory(prefix="baton-prompt-") as tmp:
            prompt_file = Path(tmp) / "prompt.md"
            prompt_file.write_text(prompt, encoding="utf-8")
            argv, parse, session = self._argv(session, prompt, prompt_file, workdir, test_command)
            # The chain's own HOME, kept between calls: the CLI's sessions are stored there.
            home = self.sandbox.agent_home(state_dir(workdir) / "homes", branch or "-", self.files)
            confined = Confinement(
                workdir, self.environment(), home=home, readable=(Path(tmp), *self.named_paths)
            )
            command = self.sandbox.wrap(argv, confined)
            result, stdout = run_command(
                command.argv, workdir, self.timeout_s, env=command.env, tail_lines=40
            )
        if result.timed_out:
            return AgentResult(
                ok=False,
                session_id=session,
                error=f"timed out after {self.config.timeout_minutes:g} min",
                duration_s=result.duration_s,
            )
        if result.exit_code is None:
            return AgentResult(
                ok=False,
                session_id=session,
                error=f"could not start `{argv[0]}`: {one_line(result.tail)[:300]}",
                duration_s=result.duration_s,
            )
        gone = self.preset.session_gone if self.preset else claude.SESSION_GONE
        lost = resuming and result.exit_code != 0 and bool(gone and gone.search(result.tail))
        try:
            reply = parse(stdout)
        except ValueError as exc:
            detail = one_line(failure_detail(result.tail)) or "no output"
            known = self._diagnosis(result.exit_code, result.tail)
            return AgentResult(
                ok=False,
                session_id=session,
                error=self.redact(known or f"{exc} (exit {result.exit_code}): {detail}"),
                duration_s=result.duration_s,
                session_lost=lost,
            )
        failed = reply.is_error or result.exit_code != 0 or bool(reply.refusals)
        error = None
        if reply.refusals:
            # Refused calls are the cause to report even when the CLI says it succeeded.
            error = self._refused(reply.refusals, test_command)
        elif failed:
            # The agent's own account of its failure; else what its output says (stderr, for
            # an agent that only exited non-zero), else its summary.
            own = one_line(reply.summary) if reply.is_error else ""
            detail = own or one_line(failure_detail(result.tail)) or one_line(reply.summary)
            error = detail[:500] or "no output"
            if result.exit_code != 0:
                error = f"exit {result.exit_code}: {error}"
            error = self._diagnosis(result.exit_code, result.tail) or error
        elif not (reply.session_id or session):
            failed = True
            error = (
                f"the agent's reply names no session, so Baton cannot continue it "
                f"(is `{argv[0]}` too old to report its session id?)"
            )
        # What the agent says may quote a credential.
        return AgentResult(
            ok=not failed,
            session_id=reply.session_id or session,
            summary=self.redact(strip_ansi(reply.summary)[:SUMMARY]),
            error=self.redact(error) if error else None,
            cost_usd=reply.cost_usd,
            duration_s=result.duration_s,
            session_lost=failed and lost,
        )

    def _diagnosis(self, exit_code: int | None, output: str) -> str | None:
        """The preset's own account of a failed call, when its exit code tells one."""
        if self.preset is None or exit_code in (None, 0):
            return None
        found = self.preset.diagnose(exit_code, output)
        return one_line(found) if found else None

    def _refused(self, refusals: tuple[Refusal, ...], test_command: str | None) -> str:
        """One line: what the CLI refused, and how to allow it."""
        first = refusals[0]
        fix = self.preset.fix(first, test_command) if self.preset else generic_fix(first, None)
        return refusal_reason(self.name, refusals, fix)

    def _argv(
        self,
        session: str | None,
        prompt: str,
        prompt_file: Path,
        workdir: Path,
        test_command: str | None,
    ) -> tuple[list[str], Callable[[str], Reply], str | None]:
        extra = list(self.config.extra_args)
        if self.config.model:
            extra = ["--model", self.config.model, *extra]
        if self.preset is not None:
            exe = self.executable
            own = self.preset.own_sandbox(self.sandbox.active)
            extra = [*self.preset.grants(test_command), *own, *extra]
            argv = (
                self.preset.resume(exe, session, prompt, extra)
                if session
                else self.preset.start(exe, prompt, extra)
            )
            return argv, self.preset.parse, session
        argv, session = command.command_argv(self.config, session, prompt_file, workdir)
        return argv, command.reply_from_command, session


def _argv_safe(prompt: str) -> str:
    """The prompt as one argv string: no NUL (exec cannot pass one), at most MAX_PROMPT bytes."""
    prompt = prompt.replace("\x00", "")
    data = prompt.encode("utf-8", "surrogatepass")
    if len(data) <= MAX_PROMPT:
        return prompt
    return data[:MAX_PROMPT].decode("utf-8", "ignore") + _TRUNCATED
