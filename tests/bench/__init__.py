"""Benchmarks, run by `make bench` (`python -m tests.bench [NAME ...]`), never by pytest.

Each benchmark is one module in this package holding a function decorated with `@benchmark(name)`
that returns its figures as a JSON-able dict. `python -m tests.bench` imports every module here,
runs the chosen benchmarks (all by default) against a scratch SQLite database and key ring, and
writes each result, with the machine and the date, to var/bench/<name>.json, so runs on different
days and machines can be compared.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

Figures = dict[str, Any]
Benchmark = Callable[[], Figures]

REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register a benchmark under `name`, which also names its result file."""

    def register(function: Benchmark) -> Benchmark:
        if name in REGISTRY:
            raise ValueError(f"Two benchmarks are called {name!r}.")
        REGISTRY[name] = function
        return function

    return register


def best_seconds(work: Callable[[], object], repeats: int = 5) -> float:
    """The fastest of several timed runs: the one least disturbed by the rest of the machine."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def machine() -> dict[str, Any]:
    """What the figures depend on, so that results from different machines are not confused."""
    from cryptography.hazmat.backends.openssl.backend import backend

    return {
        "platform": platform.platform(),
        "processor": _processor_name(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": version("Django"),
        "cryptography": version("cryptography"),
        "openssl": backend.openssl_version_text(),
        "sqlite": sqlite3.sqlite_version,
        "commit": _commit(),
        "python_work_seconds": round(best_seconds(python_work, repeats=3), 3),
    }


def python_work() -> int:
    """A fixed piece of plain Python (dicts, strings, small objects: what an import does most),
    timed with every result as `python_work_seconds`. Machines of the same description ran the
    import three times faster on one than on another; this figure tells them apart."""
    total = 0
    for number in range(300_000):
        row = {"id": str(number), "title": f"Event {number}", "kind": "threat"}
        total += len(row["title"].casefold()) + len([key for key in row if key != "kind"])
    return total


def _processor_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def write_result(name: str, figures: Figures, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    document = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": figures,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
