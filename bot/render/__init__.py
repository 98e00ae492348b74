"""What people read, rendered from findings and chain state: one module per target, each with the
one escaping function that every renderer of that target uses.

    markdown   GitHub-flavoured Markdown: table cells, code spans and blocks, the size cap
    comments   the status and validation comments, the pull request's body and line review
    checks     a check run's output and annotations, and the commit status instead of one
    slack      Block Kit messages, text escaped for mrkdwn
    actions    workflow commands (annotations) and the job summary
    terminal   the console's lines and tables, and `baton review`'s output
    report     the knowledge base's Markdown: the chain report, STATUS.md, the changelog entry
    timeline   the chain report's SVG timeline

Renderers are pure: state in, text or plain data out, no environment and no I/O. Text that is
sent or committed is redacted by a redactor the caller passes in.
"""
