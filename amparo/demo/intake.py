"""Reports in the intake inbox, so that it is not empty on first look: synthetic reports sent
through the reporting channel's own service, as a reporter's form would send them (the same
checks, encryption, routing and notifications)."""

from __future__ import annotations

import datetime

from django.db import transaction

from amparo.demo.base import DemoError, DemoOptions, DemoStep, require_demo_mode
from amparo.intake.models import ContactMethod, Danger, Submission, Target
from amparo.intake.services import submissions as services

# What the reports say: made up, about nobody, in the languages the form offers.
REPORTS: tuple[services.ReportInput, ...] = (
    services.ReportInput(
        what_happened=(
            "Two men on a motorbike followed me home after the community radio programme "
            "about the land dispute, and one of them said they know where my children go "
            "to school."
        ),
        danger=Danger.YES,
        target=Target.ME,
        language="en",
        incident_date=datetime.date(2026, 6, 12),
        incident_date_precision="day",
        country="KE",
        region="Kisumu",
        victim_name="(demo) Community radio host",
        defender_types=["journalist"],
        acts=["threat_death", "surveillance_physical"],
        perpetrator="Two unidentified men on a motorbike",
        danger_details="They came back the next night and waited outside the gate.",
        contact_method=ContactMethod.FOLLOW_UP_ONLY,
        consent_partner=True,
    ),
    services.ReportInput(
        what_happened=(
            "Our association's office was searched by police without a warrant; they took "
            "the laptops with the members' list."
        ),
        danger=Danger.UNSURE,
        target=Target.ORGANISATION,
        language="fr",
        incident_date=datetime.date(2026, 5, 1),
        incident_date_precision="month",
        country="CD",
        defender_types=["ngo_worker"],
        acts=["raid", "theft_information"],
        perpetrator="Police",
        contact_method=ContactMethod.FOLLOW_UP_ONLY,
    ),
    services.ReportInput(
        what_happened=(
            "A colleague who documents evictions was taken from the market by armed men; "
            "nobody has heard from her for three days."
        ),
        danger=Danger.YES,
        target=Target.SOMEONE_ELSE,
        language="es",
        incident_date=datetime.date(2026, 6, 20),
        incident_date_precision="day",
        country="CO",
        victim_name="(demo) Land rights defender",
        defender_types=["environmental", "community_leader"],
        acts=["abduction"],
        perpetrator="Armed men",
        danger_details="Her family has received calls telling them not to report it.",
        contact_method=ContactMethod.FOLLOW_UP_ONLY,
        consent_partner=True,
        consent_international=True,
    ),
    services.ReportInput(
        what_happened=(
            "After the Commission published its report on detention conditions, a minister "
            "called its members traitors on television and its budget was cut by half."
        ),
        danger=Danger.NO,
        target=Target.NHRI,
        language="en",
        incident_date=datetime.date(2026, 3, 1),
        incident_date_precision="month",
        country="KE",
        defender_types=["nhri"],
        acts=["nhri_smear", "nhri_budget_cut"],
        perpetrator="Government officials",
        contact_method=ContactMethod.FOLLOW_UP_ONLY,
        consent_partner=True,
    ),
    services.ReportInput(
        what_happened=(
            "Since I started representing the fishermen, messages threaten to publish my "
            "home address online."
        ),
        danger=Danger.UNSURE,
        target=Target.ME,
        language="ar",
        incident_date=datetime.date(2026, 4, 1),
        incident_date_precision="year",
        country="TN",
        defender_types=["lawyer"],
        acts=["threat_online", "doxxing"],
        contact_method=ContactMethod.FOLLOW_UP_ONLY,
    ),
)


def build_reports() -> int:
    """Send the demo reports unless the inbox has reports already; how many were sent."""
    require_demo_mode()
    if Submission.objects.exists():
        return 0
    with transaction.atomic():
        for report in REPORTS:
            try:
                services.submit_report(report, uploads=[])
            except services.ChannelClosed as error:
                raise DemoError(
                    "The intake channel is closed: set AMPARO_INTAKE_ORGANISATION "
                    "(demo mode sets it to NHRC-KE)."
                ) from error
    return len(REPORTS)


def _build(options: DemoOptions) -> str:
    sent = build_reports()
    return f"{sent} intake reports" if sent else "the intake inbox has reports already: kept"


STEP = DemoStep("intake", _build)
