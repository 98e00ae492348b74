"""Token shapes from gitleaks' rule set (`bot/gitleaks.toml`, vendored as data), run by RE2.

Each rule is a regex, the keywords that must be in the text for it to run (gitleaks' own
prefilter), the group that holds the secret, a least entropy, and allowlists: what looks like a
secret but is not (the documented example keys, placeholders, a word with no digit). Path-based
parts of the allowlists do not apply: Baton's texts have no path. RE2 never backtracks, so a rule
costs time linear in the text, whoever wrote the text.
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import re2

RULES_FILE = Path(__file__).with_name("gitleaks.toml")
LINE_AROUND = 256
SHORTEST_SECRET = 8

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 64 << 20
_TEST = re2.Options()  # for allowlists, where only "is there a match" counts: no submatch pass
_TEST.log_errors = False
_TEST.max_mem = 64 << 20
_TEST.never_capture = True


# Where gitleaks wants a token to end (a quote, a space, `;`, an escaped newline, the end), Baton
# takes any character that cannot be part of it: in a URL's credentials (`…:token@host`), in a
# query (`?key=token&`), in parentheses, a token ends all the same.
_GITLEAKS_END = r"""(?:[\x60'"\s;]|\\[nr]|$)"""
_ANY_END = r"(?:\W|$)"


def _ends_anywhere(pattern: str) -> str:
    """The pattern, ending at any non-word character where gitleaks wants a few or the text's
    end (a Sidekiq URL ends at `/`, `#`, `?` or `:`, and in a JSON string at its quote)."""
    pattern = pattern.replace(_GITLEAKS_END, _ANY_END)
    if pattern.endswith("|$)") and not pattern.endswith(_ANY_END):
        pattern = pattern.removesuffix("|$)") + r"|\W|$)"
    return pattern


def _compile(pattern: str, options: Any = _OPTIONS) -> Any:
    return re2.compile(pattern, options)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character, as gitleaks measures a secret."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


@dataclass(frozen=True)
class Allowlist:
    """A look-alike: a regex on the secret, the whole match or its line; or a stopword."""

    # Each an alternation of the lot (a rule may have a thousand stopwords), or None: one call
    # into RE2 per match, not one per entry. Compiled when a match is first checked.
    regexes_pattern: str | None
    target: str  # "secret", "match" or "line"
    stopwords_pattern: str | None

    @functools.cached_property
    def regexes(self) -> Any:
        return None if self.regexes_pattern is None else _compile(self.regexes_pattern, _TEST)

    @functools.cached_property
    def stopwords(self) -> Any:
        return None if self.stopwords_pattern is None else _compile(self.stopwords_pattern, _TEST)

    def allows(self, secret: str, match: str, line: str) -> bool:
        text = {"match": match, "line": line}.get(self.target, secret)
        if self.regexes is not None and self.regexes.search(text) is not None:
            return True
        return self.stopwords is not None and self.stopwords.search(secret.lower()) is not None


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: str
    keywords: tuple[str, ...]
    group: int
    least_entropy: float
    allowlists: tuple[Allowlist, ...]

    @functools.cached_property
    def regex(self) -> Any:
        """Compiled when a text first holds one of the keywords: compiling the whole set would
        cost a tenth of a second in every process that redacts, and most texts need few rules."""
        return _compile(self.pattern)

    def spans(self, text: str, shared: Allowlist) -> Iterator[tuple[int, int]]:
        """Where this rule finds secrets in `text`."""
        for match in self.regex.finditer(text):
            group = self.group or next(
                (g for g in range(1, self.regex.groups + 1) if match.group(g)), 0
            )
            start, end = match.start(group), match.end(group)
            if 0 < end - start < SHORTEST_SECRET:
                # A piece, such as one of the repeated parts of a Teams webhook's URL (gitleaks
                # takes the first group that matched): the whole match is the secret.
                start, end = match.start(), match.end()
            secret = text[start:end]
            if not secret or self._looks_alike(secret, match, text, shared):
                continue
            yield start, end

    def _looks_alike(self, secret: str, match: Any, text: str, shared: Allowlist) -> bool:
        if self.least_entropy and entropy(secret) < self.least_entropy:
            return True
        # As gitleaks: a generic rule's secret has a digit (a word alone is no key).
        generic = self.least_entropy and self.id.startswith("generic")
        if generic and not any(c.isdigit() for c in secret):
            return True
        # The match's line, up to LINE_AROUND characters each side: a line of many matches is
        # read once per match, and the bound keeps that linear.
        before = max(0, match.start() - LINE_AROUND)
        after = match.end() + LINE_AROUND
        line_start = text.rfind("\n", before, match.start()) + 1 or before
        line_end = text.find("\n", match.end(), after)
        line = text[line_start : line_end if line_end != -1 else after]
        return any(a.allows(secret, match.group(), line) for a in (shared, *self.allowlists))


def _allowlist(data: dict[str, Any]) -> Allowlist | None:
    """An allowlist Baton can apply; None for one that needs a path (none is given here)."""
    if data.get("paths") and data.get("condition", "OR").upper() == "AND":
        return None
    regexes = [f"(?:{r})" for r in data.get("regexes", ())]
    words = [re2.escape(w.lower()) for w in data.get("stopwords", ())]
    if not regexes and not words:
        return None
    return Allowlist(
        "|".join(regexes) if regexes else None,
        data.get("regexTarget", "secret"),
        "|".join(words) if words else None,
    )


@dataclass(frozen=True)
class RuleSet:
    """The rules with a regex, the allowlist every rule shares, and the keyword prefilter: one
    RE2 set of every rule's keywords, which tells in one pass over a text which are in it."""

    rules: tuple[Rule, ...]
    shared: Allowlist
    keywords: Any
    by_keyword: tuple[tuple[Rule, ...], ...]  # for each keyword of the set, the rules it lets run

    def candidates(self, text: str) -> list[Rule]:
        """The rules whose keywords are in `text` (in any case), each once, in the set's order."""
        present = self.keywords.Match(text.lower()) or ()  # None when there is none
        chosen = {rule.id for i in present for rule in self.by_keyword[i]}
        return [rule for rule in self.rules if rule.id in chosen or not rule.keywords]


def _keyword_set(rules: tuple[Rule, ...]) -> tuple[Any, tuple[tuple[Rule, ...], ...]]:
    words = sorted({word for rule in rules for word in rule.keywords})
    found = re2.Set.SearchSet(_TEST)
    for word in words:
        found.Add(re2.escape(word))
    found.Compile()
    by_keyword = tuple(tuple(r for r in rules if word in r.keywords) for word in words)
    return found, by_keyword


@functools.cache
def load() -> RuleSet:
    """The rule set, compiled once per process."""
    data = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    shared = _allowlist(data.get("allowlist", {})) or Allowlist(None, "secret", None)
    rules = []
    for rule in data["rules"]:
        if "regex" not in rule:
            continue  # a rule on file names only
        lists = (_allowlist(a) for a in rule.get("allowlists", ()))
        rules.append(
            Rule(
                id=rule["id"],
                pattern=_ends_anywhere(rule["regex"]),
                keywords=tuple(k.lower() for k in rule.get("keywords", ())),
                group=rule.get("secretGroup", 0),
                least_entropy=rule.get("entropy", 0.0),
                allowlists=tuple(a for a in lists if a is not None),
            )
        )
    compiled = tuple(rules)
    keywords, by_keyword = _keyword_set(compiled)
    return RuleSet(compiled, shared, keywords, by_keyword)


def spans(text: str) -> list[tuple[int, int]]:
    """Where the rule set finds secrets in `text`, in no order, possibly overlapping."""
    ruleset = load()
    return [span for rule in ruleset.candidates(text) for span in rule.spans(text, ruleset.shared)]
