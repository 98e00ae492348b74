"""Keeping untrusted text and untrusted code in their place.

Ticket text is data: it is cleaned of what hides instructions from people (HTML comments,
zero-width, bidi, tag and control characters) before it reaches a prompt, and fenced as data there;
secrets in it are redacted on the way, since a prompt leaves Baton for the agent's provider.
Agent code runs without Baton's secrets: a test command gets a scrubbed environment, an agent an
allow-list (bot.agents.environment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bot.secret_names import SECRET_VARIABLES

# The run's redactor (`bot.redact.Redactor`, made once from the environment by the entry point).
Redact = Callable[[str], str]

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Zero-width and bidi controls (also the Arabic letter mark), BOM, and Unicode tag characters
# (which spell hidden ASCII that models read): invisible, and able to change what text means.
_FORMAT = (
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\u180e\ufeff\U000e0000-\U000e007f"
)
_HIDDEN = re.compile(f"[{_FORMAT}]")
# Those, and C0/C1 controls except tab and newline.
_INVISIBLE = re.compile(f"[{_FORMAT}\x00-\x08\x0b-\x1f\x7f-\x9f]")
# ECMA-48 escapes: CSI (ESC [ or the C1 byte, parameters, a final byte), OSC (ESC ] … BEL or ST),
# character-set choices (ESC ( B), and the two-byte ones (ESC and one of @ to _).
_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[()*+][0-~]|\x1b[@-Z\\-_]"
)

_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|CREDENTIAL)", re.I)


def has_invisible(text: str) -> bool:
    """True when `text` holds a zero-width, bidi or tag character: invisible to a person, and
    able to make a name read as another (a path, a key)."""
    return _HIDDEN.search(text) is not None


def visible_text(text: str) -> str:
    """`text` without what a person reading the issue would not see but a model would."""
    text = _HTML_COMMENT.sub("", text)
    return _INVISIBLE.sub("", text.replace("\r\n", "\n"))


def strip_ansi(text: str) -> str:
    """`text` without terminal escape sequences (colours, cursor moves, titles): a CLI colours
    its messages, and once its ESC byte is dropped as a control character, `[31m` would stay."""
    return _ANSI.sub("", text)


def plain_output(text: str) -> str:
    """What a command or an agent printed, as plain text: escape sequences gone whole, a line
    redrawn after a carriage return (a progress bar) as it was last drawn, and no other control
    or invisible character (tab and newline stay)."""
    text = strip_ansi(text).replace("\r\n", "\n")
    if "\r" in text:  # else each line is as drawn: megabytes of a test's output pass as they are
        lines = text.split("\n")
        text = "\n".join(
            next((part for part in reversed(line.split("\r")) if part), "") for line in lines
        )
    return _INVISIBLE.sub("", text)


def clean_untrusted(text: str, redact: Redact) -> str:
    """The visible text, with its secrets redacted (a token split by a zero-width character is
    whole again once that is gone)."""
    return redact(visible_text(text))


def fence(text: str, info: str, redact: Redact) -> str:
    """Fence untrusted `text` as data: secrets redacted, and nothing inside can close the fence
    (one backtick more than its longest run)."""
    text = redact(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def command_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for a test command (code the agent wrote): Baton's (`environ`) without
    any credential, neither Baton's nor anything whose name says it is one."""
    return {
        k: v for k, v in environ.items() if k not in SECRET_VARIABLES and not _SECRET_NAME.search(k)
    }
