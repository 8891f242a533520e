"""A production install (`pip install .`, no dev extra) can import every module Amparo ships.

The suite runs with the dev extra installed, so an import of a test or type-checking package from
application code passes every other test and fails only in production. Here every module under
amparo/ and config/ is imported in a fresh interpreter in which every installed distribution that
the `amparo` distribution does not require (directly or through its dependencies) cannot be
imported. `.ci/run` proves the same with a real install in a clean virtualenv (stage production).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]

# Tools that manage an environment rather than run in it.
INSTALLERS = {"pip", "setuptools", "wheel"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions() -> set[str]:
    """`amparo` and everything its main dependencies pull in, without any extra."""
    needed, todo = set(), ["amparo"]
    while todo:
        name = canonical(todo.pop())
        if name in needed:
            continue
        needed.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return needed


def dev_only_modules() -> list[str]:
    """Top-level import names that only distributions outside the runtime closure provide."""
    runtime = runtime_distributions() | INSTALLERS
    providers = importlib.metadata.packages_distributions()
    return sorted(
        module
        for module, distributions in providers.items()
        if not {canonical(d) for d in distributions} & runtime
    )


IMPORT_EVERYTHING = r"""
import importlib, importlib.abc, json, pkgutil, sys

hidden = set(json.loads(sys.argv[1]))


class HideDevPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in hidden:
            raise ModuleNotFoundError(f"{name} is only installed with the dev extra", name=name)
        return None


sys.meta_path.insert(0, HideDevPackages())
import django

django.setup()
import amparo, config

failures = []
for package in (amparo, config):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name == "config.test_settings":  # the test suite's settings, not shipped code
            continue
        try:
            importlib.import_module(module.name)
        except Exception as error:
            failures.append(f"{module.name}: {type(error).__name__}: {error}")
print("\n".join(failures))
sys.exit(1 if failures else 0)
"""


def test_every_module_imports_without_the_dev_extra(tmp_path: Path) -> None:
    hidden = dev_only_modules()
    assert {"pytest", "hypothesis", "factory", "mypy"} <= set(hidden)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "DJANGO_"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        AMPARO_TESTING="1",
        AMPARO_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING, json.dumps(hidden)],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_documented_production_settings_pass_the_deployment_checks(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "DJANGO_"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        AMPARO_SECRET_KEY="k" * 20 + "-production-secret-key-of-fifty-chars",
        AMPARO_KEY_FILE=str(tmp_path / "keyring.json"),
        AMPARO_ALLOWED_HOSTS="amparo.example.org",
        AMPARO_DATABASE_URL=f"sqlite:///{tmp_path / 'amparo.sqlite3'}",
        AMPARO_EMAIL_URL="smtp://amparo:secret@mail.example.org:587?tls=1",
        AMPARO_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # HSTS preloading (the domain owner's decision) and two axes checks (see settings).
    assert "no issues (3 silenced)" in result.stdout
