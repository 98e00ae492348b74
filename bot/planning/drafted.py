"""A drafted chain file as the plan checks read it: its tickets, where each field is written, the
files of the base commit, and what follows from them (which tickets come after which, which files
each ticket changes)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from bot.chain_file import ChainFile
from bot.errors import Problem
from bot.globs import is_glob
from bot.planning.tree import Tree
from bot.tickets import Ticket
from bot.yaml_source import Loc, YamlDoc


@dataclass(frozen=True)
class Drafted:
    chain: ChainFile
    doc: YamlDoc
    tree: Tree
    allow_protected: bool = False  # the repository's `allow_protected`

    @property
    def tickets(self) -> list[Ticket]:
        return self.chain.tickets

    def problem(self, index: int, loc: Loc, message: str) -> Problem:
        """An error about ticket `index`'s field at `loc` (`("files", "modify", 0)`), at the
        field's line (or the nearest one written), named by the ticket's key."""
        field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
        return Problem(
            "error",
            f"{self.tickets[index].key}: {field.lstrip('.')}",
            message,
            self.doc.source,
            self.doc.line(("tickets", index, *loc)),
        )

    @cached_property
    def after(self) -> list[frozenset[int]]:
        """For each ticket, the tickets it comes after: its dependencies, theirs, and so on."""
        position = {str(t.key): i for i, t in enumerate(self.tickets)}
        direct = [{position[d] for d in t.depends_on if d in position} for t in self.tickets]
        closure: list[frozenset[int]] = []
        for start in range(len(self.tickets)):
            seen: set[int] = set()
            todo = list(direct[start])
            while todo:
                node = todo.pop()
                if node not in seen:
                    seen.add(node)
                    todo.extend(direct[node])
            closure.append(frozenset(seen))
        return closure

    def ordered(self, a: int, b: int) -> bool:
        """True when one of the two tickets comes after the other."""
        return a in self.after[b] or b in self.after[a]

    def files_of(self, pattern: str) -> set[str]:
        """The files at the base an entry of a ticket's files stands for: a glob's or a
        directory's matches, or the path itself (a file to create is not there yet)."""
        if is_glob(pattern) or self.tree.has_dir(pattern):
            return set(self.tree.matching(pattern))
        return {pattern.removeprefix("./")}

    def changed(self, index: int) -> set[str]:
        """The files ticket `index` may change: to create and to modify."""
        return {f for pattern in self.tickets[index].scope for f in self.files_of(pattern)}
