"""Splitting a test command into the simple commands a CLI's allow rules name one by one."""

from __future__ import annotations


def shell_parts(command: str) -> list[str]:
    """The simple commands of a shell command line, as written: split at `&&`, `||`, `;`, `|`,
    `&` and newlines outside quotes (Claude Code checks each part of a compound command on its
    own, so each needs its own rule)."""
    parts, current, quote, index = [], "", "", 0
    while index < len(command):
        char = command[index]
        if quote:
            current += char
            if char == "\\" and quote == '"' and index + 1 < len(command):
                current += command[index + 1]
                index += 1
            elif char == quote:
                quote = ""
        elif char == "\\" and index + 1 < len(command):
            current += command[index : index + 2]
            index += 1
        elif char in "'\"":
            quote, current = char, current + char
        elif char == "&" and (
            current.endswith((">", "<")) or command[index + 1 : index + 2] == ">"
        ):
            current += char  # a redirection (2>&1, &>file), not a separator
        elif char in ";|&\n":
            parts.append(current)
            current = ""
            if command[index : index + 2] in {"&&", "||"}:
                index += 1
        else:
            current += char
        index += 1
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]
