"""Phase 3, evidence: readers of the reports test tools write (JUnit, coverage, mutation)."""
