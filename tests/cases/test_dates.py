"""A blank date means the date is unknown: the forms offer "Exact day" first, and leaving the
date empty must not fail because of it ("Give the date, or set its precision to unknown").
A date that is given keeps the precision chosen for it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.cases import services
from amparo.cases.models import Act, DatePrecision, Event, check_not_in_future
from amparo.core.models import Organisation, User
from tests.cases.conftest import sign_in
from tests.cases.test_services import event_input
from tests.cases.test_views import guided_post


@pytest.mark.django_db
def test_the_guided_page_saves_blank_dates_as_unknown_even_with_exact_day_chosen(
    client: Client, nhri: Organisation, documentalist: User, term
) -> None:
    sign_in(client, documentalist)
    data = guided_post(
        term,
        nhri,
        start_date="",
        start_precision="day",
        **{"acts-0-date": "", "acts-0-date_precision": "day", "acts-1-date_precision": "day"},
    )

    response = client.post(reverse("cases:event_create"), data)

    assert response.status_code == 302, response.content.decode()
    event = Event.objects.get()
    assert (event.start_date, event.start_precision) == (None, DatePrecision.UNKNOWN)
    assert set(Act.objects.values_list("date", "date_precision")) == {(None, DatePrecision.UNKNOWN)}


@pytest.mark.django_db
def test_the_guided_page_keeps_exact_day_when_a_date_is_given(
    client: Client, nhri: Organisation, documentalist: User, term
) -> None:
    sign_in(client, documentalist)

    client.post(reverse("cases:event_create"), guided_post(term, nhri))

    event = Event.objects.get()
    assert (event.start_date, event.start_precision) == (
        datetime.date(2026, 2, 14),
        DatePrecision.DAY,
    )
    dates = set(Act.objects.values_list("date", "date_precision"))
    assert dates == {
        (datetime.date(2026, 2, 14), DatePrecision.DAY),
        (None, DatePrecision.UNKNOWN),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("precision", [DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR])
def test_the_services_store_a_blank_date_as_unknown_whatever_its_precision(
    nhri: Organisation, documentalist: User, term, precision: str
) -> None:
    data = event_input(term, start_date=None, start_precision=precision)
    data.acts[0].date, data.acts[0].date_precision = None, precision

    event = services.create_event(documentalist, nhri, data)

    assert (event.start_date, event.start_precision) == (None, DatePrecision.UNKNOWN)
    first = event.acts.get(type_of_act=data.acts[0].type_of_act)
    assert (first.date, first.date_precision) == (None, DatePrecision.UNKNOWN)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "UTC", "Pacific/Pago_Pago"])
def test_a_date_is_in_the_future_by_the_calendar_of_the_configured_time_zone(
    settings, zone: str
) -> None:
    # The check skips its time zone look-up for dates older than any zone's today: the
    # dates around today still follow the configured zone (UTC+14 to UTC-11 here).
    settings.TIME_ZONE = zone
    today = timezone.localdate()
    for past in (today, today - datetime.timedelta(days=1), today - datetime.timedelta(days=400)):
        check_not_in_future(past, "date")
    with pytest.raises(ValidationError, match="in the future"):
        check_not_in_future(today + datetime.timedelta(days=1), "date")
