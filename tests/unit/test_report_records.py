"""What the publisher records of its reports (comment ids, digests) reaches the store, also when the
report that wrote it came after the run's last action: otherwise the next run repeats the write
or looks it up again."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.chain_file import ChainFile
from bot.config import Config
from bot.dispatcher import Dispatcher
from bot.errors import HandoverError
from bot.notify import Event
from bot.redact import Redactor, from_environment
from bot.run_options import RunOptions
from bot.state import AgentResult, ChainState, Report, RunRef, StoreData
from bot.store import FileStore
from bot.tickets import Ticket, TicketFiles
from bot.workflow_runs import RunSeen
from bot.workspace import Git

RUN = RunRef(repository="octo-org/widgets", id=7001)


class WritingAgent:
    """Creates the ticket's file and answers well, in one session."""

    name = "command"

    def __init__(self) -> None:
        # (the session resumed, the prompt, the branch, the test command allowed), per call
        self.calls: list[tuple[str | None, str, str | None, str | None]] = []

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
        del session_key, chain  # its sessions are its own
        return self._work(workdir, (None, prompt, branch, test_command))

    def resume(
        self,
        session_id: str,
        prompt: str,
        workdir: Path,
        branch: str | None = None,
        *,
        test_command: str | None = None,
    ) -> AgentResult:
        return self._work(workdir, (session_id, prompt, branch, test_command))

    def end_session(self, session_id: str) -> None:
        del session_id  # one session, nothing to put away

    def _work(
        self, workdir: Path, call: tuple[str | None, str, str | None, str | None]
    ) -> AgentResult:
        self.calls.append(call)
        (workdir / "a.txt").write_text("a\n")
        return AgentResult(ok=True, session_id="s-1", summary="wrote a.txt")


class RecordingReporter:
    """Reports the tickets' statuses and the handovers (as the pull request's body does), and
    records what it wrote as the GitHub publisher does: a new record whenever what it shows
    changed."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def stage(self, _state: ChainState) -> None:
        return None

    def report(self, state: ChainState) -> None:
        shown = ",".join(f"{t.key}={t.status}" for t in state.tickets.values())
        shown += f",finished={state.finished},handovers={len(state.handovers)}"
        if state.reports.get("status") != Report(id=1, digest=shown):
            state.reports["status"] = Report(id=1, digest=shown)
            self.shown.append(shown)


class Events:
    def __init__(self) -> None:
        self.kinds: list[str] = []

    def notify(self, event: Event) -> None:
        self.kinds.append(event.kind)


class NoNewJob:
    """Actions, where no new job can be started."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def workflow_run(self, run: RunRef) -> RunSeen | None:
        self.asked.append(f"run {run.id}")
        return None

    def dispatch_chain(self, chain: str) -> None:
        self.asked.append(f"dispatch {chain}")
        raise HandoverError("dispatching is off here")


CHAIN = ChainFile(
    name="work",
    path="tickets/work.yml",
    description=None,
    tickets=[Ticket(key="a", goal="Create a.txt.", files=TicketFiles(create=["a.txt"]))],
)


def _repo(path: Path) -> Git:
    git = Git(path, os.environ)
    git.run("init", "-q", "-b", "main")
    (path / "README.md").write_text("hello\n")
    git.commit_all("initial")
    return git


def _dispatcher(
    git: Git,
    reporter: RecordingReporter,
    options: RunOptions | None = None,
    jobs: NoNewJob | None = None,
) -> Dispatcher:
    return Dispatcher(
        git=git,
        config=Config(),
        store=FileStore(git.root / ".baton" / "state.json", Redactor()),
        agent=WritingAgent,
        notifier=Events(),
        environ=os.environ,
        redact=from_environment(os.environ),
        publisher=reporter,
        options=options,
        jobs=jobs,
    )


def _saved(git: Git) -> StoreData:
    return FileStore(git.root / ".baton" / "state.json", Redactor()).load()


def test_the_last_reports_records_are_saved(tmp_path: Path) -> None:
    git = _repo(tmp_path)
    reporter = RecordingReporter()

    state = _dispatcher(git, reporter).run_chain(CHAIN)

    assert state.finished
    assert reporter.shown[-1] == "a=passed,finished=True,handovers=0"
    assert _saved(git).chains["work"].reports["status"].digest == reporter.shown[-1]


def test_a_run_with_nothing_to_do_saves_what_its_report_wrote(tmp_path: Path) -> None:
    git = _repo(tmp_path)
    _dispatcher(git, RecordingReporter()).run_chain(CHAIN)
    data = _saved(git)
    # The last report's write was lost on the way (say, GitHub did not answer): the next run's
    # report writes it again, and that run has nothing else to do.
    data.chains["work"].reports.pop("status")
    FileStore(git.root / ".baton" / "state.json", Redactor()).save(data)

    reporter = RecordingReporter()
    _dispatcher(git, reporter).run_chain(CHAIN)

    assert reporter.shown == ["a=passed,finished=True,handovers=0"]
    chain = _saved(git).chains["work"]
    assert chain.reports["status"].digest == "a=passed,finished=True,handovers=0"
    assert chain.lease is None, "the run let go of the chain"


def test_a_run_that_hands_the_chain_over_saves_what_its_report_wrote(tmp_path: Path) -> None:
    git = _repo(tmp_path)
    reporter = RecordingReporter()
    out_of_time = RunOptions(deadline=time.monotonic() - 1, run=RUN)
    jobs = NoNewJob()

    state = _dispatcher(git, reporter, out_of_time, jobs).run_chain(CHAIN)

    assert jobs.asked == ["dispatch work"]
    assert [h.run for h in state.handovers] == [RUN]
    chain = _saved(git).chains["work"]
    assert chain.handovers == state.handovers
    assert reporter.shown[-1] == "a=queued,finished=False,handovers=1"
    assert chain.reports["status"].digest == reporter.shown[-1]
