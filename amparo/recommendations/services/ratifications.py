"""Where each State stands with the instruments: recorded one by one or imported from CSV.

The CSV has the columns `state` (ISO code or name), `instrument` (code or abbreviation),
`status` (ratified, signed, no_action, withdrawn), and optionally `date` (YYYY-MM-DD) and
`note`, in any order. An import is all or nothing and reports every problem with its row and
column; importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.cases.exchange.imports import RowError
from amparo.cases.exchange.tabular import TableError, read_table
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.recommendations import access
from amparo.recommendations.models import Instrument, Ratification
from amparo.recommendations.services.imports import column_name, fold
from amparo.recommendations.services.reference import ensure_reference, resolve_country

STATUS_NAMES = {
    **{fold(value): value for value in Ratification.Status.values},
    "ratification": Ratification.Status.RATIFIED,
    "accession": Ratification.Status.RATIFIED,
    "acceded": Ratification.Status.RATIFIED,
    "succession": Ratification.Status.RATIFIED,
    "accepted": Ratification.Status.RATIFIED,
    "signature": Ratification.Status.SIGNED,
    "no action": Ratification.Status.NO_ACTION,
    "not signed": Ratification.Status.NO_ACTION,
    "denounced": Ratification.Status.WITHDRAWN,
}
REQUIRED = ("state", "instrument", "status")


@dataclass
class RatificationInput:
    state: str
    instrument: Instrument
    status: str
    date: datetime.date | None = None
    note: str = ""


def _save(actor: User | None, data: RatificationInput) -> tuple[Ratification, str]:
    """Create or update one status; what happened: created, updated or unchanged."""
    ratification = Ratification.objects.filter(state=data.state, instrument=data.instrument).first()
    outcome = "updated"
    if ratification is None:
        ratification = Ratification(state=data.state, instrument=data.instrument)
        outcome = "created"
    wanted = {"status": data.status, "date": data.date, "note": data.note.strip()}
    if outcome == "updated" and all(getattr(ratification, k) == v for k, v in wanted.items()):
        return ratification, "unchanged"
    for name, value in wanted.items():
        setattr(ratification, name, value)
    ratification.updated_by = actor
    ratification.full_clean(validate_unique=False, validate_constraints=False)
    ratification.save()
    return ratification, outcome


@transaction.atomic
def set_ratification(actor: User, data: RatificationInput) -> Ratification:
    organisation = access.require(actor, access.RATIFICATIONS)
    if data.status not in Ratification.Status.values:
        raise ValidationError({"status": _("Not a ratification status.")})
    if data.date is not None and data.date > datetime.date.today():
        raise ValidationError({"date": _("This date is in the future.")})
    ratification, outcome = _save(actor, data)
    if outcome != "unchanged":
        audit.record(
            actor,
            AuditAction.RATIFICATION_SET,
            ratification,
            organisation=organisation,
            changes={
                "state": data.state,
                "instrument": data.instrument.code,
                "status": data.status,
            },
        )
    return ratification


@dataclass
class RatificationImport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _RollBack(Exception):
    pass


def import_ratifications(
    actor: User | None, data: bytes, filename: str, *, dry_run: bool = False
) -> RatificationImport:
    """Import statuses from a CSV or XLSX file (see the module). `actor` None: the command line."""
    organisation = access.require(actor, access.RATIFICATIONS) if actor is not None else None
    ensure_reference()
    table = read_table(data, filename)
    columns = {column_name(c): c for c in table.columns}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise TableError(
            _("The file needs the columns state, instrument and status; missing: %(columns)s")
            % {"columns": ", ".join(missing)}
        )
    instruments: dict[str, Instrument] = {}
    for known in Instrument.objects.filter(active=True):
        for name in (known.code, known.abbreviation, known.label_en):
            if name:
                instruments.setdefault(fold(name), known)
    result = RatificationImport(rows=len(table.rows), dry_run=dry_run)
    inputs: list[RatificationInput] = []
    seen: dict[tuple[str, int], int] = {}
    for number, values in table.rows:

        def cell(name: str, values: dict[str, str] = values) -> str:
            column = columns.get(name)
            return values.get(column, "").strip() if column else ""

        state = resolve_country(cell("state"))
        instrument = instruments.get(fold(cell("instrument")))
        status = STATUS_NAMES.get(fold(cell("status")))
        date: datetime.date | None = None
        errors = len(result.errors)
        if not state:
            result.errors.append(RowError(number, "state", cell("state"), _("not a country")))
        if instrument is None:
            result.errors.append(
                RowError(
                    number, "instrument", cell("instrument"), _("not an instrument of the list")
                )
            )
        if status is None:
            result.errors.append(
                RowError(
                    number,
                    "status",
                    cell("status"),
                    _("use ratified, signed, no_action or withdrawn"),
                )
            )
        if cell("date"):
            try:
                date = datetime.date.fromisoformat(cell("date")[:10])
            except ValueError:
                result.errors.append(
                    RowError(number, "date", cell("date"), _("write the date as YYYY-MM-DD"))
                )
            else:
                if date > datetime.date.today():
                    result.errors.append(
                        RowError(number, "date", cell("date"), _("this date is in the future"))
                    )
        if len(cell("note")) > 300:
            result.errors.append(RowError(number, "note", "", _("longer than 300 characters")))
        if len(result.errors) > errors or state is None or instrument is None or status is None:
            continue
        key = (state, instrument.pk)
        if key in seen:
            result.errors.append(
                RowError(
                    number,
                    "",
                    "",
                    _("the same State and instrument as row %(row)d") % {"row": seen[key]},
                )
            )
            continue
        seen[key] = number
        inputs.append(RatificationInput(state, instrument, status, date, cell("note")))
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for item in inputs:
                outcome = _save(actor, item)[1]
                setattr(result, outcome, getattr(result, outcome) + 1)
            audit.record(
                actor,
                AuditAction.RATIFICATIONS_IMPORT,
                organisation=organisation,
                changes={
                    "file": filename[:200],
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "dry_run": dry_run,
                },
            )
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    return result
