"""The reports real test tools wrote, kept in tests/fixtures/evidence (see its README)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.evidence.report_error import ReportError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evidence"

# The directories the fixtures' projects ran in, as the reports name them: coverage paths are
# made relative to them. Nothing is written there.
PYTHON_ROOT = "/srv/pricing-py"
NODE_ROOT = "/srv/pricing-js"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ROOT><testcase name="&lol9;"/></ROOT>
"""


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def assert_one_line_naming(read: Callable[[bytes, str], object], data: bytes, wrong: str) -> None:
    """Reading `data` as the report `reports/x` raises one line that names it and says `wrong`."""
    with pytest.raises(ReportError) as caught:
        read(data, "reports/x")
    message = str(caught.value)
    assert message.startswith("reports/x: ")
    assert wrong in message
    assert "\n" not in message
