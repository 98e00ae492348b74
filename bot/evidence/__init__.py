"""Phase 3 of validation: evidence that the tests a ticket adds test something."""
