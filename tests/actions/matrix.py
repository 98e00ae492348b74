"""`strategy.matrix` expanded into its combinations, as GitHub's "Running variations of jobs in a
workflow" describes it.

The product of every key's list, minus each `exclude` that matches a combination; then each
`include` object is added to every combination it can extend without changing an original value,
or becomes a combination of its own when it extends none. A key's list must not be empty, and at
most 256 combinations are allowed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from tests.actions.expressions import equal

MAX_COMBINATIONS = 256


class MatrixError(Exception):
    """A matrix GitHub would refuse (the job fails before it starts)."""


def _matches(combination: Mapping[str, Any], pattern: Mapping[str, Any]) -> bool:
    return all(k in combination and equal(combination[k], v) for k, v in pattern.items())


def expand(matrix: Any) -> list[dict[str, Any]]:
    """The combinations of an evaluated matrix (every expression in it already evaluated)."""
    if not isinstance(matrix, Mapping):
        raise MatrixError(f"a matrix must be a mapping, not {matrix!r}")
    include = matrix.get("include") or []
    exclude = matrix.get("exclude") or []
    for name, value in (("include", include), ("exclude", exclude)):
        if not isinstance(value, list) or not all(isinstance(i, Mapping) for i in value):
            raise MatrixError(f"matrix.{name} must be a list of mappings, not {value!r}")
    vectors = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    for name, values in vectors.items():
        if not isinstance(values, list):
            raise MatrixError(f"matrix.{name} must be a list, not {values!r}")
        if not values:
            raise MatrixError(f"Matrix vector '{name}' does not contain any values")
    combinations: list[dict[str, Any]] = []
    if vectors:
        names = list(vectors)
        combinations = [
            dict(zip(names, values, strict=True)) for values in itertools.product(*vectors.values())
        ]
        combinations = [c for c in combinations if not any(_matches(c, x) for x in exclude)]
    originals = set(vectors)
    extended: list[dict[str, Any]] = []
    for entry in include:
        added = False
        for index, combination in enumerate(combinations):
            if index >= len(combinations) - len(extended):
                break  # a combination made by an earlier `include` is not extended
            clashes = any(
                k in originals and k in combination and not equal(combination[k], v)
                for k, v in entry.items()
            )
            if not clashes:
                combination.update(entry)
                added = True
        if not added:
            extended.append(dict(entry))
            combinations.append(extended[-1])
    if not combinations:
        raise MatrixError("the matrix has no combinations")
    if len(combinations) > MAX_COMBINATIONS:
        raise MatrixError(f"a matrix may have at most {MAX_COMBINATIONS} combinations")
    return combinations
