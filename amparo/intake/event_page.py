"""The intake reports a case was opened from, as a section of the event page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amparo.cases.event_page import EventSection
from amparo.cases.models import Event
from amparo.core.models import User
from amparo.intake import access


def _reports(user: User, event: Event) -> Mapping[str, Any] | None:
    # Only the reports the user handles: a report says who asked for protection and how.
    reports = list(access.visible_submissions(user).filter(event=event).order_by("received_on"))
    return {"reports": reports} if reports else None


SECTION = EventSection("intake_reports", "intake/_event_reports.html", _reports)
