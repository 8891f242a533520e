"""Fixtures for the statistics tests: the shipped vocabularies (as the cases tests load them),
a small world recorded through the case services, and the facts kept in memory forgotten
between tests (each test's database is its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from amparo.stats.services import snapshot
from tests.cases.conftest import _module_vocabularies, documentalist, nhri, term, vocab

__all__ = ["_module_vocabularies", "documentalist", "nhri", "term", "vocab"]


@pytest.fixture(autouse=True)
def _fresh_snapshot() -> Iterator[None]:
    snapshot.forget()
    yield
    snapshot.forget()
