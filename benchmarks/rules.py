"""The slowest `baton-rules` regex on a hostile line (target: under a second).

    python -m benchmarks.rules     this figure alone, written into benchmarks/results.json

Every pattern of a hostile corpus runs over every line of 100 kB (of UTF-8) built against it: the
classic traps of backtracking engines (nested quantifiers, overlapping alternations, a dot taken
many times over), and patterns at the step cap of `bot.validation.linear_regex` built so that
random text defeats RE2's DFA and it runs its NFA, the slowest way it has. The figure is the
worst time of one pattern over one line: what one rule costs on one added line, in CPU seconds
(the machine's load does not count; the wall time is recorded beside it).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Any

from benchmarks.record import record
from bot.validation.linear_regex import MAX_STEPS, UnsafePattern, compile_linear

LINE_BYTES = 100_000

TRAPS = [
    r"(a+)+$",
    r"(a|aa)+$",
    r"(a|a?)+$",
    r"(x+x+)+y",
    r"^(\w+\s?)*$",
    r"(.*a){12}$",
    r"([a-zA-Z]+)*@",
    r"^(\d+)*[a-f]$",
    r"^([a-z0-9]+\.?)+@",
    r"(?:ab|a|b)*c",
    r"\s*(?:\s*)*#",
    r"(?i)(?:é+)+$",
    r"(?:[A-Za-z0-9+/]+=?)+;$",
]
# `{k}` is raised to the largest count the step cap admits: the worst a repository may write.
AT_THE_CAP = [
    r"[ab]*a[ab]{{{k}}}c",
    r"(?:a|b)*a(?:a|b){{{k}}}c",
    r".*a.{{{k}}}c",
    r"(?:a+|b+)*a.{{{k}}}c",
    r"[aé]*a[aé]{{{k}}}c",
    r"(?:\pL|\pN)*a\pL{{{k}}}!",
    r"[^|]{{{k}}}\|",
]


def _largest(template: str) -> str:
    low, high = 1, 1000  # RE2 counts up to 1000
    while low < high:
        middle = (low + high + 1) // 2
        try:
            compile_linear(template.format(k=middle))
            low = middle
        except UnsafePattern:
            high = middle - 1
    return template.format(k=low)


def _line(alphabet: list[str], seed: int) -> str:
    """Random characters of `alphabet` up to LINE_BYTES of UTF-8."""
    rnd = random.Random(seed)  # noqa: S311 (the same lines on every run)
    out: list[str] = []
    size = 0
    while True:
        ch = rnd.choice(alphabet)
        size += len(ch.encode())
        if size > LINE_BYTES:
            return "".join(out)
        out.append(ch)


def hostile_lines() -> dict[str, str]:
    return {
        "one letter": "a" * (LINE_BYTES - 1) + "b",
        "x then nothing": "x" * LINE_BYTES,
        "a and b": _line(["a", "b"], 1),
        "a and é": _line(["a", "é"], 2),
        "words": _line(["w", "o", "r", "d", " ", "1"], 3),
        "every width": _line(["a", "é", "漢", "😀", " ", "1", "|"], 4),
        "digits": "7" * (LINE_BYTES - 1) + "!",
        "spaces": " " * LINE_BYTES,
    }


def slowest_rule(repeat: int = 1) -> dict[str, Any]:
    patterns = TRAPS + [_largest(t) for t in AT_THE_CAP]
    compiled = [compile_linear(p) for p in patterns]
    lines = hostile_lines()
    times: list[tuple[float, float, str, str]] = []  # (CPU s, wall s, pattern, line)
    for regex in compiled:
        for name, line in lines.items():
            cpu, wall = [], []
            for _ in range(repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                regex.search(line)
                cpu.append(time.process_time() - started_cpu)
                wall.append(time.perf_counter() - started)
            times.append((statistics.median(cpu), statistics.median(wall), regex.pattern, name))
    seconds, wall_seconds, pattern, line = max(times)
    return {
        "patterns": len(patterns),
        "lines": len(lines),
        "line_bytes": LINE_BYTES,
        "max_steps": MAX_STEPS,
        "repeat": repeat,
        "slowest_cpu_seconds": round(seconds, 4),
        "slowest_wall_seconds": round(wall_seconds, 4),
        "slowest_pattern": pattern,
        "slowest_line": line,
        "slowest_trap_cpu_seconds": round(max(t[0] for t in times if t[2] in TRAPS), 4),
        "median_cpu_seconds": round(statistics.median(t[0] for t in times), 6),
    }


def main() -> int:
    return record("rules", slowest_rule(repeat=3))


if __name__ == "__main__":
    sys.exit(main())
