"""Dependencies the plan cannot meet alone: cycles (inside a chain or across chains), which block
only their own tickets, and dependencies outside the chain, which are waited for, met, or stop
the ticket. Pure code: plain tickets and states, an issue lookup that records what it was asked."""

from __future__ import annotations

from bot.chain import Block, Outside, SendPrompt, Skip, plan, sync_tickets
from bot.chain_file import ChainFile
from bot.dependencies import dependencies_first, outside_of
from bot.ordering import cycles, plan_order
from bot.state import ChainState, TicketStatus
from bot.tickets import Ticket


def ticket(key: str, *depends_on: str) -> Ticket:
    return Ticket(key=key, title=f"T {key}", goal=f"Do {key}.", depends_on=list(depends_on))


def chain(name: str, *tickets: Ticket, **statuses: TicketStatus) -> ChainState:
    state = ChainState(
        name=name,
        branch=f"baton/{name}",
        base_branch="main",
        prepared=True,
        base_commit="base",
        checkpoint="base",
    )
    state = sync_tickets(state, list(tickets))
    for key, status in statuses.items():
        state.tickets[key].status = status
    return state


def chain_file(name: str, *tickets: Ticket) -> ChainFile:
    return ChainFile(name=name, path="github", description=None, tickets=list(tickets))


# -- cycles -----------------------------------------------------------------------------------


def test_cycles_name_each_ticket_on_one_and_not_those_waiting_for_it() -> None:
    tickets = [
        ticket("w", "x"),
        ticket("x", "y"),
        ticket("y", "z"),
        ticket("z", "x"),
        ticket("solo", "solo"),
        ticket("free"),
    ]
    found = cycles(tickets)
    assert found == {
        "x": ("x", "y", "z", "x"),
        "y": ("x", "y", "z", "x"),
        "z": ("x", "y", "z", "x"),
        "solo": ("solo", "solo"),
    }
    assert [t.key for t in plan_order(tickets)] == ["free", "w", "x", "y", "z", "solo"]


def test_a_cycle_blocks_its_tickets_first_then_the_rest_of_the_chain_is_worked() -> None:
    tickets = plan_order([ticket("p", "q"), ticket("q", "p"), ticket("after", "p"), ticket("ok")])
    state = chain("c", *tickets)
    [first] = plan(state, tickets)
    assert isinstance(first, Block)
    assert first.ticket == "p"
    assert "(p → q → p)" in first.reason
    state.tickets["p"].status = "blocked"
    [second] = plan(state, tickets)
    assert isinstance(second, Block)
    assert second.ticket == "q"
    state.tickets["q"].status = "blocked"
    assert plan(state, tickets) == [SendPrompt("ok", "launch")]
    state.tickets["ok"].status = "passed"
    assert plan(state, tickets) == [Skip("after", "depends on p, which is blocked")]


# -- outside the chain ------------------------------------------------------------------------


def test_a_dependency_outside_the_chain_is_waited_for_until_met() -> None:
    tickets = [ticket("#5", "#2")]
    state = chain("issue-5", *tickets)
    assert plan(state, tickets, outside=Outside()) == []
    assert plan(state, tickets, outside=Outside(met=frozenset({"#2"}))) == [
        SendPrompt("#5", "launch")
    ]
    stopped = Outside(stopped={"#2": "was closed as not planned"})
    assert plan(state, tickets, outside=stopped) == [
        Skip("#5", "depends on #2, which was closed as not planned")
    ]


def test_outside_of_reads_other_chains_first_and_asks_only_for_issues_no_chain_holds() -> None:
    mine = chain_file("issue-9", ticket("#9", "#3", "#4", "#5", "#6", "#7", "#8"))
    others = [chain_file("m", ticket("#3"), ticket("#4")), chain_file("n", ticket("#5"))]
    states = {
        "m": chain("m", ticket("#3"), ticket("#4"), **{"#3": "passed", "#4": "skipped"}),
        "n": chain("n", ticket("#5")),
    }
    issues = {6: "closed", 7: "open", 8: "not_planned"}
    asked: list[int] = []

    def issue_state(number: int) -> str | None:
        asked.append(number)
        return issues.get(number)

    outside = outside_of(mine, [mine, *others], states, issue_state)
    assert asked == [6, 7, 8]  # #3, #4 and #5 are tickets of other chains: no request
    assert outside.met == {"#3", "#6"}
    assert outside.stopped == {"#4": "is skipped in its chain", "#8": "was closed as not planned"}
    assert outside.cycles == {}


def _open(number: int) -> str:
    return "open"


def test_a_cycle_across_chains_blocks_each_ticket_on_it_and_no_other() -> None:
    a = chain_file("issue-1", ticket("#1", "#2"))
    b = chain_file("issue-2", ticket("#2", "#1"))
    c = chain_file("issue-3", ticket("#3", "#1"))
    every = [a, b, c]
    for own, expected in ((a, {"#1": ("#1", "#2", "#1")}), (b, {"#2": ("#1", "#2", "#1")})):
        assert outside_of(own, every, {}, _open).cycles == expected
    assert outside_of(c, every, {}, _open).cycles == {}


def test_chains_others_wait_for_run_first() -> None:
    late = chain_file("a-late", ticket("#1", "#7"))
    early = chain_file("z-early", ticket("#7"))
    loop = [chain_file("b", ticket("#2", "#3")), chain_file("c", ticket("#3", "#2"))]
    assert [c.name for c in dependencies_first([late, early, *loop])] == [
        "z-early",
        "a-late",
        "b",
        "c",
    ]
