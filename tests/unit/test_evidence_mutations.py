"""`bot.evidence.mutations`: the sabotage of the evidence phase, per operator and language, what
it must never touch, applying a mutation and undoing it, picking a few, and properties over real
source (the demo project's Python, a JavaScript handler checked by node)."""

from __future__ import annotations

import ast
import functools
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.evidence.mutations import Mutation, apply, candidates, choose, mutations, pick

ROOT = Path(__file__).resolve().parents[2]
DEMO_SOURCES = sorted((ROOT / "examples/demo/project/src").rglob("*.py"))
JS_HANDLER = ROOT / "tests/fixtures/evidence/js/handler.js"


@functools.cache
def _demo(path: Path) -> tuple[str, list[Mutation]]:
    """A demo source and its mutations, found once for all the examples drawn."""
    source = path.read_text(encoding="utf-8")
    return source, mutations(path.name, source)


def _found(path: str, source: str) -> list[tuple[int, str, str]]:
    return [(m.line, m.operator, m.after) for m in mutations(path, source)]


def _def(*body: str) -> str:
    """A Python function with `body` as its lines (line 2 onward)."""
    return "def f(a, b, items):\n" + "".join(f"    {line}\n" for line in body)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Deleting `x = ...` would only make a later line fail with a NameError, which a test
        # that merely runs the code notices: attributes, items and `+=` are deleted, names not.
        (_def("x = a == b"), [(2, "comparison", "    x = a != b")]),
        (_def("a.x = b"), [(2, "delete", "    pass")]),
        (_def("a[0] = b"), [(2, "delete", "    pass")]),
        (_def("a += b"), [(2, "delete", "    pass")]),
        (_def("x, y = items"), []),
        (
            _def("return a < b"),
            [(2, "comparison", "    return a >= b"), (2, "return", "    return None")],
        ),
        (
            _def("return a >= b"),
            [(2, "comparison", "    return a < b"), (2, "return", "    return None")],
        ),
        (
            _def("return a is not None"),
            [(2, "comparison", "    return a is None"), (2, "return", "    return None")],
        ),
        (
            _def("return a in items"),
            [(2, "comparison", "    return a not in items"), (2, "return", "    return None")],
        ),
        (
            _def("if a > b:", "    pass"),
            [(2, "comparison", "    if a <= b:"), (2, "negate", "    if not (a > b):")],
        ),
        (_def("while a:  # wait", "    pass"), [(2, "negate", "    while not (a):  # wait")]),
        (
            _def("return True and b"),
            [
                (2, "boolean", "    return False and b"),
                (2, "boolean", "    return True or b"),
                (2, "return", "    return None"),
            ],
        ),
        (_def("a.status = 404"), [(2, "status", "    a.status = 200"), (2, "delete", "    pass")]),
        (_def("respond(201)"), [(2, "status", "    respond(500)"), (2, "delete", "    pass")]),
        (
            _def("return HTTPStatus.NOT_FOUND"),
            [(2, "return", "    return None"), (2, "status", "    return HTTPStatus.OK")],
        ),
        (
            _def("return HTTPStatus.CREATED"),
            [
                (2, "return", "    return None"),
                (2, "status", "    return HTTPStatus.INTERNAL_SERVER_ERROR"),
            ],
        ),
        (
            _def("return a[b - 1]"),
            [(2, "return", "    return None"), (2, "arithmetic", "    return a[b + 1]")],
        ),
        (_def("raise ValueError(a)"), [(2, "delete", "    pass")]),
        # Only statuses HTTP defines, on a line that speaks of HTTP (not "encode").
        (
            _def("ok = len(a.encode()) <= 255"),
            [(2, "comparison", "    ok = len(a.encode()) > 255")],
        ),
        (_def("abort(451)"), [(2, "status", "    abort(200)"), (2, "delete", "    pass")]),
        (
            _def("return a(status.HTTP_404_NOT_FOUND)"),
            [(2, "return", "    return None"), (2, "status", "    return a(status.HTTP_200_OK)")],
        ),
        (
            _def("a(status.HTTP_201_CREATED)"),
            [
                (2, "status", "    a(status.HTTP_500_INTERNAL_SERVER_ERROR)"),
                (2, "delete", "    pass"),
            ],
        ),
        (_def("return Response(status=299)"), [(2, "return", "    return None")]),
        # `for x in` cannot become `for x not in`: only the comprehension's condition flips.
        (
            _def("return [x for x in items if x in b]"),
            [
                (2, "comparison", "    return [x for x in items if x not in b]"),
                (2, "return", "    return None"),
            ],
        ),
    ],
)
def test_python_operators(source: str, expected: list[tuple[int, str, str]]) -> None:
    assert _found("m.py", source) == expected


@pytest.mark.parametrize(
    "source",
    [
        'x = "a == b"\n',  # inside a string
        "x = 1  # a == b\n",  # inside a comment, and no deletion at module level
        '"""Doc.\n\na == b and True\nif x: return 404\n"""\n',  # a docstring over lines
        "def f() -> int:\n    pass\n",  # `->` is no comparison
        "x = a << b >> c\n",  # shifts
        "import os\nfrom a import b\n",
        "@decorator(a == b)\ndef f():\n    pass\n",
        "x: int\n",  # an annotation only
        "def f():\n    return\n",  # a bare return
        "def f():\n    return None\n",
        "size = 200\n",  # not a status: no word of HTTP on the line; and module level
        "x = 1e-5 - y\n",  # neither operand a plain number
        'x = a + "b"\n',  # maybe a concatenation
        "class C:\n    name = f(1)\n",  # class bodies run on import
        "def f():\n    foo(\n        a,\n    )\n",  # a statement over lines is not deleted
        "def f(x):\n    y = yield x\n",  # deleting the yield would make it no generator
    ],
)
def test_python_lines_left_alone(source: str) -> None:
    assert _found("m.py", source) == []


def test_python_strings_over_lines_and_nested_quotes() -> None:
    source = (
        "def f(a):\n"
        '    """Doc: a == 1\n'
        "    and a > 2.\n"
        '    """\n'
        "    x = f'{a[\"k\"]} == {a}' if a else '''a == b\n"
        "c'''\n"
        "    return a == 1\n"
    )
    assert _found("m.py", source) == [
        (7, "comparison", "    return a != 1"),
        (7, "return", "    return None"),
    ]


def test_javascript_templates_nest_and_regular_expressions_are_not_divisions() -> None:
    source = (
        "function f(a, b) {\n"
        "  const s = `x ${a ? `y ${b}` : '`'} z\n"
        "  ${a === b}`;\n"
        "  const half = a / 2 / b;\n"
        "  const re = /[/'\"]==/g;\n"
        "  return a === b;\n"
        "}\n"
    )
    assert _found("m.js", source) == [
        (6, "comparison", "  return a !== b;"),
        (6, "return", "  return undefined;"),
    ]


def test_every_python_mutant_parses_and_a_file_that_does_not_parse_has_none() -> None:
    assert mutations("m.py", "def f(:\n    return a == b\n") == []
    source = _def("foo(a == b) if a else bar(b)", "x = [a for a in items]")
    assert all(ast.parse(apply(source, m)) for m in mutations("m.py", source))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "function f(a, b) {\n  return a === b;\n}\n",
            [(2, "comparison", "  return a !== b;"), (2, "return", "  return undefined;")],
        ),
        (
            "if (a != b) {\n}\n",
            [(1, "comparison", "if (a == b) {"), (1, "negate", "if (!(a != b)) {")],
        ),
        (
            "} else if (a <= b) x();\n",
            [
                (1, "comparison", "} else if (a > b) x();"),
                (1, "negate", "} else if (!(a <= b)) x();"),
            ],
        ),
        (
            "while (ok && !done) step();\n",
            [
                (1, "negate", "while (!(ok && !done)) step();"),
                (1, "boolean", "while (ok || !done) step();"),
            ],
        ),
        (
            "const x = y || true;\n",
            [(1, "boolean", "const x = y && true;"), (1, "boolean", "const x = y || false;")],
        ),
        (
            "function f(res) {\n  res.status(404).send();\n}\n",
            [(2, "status", "  res.status(200).send();"), (2, "delete", "  ;")],
        ),
        (
            "function f() {\n  count = count - 1\n}\n",
            [(2, "arithmetic", "  count = count + 1"), (2, "delete", "  ;")],
        ),
        # A regular expression with a quote inside a template's ${...}; a template over lines.
        (
            "function f(a) {\n  a = `'${a.replace(/'/g, `'\\\\''`)}'`\n  g(`\n`)\n}\n",
            [(2, "delete", "  ;")],
        ),
    ],
)
def test_javascript_operators(source: str, expected: list[tuple[int, str, str]]) -> None:
    assert _found("m.js", source) == expected


@pytest.mark.parametrize(
    "source",
    [
        'x = "a === b";\n',
        "x = 1; // a === b\n",
        "/* a === b\n   if (a) { return 404; }\n*/\n",
        "const s = `a ${b} ===\n  a < b ${c}`;\n",  # a template literal over lines
        "const f = (a) => a;\n",
        "const xs: Array<string> = f<T>(a > b);\n",  # generics: no angle bracket flips
        "const el = <div>{a > b}</div>;\n",  # JSX
        'const r = /a==b"/;\n',  # a regular expression literal
        "import x from 'y';\nconst z = require('z');\n",
        "const a = 1;\nlet b = f();\n",  # declarations are not deleted
        "function f() {\n  const x =\n    g();\n}\n",  # the second line continues the first
        "function f() {\n  g()\n    .then(h);\n}\n",  # the next line continues this one
        "function f() {\n  return;\n}\n",
        "function f(a) {\n  return a ? null\n    : a;\n}\n",  # the next line continues the value
        "function f(a) {\n  return {\n    a, ...g(a)\n  }\n}\n",  # an object literal's first line
        "function f(a) {\n  out(`${\n    g(a)\n  }`)\n}\n",  # inside a template's ${...} over lines
        "x = a<<b;\ny = a >>> 2;\n",
    ],
)
def test_javascript_lines_left_alone(source: str) -> None:
    assert _found("m.js", source) == []


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        (
            "m.go",
            "if (a == b) {\n",
            [(1, "comparison", "if (a != b) {"), (1, "negate", "if (!(a == b)) {")],
        ),
        ("m.go", "if err != nil {\n", [(1, "comparison", "if err == nil {")]),
        ("m.go", "\treturn a > b\n", [(1, "comparison", "\treturn a <= b")]),  # no wrong value
        ("m.go", "\tfoo(a)\n", []),  # no deletion
        ("m.go", "p := `C:\\`\nif a == b {\n", [(2, "comparison", "if a != b {")]),  # a raw string
        ("M.java", "List<String> xs = f(a > b);\n", []),
        (
            "M.java",
            "return ok && w.code == 200;\n",
            [
                (1, "comparison", "return ok && w.code != 200;"),
                (1, "boolean", "return ok || w.code == 200;"),
                (1, "status", "return ok && w.code == 500;"),
            ],
        ),
        ("m.rs", "fn f<'a>(x: &'a str) -> bool { x.len() >= 2 }\n", []),  # generics on the line
        (
            "m.rs",
            "let ok = c == '\\'' && n >= 2;\n",
            [
                (1, "comparison", "let ok = c != '\\'' && n >= 2;"),
                (1, "comparison", "let ok = c == '\\'' && n < 2;"),
                (1, "boolean", "let ok = c == '\\'' || n >= 2;"),
            ],
        ),
        ("m.rb", "x = a == b # a != b\n", [(1, "comparison", "x = a != b # a != b")]),
        ("m.c", "#include <stdio.h>\n", []),
        ("notes.txt", "a == b\n", []),
    ],
)
def test_other_languages_only_the_safe_operators(
    path: str, source: str, expected: list[tuple[int, str, str]]
) -> None:
    assert _found(path, source) == expected


def test_only_the_lines_asked_for() -> None:
    source = _def("x = a == b", "y = a != b", "z = a < b")
    assert {m.line for m in mutations("m.py", source, lines={3})} == {3}
    assert mutations("m.py", source, lines=[]) == []


def test_apply_then_restore_gives_the_original_bytes_and_keeps_crlf() -> None:
    source = "def f(a):\r\n    if a == 1:\r\n        return 2\r\n    return 3"
    found = mutations("m.py", source)
    assert found
    for mutation in found:
        mutated = apply(source, mutation)
        assert mutated.count("\r\n") == source.count("\r\n")
        undo = Mutation(mutation.line, mutation.operator, mutation.after, mutation.before)
        assert apply(mutated, undo) == source


def test_apply_refuses_a_stale_line() -> None:
    mutation = mutations("m.py", _def("x = a == b"))[0]
    with pytest.raises(ValueError, match=r"^line 2 is no longer 'x = a == b': find the mutations"):
        apply(_def("x = a != b"), mutation)
    with pytest.raises(ValueError, match="line 9 is no longer"):
        apply("x = 1\n", Mutation(9, "delete", "x", "pass"))


def _many(lines: int, per_line: int) -> list[Mutation]:
    operators = ["comparison", "boolean", "delete"]
    return [
        Mutation(line, operators[k % len(operators)], f"l{line}", f"l{line}m{k}")
        for line in range(1, lines + 1)
        for k in range(per_line)
    ]


def test_pick_spreads_over_the_lines() -> None:
    picked = pick(_many(lines=40, per_line=5), 10)
    assert len(picked) == 10
    assert len({m.line for m in picked}) == 10
    assert picked[0].line <= 4
    assert picked[-1].line >= 37
    assert picked == sorted(picked, key=lambda m: m.line)


def test_pick_varies_the_operator_on_a_line() -> None:
    found = [
        Mutation(1, "comparison", "l", "a"),
        Mutation(1, "comparison", "l", "b"),
        Mutation(1, "comparison", "l", "c"),
        Mutation(1, "negate", "l", "d"),
        Mutation(1, "boolean", "l", "e"),
    ]
    assert {m.operator for m in pick(found, 3)} == {"comparison", "negate", "boolean"}


def test_pick_takes_everything_under_the_limit_and_nothing_at_zero() -> None:
    found = _many(lines=3, per_line=2)
    assert pick(found, 10) == found
    assert pick(found, 0) == []
    # Every line once before any line twice.
    assert {m.line for m in pick(found, 4)} == {1, 2, 3}


@settings(max_examples=60, deadline=None)
@given(
    lines=st.integers(min_value=1, max_value=30),
    per_line=st.integers(min_value=1, max_value=4),
    limit=st.integers(min_value=0, max_value=40),
)
def test_pick_is_deterministic_bounded_and_a_subset(lines: int, per_line: int, limit: int) -> None:
    found = _many(lines, per_line)
    picked = pick(found, limit)
    assert picked == pick(list(found), limit)
    assert len(picked) == min(limit, len(found))
    assert len(set(picked)) == len(picked)
    assert set(picked) <= set(found)
    assert len({m.line for m in picked}) == min(len(picked), lines)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_demo_sources_every_mutant_parses_and_changes_one_line(data: st.DataObject) -> None:
    source, found = _demo(data.draw(st.sampled_from(DEMO_SOURCES)))
    if not found:
        return
    mutation = data.draw(st.sampled_from(found))
    mutated = apply(source, mutation)
    ast.parse(mutated)
    changed = [
        n
        for n, (a, b) in enumerate(zip(source.splitlines(), mutated.splitlines(), strict=True), 1)
        if a != b
    ]
    assert changed == [mutation.line]
    stale = Mutation(mutation.line, mutation.operator, mutation.after, mutation.before)
    with pytest.raises(ValueError, match="is no longer"):
        apply(source, stale)


def test_demo_sources_give_every_operator_and_are_deterministic() -> None:
    found = [m for path in DEMO_SOURCES for m in _demo(path)[1]]
    operators = {"comparison", "negate", "boolean", "return", "status", "delete"}
    assert {m.operator for m in found} >= operators
    again = [m for path in DEMO_SOURCES for m in mutations(path.name, _demo(path)[0])]
    assert again == found


def test_every_javascript_mutant_still_parses(tmp_path: Path) -> None:
    source = JS_HANDLER.read_text(encoding="utf-8")
    found = mutations(JS_HANDLER.name, source)
    assert {m.operator for m in found} == {
        "comparison",
        "negate",
        "boolean",
        "return",
        "status",
        "arithmetic",
        "delete",
    }
    variants = tmp_path / "variants.json"
    variants.write_text(json.dumps([source] + [apply(source, m) for m in found]), encoding="utf-8")
    # One node process compiles every variant as a CommonJS function body, as require() would.
    check = (
        "const vm = require('node:vm');"
        "const texts = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));"
        "const bad = [];"
        "texts.forEach((t, i) => { try { vm.compileFunction(t, ['require', 'module', 'exports']); }"
        " catch (e) { bad.push(i + ': ' + e.message); } });"
        "console.log(JSON.stringify(bad));"
    )
    result = subprocess.run(
        ["node", "-e", check, str(variants)], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []


LOOP = """\
def first(xs: list[int], wanted: int) -> int | None:
    for x in xs:
        if x == wanted:
            return x
    return None
"""


def test_choose_takes_only_mutants_that_parse_and_replaces_those_that_do_not() -> None:
    found = candidates("m.py", LOOP)
    assert any(m.after.strip() == "for x not in xs:" for m in found)  # no Python parses it
    chosen = choose("m.py", LOOP, found, 100)
    assert chosen == mutations("m.py", LOOP)
    few = choose("m.py", LOOP, found, 2)
    assert len(few) == 2
    assert all(m in mutations("m.py", LOOP) for m in few)
    assert few == choose("m.py", LOOP, found, 2)
