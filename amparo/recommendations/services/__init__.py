"""Every write to recommendations and their follow-up: one function per change, each checking
permission through `amparo.recommendations.access`, validating, writing in one transaction and
recording an audit entry. One module per domain action; the names callers use are importable
from here. Views, the API, the management command and the demo call these functions.
"""

from amparo.recommendations.services.case_links import link_cases, unlink_cases
from amparo.recommendations.services.exports import export_themes, midterm_report
from amparo.recommendations.services.implementation import (
    ActionInput,
    IndicatorInput,
    ProgressInput,
    add_action,
    add_indicator,
    change_action_status,
    record_indicator_value,
    review_report,
    submit_progress_report,
)
from amparo.recommendations.services.imports import import_recommendations, template_workbook
from amparo.recommendations.services.ratifications import (
    RatificationInput,
    import_ratifications,
    set_ratification,
)
from amparo.recommendations.services.recommendations import (
    RecommendationInput,
    create_recommendation,
    respond,
    update_recommendation,
)
from amparo.recommendations.services.reference import ensure_reference, load_reference
from amparo.recommendations.services.themes import (
    classify_all,
    confirm_theme,
    remove_theme,
    suggest_themes,
    train,
)

__all__ = [
    "ActionInput",
    "IndicatorInput",
    "ProgressInput",
    "RatificationInput",
    "RecommendationInput",
    "add_action",
    "add_indicator",
    "change_action_status",
    "classify_all",
    "confirm_theme",
    "create_recommendation",
    "ensure_reference",
    "export_themes",
    "import_ratifications",
    "import_recommendations",
    "link_cases",
    "load_reference",
    "midterm_report",
    "record_indicator_value",
    "remove_theme",
    "respond",
    "review_report",
    "set_ratification",
    "submit_progress_report",
    "suggest_themes",
    "template_workbook",
    "train",
    "unlink_cases",
    "update_recommendation",
]
