"""GitHub Actions: the chain's table in the job summary, and an annotation per ticket that is
blocked (an error) or skipped (a warning).

Annotations are workflow commands on stdout, the one channel the runner reads them from, so this
notifier writes there (the console notifier writes to stderr). `bot.render.actions` renders both,
escaped as GitHub requires; this notifier only writes what it renders.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from bot.notify import Event
from bot.redact import Redactor, from_environment
from bot.render.actions import annotation, summary_markdown
from bot.render.links import Links


class ActionsNotifier:
    """Annotations on `stream` (stdout) for blocked and skipped tickets; the chain's table
    appended to the job summary file at the end of a chain, when there is one."""

    def __init__(
        self,
        summary_path: Path | None,
        *,
        stream: TextIO | None = None,
        links: Links | None = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self.summary_path = summary_path
        self.stream = stream
        self.links = links or Links()
        self.redact = redact or Redactor()

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str],
        stream: TextIO | None = None,
        redact: Redactor | None = None,
    ) -> ActionsNotifier | None:
        """The notifier inside GitHub Actions (GITHUB_ACTIONS=true); None elsewhere. `redact`:
        the run's redactor (by default, one for the secrets `environ` holds)."""
        if environ.get("GITHUB_ACTIONS") != "true":
            return None
        summary = environ.get("GITHUB_STEP_SUMMARY") or None
        return cls(
            Path(summary) if summary else None,
            stream=stream,
            links=Links.from_environment(environ),
            redact=redact or from_environment(environ),
        )

    def notify(self, event: Event) -> None:
        line = annotation(event, self.redact)
        if line is not None:
            stream = self.stream or sys.stdout
            stream.write(line + "\n")
            stream.flush()
        elif event.kind == "chain_finished" and event.state is not None and self.summary_path:
            text = summary_markdown(
                event.state, report=event.report, links=self.links, redact=self.redact
            )
            with self.summary_path.open("a", encoding="utf-8") as summary:
                summary.write(text)
