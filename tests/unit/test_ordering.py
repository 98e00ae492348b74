"""`bot.ordering.work_order`: dependencies first, then the order the tickets were written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import ChainError
from bot.ordering import work_order
from bot.tickets import Ticket


def ticket(key: str | None, *depends_on: str) -> Ticket:
    return Ticket(key=key, title=key, goal=f"do {key}", depends_on=list(depends_on))


def keys(tickets: list[Ticket]) -> list[str | None]:
    return [t.key for t in tickets]


def test_no_dependencies_keeps_file_order() -> None:
    assert keys(work_order([ticket("c"), ticket("a"), ticket("b")])) == ["c", "a", "b"]


def test_dependencies_come_first_then_file_order() -> None:
    tickets = [ticket("a", "c"), ticket("b"), ticket("c"), ticket("d", "a")]
    assert keys(work_order(tickets)) == ["b", "c", "a", "d"]


def test_ready_ticket_written_earlier_goes_first() -> None:
    tickets = [ticket("late", "base"), ticket("base"), ticket("other")]
    assert keys(work_order(tickets)) == ["base", "late", "other"]


def test_dependencies_outside_the_chain_are_ignored() -> None:
    assert keys(work_order([ticket("a", "#12"), ticket("b", "elsewhere")])) == ["a", "b"]


def test_tickets_without_keys_keep_their_place() -> None:
    assert work_order([ticket(None), ticket(None)]) == [ticket(None), ticket(None)]


def test_empty_chain() -> None:
    assert work_order([]) == []


def test_cycle_names_the_tickets_on_it_only() -> None:
    tickets = [ticket("a", "c"), ticket("b"), ticket("c", "a"), ticket("d", "a")]
    with pytest.raises(ChainError) as caught:
        work_order(tickets)
    assert caught.value.message == "dependency cycle among tickets a, c"
    assert "remove one of their depends_on" in str(caught.value)


def test_self_dependency_is_a_cycle_of_one() -> None:
    with pytest.raises(ChainError, match="among tickets a;"):
        work_order([ticket("a", "a")])


@st.composite
def acyclic_chains(draw: st.DrawFn) -> list[Ticket]:
    """Tickets whose dependencies point at tickets listed before them, then shuffled: any DAG."""
    size = draw(st.integers(min_value=0, max_value=12))
    names = [f"t{i}" for i in range(size)]
    tickets = [
        ticket(name, *draw(st.lists(st.sampled_from(names[:i]), unique=True)) if i else [])
        for i, name in enumerate(names)
    ]
    return draw(st.permutations(tickets))


@given(acyclic_chains())
def test_every_ticket_comes_after_its_dependencies(tickets: list[Ticket]) -> None:
    order = keys(work_order(tickets))
    assert sorted(order, key=str) == sorted(keys(tickets), key=str)
    for t in tickets:
        for dep in t.depends_on:
            assert order.index(dep) < order.index(t.key)


@given(acyclic_chains())
def test_order_is_the_earliest_written_ready_ticket_each_time(tickets: list[Ticket]) -> None:
    order = work_order(tickets)
    done: set[str | None] = set()
    for chosen in order:
        ready = [t for t in tickets if t.key not in done and set(t.depends_on) <= done]
        assert chosen == ready[0]
        done.add(chosen.key)


@given(st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), unique=True, max_size=15))
def test_without_dependencies_the_order_is_the_file_order(names: list[str]) -> None:
    tickets = [ticket(name) for name in names]
    assert work_order(tickets) == tickets
