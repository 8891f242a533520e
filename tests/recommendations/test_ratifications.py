"""Ratification statuses: recorded one by one, imported from CSV (all or nothing), shown per
State with the instruments of the regional systems it belongs to."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from amparo.core.models import User
from amparo.recommendations import queries, services
from amparo.recommendations.models import Instrument, Ratification

pytestmark = pytest.mark.django_db

GOOD = (
    "State,Instrument,Status,Date,Note\n"
    "KE,ICCPR,ratified,1972-05-01,\n"
    "Kenya,cped,signed,2007-02-06,\n"
    "KE,Maputo Protocol,ratification,2010-10-06,\n"
    "CO,escazu,ratified,2024-11-05,Article 9 applies\n"
)


def test_a_csv_of_statuses_imports_and_reimports_without_change(reference: None) -> None:
    first = services.import_ratifications(None, GOOD.encode(), "r.csv")
    again = services.import_ratifications(None, GOOD.encode(), "r.csv")

    assert (first.created, again.unchanged) == (4, 4)
    assert Ratification.objects.get(state="KE", instrument__code="maputo").status == "ratified"
    assert Ratification.objects.get(state="KE", instrument__code="cped").date == datetime.date(
        2007, 2, 6
    )


def test_every_bad_row_is_reported_and_nothing_is_written(reference: None) -> None:
    bad = (
        GOOD
        + "Atlantis,ICCPR,ratified,,\n"
        + "KE,Treaty of Nowhere,ratified,,\n"
        + "KE,CAT,considering,,\n"
        + "KE,CAT,ratified,2999-01-01,\n"
        + "KE,ICCPR,signed,,\n"
    )
    result = services.import_ratifications(None, bad.encode(), "r.csv")

    assert [(e.row, e.column) for e in result.errors] == [
        (6, "state"),
        (7, "instrument"),
        (8, "status"),
        (9, "date"),
        (10, ""),
    ]
    assert not Ratification.objects.exists()


def test_only_monitors_may_record_statuses(reference: None, state_rep: User) -> None:
    with pytest.raises(PermissionDenied):
        services.set_ratification(
            state_rep,
            services.RatificationInput("KE", Instrument.objects.get(code="cat"), "ratified"),
        )


def test_the_state_dashboard_lists_the_un_and_its_own_regional_instruments(
    reference: None, documentalist: User
) -> None:
    services.set_ratification(
        documentalist,
        services.RatificationInput("KE", Instrument.objects.get(code="afcourt_34_6"), "no_action"),
    )
    kenya = {row.instrument.code: row for row in queries.ratification_rows("KE")}
    colombia = {row.instrument.code for row in queries.ratification_rows("CO")}

    assert {"iccpr", "cat_art22", "achpr_charter", "maputo"} <= set(kenya)
    assert "echr" not in kenya and "escazu" not in kenya
    assert kenya["afcourt_34_6"].ratification is not None and kenya["afcourt_34_6"].depth == 2
    assert {"achr", "escazu"} <= colombia and "maputo" not in colombia
