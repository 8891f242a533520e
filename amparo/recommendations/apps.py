from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "amparo.recommendations"
    label = "recommendations"
    verbose_name = _("Recommendations follow-up")

    def ready(self) -> None:
        from amparo.core import access as core_access
        from amparo.recommendations import access
        from amparo.recommendations.models import ProgressReport, Ratification, Recommendation

        for model in (Recommendation, ProgressReport, Ratification):
            core_access.register_trail_access(model._meta.label_lower, access.can_view_trail)
