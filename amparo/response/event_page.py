"""The response to a case, as a section of its event page: the plans the viewer may see and,
when access allows it, the control to open one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amparo.cases.event_page import EventSection
from amparo.cases.models import Event
from amparo.core import access as core_access
from amparo.core.models import User
from amparo.response import access


def _response(user: User, event: Event) -> Mapping[str, Any] | None:
    if not core_access.has_rule(user, access.RULE):
        return None
    plans = list(access.plans_for_event(user, event).order_by("created_at", "pk"))
    actions = access.actions_on_event(user, event)
    if not plans and not actions:
        return None
    return {"event": event, "plans": plans, "actions": actions}


SECTION = EventSection("response_plans", "response/_event_plans.html", _response)
