"""The deterministic half of `baton plan`: what Baton finds out and checks itself, around the
agent that drafts the chain file.

- `bot.planning.audit.audit_repository(git, base, config, chain=, environ=, sandbox=) -> Audit`:
  the repository at the base commit (layout, languages, the test command's result there, source
  files no test mentions, HTTP routes).
- `bot.planning.audit_md.audit_markdown(audit) -> str`, and `write_audit(audit, root, config,
  day=, redact=) -> str`, which keeps it as `<knowledge.dir>/audits/<date>-<chain>.md` and
  returns the text for the planner's prompt.
- `bot.planning.plan_check.check_plan(text, source=, git=, base=, config=, environ=) -> PlanCheck`:
  a drafted chain file checked against the repository at the base; its `problems` go back to the
  planner as a correction, its `checks` into the final report.
"""
