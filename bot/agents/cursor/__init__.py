"""Cursor Cloud Agents as an Agent (`agent.CursorAgent`). Only this package speaks Cursor's API:
`http` (the client, its errors and retries), `wire` (the answers), `v1` and `v0` (the calls of
each version), `stream` (a run's events), `webhook` (v0's status changes), `settings`."""
