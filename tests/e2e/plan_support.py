"""Shared by the `baton plan` tests: a small project whose configured agent is the scripted
planner (tests/fakes/agents/planner_cli.py), and the drafts it plays."""

from __future__ import annotations

import json
import sys
from pathlib import Path

PLANNER = Path(__file__).resolve().parents[1] / "fakes" / "agents" / "planner_cli.py"
GOAL = "Authors can be listed next to their books"

GOOD = """\
chain: authors
description: Authors next to their books
tickets:
  - key: model
    title: An author model
    goal: Books name their author.
    files:
      create: [src/authors.py]
      read: [src/books.py]
    acceptance: [An Author has a name]
  - key: listing
    title: List authors with their books
    goal: The listing shows each author's books.
    files:
      modify: [src/books.py]
      read: [src/authors.py]
    depends_on: [model]
"""
# The first draft names a file to modify that the repository does not have.
MISSING = GOOD.replace("modify: [src/books.py]", "modify: [src/library.py]")


def project_files(
    where: Path, drafts: dict[int, str], *, stray: str | None = None, **plan: int
) -> dict[str, str]:
    """The project's files; the planner plays `drafts` (by turn), kept under `where`."""
    scripts = where / "drafts"
    scripts.mkdir()
    for turn, text in drafts.items():
        (scripts / f"{turn}.yml").write_text(text)
    run = f"{sys.executable} {PLANNER} {{prompt_file}} {{workdir}} {scripts}"
    extra = f" --stray {stray}" if stray else ""
    settings = "".join(f"\n  {key}: {value}" for key, value in plan.items())
    config = (
        "sandbox: off\n"
        "agent:\n"
        "  kind: command\n"
        f"  command: {json.dumps(run + extra)}\n"
        f"  resume_command: {json.dumps(run + ' --resume {session_id}' + extra)}\n"
        "validation:\n"
        "  test_command: python3 -m unittest\n" + (f"plan:{settings}\n" if plan else "")
    )
    return {
        "src/books.py": "BOOKS = []\n",
        "tests/test_books.py": "import unittest\n\nfrom src import books\n",
        "knowledge/CONTEXT.md": "# Context\n\nA library's catalogue.\n",
        "knowledge/CONVENTIONS.md": "# Conventions\n\n- Tests use unittest.\n",
        ".github/baton.yml": config,
    }
