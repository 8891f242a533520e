"""The audit log's actions are one registry: the log refuses any other name, and no code builds
one at run time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from amparo.core import audit
from amparo.core.audit_actions import AuditAction, label

pytestmark = pytest.mark.django_db

AMPARO = Path(__file__).resolve().parents[2] / "amparo"


def _action_arguments() -> list[tuple[str, int, ast.expr, set[str]]]:
    """Every action argument of an `audit.record(...)` or `audit.Record(...)` in the code: (file,
    line, node, the names the enclosing function annotates `AuditAction`)."""
    found = []
    for path in sorted(AMPARO.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            typed = {
                argument.arg
                for argument in (*function.args.args, *function.args.kwonlyargs)
                if argument.annotation is not None
                and ast.unparse(argument.annotation) == "AuditAction"
            } | {
                node.target.id
                for node in ast.walk(function)
                if isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and ast.unparse(node.annotation) == "AuditAction"
            }
            for node in ast.walk(function):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("record", "Record")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"
                ):
                    continue
                keyword = next((k.value for k in node.keywords if k.arg == "action"), None)
                argument = keyword or (node.args[1] if len(node.args) > 1 else None)
                assert argument is not None, f"{path}:{node.lineno}: no action"
                where = str(path.relative_to(AMPARO.parent))
                found.append((where, node.lineno, argument, typed))
    return found


def test_the_log_refuses_an_action_that_is_not_registered() -> None:
    with pytest.raises(ValueError, match="not an audit action"):
        audit.record(None, "event.deleted_by_mistake")


def test_the_log_stores_a_registered_action_by_its_name() -> None:
    entry = audit.record(None, AuditAction.VOCABULARY_LOAD)
    entry.refresh_from_db()
    assert entry.action == "vocabulary.load"
    assert audit.verify().ok


def test_every_action_the_code_records_is_a_registered_name_or_member() -> None:
    problems = []
    for where, line, node, typed in _action_arguments():
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value not in AuditAction.values:
                problems.append(f"{where}:{line}: {node.value!r} is not registered")
        elif isinstance(node, ast.Name) and node.id in typed:
            continue  # typed AuditAction: what it is given is checked by mypy
        elif not (isinstance(node, ast.Attribute) and ast.unparse(node).startswith("AuditAction.")):
            problems.append(f"{where}:{line}: the action {ast.unparse(node)} is built at run time")
    assert not problems, "\n".join(problems)


def test_the_code_records_actions_at_all() -> None:
    # The walk above would pass on an empty list.
    assert len(_action_arguments()) > 30


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_every_action_has_a_translated_label(language: str) -> None:
    with translation.override("en"):
        english = {action.value: label(action.value) for action in AuditAction}
    with translation.override(language):
        untranslated = [name for name, text in english.items() if label(name) == text]
    assert not untranslated


def test_an_action_recorded_by_an_older_version_reads_as_its_name() -> None:
    assert label("event.something_retired") == "event.something_retired"


def test_entries_appended_together_keep_their_order_and_the_chain() -> None:
    first = audit.record(None, AuditAction.VOCABULARY_LOAD)
    entries = audit.record_many(
        [audit.Record(None, AuditAction.KEYS_ROTATE), audit.Record(None, AuditAction.AUDIT_EXPORT)]
    )
    assert [e.previous_hash for e in entries] == [first.entry_hash, entries[0].entry_hash]
    assert [e.action for e in entries] == ["keys.rotate", "audit.export"]
    assert audit.verify().ok


def test_a_batch_with_one_unregistered_action_records_nothing() -> None:
    with pytest.raises(ValueError, match="not an audit action"):
        audit.record_many(
            [audit.Record(None, AuditAction.KEYS_ROTATE), audit.Record(None, "keys.lost")]
        )
    assert not audit.AuditEntry.objects.exists()
