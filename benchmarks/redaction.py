"""What redaction costs on hostile text (target: under a second for 100 kB).

    python -m benchmarks.redaction     these figures alone, written into benchmarks/results.json

Every text Baton writes passes the redactor: gitleaks' rule set (RE2), Baton's own shapes, the
configured values, each over the text and its decoded views. The texts here are 100 kB built
against it: token prefixes repeated without end, a keyword every few characters (so the generic
rule matches thousands of times), escapes and invisible characters everywhere (so every view is
made), and ordinary prose. The figure is the worst CPU time of one redaction of one text.
"""

from __future__ import annotations

import base64
import random
import statistics
import sys
import time
from typing import Any

from benchmarks.record import record
from bot.redact import Redactor
from bot.secret_names import SECRET_VARIABLES

TEXT_CHARS = 100_000


def _fill(unit: str) -> str:
    return (unit * (TEXT_CHARS // len(unit) + 1))[:TEXT_CHARS]


def hostile_texts() -> dict[str, str]:
    made = random.Random(16)  # noqa: S311 -- the same texts on every run
    prose = " ".join(
        "".join(made.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(made.randint(2, 9)))
        for _ in range(TEXT_CHARS // 6)
    )
    return {
        "xoxb- repeated": _fill("xoxb-"),
        "eyJ repeated": _fill("eyJ"),
        "private key headers": _fill("-----BEGIN PRIVATE KEY-----"),
        "ghp_ and one long run": "ghp_" + "a" * TEXT_CHARS,
        "a keyword every 20 characters": _fill("token: abc123def456 "),
        "a keyword on every line": _fill("api_key = 9f8e7d6c5b4a\n"),
        "percent escapes": _fill("x%41+"),
        "JSON escapes": _fill('\\"\\\\u0041\\/'),
        "invisible characters": _fill("a\u200b\u00ad"),
        # One run of base64 that decodes to text full of keywords: the whole run is a view.
        "base64 of keywords": base64.b64encode(_fill("token: ghp_ xoxb- eyJ ").encode()).decode()[
            :TEXT_CHARS
        ],
        "prose": prose[:TEXT_CHARS],
    }


def slowest_redaction(repeat: int = 1) -> dict[str, Any]:
    redact = Redactor(f"{name.lower()}-value-0123456789" for name in SECRET_VARIABLES)
    redact("warm up: load and compile the rule set")
    times = []
    for name, text in hostile_texts().items():
        cpu = wall = float("inf")
        for _ in range(repeat):
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            redact(text)
            cpu = min(cpu, time.process_time() - started_cpu)
            wall = min(wall, time.perf_counter() - started_wall)
        times.append((cpu, wall, name))
    worst = max(times)
    return {
        "texts": len(times),
        "text_chars": TEXT_CHARS,
        "repeat": repeat,
        "slowest_cpu_seconds": round(worst[0], 4),
        "slowest_wall_seconds": round(worst[1], 4),
        "slowest_text": worst[2],
        "median_cpu_seconds": round(statistics.median(t[0] for t in times), 4),
    }


def main() -> int:
    return record("redaction", slowest_redaction(repeat=3))


if __name__ == "__main__":
    sys.exit(main())
