"""Slack messages as plain data: Block Kit dictionaries built from events and chain state.

No I/O and no slack_sdk here (`bot.notify.slack` sends what this module builds), so every layout is
checked by snapshot tests. All text from tickets and agents is escaped for Slack's mrkdwn, so a
title cannot mention `@channel` or forge a link, and cut to Slack's limits.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from bot.notify import Event
from bot.render.links import Links
from bot.state import ChainState, TicketState

# Slack's limits: blocks in a message (https://docs.slack.dev/reference/block-kit/blocks), a
# section's text and a field (https://docs.slack.dev/reference/block-kit/blocks/section-block),
# a header (https://docs.slack.dev/reference/block-kit/blocks/header-block), a context element.
BLOCKS_MAX = 50
SECTION_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
CONTEXT_MAX = 2000

CUT_ROOM = 250  # a section's room kept for the line that names the tickets left out
Block = dict[str, Any]
_MENTION = re.compile(r"(?<![\w/])@(?=[A-Za-z0-9])")
# Inside `<url|label>`, the characters that would end or split the link.
_URL_ESCAPES = {"<": "%3C", ">": "%3E", "|": "%7C", "&": "&amp;", " ": "%20", "\n": "%0A"}


class Message(TypedDict):
    text: str  # the notification's fallback text
    blocks: list[Block]


_STATUS_ICON = {
    "queued": ":white_circle:",
    "running": ":hourglass_flowing_sand:",
    "validating": ":mag:",
    "correcting": ":wrench:",
    "recovering": ":recycle:",
    "passed": ":white_check_mark:",
    "blocked": ":no_entry:",
    "skipped": ":fast_forward:",
}
_OUTCOME_ICON = {
    "running": ":hourglass_flowing_sand:",
    "passed": ":white_check_mark:",
    "blocked": ":no_entry:",
}
_EVENT = {  # kind: (icon, what happened)
    "chain_started": (":rocket:", "chain started"),
    "passed": (":white_check_mark:", "passed"),
    "correcting": (":wrench:", "correction sent"),
    "recovering": (":recycle:", "recovering in a new session"),
    "blocked": (":no_entry:", "blocked"),
    "skipped": (":fast_forward:", "skipped"),
    "chain_finished": (":checkered_flag:", "chain finished"),
    "handed_over": (":arrow_right_hook:", "continued in a new job"),
}


def escape(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally: `&`, `<` and `>` are its control characters
    (`<@U123>`, `<!channel>`); a bare `@here` is broken by a zero-width space as well, for a
    client that links names."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("@\u200b", text)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link(url: str | None, label: str) -> str:
    """A link (`<url|label>`); a URL that is not http(s) is no link, only its label."""
    if url is None or not url.startswith(("https://", "http://")):
        return f"`{escape(label)}`"
    safe = "".join(_URL_ESCAPES.get(c, c) for c in url)
    return f"<{safe}|{escape(label)}>"


def _mrkdwn(text: str, limit: int = SECTION_MAX) -> Block:
    return {"type": "mrkdwn", "text": cut(text, limit)}


def _ticket_name(key: str, title: str | None) -> str:
    return f"*{escape(key)}* {escape(title)}" if title else f"*{escape(key)}*"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _links_context(pr: str | None, pr_label: str | None, report: str | None, links: Links) -> Block:
    parts = []
    if pr_label is not None:
        parts.append(f"Pull request {_link(pr, pr_label)}")
    if report is not None:
        parts.append(f"Report {_link(links.file(report), report)}")
    return {"type": "context", "elements": [_mrkdwn(" · ".join(parts), CONTEXT_MAX)]}


def _pull_request(
    agent_url: str | None, state: ChainState | None, links: Links
) -> tuple[str | None, str | None]:
    """The chain's pull request as (link, label), or (None, None) when there is none yet: the one
    Baton opened, else one the agent opened and named."""
    number = state.pr_number if state is not None else None
    if number is not None:
        return links.pull_request(number) or agent_url, f"#{number}"
    if agent_url:
        return agent_url, "#" + agent_url.rstrip("/").rsplit("/", 1)[-1]
    return None, None


# -- the chain's message, updated in place --------------------------------------------------------


def _ticket_line(t: TicketState) -> str:
    line = f"{_STATUS_ICON.get(t.status, '')} {_ticket_name(t.key, t.title)} — {t.status}"
    if t.attempts:
        line += f" · {_plural(len(t.attempts), 'attempt')}"
    if t.corrections:
        line += f" · {_plural(t.corrections, 'correction')}"
    if t.recovered:
        line += " · recovered"
    if t.tokens is not None:
        line += f" · {sum(t.tokens):,} tokens"
    evidence = t.last.validation.evidence if t.last and t.last.validation else None
    if evidence is not None and evidence.new_tests:
        line += f" · {escape(evidence.summary())}"
    if t.reason and t.status in {"blocked", "skipped"}:
        line += f"\n>_{escape(cut(t.reason, 300))}_"
    return line


def _cut_line(missing: int, report: str | None, links: Links) -> str:
    more = f"… and {_plural(missing, 'more ticket')}"
    if report is None:
        return f"{more}: the chain's report lists every ticket when the chain ends"
    return f"{more}: every ticket is in the report {_link(links.file(report), report)}"


def _ticket_sections(
    tickets: list[TicketState], room: int, report: str | None, links: Links
) -> list[Block]:
    """One line per ticket, packed into at most `room` sections of SECTION_MAX characters; when
    they do not all fit, the last one ends with a line naming how many are missing and where
    the report is."""
    texts: list[list[str]] = [[]]
    sizes = [0]
    listed = 0
    for t in tickets:
        line = cut(_ticket_line(t), SECTION_MAX - CUT_ROOM)
        if sizes[-1] + len(line) + 1 > SECTION_MAX:
            if len(texts) == room:
                break
            texts.append([])
            sizes.append(0)
        texts[-1].append(line)
        sizes[-1] += len(line) + 1
        listed += 1
    missing = len(tickets) - listed
    if missing:
        last = texts[-1]
        while last and sizes[-1] + len(_cut_line(missing, report, links)) > SECTION_MAX:
            sizes[-1] -= len(last.pop()) + 1
            missing += 1
        last.append(_cut_line(missing, report, links))
    return [
        {"type": "section", "text": _mrkdwn("\n".join(lines) or "no tickets")} for lines in texts
    ]


def chain_summary(state: ChainState, links: Links, report: str | None = None) -> Message:
    """The chain's own message: its outcome so far, one line per ticket, the PR and the report."""
    tickets = list(state.tickets.values())
    passed = sum(t.status == "passed" for t in tickets)
    outcome = state.outcome
    progress = f"{passed} of {len(tickets)} passed"
    where = f"branch `{escape(state.branch)}` from `{escape(state.base_branch)}`"
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": cut(f"Baton · chain {escape(state.name)}", HEADER_MAX),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": _mrkdwn(f"{_OUTCOME_ICON[outcome]} *{outcome}* · {progress} · {where}"),
        },
    ]
    pr, pr_label = _pull_request(None, state, links)
    context = [_links_context(pr, pr_label, report, links)] if pr_label or report else []
    room = BLOCKS_MAX - len(blocks) - len(context)
    blocks += _ticket_sections(tickets, room, report, links) + context
    text = f"Baton · chain {escape(state.name)}: {outcome}, {progress}"
    return {"text": cut(text, SECTION_MAX), "blocks": blocks}


# -- one event, a reply in the chain's thread (or a message of its own, through a webhook) ------


def event_reply(event: Event, links: Links, *, standalone: bool = False) -> Message:
    """A ticket event (or the chain's start and end) as a reply: what happened, the result, the
    attempts so far, and links. `standalone` names the chain too, for a message outside a thread."""
    icon, happened = _EVENT.get(event.kind, ("", event.kind.replace("_", " ")))
    state = event.state
    ticket = state.tickets.get(event.ticket) if state and event.ticket else None
    if event.kind == "passed" and ticket is not None and ticket.recovered:
        happened = "passed after recovery"
    title = event.title or (ticket.title if ticket else None)
    attempts = event.attempts if event.attempts is not None or not ticket else len(ticket.attempts)
    if event.ticket is not None:
        subject = f"{_ticket_name(event.ticket, title)} — {happened}"
    else:
        subject = f"*{escape(happened[0].upper() + happened[1:])}*"
    section: Block = {"type": "section", "text": _mrkdwn(f"{icon} {subject}")}
    fields = []
    if event.message:
        fields.append(_mrkdwn(f"*Result*\n{escape(event.message)}", FIELD_MAX))
    if attempts is not None:
        fields.append(_mrkdwn(f"*Attempts*\n{attempts}", FIELD_MAX))
    if event.details and event.details != event.message:
        fields.append(_mrkdwn(f"*Validation*\n{escape(event.details)}", FIELD_MAX))
    if fields:
        section["fields"] = fields
    blocks = [section]
    pr, pr_label = _pull_request(event.url, state, links)
    if pr_label is not None or event.report is not None:
        blocks.append(_links_context(pr, pr_label, event.report, links))
    if standalone:
        blocks.append(
            {"type": "context", "elements": [_mrkdwn(f"Baton · chain `{escape(event.chain)}`")]}
        )
    who = f"{event.ticket} " if event.ticket else ""
    text = f"{event.chain}: {who}{happened}" + (f": {event.message}" if event.message else "")
    # The fallback text is mrkdwn as well: it is what a notification shows.
    return {"text": cut(escape(text), SECTION_MAX), "blocks": blocks}


def webhook_message(event: Event, links: Links) -> Message:
    """One message per event for an incoming webhook, which cannot thread or edit: the chain's
    summary at its start and end, a standalone reply for a ticket event."""
    if event.kind in {"chain_started", "chain_finished"} and event.state is not None:
        return chain_summary(event.state, links, event.report)
    return event_reply(event, links, standalone=True)
