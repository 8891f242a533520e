from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from amparo.core import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar may show this person."""
    user = request.user
    if not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "audit": access.has_rule(user, "audit.view_organisation_log"),
            "cases": access.has_rule(user, "cases.view"),
            "intake": access.has_rule(user, "intake.handle"),
            "members": access.has_rule(user, "organisation.manage_members"),
            "vocabularies": access.has_rule(user, "vocabulary.view"),
        }
    }
