"""Reference codes of events: NHRI-KE-2026-0042, one counter per organisation and year."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.models import (
    Event,
    ReferenceCounter,
)
from amparo.core.models import Organisation


def reference_prefix(organisation: Organisation, year: int) -> str:
    return f"{organisation.short_code.upper()}-{year:04d}-"


def allocate_reference_code(organisation: Organisation, year: int | None = None) -> str:
    """The next code of the organisation for the year: NHRI-KE-2026-0042.

    Must run inside the caller's transaction. The counter row is incremented with an UPDATE, which
    on PostgreSQL holds the row lock until commit, so concurrent transactions number one after
    the other; on SQLite every transaction takes the write lock when it begins.
    """
    year = year or timezone.localdate().year
    counter, _created = ReferenceCounter.objects.get_or_create(organisation=organisation, year=year)
    prefix = reference_prefix(organisation, year)
    while True:
        ReferenceCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + 1)
        number = ReferenceCounter.objects.values_list("last_number", flat=True).get(pk=counter.pk)
        code = f"{prefix}{number:04d}"
        # A code taken over from an import may already be in use: skip it.
        if not Event.objects.filter(reference_code=code).exists():
            return code


def allocate_reference_codes(organisation: Organisation, count: int) -> list[str]:
    """`count` codes at once, as `allocate_reference_code` gives them one by one: one counter
    update for all, and the codes an import took over skipped."""
    year = timezone.localdate().year
    counter, _created = ReferenceCounter.objects.get_or_create(organisation=organisation, year=year)
    prefix = reference_prefix(organisation, year)
    codes: list[str] = []
    while len(codes) < count:
        wanted = count - len(codes)
        ReferenceCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + wanted)
        last = ReferenceCounter.objects.values_list("last_number", flat=True).get(pk=counter.pk)
        batch = [f"{prefix}{number:04d}" for number in range(last - wanted + 1, last + 1)]
        taken = set(
            Event.objects.filter(reference_code__in=batch).values_list("reference_code", flat=True)
        )
        codes.extend(code for code in batch if code not in taken)
    return codes


def claim_reference_code(organisation: Organisation, code: str) -> str:
    """Keep an imported code, and move the counter past it so it is never given again."""
    return claim_reference_codes(organisation, [code])[0]


def claim_reference_codes(organisation: Organisation, codes: list[str]) -> list[str]:
    """`claim_reference_code` for many codes, with one query to check them all."""
    codes = [code.strip() for code in codes]
    if Event.objects.filter(reference_code__in=codes).exists() or len(set(codes)) < len(codes):
        raise ValidationError({"reference_code": _("This reference code is already in use.")})
    highest: dict[int, int] = {}
    pattern = re.compile(re.escape(organisation.short_code.upper()) + r"-(\d{4})-(\d+)")
    for code in codes:
        match = pattern.fullmatch(code)
        if match:
            year, number = int(match.group(1)), int(match.group(2))
            highest[year] = max(number, highest.get(year, 0))
    for year, number in highest.items():
        counter, _created = ReferenceCounter.objects.get_or_create(
            organisation=organisation, year=year
        )
        if counter.last_number < number:
            ReferenceCounter.objects.filter(pk=counter.pk, last_number__lt=number).update(
                last_number=number
            )
    return codes
