"""Plain-words output for the demo: steps, facts, and a progress line for long waits."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

_step = 0


def step(title: str) -> None:
    global _step
    _step += 1
    print(f"\n{_step}. {title}")


def say(text: str) -> None:
    print(f"   {text}")


def bar(done: int, total: int, width: int = 24) -> str:
    filled = int(width * done / total) if total else width
    return "#" * filled + "-" * (width - filled)


def wait_for(
    describe: Callable[[], tuple[bool, str]], timeout: float = 180.0, every: float = 0.5
) -> bool:
    """Poll until `describe()` says done, redrawing one progress line meanwhile."""
    deadline = time.monotonic() + timeout
    interactive = sys.stdout.isatty()
    last = ""
    while True:
        done, line = describe()
        if line != last:
            if interactive:
                sys.stdout.write("\r   " + line.ljust(76))
                sys.stdout.flush()
            else:
                print("   " + line)
            last = line
        if done or time.monotonic() > deadline:
            if interactive:
                sys.stdout.write("\n")
            return done
        time.sleep(every)


def table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    say("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        say("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))
