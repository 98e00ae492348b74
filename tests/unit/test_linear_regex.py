"""Rule regexes in RE2: hostile patterns over hostile lines finish with the right answer; every
pattern both engines run finds what Python's `re` finds; what needs backtracking is refused with
its fix. (No timing is asserted: pytest's timeout is what a backtracking engine would hit here;
benchmarks/rules.py measures the time.)"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.validation.linear_regex import MAX_STEPS, LiteralText, UnsafePattern, compile_linear

K100 = 100_000

# (pattern, line, what the first match is: None for no match). Each line is ~100 kB and built to
# make a backtracking engine try every way to split it before failing (or succeeding late).
HOSTILE: list[tuple[str, str, str | None]] = [
    # nested quantifiers
    (r"(x+x+)+y", "x" * K100, None),
    (r"(x+x+)+y", "x" * K100 + "y", "x" * K100 + "y"),
    (r"^(\d+)*[a-f]$", "7" * K100 + "!", None),
    (r"(?:[A-Za-z]+\s?)+;$", "word " * (K100 // 5) + ",", None),
    (r"(?:[A-Za-z]+\s?)+;$", "word " * (K100 // 5) + ";", "word " * (K100 // 5) + ";"),
    (r"(?:\w*)*@example$", "q" * K100, None),
    # alternations that overlap
    (r"^(?:z|zz)+$", "z" * K100 + "!", None),
    (r"(?:k|k?)+\.$", "k" * K100, None),
    (r"(?:ab|a|b)*c", "ab" * (K100 // 2), None),
    (r"(?:ab|a|b)*c", "ab" * (K100 // 2) + "c", "ab" * (K100 // 2) + "c"),
    (r"(?:-|--|---)+>", "-" * K100 + "<", None),
    # a dot that can take everything, many times over
    (r"(?:.*=){12}END", "=" * 11 + "." * K100, None),
    (r"(?:.*=){12}END", "=" * 12 + "END", "=" * 12 + "END"),
    (r"(?:.*,){30}\}", "," * K100, None),
    (r"\s*(?:\s*)*#", " " * K100, None),
    # counted repetitions within the budget, over multi-byte text and text that makes RE2's
    # DFA give way to its NFA
    (r".{55}\|", "é" * K100, None),
    (r".{121}", "x" * K100, "x" * 121),  # a line too long: within the budget
    (r".*a.{50}c", "ab" * (K100 // 2), None),
    (r"[ab]*a[ab]{110}c", "ab" * (K100 // 2), None),
    (
        r"[ab]*a[ab]{110}c",
        "ba" * (K100 // 2) + "b" * 110 + "c",
        "ba" * (K100 // 2) + "b" * 110 + "c",
    ),
    (r"[^|]{55}\|", "漢" * (K100 // 2) + "|", "漢" * 55 + "|"),
    (r"(?:\p{Greek}+\s?){3}\d", "αβγ " * (K100 // 4) + "x", None),
    # an ordinary rule finds its text at the end of a long line, once
    (r"\bconsole\.log\b", "a;" * (K100 // 2) + "console.log(x)", "console.log"),
    (r"(?i)\bTODO\b", "todo_" * (K100 // 5) + " todo", "todo"),
]


@pytest.mark.parametrize(
    ("pattern", "line", "found"),
    HOSTILE,
    ids=[f"{n}:{p}" for n, (p, _, _) in enumerate(HOSTILE)],
)
def test_hostile_patterns_over_hostile_lines_finish_with_the_right_answer(
    pattern: str, line: str, found: str | None
) -> None:
    assert compile_linear(pattern).search(line) == found


# Patterns both engines run (with Python's own spellings of a few), against text where `\w`,
# `\d`, `\s` and `\b` mean the same in both: ASCII.
SHARED = [
    r"print\(",
    r"\bconsole\.log\b",
    r"(a+)+$",
    r"^\s*#\s*TODO",
    r"[A-Z]{2,}_?[A-Z]",
    r"\d{2}-\d",
    r"(?i)pass\s*=",
    r"(ab|a)b?x?",
    r"a.*?b",
    r"^$",
    r"b\Z",
    r"a{,2}b",
    r"a{,}B",
    r"x{}",
    r"a}+",
    r"[^\w\s]+",
    r"(?m)^b$",
    r"(?m:a$)|b$",
    r"(?s)a.b",
    r"\u0041+",
    r"\U00000062{2}",
    r"\N{NUMBER SIGN}=",
    r"[]a]+",
    r"[^]a]",
    r"a|b|",
    r"\x41\t",
    r"\0",
    r"[$]",
    r"\$\(",
]
TEXT = st.text(alphabet="abAB_ \t\n#=()-.01x[]$}\x00", max_size=30)


@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_every_pattern_both_engines_run_finds_what_python_finds(text: str) -> None:
    for pattern in SHARED:
        expected = re.search(pattern, text)
        found = compile_linear(pattern).search(text)
        if "\n" in text and "$" in pattern:
            # Python's `$` is an assertion, RE2's spelling of it here takes the final newline:
            # the same files match, the matched text may end one newline later.
            assert (found is None) == (expected is None), (pattern, text)
        else:
            assert found == (expected and expected.group()), (pattern, text)


def test_dollar_holds_before_a_file_s_last_newline_as_in_python() -> None:
    closing = compile_linear(r"\}$")
    assert closing.search("def f():\n    return {}\n") is not None
    assert closing.search("{}\n\n") is None
    assert compile_linear(r"(?m)^import os$").search("x = 1\nimport os\ny = 2\n") == "import os"
    assert compile_linear(r"\n\Z").search("no newline at the end") is None


def test_text_that_is_not_valid_utf8_is_searched_not_raised_on() -> None:
    assert compile_linear("x+").search("\udcff\udcfexx\ud800") == "xx"
    assert LiteralText("xx").search("\udcffxx") == "xx"


def test_a_literal_is_found_as_written() -> None:
    assert LiteralText("(a+)+$").search("re.compile('(a+)+$')") == "(a+)+$"
    assert LiteralText("(a+)+$").search("a" * K100 + "b") is None


BACKTRACKING = "which rules cannot use: they run in linear time (RE2); "
AROUND = "match the text around it instead"


@pytest.mark.parametrize(
    ("pattern", "what", "fix"),
    [
        (r"(['\"]).*?\1", r"a backreference `\1`", "spell out the repeated text"),
        (r"(?P<q>')x(?P=q)", "a named backreference `(?P=`", "spell out the repeated text"),
        (r"foo(?=bar)", "lookahead `(?=`", AROUND),
        (r"foo(?!bar)", "negative lookahead `(?!`", AROUND),
        (r"(?<=self\.)x", "lookbehind `(?<=`", AROUND),
        (r"(?<!self\.)x", "negative lookbehind `(?<!`", AROUND),
        (r"(?>a+)b", "an atomic group `(?>`", "write it as a plain group"),
        (r"a++b", "a possessive quantifier", "drop the `+`"),
        (r"x{2}+y", "a possessive quantifier", "drop the `+`"),
        (r"(<)?a(?(1)>)", "a conditional group `(?(`", "write the alternatives with `|`"),
        (r"(?x) a b", "the flags `(?x)`", "use only the flags `i`, `m`, `s` and `U`"),
        (r"(?a:\w)", "the flags `(?a:`", "use only the flags"),
        (r"a(?#why)b", "a comment group `(?#`", "remove the comment"),
    ],
)
def test_what_needs_backtracking_is_refused_with_the_fix(pattern: str, what: str, fix: str) -> None:
    with pytest.raises(UnsafePattern) as raised:
        compile_linear(pattern)
    assert str(raised.value).startswith(f"`{pattern}` uses {what}, {BACKTRACKING}{fix}")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(a", "is not a valid regular expression: missing ): (a"),
        (r"a{1001}", "is not a valid regular expression: invalid repetition size: {1001}"),
        (r"\N{NO SUCH THING}", "names no Unicode character `NO SUCH THING`; write the character"),
        (r"[\s\S]{300}:", f"takes 305 steps per character, more than the {MAX_STEPS} a rule may"),
        (
            r"(?:\pL\pN){70}",
            f"steps per character, more than the {MAX_STEPS} a rule may take to stay fast on any line; "
            "use smaller counted repetitions (`{n}`) or split it into several entries",
        ),
    ],
)
def test_what_is_invalid_or_too_large_is_refused_in_one_line(pattern: str, message: str) -> None:
    with pytest.raises(UnsafePattern) as raised:
        compile_linear(pattern)
    assert str(raised.value).startswith(f"`{pattern}` "), raised.value
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\\1", "a\\1"),
        (r"\101", "xA"),
        (r"[(?=]+", "(?="),
        (r"\(?=x\)", "=x)"),
        (r"\\\(?!", "\\(!"),
    ],
)
def test_look_alikes_of_refused_constructs_run(pattern: str, text: str) -> None:
    # An escaped backslash before a digit, an octal escape, `(?=` in a class or escaped.
    found = re.search(pattern, text)
    assert found is not None
    assert compile_linear(pattern).search(text) == found.group()


def test_re2_s_own_braces_are_not_counted_repetitions() -> None:
    assert compile_linear(r"\x{3000}+").search("a\u3000\u3000b") == "\u3000\u3000"
    assert compile_linear(r"\p{Greek}{2}").search("x\u03b1\u03b2\u03b3") == "\u03b1\u03b2"
    assert compile_linear(r"[\P{L}]+").search("ab12") == "12"
