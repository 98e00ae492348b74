"""CLI agents as subprocesses: one runner (`agent.CliAgent`), a preset per CLI family (how to
start and resume it, what its output says, how to allow what it refused), and `command` for any
other program."""
