"""`python -m tests.bench [NAME ...]`: run benchmarks and write var/bench/<name>.json."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import shutil
import sys
import tempfile
from pathlib import Path

import tests.bench
from tests.bench import REGISTRY, write_result

REPOSITORY = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    results_dir = Path(os.environ.get("AMPARO_VAR_DIR", REPOSITORY / "var")) / "bench"
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--output-dir", type=Path, default=results_dir)
    options = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="amparo-bench-"))
    try:
        _configure_django(scratch)
        for module in pkgutil.iter_modules(tests.bench.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"tests.bench.{module.name}")
        unknown = sorted(set(options.names) - set(REGISTRY))
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
        for name in options.names or sorted(REGISTRY):
            print(f"== {name}", flush=True)
            figures = REGISTRY[name]()
            path = write_result(name, figures, options.output_dir)
            print(json.dumps(figures, indent=2))
            print(f"-> {path}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _configure_django(scratch: Path) -> None:
    """A scratch var directory: its own SQLite database (or AMPARO_BENCH_DATABASE_URL) and
    throw-away key ring (test settings)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"
    # Benchmarks that start a server of their own (intake) may use the database asked for.
    os.environ.setdefault("AMPARO_BENCH_DATABASE_URL", os.environ.get("AMPARO_DATABASE_URL", ""))
    os.environ["AMPARO_VAR_DIR"] = str(scratch)
    # A scratch PostgreSQL database may be named instead; its contents are replaced.
    os.environ["AMPARO_DATABASE_URL"] = (
        os.environ["AMPARO_BENCH_DATABASE_URL"] or f"sqlite:///{scratch / 'bench.sqlite3'}"
    )
    os.environ.pop("AMPARO_TEST_DATABASE_URL", None)  # it would replace the scratch database
    import django

    django.setup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
