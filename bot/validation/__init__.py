"""Validation outside the agent: phase 1 runs the test command, phase 2 reviews the change."""
