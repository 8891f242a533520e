"""The response tests use the early-warning world (tests/warning/conftest.py)."""

from tests.warning.conftest import _module_vocabularies, escalating, vocab, world

__all__ = ["_module_vocabularies", "escalating", "vocab", "world"]
