from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from amparo.core import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar may show this person."""
    user = request.user
    if not user.is_authenticated:
        return {"nav": {}}
    rules = access.held_rules(user)
    return {
        "nav": {
            "audit": "audit.view_organisation_log" in rules,
            "cases": "cases.view" in rules,
            "intake": "intake.handle" in rules,
            "members": "organisation.manage_members" in rules,
            "recommendations": "recommendations.view" in rules,
            "network": "network.view" in rules,
            "portal": "portal.publish" in rules,
            "stats": "stats.view" in rules,
            "warning": "warning.view" in rules,
            "response": "response.view" in rules,
            "vocabularies": "vocabulary.view" in rules,
        }
    }
