"""Terminal escape sequences never reach what Baton keeps of an agent's output."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.agents.result import AgentResult
from bot.security import plain_output, strip_ansi, visible_text


@pytest.mark.parametrize(
    ("coloured", "plain"),
    [
        ("\x1b[31mError\x1b[0m: not trusted", "Error: not trusted"),
        ("\x1b[1;38;5;196mbold red\x1b[m", "bold red"),
        ("\x1b[2K\x1b[1Gprogress", "progress"),  # erase the line, move to column 1
        ("\x1b[?25lhidden cursor\x1b[?25h", "hidden cursor"),
        ("\x1b]0;window title\x07text", "text"),  # OSC ended by BEL
        ("\x1b]8;;https://example.invalid\x1b\\link\x1b]8;;\x1b\\", "link"),  # a hyperlink
        ("\x1b(Bcharset", "charset"),
        ("\x1bMreverse index", "reverse index"),
        ("\x9b32mC1 CSI", "C1 CSI"),
    ],
)
def test_escape_sequences_go_whole(coloured: str, plain: str) -> None:
    assert strip_ansi(coloured) == plain
    # Dropping only the ESC byte (as a control character) would leave `[31m` behind.
    assert visible_text(strip_ansi(coloured)) == plain


@given(st.text(alphabet=st.characters(blacklist_characters="\x1b\x9b")))
def test_text_without_escapes_is_left_as_it_is(text: str) -> None:
    assert strip_ansi(text) == text


@pytest.mark.parametrize(
    ("captured", "plain"),
    [
        ("\x1b[31mFAIL\x1b[0m tests/test_a.py::test_a\n", "FAIL tests/test_a.py::test_a\n"),
        ("  10%\r  50%\r 100%\r\ndone\n", " 100%\ndone\n"),  # a progress bar, as last drawn
        ("step\r\n", "step\n"),
        ("ring\x07 back\x08space\x00nul\tand a tab", "ring backspacenul\tand a tab"),
        ("\x1b[1m\x1b[31mE       assert 1 == 2\x1b[0m", "E       assert 1 == 2"),
    ],
)
def test_a_commands_output_is_kept_as_plain_text(captured: str, plain: str) -> None:
    assert plain_output(captured) == plain


@given(st.text(alphabet=st.sampled_from("ab \r\n\t\x1b[0m\u200b")))
def test_each_line_is_kept_as_it_was_last_drawn(captured: str) -> None:
    """With a carriage return or without one (the quick path), line by line."""
    lines = strip_ansi(captured).replace("\r\n", "\n").split("\n")
    drawn = [next((part for part in reversed(line.split("\r")) if part), "") for line in lines]
    assert plain_output(captured) == visible_text("\n".join(drawn))


def test_what_any_agent_answers_is_kept_as_plain_text() -> None:
    """A cloud agent's summary and error too, not only a CLI's."""
    result = AgentResult(ok=False, summary="\x1b[32mdone\x1b[0m", error="\x1b[31mfailed\x1b[0m")
    assert (result.summary, result.error) == ("done", "failed")
