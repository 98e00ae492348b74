"""Untrusted text in prose (findings, in comments and reports) as a CommonMark renderer reads it:
no HTML and no link ever renders, and a code span shows its text as written (`if a < b:`, not
`if a &lt; b:`)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.render.markdown import prose

RENDER = MarkdownIt("commonmark")  # raw HTML on, as GitHub allows some
# What a hostile text is made of: tags, entities, links, escapes and backticks.
PIECES = st.sampled_from(["<", ">", "&", "`", "``", "\\", "[", "]", "(", ")", "a", " ", "img", "/"])


def tags(html: str) -> set[str]:
    return set(re.findall(r"</?([a-z]+)", html))


def item(text: str) -> str:
    """`text` as a finding's message is rendered: after its severity, in a list item."""
    return RENDER.render(f"- **major** (rule): {prose(text)}")


@given(st.lists(PIECES, max_size=30).map("".join))
def test_no_html_nor_link_renders_from_prose(text: str) -> None:
    assert tags(item(text)) <= {"ul", "li", "strong", "code"}


def test_a_code_span_shows_its_code_as_written() -> None:
    html = item("the tests still pass with `if x > 0:` changed to `if x <= 0:`")
    assert "<code>if x &gt; 0:</code>" in html  # what the reader sees: `if x > 0:`
    assert "<code>if x &lt;= 0:</code>" in html


def test_an_escaped_backtick_opens_no_span() -> None:
    assert tags(item("\\`<img src=x>\\`")) == {"ul", "li", "strong"}
