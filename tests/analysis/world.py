"""A small world of acts whose counts can be worked out by hand, for the analysis tests.

Organisation 1 documented events E1, E2, E5 in Kenya; organisation 2 documented E3 and E4 in
Uganda and E5's second act. Victim 1 suffered two acts, so did victims 2 and 3.

| act | event | victim | org | country | type of act   | types of defender    | date       |
|-----|-------|--------|-----|---------|---------------|----------------------|------------|
| 1   | 1     | 1      | 1   | KE      | threat_death  | journalist           | 2024-03    |
| 2   | 1     | 2      | 1   | KE      | threat        | journalist, lawyer   | 2024-03-10 |
| 3   | 2     | 1      | 1   | KE      | killing       | journalist           | 2025       |
| 4   | 3     | 3      | 2   | UG      | surveillance  | (none)               | 2024-07-02 |
| 5   | 3     | 3      | 2   | UG      | threat_online | community_journalist | 2024-07-02 |
| 6   | 4     | 4      | 2   | UG      | killing       | lawyer               | unknown    |
| 7   | 5     | 2      | 2   | KE      | threat        | journalist           | 2025-01-31 |

Events 3 and 4 are submitted, not verified; the others are verified.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from amparo.analysis.dimensions import ValueNames
from amparo.analysis.facts import TermTree, facts_table

TREE = TermTree(
    {
        "type_of_act": {
            "threat": None,
            "threat_death": "threat",
            "threat_online": "threat",
            "killing": None,
            "surveillance": None,
        },
        "defender_types": {
            "journalist": None,
            "community_journalist": "journalist",
            "lawyer": None,
        },
        "sex": {"woman": None, "trans_woman": "woman", "man": None},
    }
)

NAMES = ValueNames(
    {
        "country": {
            "KE": {"en": "Kenya", "fr": "Kenya", "es": "Kenia", "ar": "كينيا"},
            "UG": {"en": "Uganda", "fr": "Ouganda", "es": "Uganda", "ar": "أوغندا"},
        },
        "defender_type": {
            "journalist": {"en": "Journalist", "fr": "Journaliste", "ar": "صحفي"},
            "community_journalist": {"en": "Community journalist", "ar": "صحفي مجتمعي"},
            "lawyer": {"en": "Lawyer", "fr": "Avocat", "es": "Abogado", "ar": "محامٍ"},
        },
        "type_of_act": {
            "threat": {"en": "Threats", "ar": "التهديدات"},
            "killing": {"en": "Killing", "ar": "القتل"},
        },
    }
)


def record(act_id: int, **values: Any) -> dict[str, Any]:
    """One act's facts: a verified month-dated threat against an unnamed journalist in Kenya,
    unless `values` say otherwise."""
    defaults: dict[str, Any] = {
        "act_id": act_id,
        "event_id": act_id,
        "victim_id": act_id,
        "victim_kind": "individual",
        "organisation_id": 1,
        "confidentiality": 2,
        "event_status": "verified",
        "verified": True,
        "act_date": datetime.date(2024, 3, 1),
        "date_precision": "month",
        "country": "KE",
        "region": None,
        "type_of_act": "threat",
        "consequences": [],
        "defender_types": ["journalist"],
        "sex": None,
        "age_group": None,
        "perpetrator_types": [],
        "source_ids": [],
        "source_kinds": [],
        "law": None,
        "law_provision": None,
    }
    return {**defaults, **values}


def facts(records: Iterable[dict[str, Any]]) -> pa.Table:
    return facts_table(records, TREE)


def small_world() -> pa.Table:
    day = datetime.date
    return facts(
        [
            record(1, event_id=1, victim_id=1, type_of_act="threat_death"),
            record(
                2,
                event_id=1,
                victim_id=2,
                defender_types=["journalist", "lawyer"],
                act_date=day(2024, 3, 10),
                date_precision="day",
            ),
            record(
                3,
                event_id=2,
                victim_id=1,
                type_of_act="killing",
                act_date=day(2025, 1, 1),
                date_precision="year",
            ),
            record(
                4,
                event_id=3,
                victim_id=3,
                organisation_id=2,
                country="UG",
                type_of_act="surveillance",
                defender_types=[],
                act_date=day(2024, 7, 2),
                date_precision="day",
                event_status="submitted",
                verified=False,
            ),
            record(
                5,
                event_id=3,
                victim_id=3,
                organisation_id=2,
                country="UG",
                type_of_act="threat_online",
                defender_types=["community_journalist"],
                act_date=day(2024, 7, 2),
                date_precision="day",
                event_status="submitted",
                verified=False,
            ),
            record(
                6,
                event_id=4,
                victim_id=4,
                organisation_id=2,
                country="UG",
                type_of_act="killing",
                defender_types=["lawyer"],
                act_date=None,
                date_precision="unknown",
            ),
            record(
                7,
                event_id=5,
                victim_id=2,
                organisation_id=2,
                act_date=day(2025, 1, 31),
                date_precision="day",
            ),
        ]
    )
