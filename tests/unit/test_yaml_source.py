"""YAML as users write it: a document nested past the limit is refused at the same depth whether
the parser's events tell it (before anything is composed) or the composed nodes do, and what is
read is what `yaml.safe_load` reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from bot.yaml_source import MAX_DEPTH, parse_yaml


def _flow(depth: int, leaf: str) -> str:
    """`leaf` (a scalar, or an empty list) at a path `depth` keys and indexes long."""
    if leaf == "[]":
        return "a: " + "[" * depth + "]" * depth
    return "a: " + "[" * (depth - 1) + leaf + "]" * (depth - 1)


def _block(depth: int, leaf: str) -> str:
    """The same in block style: one mapping inside another, `depth` keys down to `leaf`."""
    keys = [f"{'  ' * level}k{level}:" for level in range(depth)]
    keys[-1] += f" {leaf}"
    return "\n".join(keys) + "\n"


@pytest.mark.parametrize("style", [_flow, _block], ids=["flow", "block"])
@pytest.mark.parametrize("leaf", ["x", "[]"], ids=["scalar", "empty-list"])
@pytest.mark.parametrize(
    "depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 2, 10 * MAX_DEPTH]
)
def test_a_document_is_refused_exactly_past_the_nesting_limit(
    style: Callable[[int, str], str], leaf: str, depth: int
) -> None:
    text = style(depth, leaf)
    doc, problems = parse_yaml(text, "deep.yml")
    if depth <= MAX_DEPTH:
        assert problems == []
        assert doc is not None
        assert doc.data == yaml.safe_load(text)
    else:
        assert doc is None
        assert [(p.field, p.message, p.line) for p in problems] == [
            ("yaml", f"is nested more than {MAX_DEPTH} levels deep", 1)
        ]
