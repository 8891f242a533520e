"""The architecture rules the import contracts cannot see, checked on the code's text.

* No model write at the edges: views, API handlers and management commands parse input, call a
  service and render; a `.save()`, `.delete()`, `.objects.create()`, a queryset's `.update()`,
  `bulk_create`… there is a write outside the services.
* No permission or workflow decision in templates: a template asks what access answered
  (`{% if "verify" in actions %}`); `is_superuser`, a comparison of a status or of user ids in
  an `{% if %}` re-derives a rule that access owns.

`tests/test_architecture.py` runs both on the tree (and on broken fixture trees, to show they
catch what they should); `make check` runs it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.text}"


# --- Model writes at the edges ------------------------------------------------------------------

# Always writes, whatever they are called on.
WRITES = frozenset(
    {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
)
# Writes when called on a manager or a queryset (a dict has an `update` too).
QUERYSET_WRITES = frozenset({"create", "update"})
QUERYSET_MARKS = frozenset(
    {"objects", "filter", "exclude", "all", "select_for_update", "_default_manager"}
)


def is_edge(path: Path) -> bool:
    """Views, API handlers and management commands: the modules that must only call services."""
    return (
        path.name in ("views.py", "api.py")
        or path.name.endswith("_views.py")
        or "views" in path.parent.parts[-1:]
        or path.parent.parts[-2:] == ("management", "commands")
    )


def _chain(node: ast.expr) -> Iterator[str]:
    """The names along an attribute/call chain: `Event.objects.filter(x).update` gives
    update, filter, objects, Event."""
    while True:
        if isinstance(node, ast.Attribute):
            yield node.attr
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            yield node.id
            return
        else:
            return


def model_writes(root: Path) -> list[Finding]:
    """Every model write in an edge module under `root`."""
    findings = []
    for path in sorted(root.rglob("*.py")):
        if not is_edge(path.relative_to(root)) or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            receiver = set(_chain(node.func.value))
            if method in WRITES or (method in QUERYSET_WRITES and receiver & QUERYSET_MARKS):
                findings.append(
                    Finding(
                        str(path.relative_to(root)),
                        node.lineno,
                        "model write outside a service",
                        ast.unparse(node.func),
                    )
                )
    return findings


# --- Decisions in templates ---------------------------------------------------------------------

CONDITION = re.compile(r"{%-?\s*(?:if|elif)\s+(?P<condition>.*?)\s*-?%}", re.DOTALL)
COMPARED = r"\s*(?:==|!=|\bin\b|\bnot in\b)"
DECISIONS = (
    (re.compile(r"\bis_superuser\b|\bis_staff\b"), "permission decided in a template"),
    (
        re.compile(rf"\bstatus\b{COMPARED}|(?:==|!=)\s*[\w.]*\bstatus\b"),
        "workflow state decided in a template",
    ),
    (
        re.compile(
            rf"(?:\buser\.(?:pk|id)\b|\b\w+_by_id\b|\buser_id\b|\brequest\.user\b){COMPARED}"
            r"|(?:==|!=)\s*(?:user\.(?:pk|id)\b|request\.user\b|\w+_by_id\b|user_id\b)"
        ),
        "who may act decided in a template",
    ),
)


def template_decisions(root: Path) -> list[Finding]:
    """Every `{% if %}` under `root`'s templates that decides what access should decide."""
    findings = []
    for path in sorted(root.rglob("*.html")):
        if "templates" not in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for match in CONDITION.finditer(text):
            condition = match.group("condition")
            for pattern, rule in DECISIONS:
                if pattern.search(condition):
                    line = text.count("\n", 0, match.start()) + 1
                    findings.append(Finding(str(path.relative_to(root)), line, rule, condition))
    return findings


# --- Clock read at import ---------------------------------------------------------------------

# What reads the clock: `timezone.now()`, `localdate()`, `date.today()`, `datetime.utcnow()`…
CLOCK_READS = frozenset({"now", "today", "localdate", "localtime", "utcnow"})


def _clock_reads(node: ast.AST) -> Iterator[ast.Call]:
    """The clock reads in `node`, except in the lambdas it defines: they read when called."""
    if isinstance(node, ast.Lambda):
        return
    if isinstance(node, ast.Call) and next(_chain(node.func), None) in CLOCK_READS:
        yield node
    for child in ast.iter_child_nodes(node):
        yield from _clock_reads(child)


def _evaluated_at_import(tree: ast.Module) -> Iterator[ast.AST]:
    """What runs when the module is imported: the module's and classes' statements other than
    function bodies, and every function's default arguments and decorators."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from node.args.defaults
            yield from (default for default in node.args.kw_defaults if default is not None)
            yield from node.decorator_list
        elif isinstance(node, ast.ClassDef):
            yield from node.decorator_list
            pending.extend(node.body)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            pending.extend(ast.iter_child_nodes(node))
        else:
            yield node


def clock_reads_at_import(root: Path) -> list[Finding]:
    """Every clock read that runs when a module under `root` is imported."""
    findings = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _evaluated_at_import(tree):
            for call in _clock_reads(node):
                findings.append(
                    Finding(
                        str(path.relative_to(root)),
                        call.lineno,
                        "clock read at import",
                        ast.unparse(call),
                    )
                )
    return findings
