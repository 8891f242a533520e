"""The layout's rules fail the build: the import contracts (pyproject.toml, run by lint-imports)
and the checks of tests/architecture.py, on the tree and on fixture trees that break each rule."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.architecture import Finding, clock_reads_at_import, model_writes, template_decisions

REPOSITORY = Path(__file__).resolve().parents[1]
AMPARO = REPOSITORY / "amparo"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Decisions a template may keep, each with why it is not a rule access should own.
ALLOWED_IN_TEMPLATES = {
    # Which sentence the reporter reads for each state of their report: wording, not a rule.
    ("intake/templates/intake/follow_up_status.html", "submission.status"),
}


def _allowed(finding: Finding) -> bool:
    return any(finding.path == path and text in finding.text for path, text in ALLOWED_IN_TEMPLATES)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# --- the tree -------------------------------------------------------------------------------


def test_views_api_handlers_and_commands_write_no_model() -> None:
    findings = model_writes(AMPARO)
    assert not findings, "\n".join(map(str, findings))


def test_templates_decide_no_permission_or_workflow_rule() -> None:
    findings = [f for f in template_decisions(AMPARO) if not _allowed(f)]
    assert not findings, "\n".join(map(str, findings))


def test_every_allowed_template_decision_is_still_there() -> None:
    # An allowance that no longer matches anything is dead: remove it.
    found = template_decisions(AMPARO)
    for path, text in ALLOWED_IN_TEMPLATES:
        assert any(f.path == path and text in f.text for f in found), (path, text)


def test_no_module_reads_the_clock_when_it_is_imported() -> None:
    # Both trees: a test's `TODAY` read at import broke a run that passed midnight.
    findings = clock_reads_at_import(AMPARO) + clock_reads_at_import(REPOSITORY / "tests")
    assert not findings, "\n".join(map(str, findings))


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(REPOSITORY)
    assert result.returncode == 0, result.stdout + result.stderr


# --- fixture trees that break each rule -------------------------------------------------------


def test_the_write_check_reports_writes_at_every_edge_and_nowhere_else(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "app/views.py": "def page(request):\n    Event.objects.create(title='x')\n",
            "app/api.py": "def put(request, event):\n    event.save()\n",
            "app/exchange_views.py": "def up(r):\n    Event.objects.filter(pk=1).update(a=1)\n",
            "app/management/commands/purge.py": "def handle():\n    Person.objects.all().delete()",
            "app/staff/views.py": "def page(request):\n    Event.objects.bulk_create([])\n",
            # Not writes, or not at an edge:
            "app/services.py": "def write(event):\n    event.save()\n",
            "app/forms.py": "def keep(form):\n    form.save()\n",
            "app/other_views.py": "def page(request, context):\n    context.update(a=1)\n",
        },
    )
    found = {(f.path, f.text) for f in model_writes(root)}
    assert found == {
        ("app/views.py", "Event.objects.create"),
        ("app/api.py", "event.save"),
        ("app/exchange_views.py", "Event.objects.filter(pk=1).update"),
        ("app/management/commands/purge.py", "Person.objects.all().delete"),
        ("app/staff/views.py", "Event.objects.bulk_create"),
    }


@pytest.mark.parametrize(
    "condition,rule",
    [
        ("user.is_superuser", "permission decided in a template"),
        ("request.user.is_staff and page", "permission decided in a template"),
        ('event.status == "draft"', "workflow state decided in a template"),
        ('"closed" != event.status', "workflow state decided in a template"),
        ("event.submitted_by_id == user.pk", "who may act decided in a template"),
        ("grant.user_id != request.user.pk", "who may act decided in a template"),
    ],
)
def test_the_template_check_reports_each_kind_of_decision(
    tmp_path: Path, condition: str, rule: str
) -> None:
    root = _write(
        tmp_path,
        {"app/templates/app/page.html": f"<p>\n{{% if {condition} %}}<button>{{% endif %}}\n"},
    )
    assert [(f.line, f.rule) for f in template_decisions(root)] == [(2, rule)]


def test_the_template_check_lets_a_template_ask_what_access_answered(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "app/templates/app/page.html": (
                '{% if "verify" in actions %}<button>{% endif %}'
                "{% if version.number == event.version %}current{% endif %}"
                "{% for notice in notices %}{{ notice }}{% endfor %}"
            )
        },
    )
    assert template_decisions(root) == []


def test_the_clock_check_reports_every_read_that_runs_at_import(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "app/constants.py": (
                "import datetime\n"
                "from django.utils import timezone\n"
                "TODAY = timezone.localdate()\n"
                "STAMP: str = datetime.date.today().isoformat()\n"
                "class Window:\n"
                "    START = timezone.now()\n"
                "def since(day=datetime.datetime.utcnow()):\n"
                "    return day\n"
                "def after(*, day=localdate()):\n"
                "    return day\n"
            ),
            # Read when called, not when imported:
            "app/services.py": (
                "from django.utils import timezone\n"
                "def today():\n"
                "    return timezone.localdate()\n"
                "NEXT = lambda: timezone.now()\n"
            ),
        },
    )
    found = [(f.path, f.line) for f in clock_reads_at_import(root)]
    assert sorted(found) == [("app/constants.py", line) for line in (3, 4, 6, 7, 9)]


def test_the_clock_check_sees_decorators_and_constants_under_a_condition(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "app/cached.py": (
                "from django.utils import timezone\n"
                "@cache(until=timezone.now())\n"
                "def page():\n"
                "    return 1\n"
                "if DEBUG:\n"
                "    START = timezone.now()\n"
                "try:\n"
                "    import zoneinfo\n"
                "except ImportError:\n"
                "    DAY = timezone.localdate()\n"
                "def later():\n"
                "    if DEBUG:\n"
                "        return timezone.now()\n"
            ),
        },
    )
    found = [(f.path, f.line) for f in clock_reads_at_import(root)]
    assert sorted(found) == [("app/cached.py", line) for line in (2, 6, 10)]


BROKEN_TREE = {
    "amparo/__init__.py": "",
    "amparo/core/__init__.py": "",
    "amparo/core/demo_command.py": "import amparo.cases.demo_world\n",
    "amparo/cases/__init__.py": "",
    "amparo/cases/demo_world.py": "",
    "amparo/cases/views.py": "from amparo.intake import access\n",
    "amparo/cases/api.py": "from amparo.api import auth\n",
    "amparo/intake/__init__.py": "",
    "amparo/intake/access.py": "from amparo.cases import views\n",
    "amparo/intake/scorecard.py": "from amparo.network import signals\n",
    "amparo/network/__init__.py": "",
    "amparo/network/signals.py": "",
    "amparo/stats/public.py": "import amparo.portal\n",
    "amparo/api/__init__.py": "",
    "amparo/api/auth.py": "",
    "amparo/demo/__init__.py": "from amparo import cases\n",
    "amparo/analysis/__init__.py": "",
    "amparo/analysis/facts.py": "import django.db\nfrom amparo.demo import world\n",
}


def test_the_import_contracts_fail_on_a_tree_that_breaks_each_of_them(tmp_path: Path) -> None:
    # Every app the contracts name exists in the tree, so that only the breaks fail them.
    apps = set(re.findall(r'"(amparo\.[a-z_]+)"', (REPOSITORY / "pyproject.toml").read_text()))
    packages = {f"{app.replace('.', '/')}/__init__.py": "" for app in apps}
    root = _write(tmp_path, {**packages, **BROKEN_TREE})
    (root / "pyproject.toml").write_text(_contracts_only())
    result = _lint_imports(root)
    assert result.returncode == 1, result.stdout + result.stderr
    names = [c["name"] for c in _contracts()]
    for name in names:
        assert f"{name} BROKEN" in result.stdout, (name, result.stdout)


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _contracts_only() -> str:
    """The repository's import-linter section, as it is, for the fixture tree."""
    text = (REPOSITORY / "pyproject.toml").read_text()
    start = text.index("[tool.importlinter]")
    end = text.index("\n[", text.rindex("[[tool.importlinter.contracts]]"))
    return text[start:end] + "\n"
