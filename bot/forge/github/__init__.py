"""GitHub mode's adapters, one concern a module:

- `client`: the careful HTTP client (retries, conditional GETs, typed errors), `accounting` and
  `retry` beside it; `repo`: one repository, Baton's login and the redactor.
- `intake` and `trust`: tickets from labelled issues, and who may start or steer work.
- `store`: the state's file on the `baton/state` branch.
- `publish` and `checks`: the Reports port (comments, labels, the pull request, check runs).
- `commits`: the Forge port (the chain's branch, files committed or proposed).
- `jobs`: runs of Baton's workflow through the Actions API.

None of them reads or writes chain state: the core decides, these perform.
"""
