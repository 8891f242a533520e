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
            "audit": access.has_rule(user, "audit.view_organisation_log"),  # type: ignore[arg-type]
            "members": access.has_rule(user, "organisation.manage_members"),  # type: ignore[arg-type]
            "vocabularies": access.has_rule(user, "vocabulary.view"),  # type: ignore[arg-type]
        }
    }
