"""The parts of the fake GitHub; tests use `tests.fakes.github`."""
