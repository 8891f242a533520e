from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "amparo.intake"
    label = "intake"
    verbose_name = _("Secure intake")

    def ready(self) -> None:
        from amparo.core import audit
        from amparo.intake import access
        from amparo.intake.models import Submission

        audit.register_object_access(Submission._meta.label_lower, access.can_view_trail)
