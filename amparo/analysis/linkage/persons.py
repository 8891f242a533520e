"""Candidate duplicate persons across sources: a Fellegi-Sunter model trained and run by Splink on
an in-memory DuckDB database (see `memory`).

The model compares two records on seven things (COMPARISONS): name, birth (year or age group),
event dates, place, type of defender, sex and type of act. Each comparison has levels, from the
strongest agreement to plain disagreement; each level's weight is learnt from the records
themselves, without labels:

- u (how often a level happens between two different people) from random pairs of records;
- m (how often it happens between two records of one person) by expectation maximisation over
  pairs that share a name, then over pairs that share a first event date;
- the prior probability that two records match from pairs that agree on name and birth or date.

Only pairs the blocking rules let through are scored: same country, and a shared name key (family
name key, given name key and year, initials and month, or the whole sorted skeleton). Two records
without a country, or with different countries, are never paired.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.internals.exceptions import EMTrainingException

from amparo.analysis.linkage.memory import in_memory_duckdb
from amparo.analysis.linkage.records import checked_persons, linkage_features

SEED = 1729
# The closest of the two records' spellings (full name, other names), Jaro-Winkler on sorted
# words. Most records have one spelling: then no list is built for the pair (lambdas are slow).
BEST_NAME_SIMILARITY = (
    "CASE WHEN len(name_variants_l) = 1 AND len(name_variants_r) = 1 "
    "THEN jaro_winkler_similarity(name_sorted_l, name_sorted_r) "
    "ELSE list_max(list_transform(name_variants_l, lambda a: list_max(list_transform("
    "name_variants_r, lambda b: jaro_winkler_similarity(a, b))))) END"
)
DAYS_APART = (
    "list_min(list_transform(event_dates_l, lambda a: list_min(list_transform("
    "event_dates_r, lambda b: abs(date_diff('day', a, b))))))"
)
# A date typed with one slip: one digit wrong (2023-05-12 / 2023-05-13 is "within a month"
# already, 2023-05-12 / 2028-05-12 is not) or digits swapped (2023-05-12 / 2023-05-21, the same
# digits in another order). DuckDB's edit distances are too slow for every sampled pair.
DATES_TYPED_ALIKE = (
    "list_min(list_transform(event_date_texts_l, lambda a: list_min(list_transform("
    "event_date_texts_r, lambda b: hamming(a, b))))) <= 1 "
    "OR list_has_any(event_date_digits_l, event_date_digits_r)"
)


@dataclass(frozen=True)
class Level:
    code: str  # what a reviewer is shown (translated by the caller), stable across versions
    sql: str
    term_frequency_column: str | None = None


@dataclass(frozen=True)
class Comparison:
    name: str
    missing: str  # SQL: true when either record lacks what this comparison reads
    levels: tuple[Level, ...]  # strongest agreement first; "different" (everything else) follows


def _overlap(column: str) -> str:
    return f"list_has_any({column}_l, {column}_r)"


def _missing_list(column: str) -> str:
    return f"coalesce(len({column}_l), 0) = 0 OR coalesce(len({column}_r), 0) = 0"


COMPARISONS = (
    Comparison(
        "name",
        "name_sorted_l IS NULL OR name_sorted_r IS NULL",
        (
            Level("exact", "name_sorted_l = name_sorted_r", "name_sorted"),
            Level("other_name", _overlap("name_variants")),
            Level("transliteration", _overlap("name_skeletons")),
            Level(
                "contained",
                "len(name_tokens_l) >= 2 AND len(name_tokens_r) >= 2 AND ("
                "list_has_all(name_tokens_l, name_tokens_r) "
                "OR list_has_all(name_tokens_r, name_tokens_l))",
            ),
            Level("very_similar", f"{BEST_NAME_SIMILARITY} >= 0.92"),
            Level("similar", f"{BEST_NAME_SIMILARITY} >= 0.8"),
            Level("shares_a_word", _overlap("name_tokens")),
        ),
    ),
    Comparison(
        "birth",
        "(birth_year_l IS NULL OR birth_year_r IS NULL) "
        "AND (age_group_l IS NULL OR age_group_r IS NULL)",
        (
            Level("same_year", "birth_year_l = birth_year_r"),
            Level("within_2_years", "abs(birth_year_l - birth_year_r) <= 2"),
            Level(
                "same_age_group",
                "(birth_year_l IS NULL OR birth_year_r IS NULL) AND age_group_l = age_group_r",
            ),
        ),
    ),
    Comparison(
        "dates",
        _missing_list("event_dates"),
        (
            Level("same_day", _overlap("event_dates")),
            Level("within_a_month", f"{DAYS_APART} <= 31"),
            Level("typed_alike", DATES_TYPED_ALIKE),
            Level("within_a_year", f"{DAYS_APART} <= 366"),
        ),
    ),
    Comparison(
        "place",
        "(region_l IS NULL AND locality_l IS NULL) OR (region_r IS NULL AND locality_r IS NULL)",
        (
            Level("same_locality", "locality_l = locality_r", "locality"),
            Level("similar_locality", "jaro_winkler_similarity(locality_l, locality_r) >= 0.9"),
            Level("same_region", "region_l = region_r"),
        ),
    ),
    Comparison(
        "defender_type",
        _missing_list("defender_types"),
        (Level("shared", _overlap("defender_types")),),
    ),
    Comparison("sex", "sex_l IS NULL OR sex_r IS NULL", (Level("same", "sex_l = sex_r"),)),
    Comparison("act_type", _missing_list("act_types"), (Level("shared", _overlap("act_types")),)),
)
DIFFERENT = "different"
MISSING = "missing"

PREDICTION_BLOCKING = (
    "l.country = r.country AND l.key_last = r.key_last",
    "l.country = r.country AND l.key_first = r.key_first AND l.event_year = r.event_year",
    "l.country = r.country AND l.key_initials = r.key_initials "
    "AND abs(l.event_month - r.event_month) <= 1",
    "l.country = r.country AND l.key_skeleton = r.key_skeleton",
    "l.country = r.country AND l.event_first = r.event_first",
)
# Pairs almost surely of one person, to estimate how likely two random records match.
DETERMINISTIC_RULES = (
    "l.country = r.country AND l.name_sorted = r.name_sorted AND l.birth_year = r.birth_year",
    "l.country = r.country AND l.name_sorted = r.name_sorted AND l.event_first = r.event_first",
)
DETERMINISTIC_RECALL = 0.7
# Each EM session fixes what it blocks on and learns the m values of everything else.
TRAINING_BLOCKING = (
    "l.country = r.country AND l.name_sorted = r.name_sorted",
    "l.country = r.country AND l.event_first = r.event_first",
)
PRIOR_MATCH_PROBABILITY = 1e-4


@dataclass(frozen=True)
class PersonLinkage:
    """What `link_persons` found.

    pairs: one row per candidate pair (left_id < right_id), most likely first: match_weight
      (log2 odds), match_probability, each side's source and organisation, and per comparison
      `<name>_level` (a level code of COMPARISONS, "different" or "missing") and `<name>_weight`
      (the log2 Bayes factor it added: > 0 for a match, < 0 against, 0 when missing).
    clusters: record_id, cluster_id: records joined by pairs at or above the cluster threshold
      (the cluster id is the cluster's smallest record id; a record alone is its own cluster).
    model: Splink's trained settings (m and u of every level, the prior match probability):
      weights only, no record values, for the methodology and for a reviewer's questions.
    """

    pairs: pa.Table
    clusters: pa.Table
    model: dict[str, Any]  # Splink's trained settings: m and u of every level, the prior

    @property
    def probability_two_random_records_match(self) -> float:
        return float(self.model["probability_two_random_records_match"])


def link_persons(
    records: Any,
    *,
    pair_threshold: float = 0.1,
    cluster_threshold: float = 0.5,
    across_sources_only: bool = False,
    seed: int = SEED,
    max_pairs_for_u: int = 1_000_000,
    memory_limit: str | None = None,
) -> PersonLinkage:
    """Candidate duplicates among person records (see `records.PERSON_COLUMNS`); with
    `across_sources_only`, only pairs of records from different sources.

    Deterministic: the same records and seed give the same pairs, and weights equal to 12
    significant digits (DuckDB adds up the training's totals in parallel, in no fixed order).
    """
    features = linkage_features(checked_persons(records))
    connection = in_memory_duckdb(memory_limit=memory_limit)
    try:
        connection.register("persons", features)
        settings = _settings(_prior(connection, features.num_rows), across_sources_only)
        persons = DuckDBAPI(connection=connection).register(features)
        # Splink's messages are about the model, but nothing of it may end up in a log file.
        linker = Linker(persons, settings, log_level=logging.ERROR)
        _train(linker, connection, seed, max_pairs_for_u)
        predictions = linker.inference.predict(threshold_match_probability=pair_threshold)
        scored = predictions.as_record_list()
        # Without a path Splink writes nothing: it returns the model (weights, no values).
        model = linker.misc.save_model_to_json()
        model.pop("linker_uid", None)  # a random name Splink gives each run
    finally:
        connection.close()
    pairs = _pairs(scored, features)
    return PersonLinkage(
        pairs=pairs,
        clusters=clusters_at(pairs, features.column("unique_id").to_pylist(), cluster_threshold),
        model=model,
    )


def _prior(connection: duckdb.DuckDBPyConnection, records: int) -> float:
    """How likely two records picked at random are one person: the pairs DETERMINISTIC_RULES
    call sure, over their recall, over all pairs (as Splink's estimate, but kept above 0 when
    there are too few records for a sure pair)."""
    # The SQL is made of this module's constants only, never of record values.
    sure_pairs = " UNION ".join(
        "SELECT l.unique_id, r.unique_id FROM persons AS l JOIN persons AS r "  # noqa: S608
        f"ON l.unique_id < r.unique_id AND {rule}"
        for rule in DETERMINISTIC_RULES
    )
    found = connection.sql(f"SELECT count(*) FROM ({sure_pairs})").fetchall()[0][0]  # noqa: S608
    all_pairs = records * (records - 1) / 2
    if not found:
        return PRIOR_MATCH_PROBABILITY
    return float(min(found / DETERMINISTIC_RECALL / all_pairs, 0.5))


def _train(
    linker: Linker, connection: duckdb.DuckDBPyConnection, seed: int, max_pairs: int
) -> None:
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in TRAINING_BLOCKING:
        # A session whose rule pairs no records is skipped before it starts: Splink takes the
        # comparisons the rule fixes out of the model for the session and, when the session
        # then fails for want of pairs, does not put them back (the name comparison vanished
        # from the model, and scoring failed on records of which no two share a name).
        if not _has_pairs(connection, rule):
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except (EMTrainingException, ValueError):
            # No two records share this, or too few for EM: an m value fell to 0, which Splink
            # refuses. The other session trains the levels; this one is left out.
            continue


def _has_pairs(connection: duckdb.DuckDBPyConnection, rule: str) -> bool:
    """Whether two records satisfy the blocking rule (the SQL is this module's constants)."""
    found = connection.sql(
        "SELECT 1 FROM persons AS l JOIN persons AS r "  # noqa: S608
        f"ON l.unique_id < r.unique_id AND {rule} LIMIT 1"
    ).fetchall()
    return bool(found)


def _settings(prior: float, across_sources_only: bool) -> SettingsCreator:
    pairing = " AND l.source <> r.source" if across_sources_only else ""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=prior,
        blocking_rules_to_generate_predictions=[
            {"blocking_rule": rule + pairing} for rule in PREDICTION_BLOCKING
        ],
        comparisons=[_splink_comparison(comparison) for comparison in COMPARISONS],
        # Splink keeps each level (gamma) only with the matching columns; they stay in memory.
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )


def _splink_comparison(comparison: Comparison) -> dict[str, Any]:
    levels: list[dict[str, Any]] = [
        {"sql_condition": comparison.missing, "label_for_charts": MISSING, "is_null_level": True}
    ]
    for level in comparison.levels:
        splink_level: dict[str, Any] = {
            "sql_condition": level.sql,
            "label_for_charts": level.code,
        }
        if level.term_frequency_column:
            splink_level["tf_adjustment_column"] = level.term_frequency_column
            splink_level["tf_adjustment_weight"] = 1.0
        levels.append(splink_level)
    levels.append({"sql_condition": "ELSE", "label_for_charts": DIFFERENT})
    return {
        "output_column_name": comparison.name,
        "comparison_description": comparison.name,
        "comparison_levels": levels,
    }


def level_codes(comparison: Comparison) -> dict[int, str]:
    """Splink's comparison vector value (gamma) of each level: -1 for missing, then the levels
    counted down to 0 for "different"."""
    codes = {-1: MISSING, 0: DIFFERENT}
    for index, level in enumerate(comparison.levels):
        codes[len(comparison.levels) - index] = level.code
    return codes


def _pairs(scored: list[dict[str, Any]], features: pa.Table) -> pa.Table:
    by_id = {
        record_id: (source, organisation)
        for record_id, source, organisation in zip(
            features.column("unique_id").to_pylist(),
            features.column("source").to_pylist(),
            features.column("organisation").to_pylist(),
            strict=True,
        )
    }
    rows = sorted(
        scored,
        key=lambda row: (-row["match_weight"], row["unique_id_l"], row["unique_id_r"]),
    )
    columns: dict[str, list[Any]] = {
        "left_id": [],
        "right_id": [],
        "match_weight": [],
        "match_probability": [],
        "left_source": [],
        "right_source": [],
        "left_organisation": [],
        "right_organisation": [],
    }
    for comparison in COMPARISONS:
        columns[f"{comparison.name}_level"] = []
        columns[f"{comparison.name}_weight"] = []
    codes = {comparison.name: level_codes(comparison) for comparison in COMPARISONS}
    for row in rows:
        left, right = sorted((row["unique_id_l"], row["unique_id_r"]))
        columns["left_id"].append(left)
        columns["right_id"].append(right)
        columns["match_weight"].append(row["match_weight"])
        columns["match_probability"].append(row["match_probability"])
        for side, record_id in (("left", left), ("right", right)):
            source, organisation = by_id[record_id]
            columns[f"{side}_source"].append(source)
            columns[f"{side}_organisation"].append(organisation)
        for comparison in COMPARISONS:
            name = comparison.name
            columns[f"{name}_level"].append(codes[name][row[f"gamma_{name}"]])
            weight = row[f"mw_{name}"] + (row.get(f"mw_tf_adj_{name}") or 0.0)
            columns[f"{name}_weight"].append(weight)
    return pa.table(columns, schema=_pairs_schema())


def _pairs_schema() -> pa.Schema:
    fields = [
        pa.field("left_id", pa.string()),
        pa.field("right_id", pa.string()),
        pa.field("match_weight", pa.float64()),
        pa.field("match_probability", pa.float64()),
        pa.field("left_source", pa.string()),
        pa.field("right_source", pa.string()),
        pa.field("left_organisation", pa.string()),
        pa.field("right_organisation", pa.string()),
    ]
    for comparison in COMPARISONS:
        fields.append(pa.field(f"{comparison.name}_level", pa.string()))
        fields.append(pa.field(f"{comparison.name}_weight", pa.float64()))
    return pa.schema(fields)


def clusters_at(pairs: pa.Table, record_ids: Sequence[str], threshold: float) -> pa.Table:
    """Connected components of the pairs whose match probability reaches `threshold`."""
    parent = {record_id: record_id for record_id in record_ids}

    def root(record_id: str) -> str:
        while parent[record_id] != record_id:
            parent[record_id] = parent[parent[record_id]]
            record_id = parent[record_id]
        return record_id

    for left, right, probability in zip(
        pairs.column("left_id").to_pylist(),
        pairs.column("right_id").to_pylist(),
        pairs.column("match_probability").to_pylist(),
        strict=True,
    ):
        if probability >= threshold:
            low, high = sorted((root(left), root(right)))
            parent[high] = low
    ordered = sorted(parent)
    return pa.table(
        {"record_id": ordered, "cluster_id": [root(record_id) for record_id in ordered]},
        schema=pa.schema([("record_id", pa.string()), ("cluster_id", pa.string())]),
    )
