"""The demo tests need the shipped vocabularies, as the cases tests do."""

from tests.cases.conftest import _module_vocabularies, vocab

__all__ = ["_module_vocabularies", "vocab"]
