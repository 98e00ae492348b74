"""Made-up tokens for every rule of the rule set, generated from the rule's own regex.

The regex is walked as Python's parser reads it (gitleaks writes Go's syntax: a `(?i)` in the
middle, `[[:alnum:]]` and `\\z` are put in Python's words first; Go's case-blind flag only widens
what matches, and a made-up token is written in the case the regex spells). Each character class
gives random characters (letters and digits where it allows them, for a token's entropy), each
repetition a count (long inside the group that holds the secret, at most two past the least
outside it), each alternation a random branch. A draw counts only when the rule itself, as Baton
runs it (RE2, the keyword prefilter, the entropy and the allowlists), finds a secret of at least
12 characters in it: the corpus then asks whether the redactor hides it, however it is written.
"""

from __future__ import annotations

import functools
import random
import re
import re._constants as sre
import re._parser as sre_parse
import string
from dataclasses import dataclass
from typing import Any

from bot import secret_rules

PRINTABLE = [chr(c) for c in range(32, 127)] + ["\t", "\n", "\r"]
LONG = 40  # characters a variable-length secret is given, within the regex's bounds
LEAST_SECRET = 12  # the corpus checks that no 12 characters of a secret are left
DRAWS = 200


@dataclass(frozen=True)
class Token:
    rule: str
    written: str  # the whole match, as a text would hold it
    secret: str  # what the rule calls the secret in it


def _python_syntax(pattern: str) -> str:
    pattern = re.sub(r"(?<!^)\(\?i\)", "", pattern)  # Go's mid-pattern flag: see above
    return pattern.replace("[:alnum:]", "a-zA-Z0-9").replace(r"\z", r"\Z")


def _in_class(items: list[tuple[Any, Any]], char: str) -> bool:
    inside = False
    negate = False
    for op, value in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            inside |= ord(char) == value
        elif op is sre.RANGE:
            inside |= value[0] <= ord(char) <= value[1]
        elif op is sre.CATEGORY:
            inside |= _category(value, char)
    return inside != negate


@functools.cache
def _members(items: tuple[tuple[Any, Any], ...]) -> list[str]:
    """The printable characters of a class, worked out once per class."""
    return [c for c in PRINTABLE if _in_class(list(items), c)]


def _category(category: Any, char: str) -> bool:
    tests = {
        sre.CATEGORY_DIGIT: char.isdigit(),
        sre.CATEGORY_NOT_DIGIT: not char.isdigit(),
        sre.CATEGORY_SPACE: char.isspace(),
        sre.CATEGORY_NOT_SPACE: not char.isspace(),
        sre.CATEGORY_WORD: char.isalnum() or char == "_",
        sre.CATEGORY_NOT_WORD: not (char.isalnum() or char == "_"),
    }
    return tests[category]


class _Maker:
    def __init__(self, rng: random.Random, secret_group: int) -> None:
        self.rng = rng
        self.secret_group = secret_group
        self.groups: dict[int, str] = {}

    def make(self, nodes: Any, in_secret: bool) -> str:
        return "".join(self._node(op, value, in_secret) for op, value in nodes)

    def _char(self, op: Any, value: Any, in_secret: bool) -> str:
        if op is sre.LITERAL:
            return chr(value)
        if op is sre.NOT_LITERAL:
            return self._pick([c for c in PRINTABLE if ord(c) != value])
        if op is sre.ANY:  # most often a dot gitleaks did not escape, as in `hooks.slack.com`
            return self._pick(PRINTABLE) if in_secret else "."
        return self._pick(_members(tuple(value)))

    def _node(self, op: Any, value: Any, in_secret: bool) -> str:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            return self._char(op, value, in_secret)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = value
            return "".join(
                self.make(sub, in_secret) for _ in range(self._count(low, high, in_secret))
            )
        if op is sre.SUBPATTERN:
            group, _, _, sub = value
            held = group is not None and self.secret_group in (0, group)
            text = self.make(sub, in_secret or held)
            if group is not None:
                self.groups[group] = text
            return text
        if op is sre.BRANCH:
            return self.make(self.rng.choice(value[1]), in_secret)
        if op is sre.GROUPREF:
            return self.groups.get(value, "")
        if op is sre.AT:
            return ""
        raise ValueError(f"no way to make {op} yet")

    def _count(self, low: int, high: int, in_secret: bool) -> int:
        high = min(high, low + 200)  # an unbounded repetition
        if in_secret:
            return max(low, min(high, LONG))
        return low if self.rng.random() < 0.5 else self.rng.randint(low, min(high, low + 2))

    def _pick(self, chars: list[str]) -> str:
        words = [c for c in chars if c in string.ascii_letters + string.digits]
        return self.rng.choice(words or chars)


def make(rule: secret_rules.Rule, shared: secret_rules.Allowlist) -> Token:
    """A token the rule finds, made from its regex; an error when no draw is one."""
    parsed = sre_parse.parse(_python_syntax(rule.pattern))
    # The rule's group holds the secret; without one, the first that matched: any may.
    whole = rule.group == 0 and parsed.state.groups == 1
    for draw in range(DRAWS):
        rng = random.Random(f"{rule.id}/{draw}")  # noqa: S311 -- the same tokens on every run
        written = _Maker(rng, rule.group).make(parsed, whole)
        if not any(word in written.lower() for word in rule.keywords):
            # gitleaks' keyword may stand anywhere in the text, e.g. a name before the token
            written = f"{rule.keywords[0]} {written}"
        for start, end in rule.spans(written, shared):
            if end - start >= LEAST_SECRET:
                return Token(rule.id, written, written[start:end])
    raise ValueError(f"no token made for {rule.id} in {DRAWS} draws")


@functools.cache
def token(rule_id: str) -> Token:
    """A token of the rule `rule_id` of the set."""
    ruleset = secret_rules.load()
    return make(next(r for r in ruleset.rules if r.id == rule_id), ruleset.shared)
