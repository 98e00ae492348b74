"""Frozen bodies: a ticket is an issue's body as it was when someone trusted applied the trigger
label, never a later edit.

The `labeled` event's payload carries that body. Elsewhere (the schedule, a manual run, `tickets
pull`) GitHub's REST API keeps no edit history (`userContentEdits` is GraphQL only), so the body
counts only when the issue has not changed since the label: its `updated_at` is no later than the
label, or than Baton's own latest write there. Anything later, an edit or a comment that could
hide one, needs a new label."""

from __future__ import annotations

from typing import Any

from bot.forge import LabelledBody
from bot.forge.github.trust import Labelling, timestamp


def body_at_label(
    issue: dict[str, Any],
    labelling: Labelling,
    event: LabelledBody | None = None,
    *,
    bot_login: str,
) -> str | None:
    """The body issue `issue` had when `labelling` happened, or None when it may have changed
    since. `event`: the body the labeled event carried, taken when it is this issue's and the
    label's author is the one who sent it. An issue Baton opened (`tickets push`) counts as it
    is: Baton writes its body after the label (the dependencies' numbers), and only people with
    write access can edit an issue someone else opened."""
    if (
        event is not None
        and event.issue == int(issue["number"])
        and event.sender.lower() == labelling.login.lower()
    ):
        return event.body
    if str((issue.get("user") or {}).get("login") or "").lower() == bot_login.lower():
        return str(issue.get("body") or "")
    settled = max(labelling.at, labelling.own_since or labelling.at)
    if timestamp(issue["updated_at"]) > settled:
        return None
    return str(issue.get("body") or "")


def changed_answer(trigger: str) -> str:
    return (
        f"✋ This issue changed after the `{trigger}` label was applied, so Baton does not work "
        "it: Baton works only the text that was there when someone with write access applied "
        "the label. Once they have read it again, they can apply the label again."
    )
