"""The runner's file commands: what a step writes to `$GITHUB_OUTPUT`, `$GITHUB_ENV` and
`$GITHUB_PATH`, read back as GitHub's "Workflow commands" describe them.

`$GITHUB_OUTPUT` and `$GITHUB_ENV` hold `name=value` lines, or a multiline value as
`name<<DELIMITER`, the lines, then `DELIMITER` alone; `$GITHUB_PATH` one directory a line.
"""

from __future__ import annotations

from pathlib import Path


class FileCommandError(Exception):
    """A file command GitHub would refuse (the step fails)."""


def read_pairs(path: Path) -> dict[str, str]:
    """`name=value` and `name<<DELIMITER` blocks; later names win."""
    if not path.exists():
        return {}
    pairs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    at = 0
    while at < len(lines):
        line = lines[at]
        at += 1
        if not line.strip():
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, _, delimiter = line.partition("<<")
            body: list[str] = []
            while at < len(lines) and lines[at] != delimiter:
                body.append(lines[at])
                at += 1
            if at >= len(lines):
                raise FileCommandError(f"{path.name}: `{name}` has no closing `{delimiter}`")
            at += 1
            pairs[name] = "\n".join(body)
        elif "=" in line:
            name, _, value = line.partition("=")
            pairs[name] = value
        else:
            raise FileCommandError(
                f"{path.name}: `{line[:80]}` is neither name=value nor name<<EOF"
            )
        if not pairs or not next(reversed(pairs)):
            raise FileCommandError(f"{path.name}: a line without a name")
    return pairs


def read_paths(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
