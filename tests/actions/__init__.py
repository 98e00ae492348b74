"""A local GitHub Actions runner for Baton's own workflows, against the fake GitHub.

A test commits the workflow (and the composite action) to the fake GitHub's repository, then
hands the runner an event; the runner reads the workflow from the repository, decides which jobs
run, and runs each as a GitHub-hosted runner would, in a fresh clone with a fresh HOME::

    from tests.actions import events, substitutions
    from tests.actions.runner import Runner

    runner = Runner(github, tmp_path / "actions", substitutions=substitutions.BATON)
    run = runner.run(".github/workflows/baton.yml", events.issue_labeled(shared, github, 1, label))
    assert run.job("plan").outputs["chains"] == '["issue-1"]', run.describe()

What is real: the workflow's YAML and expressions, `needs`, matrices, outputs, concurrency
groups and permissions (runner.py, job.py, expressions.py, matrix.py, permissions.py); every
`run:` step, in bash, with the runner's variables (job.py); git, over HTTP, with the job's
token; Baton and the agent as processes; the fake GitHub, whose token for the job has exactly
the job's permissions. What is emulated: `actions/checkout` and `actions/setup-python`
(emulated.py), and the steps listed in substitutions.py. Each module says which part of
GitHub's documentation it follows.
"""
