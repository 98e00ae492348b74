"""`patterns` rules whose regexes would make a backtracking engine run for ages, reviewed on a
real repository where the agent's change is 100 kB lines built against them: the review finishes
with exactly the findings due. A rule RE2 cannot run is a one-line error naming the rule and the
fix, and `baton review` exits 2."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.validation.review import load_rules, review_change
from bot.workspace import Git

CONVENTIONS = "knowledge/CONVENTIONS.md"

RULES = r"""# Conventions

Generated code is kept out of the sources; so are stuttering and endless config keys.

```baton-rules
- id: no-blob
  kind: patterns
  severity: major
  applies_to: 'src/**'
  forbid:
    - {regex: '^(?:[A-Za-z0-9+/]+=?)+;$'}
    - {regex: '(?:\w+\s?)+\(\)\s*=>'}
  message: generated code is kept out of the sources
  hint: build it at run time
- id: flat-keys
  kind: patterns
  severity: minor
  applies_to: 'src/**'
  forbid: [{regex: '(?:[a-z]+\.)+[a-z]+\s*=\s*(?:\d+|"[^"]*")+$'}]
  message: configuration keys stay flat
  hint: nest the key in a section
- id: closing-brace
  kind: patterns
  severity: minor
  applies_to: 'src/**/*.js'
  require: [{regex: '\}$'}]
  message: a module ends with its closing brace
  hint: end the file with `}`
```
"""

K100 = 100_000


def _repo(tmp_path: Path, conventions: str) -> tuple[Git, str]:
    git = Git(tmp_path, os.environ)
    git.run("init", "-q", "-b", "main")
    (tmp_path / "knowledge").mkdir()
    (tmp_path / CONVENTIONS).write_text(conventions)
    (tmp_path / "README.md").write_text("# hostile\n")
    return git, git.commit_all("conventions")


def test_hostile_lines_are_reviewed_to_the_exact_findings(tmp_path: Path) -> None:
    git, base = _repo(tmp_path, RULES)
    src = tmp_path / "src"
    src.mkdir()
    lines = [
        "A" * K100 + "=",  # 1: base64-like, but no `;`: a backtracking engine tries every split
        "w " * (K100 // 2) + "(",  # 2: words and spaces, then no `() =>`
        "a." * (K100 // 2) + "b = 1",  # 3: a long dotted key: flat-keys
        "a." * (K100 // 2) + "b = ",  # 4: no value: nothing
        "QUJD+/09" * 10 + ";",  # 5: a short blob: no-blob
        "x" * K100,  # 6: plain text: nothing
    ]
    (src / "gen.js").write_text("\n".join(lines) + "\n}\n")
    (src / "open.js").write_text("function f() {\n" + "  " * K100 + "\n")
    head = git.commit_all("the agent's change")

    rules, problems = load_rules(git, base, CONVENTIONS)
    assert problems == []
    findings = review_change(git, base, head, None, rules)

    assert sorted((f.rule, f.file, f.line) for f in findings) == [
        ("closing-brace", "src/open.js", 1),
        ("flat-keys", "src/gen.js", 3),
        ("no-blob", "src/gen.js", 5),
    ]
    [blob] = [f for f in findings if f.rule == "no-blob"]
    assert "(found `^(?:[A-Za-z0-9+/]+=?)+;$`)" in blob.message


BAD_RULE = r"""# Conventions

```baton-rules
- id: quoted-twice
  kind: patterns
  severity: minor
  applies_to: '**/*.py'
  message: a string is quoted the same way twice in a row
  hint: join the strings
  forbid:
    - "print("
    - {regex: '(["'']).*\1 \1'}
```
"""


def test_a_rule_the_linear_engine_cannot_run_is_one_line_naming_it_and_the_fix(
    tmp_path: Path,
) -> None:
    git, base = _repo(tmp_path, BAD_RULE)
    (tmp_path / "app.py").write_text("x = 'a' 'b'\n")
    git.commit_all("a change")

    result = CliRunner().invoke(cli, ["review", "--repo", str(tmp_path), "--base", base])

    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert errors == [
        f"{CONVENTIONS}:12: error: rule `quoted-twice`.forbid[1].regex: "
        r"""`(["']).*\1 \1` uses a backreference `\1`, which rules cannot use: they run in """
        "linear time (RE2); spell out the repeated text, or list the alternatives"
    ]
    assert f"error: {CONVENTIONS} (at {base}) has malformed rules" in result.output
