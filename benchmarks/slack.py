"""What Slack costs a chain: API calls per ticket, and a chain of quick tickets worked in local
mode without Slack, with Slack under its documented rate limits (the fake's, tests/fakes/
slack_limits.py, at Slack's own pace), and under each failure of Slack's that Baton must
shrug off.

    python -m benchmarks.slack     these figures alone, written into benchmarks/results.json,
                                   and their checks into its `checks`

For each run: the chain's result (its outcome and every ticket's status, which must be those of
the run without Slack), the chain's wall time and its ratio to the run without Slack (recorded,
never asserted), the final flush's time (bounded by notify.slack.flush_seconds), what Slack
holds after it (chain messages, replies), the calls by HTTP status, and the `slack.failed`
lines (method, error, fix). The machine's load is no cost of Slack's: each run takes turns with
a run without Slack (without, with, with, without, ...: a load that grows or ebbs meets both
alike), each turn's ratio is its run over the run without Slack beside it, and the ratio kept is
the median of the turns' (a run without Slack alone moves by 15% over a few minutes on a loaded
machine; a burst of load meets one turn, not the median).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.record import record, record_checks
from bot.config import Config, NotifyConfig, SlackConfig
from bot.local import run_local
from bot.notify import Notifiers
from bot.notify.factory import build_notifiers
from bot.runtime import Project, Runtime
from tests.e2e.helpers import make_repo
from tests.fakes.slack import TOKEN, FakeSlack
from tests.fakes.slack_limits import RateLimits

AGENT = """\
import pathlib, re, sys
prompt = pathlib.Path(sys.argv[1]).read_text()
pathlib.Path(re.search(r"Only these files may change: `([^`]+)`", prompt).group(1)).write_text("ok")
"""
CHANNEL = "C0BATON001"  # by id: a post whose answer was lost can be looked for
FLUSH_SECONDS = 10.0  # notify.slack.flush_seconds' default
CHAIN_MESSAGES = 1  # whatever Slack does
# Every method Baton calls answers this way for the whole run.
STORM = ("chat.postMessage", "chat.update", "conversations.history", "webhook")


def _tickets(count: int) -> str:
    lines = ["tickets:"]
    for n in range(count):
        lines.append(
            f"  - {{key: t{n}, title: Ticket {n}, goal: Create f{n}.txt., "
            f"files: {{create: [f{n}.txt]}}}}"
        )
    return "\n".join(lines) + "\n"


def _storm(status: int, retry_after: float = 1) -> Callable[[FakeSlack], None]:
    def breaks(slack: FakeSlack) -> None:
        for method in STORM:
            slack.fail_next(method, status, retry_after=retry_after, times=100_000)

    return breaks


def _stall(slack: FakeSlack) -> None:
    for method in STORM:
        slack.hold(method)


def _wrong_token(slack: FakeSlack) -> None:
    """The app's token was rotated: the one Baton has is no token of the workspace."""
    slack.token = TOKEN + "-rotated"


def _nothing(slack: FakeSlack) -> None:
    """Slack as it is: what breaks is Baton's configuration."""


# Each failure class of the issue: (how Slack breaks, the channel Baton is given, the mode).
FAILURES: dict[str, tuple[Callable[[FakeSlack], None], str, str]] = {
    "ratelimited_storm": (_storm(429, retry_after=2), CHANNEL, "bot"),
    "server_errors": (_storm(500), CHANNEL, "bot"),
    "stall": (_stall, CHANNEL, "bot"),
    "lost_answer": (lambda s: s.lose_answer("chat.postMessage"), CHANNEL, "bot"),
    "invalid_auth": (_wrong_token, CHANNEL, "bot"),
    "channel_not_found": (_nothing, "#nowhere", "bot"),
    "is_archived": (lambda s: s.archive("baton"), CHANNEL, "bot"),
    "webhook_gone_410": (lambda s: s.remove_webhook(410), CHANNEL, "webhook"),
}


class _Lines(logging.Handler):
    """The `slack.failed` and `notify.undelivered` lines of a run."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() in {"slack.failed", "notify.undelivered"}:
            self.records.append(record)

    def failed(self) -> list[dict[str, str]]:
        keys = ("method", "error", "status", "fix")
        return [
            {k: str(getattr(r, k)) for k in keys if hasattr(r, k)}
            for r in self.records
            if r.getMessage() == "slack.failed"
        ]


def _result(repo: Path) -> dict[str, Any]:
    chain = json.loads((repo / ".baton" / "state.json").read_text())["chains"]["work"]
    return {
        "outcome": "passed"
        if all(t["status"] == "passed" for t in chain["tickets"].values())
        else "not passed",
        "statuses": {key: t["status"] for key, t in chain["tickets"].items()},
    }


def _chain(
    tickets: int, slack: FakeSlack | None, channel: str = CHANNEL, mode: str = "bot"
) -> dict[str, Any]:
    """One local run of a chain of `tickets` quick tickets, notifying `slack` (or nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(
            Path(tmp) / "repo",
            agent_script=AGENT,
            tickets=_tickets(tickets),
            test_command="true",
            sandbox="off",
        )
        if slack is None:
            notifiers = Notifiers([])
        elif mode == "webhook":
            env = {
                "SLACK_WEBHOOK_URL": slack.webhook_url,
                "BATON_SLACK_POST_INTERVAL": slack.post_interval,
            }
            notifiers = build_notifiers(Config(), env)
        else:
            config = Config(notify=NotifyConfig(slack=SlackConfig(channel=channel)))
            env = {
                "SLACK_BOT_TOKEN": TOKEN,
                "BATON_SLACK_API_URL": slack.api_url,
                "BATON_SLACK_POST_INTERVAL": slack.post_interval,  # Slack's own under its limits
            }
            notifiers = build_notifiers(config, env)
        lines = _Lines()
        logging.getLogger("bot").addHandler(lines)
        try:
            started = time.perf_counter()
            run_local(Runtime.from_environ(os.environ), Project.open(repo, os.environ), notifiers)
            chain_s = time.perf_counter() - started
            undelivered = notifiers.flush(FLUSH_SECONDS)
            flush_s = time.perf_counter() - started - chain_s
        finally:
            logging.getLogger("bot").removeHandler(lines)
        figures: dict[str, Any] = {
            "tickets": tickets,
            **_result(repo),
            "chain_seconds": round(chain_s, 3),
            "flush_seconds": round(flush_s, 3),
        }
    if slack is not None:
        top = [m for m in slack.messages if m.thread_ts is None]
        figures |= {
            "chain_messages": len(top) if mode == "bot" else None,
            "replies": len(slack.messages) - len(top),
            "webhook_messages": len(slack.webhook_messages),
            "calls": dict(Counter(f"{c.method} {c.status}" for c in slack.calls)),
            "undelivered": len(undelivered),
            "slack_failed": lines.failed(),
        }
    return figures


def _with_slack(
    tickets: int, breaks: Callable[[FakeSlack], None] = _nothing, **how: str
) -> dict[str, Any]:
    with FakeSlack(rate_limits=RateLimits()) as slack:
        breaks(slack)
        try:
            return _chain(tickets, slack, **how)
        finally:
            slack.release()


def calls_per_ticket(tickets: int = 3) -> dict[str, Any]:
    """Slack's Web API calls for a chain of `tickets`, without rate limits: in all, per ticket."""
    with FakeSlack() as slack:
        run = _chain(tickets, slack)
    calls = sum(run["calls"].values())
    return {
        "tickets": tickets,
        "calls": run["calls"],
        "calls_per_ticket": round(calls / tickets, 2),
        "chain_messages": run["chain_messages"],
    }


def _fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run: the others waited on the machine, not on Baton."""
    return min(runs, key=lambda r: float(r["chain_seconds"]))


def _beside(
    tickets: int, repeat: int, run: Callable[[], dict[str, Any]], baselines: list[dict[str, Any]]
) -> dict[str, Any]:
    """`run` `repeat` times by turns with a run without Slack (kept in `baselines`), in the
    order without, with, with, without, ...: its fastest run, with the median of the turns'
    ratios (each run over the run without Slack beside it)."""
    beside, runs = [], []
    for turn in range(repeat):
        for slack in (False, True) if turn % 2 == 0 else (True, False):
            if slack:
                runs.append(run())
            else:
                beside.append(_chain(tickets, None))
    baselines += beside
    fastest, without = _fastest(runs), _fastest(beside)
    fastest["result_same"] = all(r["statuses"] == without["statuses"] for r in runs + beside)
    fastest["without_slack_seconds"] = without["chain_seconds"]
    ratios = [r["chain_seconds"] / b["chain_seconds"] for r, b in zip(runs, beside, strict=True)]
    fastest["wall_ratios"] = [round(ratio, 3) for ratio in ratios]
    fastest["wall_ratio"] = round(statistics.median(ratios), 3)
    return fastest


def slack_cost(tickets: int = 60, *, failures: bool = True, repeat: int = 3) -> dict[str, Any]:
    """The chain with Slack, and (with `failures`) under each failure class, each beside runs
    without Slack; each the fastest of `repeat` runs."""
    _chain(3, None)  # the first run of a process loads what the others find loaded
    baselines: list[dict[str, Any]] = []
    runs = {"with_slack": _beside(tickets, repeat, lambda: _with_slack(tickets), baselines)}
    if failures:
        for name, (breaks, channel, mode) in FAILURES.items():
            print(f"… slack: {name}", file=sys.stderr)
            broken = functools.partial(_with_slack, tickets, breaks, channel=channel, mode=mode)
            runs[name] = _beside(tickets, repeat, broken, baselines)
    without = _fastest(baselines)
    for run in [without, *runs.values()]:  # compared ticket by ticket above; kept as counts
        run["statuses"] = dict(Counter(run["statuses"].values()))
    return {
        "calls": calls_per_ticket(),
        "without_slack": without,
        **runs,
        "flush_seconds_bound": FLUSH_SECONDS,
        "repeat": repeat,
    }


def runs(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The runs of a chain with Slack, each beside runs without it."""
    return {k: v for k, v in figures.items() if isinstance(v, dict) and "result_same" in v}


def checks(figures: dict[str, Any]) -> dict[str, bool]:
    """Counted: one chain message at most, and the chain's result as without Slack, always."""
    messages = [figures["calls"]["chain_messages"]]
    messages += [r["chain_messages"] for r in runs(figures).values() if r["chain_messages"]]
    return {
        "slack_chain_messages": max(messages) <= CHAIN_MESSAGES,
        "slack_result_same": all(r["result_same"] for r in runs(figures).values()),
    }


def main() -> int:
    figures = slack_cost()
    record("slack", figures)
    return record_checks(checks(figures))


if __name__ == "__main__":
    sys.exit(main())
