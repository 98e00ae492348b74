"""One chain's state in the store, as a run sees it: read it, and save it with compare-and-swap,
over another run's save when that run only changed other chains or added tickets to this one
(see `lease.rebase`).

What was saved is kept apart from the state the run goes on with (a copy), so that whatever
changes the live state after a save (the forge's report records, a notifier's message ids) shows
as unsaved until the next save carries it.
"""

from __future__ import annotations

from bot.errors import StateConflict
from bot.lease import fingerprint, rebase
from bot.state import ChainState, StoreData
from bot.store import Store

SAVE_TRIES = 3


class ChainStore:
    def __init__(self, store: Store, owner: str) -> None:
        self.store = store
        self.owner = owner  # this run's lease holder name
        self.data = StoreData()  # the store as this run last read or saved it
        self._seen: str | None = None  # its chain, to tell whether another run changed it

    def read(self) -> StoreData:
        """The store as it is now, without taking it as the base of this run's next save."""
        return self.store.load()

    def adopt(self, data: StoreData, name: str) -> ChainState | None:
        """Take `data` (from `read`) as the base of this run's next save; its chain `name`, as a
        copy to go on with."""
        self.data = data
        chain = data.chains.get(name)
        self._seen = fingerprint(chain)
        return chain.model_copy(deep=True) if chain is not None else None

    def load(self, name: str) -> ChainState | None:
        return self.adopt(self.read(), name)

    def save(self, state: ChainState) -> ChainState:
        """Save the chain; the chain as saved, with the tickets another run added meanwhile."""
        data = self.with_chain(state)
        for _ in range(SAVE_TRIES):
            try:
                self.data = self.store.save(data)
                break
            except StateConflict:
                current = self.store.load()
                if current.revision == data.revision:
                    continue  # nobody else saved (the write failed, the store moved): again
                # Another run saved another chain, or added a ticket to this one: keep both.
                # Otherwise it took this chain: the caller reads it again and plans anew.
                rebased = rebase(current, data, state.name, self._seen, self.owner)
                if rebased is None:
                    raise
                data = rebased
        else:
            raise StateConflict(
                "the state kept changing while Baton saved it",
                hint="run baton again: it continues where it stopped",
            )
        saved = self.data.chains[state.name]
        self._seen = fingerprint(saved)
        return saved.model_copy(deep=True)

    def with_chain(self, state: ChainState) -> StoreData:
        """The store as this run has it, with its chain as `state` (a copy of it)."""
        chains = {**self.data.chains, state.name: state.model_copy(deep=True)}
        return self.data.model_copy(update={"chains": chains})

    def unsaved_reports(self, state: ChainState) -> bool:
        """Whether the forge recorded reports in `state` since it was last saved or read."""
        saved = self.data.chains.get(state.name)
        return state.reports != (saved.reports if saved else {})

    def proposed(self, ids: list[str]) -> None:
        """Conventions proposed: saved with the next save, so no chain proposes them again."""
        self.data = self.data.model_copy(update={"proposals": [*self.data.proposals, *ids]})
