"""The plan check: a drafted chain file, checked against the repository at the base commit before
anyone spends agent time on it. Each defect is refused in one line naming the ticket, the field
and the fix; a clean plan passes every check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from planning_repos import commit_files, open_git

from bot.config import Config
from bot.errors import WorkspaceError
from bot.planning.plan_check import CHECKS, PlanCheck, check_plan

REPO = {
    "src/shop/cart.py": "def add(cart, item):\n    return [*cart, item]\n",
    "src/shop/price.py": "def total(items):\n    return len(items)\n",
    "src/shop/orders.py": "",
    "tests/test_cart.py": "from shop.cart import add\n",
    "tests/test_price.py": "from shop.price import total\n",
    "docs/api.md": "# API\n",
    "run-tests": "#!/bin/sh\nexit 0\n",
    "not-executable.sh": "exit 0\n",
}

CLEAN = """\
chain: shop
tickets:
  - key: cart
    title: Cart totals
    goal: The cart knows its total.
    files:
      create: [tests/test_cart_total.py]
      modify: [src/shop/cart.py]
      read: [src/shop/price.py, docs/]
    test_command: python3 -m pytest -q tests/test_cart_total.py
  - key: orders
    title: Orders use the cart
    goal: An order is made from a cart.
    files:
      modify: [src/shop/orders.py, src/shop/cart.py]
      read: ["tests/*.py"]
    depends_on: [cart]
  - key: price
    title: Prices in cents
    goal: Prices are integers of cents.
    files:
      modify: [src/shop/price.py]
    test_command: ./run-tests price
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    commit_files(tmp_path, REPO, executable=("run-tests",))
    return tmp_path


def check(repo: Path, text: str, config: Config | None = None) -> PlanCheck:
    return check_plan(
        text,
        source="tickets/shop.yml",
        git=open_git(repo),
        base="main",
        config=config or Config.model_validate({"validation": {"test_command": "./run-tests"}}),
        environ=dict(os.environ),
    )


def lines(result: PlanCheck) -> list[str]:
    return [p.render() for p in result.problems]


def test_a_clean_plan_passes_every_check(repo: Path) -> None:
    result = check(repo, CLEAN)
    assert lines(result) == []
    assert result.ok
    assert result.chain is not None
    assert [t.key for t in result.chain.tickets] == ["cart", "orders", "price"]
    assert [(c.name, c.status) for c in result.checks] == [(name, "passed") for name in CHECKS]


def test_a_chain_file_that_does_not_lint_stops_the_check(repo: Path) -> None:
    result = check(repo, CLEAN.replace("    goal: The cart knows its total.\n", ""))
    assert lines(result) == ["tickets/shop.yml:3: error: tickets[0].goal: is required"]
    assert not result.ok
    assert result.chain is None
    assert [c.status for c in result.checks] == ["failed", *["skipped"] * (len(CHECKS) - 1)]


def test_a_file_to_modify_must_exist_at_the_base(repo: Path) -> None:
    result = check(
        repo, CLEAN.replace("modify: [src/shop/price.py]", "modify: [src/shop/prices.py]")
    )
    assert lines(result) == [
        "tickets/shop.yml:22: error: price: files.modify[0]: `src/shop/prices.py` does not exist "
        "at the base commit; correct the path, or move it to files.create if the ticket makes it"
    ]


def test_a_file_to_read_must_exist_at_the_base(repo: Path) -> None:
    result = check(
        repo, CLEAN.replace("read: [src/shop/price.py, docs/]", "read: [src/shop/price.py, doc/]")
    )
    assert lines(result) == [
        "tickets/shop.yml:9: error: cart: files.read[1]: `doc/` does not exist at the base "
        "commit; correct the path, or drop it"
    ]


def test_a_file_to_create_must_not_exist_at_the_base(repo: Path) -> None:
    result = check(
        repo, CLEAN.replace("create: [tests/test_cart_total.py]", "create: [tests/test_cart.py]")
    )
    assert lines(result) == [
        "tickets/shop.yml:7: error: cart: files.create[0]: `tests/test_cart.py` exists at the "
        "base commit already; move it to files.modify, or name a new file"
    ]


def test_a_glob_must_match_a_file_at_the_base(repo: Path) -> None:
    result = check(repo, CLEAN.replace('read: ["tests/*.py"]', 'read: ["test/*.py"]'))
    assert lines(result) == [
        "tickets/shop.yml:16: error: orders: files.read[0]: the glob `test/*.py` matches no "
        "file at the base commit; correct the pattern, or drop it"
    ]


def test_dependencies_form_no_cycle(repo: Path) -> None:
    text = CLEAN.replace("depends_on: [cart]", "depends_on: [cart, price]").replace(
        "    test_command: ./run-tests price\n", "    depends_on: [orders]\n"
    )
    assert lines(check(repo, text)) == [
        "tickets/shop.yml:17: error: orders: depends_on: `orders` → `price` → `orders` is a "
        "dependency cycle; remove one of these depends_on entries"
    ]


def test_tickets_changing_the_same_file_are_ordered_by_a_dependency(repo: Path) -> None:
    text = CLEAN.replace(
        "modify: [src/shop/price.py]", "modify: [src/shop/price.py, src/shop/orders.py]"
    )
    assert lines(check(repo, text)) == [
        "tickets/shop.yml:18: error: price: depends_on: `orders` and `price` both change "
        "`src/shop/orders.py` and neither depends on the other; add `orders` to the depends_on "
        "of `price` (or the other way round)"
    ]


def test_an_order_through_another_ticket_is_an_order(repo: Path) -> None:
    text = CLEAN.replace(
        "modify: [src/shop/price.py]", "modify: [src/shop/price.py, src/shop/cart.py]"
    )
    text += "    depends_on: [orders]\n"
    assert lines(check(repo, text)) == []


def test_the_files_a_glob_matches_are_changed_by_its_ticket(repo: Path) -> None:
    text = CLEAN.replace(
        "modify: [src/shop/price.py]", 'modify: [src/shop/price.py, "src/shop/c*.py"]'
    )
    assert lines(check(repo, text)) == [
        "tickets/shop.yml:18: error: price: depends_on: `cart` and `price` both change "
        "`src/shop/cart.py` and neither depends on the other; add `cart` to the depends_on of "
        "`price` (or the other way round)",
        "tickets/shop.yml:18: error: price: depends_on: `orders` and `price` both change "
        "`src/shop/cart.py` and neither depends on the other; add `orders` to the depends_on "
        "of `price` (or the other way round)",
    ]


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("no-such-program-here -q", "`no-such-program-here` is not on PATH"),
        ("./missing.sh", "`./missing.sh` does not exist at the base commit"),
        ("./not-executable.sh", "`./not-executable.sh` is not executable at the base commit"),
    ],
)
def test_a_tickets_test_command_starts_at_the_base(repo: Path, command: str, why: str) -> None:
    text = CLEAN.replace("test_command: ./run-tests price", f"test_command: {command}")
    assert lines(check(repo, text)) == [
        f"tickets/shop.yml:23: error: price: test_command: `{command}` cannot start: {why}; "
        "correct it, or drop it to use validation.test_command"
    ]


def test_the_configured_test_command_starts_at_the_base(repo: Path) -> None:
    config = Config.model_validate({"validation": {"test_command": "./missing.sh -x"}})
    assert lines(check(repo, CLEAN, config)) == [
        "tickets/shop.yml:11: error: orders: test_command: validation.test_command `./missing.sh "
        "-x` cannot start: `./missing.sh` does not exist at the base commit; give the ticket a "
        "test_command that starts, or fix validation.test_command in .github/baton.yml"
    ]


def test_no_ticket_touches_a_protected_path(repo: Path) -> None:
    text = CLEAN.replace(
        "modify: [src/shop/cart.py]", "modify: [src/shop/cart.py, .github/workflows/ci.yml]"
    )
    assert lines(check(repo, text)) == [
        "tickets/shop.yml:8: error: cart: files.modify[1]: `.github/workflows/ci.yml` is a "
        "protected path (.git/**, .baton/**, .github/workflows/**, action.yml); a ticket names "
        "one only when the repository's .github/baton.yml sets `allow_protected: true`"
    ]
    allowed = Config.model_validate(
        {"allow_protected": True, "validation": {"test_command": "./run-tests"}}
    )
    assert [p.field for p in check(repo, text, allowed).problems] == ["cart: files.modify[1]"]


def test_a_ticket_changes_at_most_max_files_per_ticket(repo: Path) -> None:
    config = Config.model_validate(
        {"plan": {"max_files_per_ticket": 1}, "validation": {"test_command": "./run-tests"}}
    )
    assert lines(check(repo, CLEAN, config)) == [
        "tickets/shop.yml:6: error: cart: files: changes 2 files (1 to create, 1 to modify), "
        "more than plan.max_files_per_ticket (1); split it into smaller tickets",
        "tickets/shop.yml:14: error: orders: files: changes 2 files (0 to create, 2 to modify), "
        "more than plan.max_files_per_ticket (1); split it into smaller tickets",
    ]


def test_every_defect_is_listed_at_once(repo: Path) -> None:
    text = CLEAN.replace("modify: [src/shop/price.py]", "modify: [src/shop/prices.py]").replace(
        "create: [tests/test_cart_total.py]", "create: [tests/test_cart.py]"
    )
    result = check(repo, text)
    assert [p.field for p in result.problems] == ["cart: files.create[0]", "price: files.modify[0]"]
    assert [(c.name, c.status) for c in result.checks if c.status != "passed"] == [
        ("files to modify or read exist at the base", "failed"),
        ("files to create are new", "failed"),
    ]


def test_a_file_an_earlier_ticket_creates_may_be_modified_after_it(repo: Path) -> None:
    text = CLEAN.replace(
        "modify: [src/shop/orders.py, src/shop/cart.py]",
        "modify: [src/shop/orders.py, src/shop/cart.py, tests/test_cart_total.py]",
    )
    assert lines(check(repo, text)) == []
    unordered = text.replace("    depends_on: [cart]\n", "")
    assert [p.field for p in check(repo, unordered).problems] == [
        "orders: depends_on",  # on the ticket's line: it has no depends_on
        "orders: files.modify[2]",
    ]


def test_a_base_that_is_no_commit_is_one_clear_error(repo: Path) -> None:
    with pytest.raises(WorkspaceError) as raised:
        check_plan(
            CLEAN,
            source="tickets/shop.yml",
            git=open_git(repo),
            base="no-such-branch",
            config=Config(),
            environ=dict(os.environ),
        )
    assert str(raised.value) == (
        f"`no-such-branch` is not a commit of {repo}; name a commit or branch of this repository "
        "as the base"
    )
