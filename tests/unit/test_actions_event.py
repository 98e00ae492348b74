"""The Actions event's name and payload, and the one-line error when the payload cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.actions_event import actions_event
from bot.errors import ConfigError


def test_the_event_is_its_name_and_its_payload(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"action": "labeled"}')
    environ = {"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(path)}
    assert actions_event(environ) == ("issues", {"action": "labeled"})
    path.write_text("[1, 2]")
    assert actions_event(environ) == ("issues", {}), "a payload that is no object is empty"


@pytest.mark.parametrize("text", [None, "{not json"], ids=["missing", "not-json"])
def test_an_unreadable_payload_is_one_line_naming_the_file_and_the_fix(
    tmp_path: Path, text: str | None
) -> None:
    path = tmp_path / "event.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        actions_event({"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(path)})
    assert str(raised.value).startswith(f"cannot read the event payload {path}: ")
    assert raised.value.hint == (
        "run inside GitHub Actions, or point GITHUB_EVENT_PATH at the event's JSON"
    )
